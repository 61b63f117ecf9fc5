"""ServiceConnection against the real embedded service, without Tk: requests run in
workers, results and events come back only through ``drain()``, a dropped session is
restored by itself."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from callcenter.server.cli.common import UsageError
from callcenter.server.cli.main import attach_tls, build_parser
from callcenter.server.console.connection import ServiceAddress, ServiceConnection
from callcenter.server.hub import AgentHub
from callcenter.server.hub.tls import server_context
from callcenter.server.runtime import ServerRuntime
from tests.server.console.console_support import PASSWORD, wait_for


class Recorder:
    def __init__(self, connection: ServiceConnection) -> None:
        self.connection = connection
        self.events: list[dict[str, Any]] = []
        self.results: list[tuple[str, Any]] = []
        self.threads: set[str] = set()
        self.lost: list[str] = []
        self.restored = 0
        connection.on_event = self._event
        connection.on_lost = self.lost.append
        connection.on_restored = self._restored

    def _event(self, event: dict[str, Any]) -> None:
        self.threads.add(threading.current_thread().name)
        self.events.append(event)

    def _restored(self) -> None:
        self.restored += 1

    def done(self, answer: dict[str, Any]) -> None:
        self.threads.add(threading.current_thread().name)
        self.results.append(("ok", answer))

    def failed(self, code: str, message: str) -> None:
        self.threads.add(threading.current_thread().name)
        self.results.append((code, message))

    def pump_until(self, condition: Callable[[], object], what: str) -> None:
        def step() -> object:
            self.connection.drain()
            return condition()
        wait_for(step, 15, what)


def test_login_request_and_events_come_back_through_drain(
        address: ServiceAddress, account: Callable[..., str]) -> None:
    connection = ServiceConnection(address)
    recorder = Recorder(connection)
    try:
        connection.login(account("conn-admin"), PASSWORD, recorder.done, recorder.failed)
        recorder.pump_until(lambda: recorder.results, "the login")
        assert recorder.results[0][0] == "ok"
        assert recorder.results[0][1]["role"] == "admin"
        recorder.pump_until(lambda: any(e["event"] == "snapshot" for e in recorder.events),
                            "the snapshot")
        connection.request("whoami", recorder.done, recorder.failed)
        connection.request("no_such_action", recorder.done, recorder.failed)
        recorder.pump_until(lambda: len(recorder.results) == 3, "two answers")
        answers = dict(recorder.results[1:])
        assert answers["ok"]["modules"] == ["system", "parameters", "monitor", "records",
                                            "rooms", "backup"]
        assert "unknown_action" in answers
        # every callback ran here, in the thread that drains (the Tk thread in the console)
        assert recorder.threads == {threading.current_thread().name}
    finally:
        connection.close()


def test_a_request_is_a_job_with_its_id_its_progress_and_a_cancel(
        address: ServiceAddress, account: Callable[..., str]) -> None:
    """``request`` returns the request's Job: its id once sent (the ``job`` of its progress
    events), its own progress, and ``cancel()`` -- here at once, before any progress."""
    connection = ServiceConnection(address)
    recorder = Recorder(connection)
    try:
        connection.login(account("conn-jobs"), PASSWORD, recorder.done, recorder.failed)
        recorder.pump_until(lambda: recorder.results, "the login")
        progress: list[tuple[int, int, str]] = []
        job = connection.request("verify", recorder.done, recorder.failed, timeout=120,
                                 on_progress=lambda d, t, text: progress.append((d, t, text)),
                                 force=True)
        recorder.pump_until(lambda: len(recorder.results) == 2, "the verification")
        assert recorder.results[1][0] == "ok" and job.finished and job.id.startswith("c")
        assert progress  # its progress came to its own callback ...
        jobs = {e.get("job") for e in recorder.events if e.get("event") == "progress"}
        assert jobs == {job.id}  # ... and as events naming its id
        stopped = connection.request("verify", recorder.done, recorder.failed, timeout=120,
                                     force=True)
        stopped.cancel()  # before it was sent, or at its first step: it stops
        recorder.pump_until(lambda: len(recorder.results) == 3, "the cancelled one")
        assert recorder.results[2][0] == "cancelled" and stopped.cancel_asked
        stopped.cancel()  # nothing more once answered
        done = connection.request("whoami", recorder.done, recorder.failed)
        recorder.pump_until(lambda: len(recorder.results) == 4, "whoami")
        done.cancel()  # answered already: nothing is sent
        assert not done.cancel_asked
    finally:
        connection.close()


def test_wrong_password_is_an_error_code(address: ServiceAddress,
                                         account: Callable[..., str]) -> None:
    connection = ServiceConnection(address)
    recorder = Recorder(connection)
    try:
        connection.login(account("conn-wrong"), "not-the-password", recorder.done,
                         recorder.failed)
        recorder.pump_until(lambda: recorder.results, "the refusal")
        assert recorder.results[0][0] == "auth_failed"
        assert not connection.logged_in
    finally:
        connection.close()


def test_a_dropped_session_is_restored(address: ServiceAddress,
                                       account: Callable[..., str]) -> None:
    connection = ServiceConnection(address)
    recorder = Recorder(connection)
    try:
        connection.login(account("conn-drop"), PASSWORD, recorder.done, recorder.failed)
        recorder.pump_until(lambda: recorder.events, "the first snapshot")
        client = connection._client
        assert client is not None
        client.close()  # as when the network drops the connection
        recorder.pump_until(lambda: recorder.lost, "the loss noticed")
        states = [connection.logged_in]
        recorder.pump_until(lambda: recorder.restored, "the session restored")
        states.append(connection.logged_in)
        assert states == [False, True]
        assert connection._client is not client
        recorder.pump_until(lambda: len([e for e in recorder.events
                                         if e["event"] == "snapshot"]) >= 2, "a new snapshot")
    finally:
        connection.close()


def test_unreachable_service(account: Callable[..., str]) -> None:
    connection = ServiceConnection(ServiceAddress("127.0.0.1", 1), timeout=2)
    recorder = Recorder(connection)
    try:
        connection.login("nobody", "x", recorder.done, recorder.failed)
        recorder.pump_until(lambda: recorder.results, "the failure")
        code, message = recorder.results[0]
        assert code == "unavailable" and "127.0.0.1:1" in message
    finally:
        connection.close()


def test_a_console_on_another_pc_speaks_tls_and_checks_the_certificate(
        runtime: ServerRuntime, tmp_path: Path, account: Callable[..., str]) -> None:
    """``--attach HOST --trust CERT``: the console's session is TLS, and a server whose
    certificate it does not trust is refused (another hub on the same service, with TLS)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    user = account("tls-console")
    with AgentHub(runtime.service, host="127.0.0.1", port=0,
                  tls=server_context(str(cert), str(key)), admin=runtime.admin) as hub:
        host, port = hub.address
        args = build_parser().parse_args(["--attach", f"{host}:{port}", "--trust", str(cert)])
        trusting = ServiceConnection(ServiceAddress(host, port, attach_tls(args)))
        answers: list[Any] = []
        trusting.login(user, PASSWORD, answers.append, lambda c, m: answers.append((c, m)))
        wait_for(lambda: [trusting.drain(), answers][1], what="the TLS login")
        assert answers and isinstance(answers[0], dict) and answers[0]["role"] == "admin"
        trusting.close()
        strict = ServiceConnection(ServiceAddress(host, port, ssl.create_default_context()))
        errors: list[Any] = []
        strict.login(user, PASSWORD, errors.append, lambda c, m: errors.append((c, m)))
        wait_for(lambda: [strict.drain(), errors][1], what="the refusal")
        assert isinstance(errors[0], tuple) and "certificate" in errors[0][1].lower()
        strict.close()
    bad = build_parser().parse_args(["--attach", "127.0.0.1", "--trust", str(tmp_path / "no")])
    with pytest.raises(UsageError, match="--trust"):
        attach_tls(bad)
