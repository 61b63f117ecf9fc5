"""ServiceConnection against the real embedded service, without Tk: requests run in
workers, results and events come back only through ``drain()``, a dropped session is
restored by itself."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from callcenter.server.console.connection import ServiceAddress, ServiceConnection
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
