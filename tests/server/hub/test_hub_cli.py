"""The hub inside ``callcenter-server --headless`` (a subprocess), and TLS."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from callcenter.server.hub import AgentHub, TlsConfigError, context_from_settings
from callcenter.server.hub.tls import server_context
from callcenter.server.pbx.service import PbxService
from callcenter.server.store.settings import set_setting
from tests.server.hub.agent_client import AgentClient
from tests.server.hub.hub_support import TEST_OPTIONS

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(
    str(ROOT / d) for d in ("common", "pbxsim", "server", "crm_client"))}
COMMAND = [sys.executable, "-m", "callcenter.server"]
LISTENING = re.compile(r"agent hub listening on (\S+):(\d+)")


class Server:
    """``callcenter-server`` as a subprocess whose standard error is read by a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([*COMMAND, *args], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, env=ENV)
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 20) -> re.Match[str]:
        seen: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no line matching {pattern.pattern} within {timeout} s: {seen}")
            seen.append(line)
            match = pattern.search(line)
            if match:
                return match

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
            self.reader.join(5)
        return code


@pytest.fixture
def server() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(*args: str) -> Server:
        started.append(Server(*args))
        return started[-1]

    yield start
    for item in started:
        item.stop()


def test_headless_hub_serves_logins_while_the_pbx_is_down(
        server: Callable[..., Server], tmp_path: Path) -> None:
    # Nothing listens on port 9 of 127.0.0.1: the PBX link stays down.
    srv = server("--headless", "--pbx", "socket://127.0.0.1:9", "--data", str(tmp_path),
                 "--agent-port", "0", "--agent-host", "127.0.0.1")
    match = srv.wait_for(LISTENING)
    address = (match.group(1), int(match.group(2)))
    with AgentClient(address) as client:
        answer = client.login("admin", "admin", "001", device="normal")
        assert answer["ok"] and answer["must_change_password"]
        assert client.request("change_password", old="admin", new="first-pw")["ok"]
        assert client.wait_event("snapshot")["link"] == "down"
        assert client.request("dial", number="8002")["error"]["code"] == "pbx_unavailable"
    assert srv.stop() == 0


def test_headless_demo_hub_and_bad_ports(server: Callable[..., Server],
                                         tmp_path: Path) -> None:
    srv = server("--headless", "--demo", "--traffic", "0", "--data", str(tmp_path / "a"),
                 "--agent-port", "0", "--agent-host", "127.0.0.1")
    match = srv.wait_for(LISTENING)
    port = int(match.group(2))
    with AgentClient(("127.0.0.1", port)) as client:
        assert client.request("ping")["ok"]
    # The same port again: the second server cannot bind and says so.
    busy = subprocess.run([*COMMAND, "--headless", "--demo", "--data", str(tmp_path / "b"),
                           "--agent-port", str(port), "--agent-host", "127.0.0.1"],
                          capture_output=True, text=True, env=ENV, timeout=60, check=False)
    assert busy.returncode == 1 and "address already in use" in busy.stderr.lower()
    assert "Traceback" not in busy.stderr
    bad = subprocess.run([*COMMAND, "--headless", "--demo", "--agent-port", "70000"],
                         capture_output=True, text=True, env=ENV, timeout=60, check=False)
    assert bad.returncode == 2 and "--agent-port" in bad.stderr
    assert srv.stop() == 0


# ---------------------------------------------------------------------- TLS

@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made now with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("TLS test needs the openssl command (the cryptography package is not "
                    "installed either)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_tls_hub_with_a_verifying_client(service: PbxService, certificate: tuple[Path, Path],
                                         account: Callable[..., str]) -> None:
    cert, key = certificate
    account("tls-alice")
    set_setting("agent.tls_cert", str(cert), "test")
    try:
        with pytest.raises(TlsConfigError, match="both"):
            context_from_settings()
        set_setting("agent.tls_key", str(key), "test")
        tls = context_from_settings()
        assert tls is not None
    finally:
        set_setting("agent.tls_cert", "", "test")
        set_setting("agent.tls_key", "", "test")
    with AgentHub(service, host="127.0.0.1", port=0, tls=tls, options=TEST_OPTIONS) as hub:
        trusting = ssl.create_default_context(cafile=str(cert))
        with AgentClient(hub.address, tls=trusting, server_hostname="127.0.0.1") as client:
            assert client.hello["type"] == "hello"
            assert client.login("tls-alice", extension="001")["ok"]
            assert client.wait_event("snapshot")["seq"] == 1
        with pytest.raises(ssl.SSLCertVerificationError):  # the client verifies the server
            AgentClient(hub.address, tls=ssl.create_default_context(),
                        server_hostname="127.0.0.1")
        with socket.create_connection(hub.address, timeout=5) as plain:  # not TLS: harmless
            plain.sendall(b'{"type":"request","id":1,"action":"ping"}\n')
            plain.settimeout(5)
            try:
                while plain.recv(4096):
                    pass
            except (ConnectionResetError, TimeoutError):
                pass
        with AgentClient(hub.address, tls=trusting, server_hostname="127.0.0.1") as again:
            assert again.request("ping")["ok"]
    with pytest.raises(TlsConfigError, match="cannot load"):
        server_context(key, cert)
