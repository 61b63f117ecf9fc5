"""``callcenter-server`` with the console, end to end as subprocesses: the embedded service
opens its window under Xvfb (``--user`` with ``CALLCENTER_PASSWORD``: nothing asked), a
second console attaches to it, commands still go through the same service, and without a
display the service runs headless after one line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.console.console_support import wait_for
from tests.server.test_server_cli import COMMAND, ENV, Lines

PASSWORD = "kiosk-pw-1"


def windows(display: str) -> str:
    """The X windows' names (xwininfo), or "" without xwininfo."""
    try:
        result = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True,
                                text=True, env={**os.environ, "DISPLAY": display},
                                timeout=10, check=False)
    except FileNotFoundError:
        return ""
    return result.stdout


def hub_port(process: Lines) -> int:
    found = re.search(r"agent hub listening on [^ ]+:(\d+)", "".join(process._stderr))
    return int(found.group(1)) if found else 0


def add_account(data: Path, user: str, role: str) -> None:
    result = subprocess.run([*COMMAND, "accounts", "add", user, "--role", role,
                             "--password-stdin", "--data", str(data)], input=PASSWORD + "\n",
                            capture_output=True, text=True, env=ENV, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def processes() -> Iterator[list[Lines]]:
    started: list[Lines] = []
    yield started
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait(10)
        p.close()


def test_demo_console_unattended_then_a_second_console_attaches(
        display: str, tmp_path: Path, processes: list[Lines]) -> None:
    if not windows(display):
        pytest.skip("xwininfo (x11-utils) is needed to see the windows from outside")
    data = tmp_path / "data"
    add_account(data, "kiosk", "admin")
    env = {**ENV, "DISPLAY": display, "CALLCENTER_PASSWORD": PASSWORD}
    service = Lines("--demo", "--traffic", "0", "--data", str(data), "--agent-port", "0",
                    "--user", "kiosk", env=env)
    processes.append(service)
    wait_for(lambda: service.proc.poll() is not None or "CALLCENTER" in windows(display),
             40, "the console window")
    assert service.proc.poll() is None, "".join(service._stderr)
    wait_for(lambda: hub_port(service), 20, "the hub's port in the log")
    port = hub_port(service)
    # a command from another shell still goes through the same service
    result = subprocess.run([*COMMAND, "pbx", "set", "extension.024.alarm1=0730", "--data",
                             str(data)], capture_output=True, text=True, env=ENV, timeout=60,
                            check=False)
    assert result.returncode == 0 and "= 0730 (verified)" in result.stdout, \
        result.stdout + result.stderr
    console = Lines("--attach", f"127.0.0.1:{port}", "--user", "kiosk", env=env)
    processes.append(console)
    wait_for(lambda: console.proc.poll() is not None
             or f"127.0.0.1:{port}" in windows(display), 30, "the attached console")
    assert console.proc.poll() is None, "".join(console._stderr)
    code, errors = console.stop(signal.SIGTERM)
    assert code == 0, errors
    code, errors = service.stop(signal.SIGTERM)
    assert code == 0, errors
    assert "Traceback" not in errors
    assert "service stopped" in errors


def test_without_a_display_the_service_runs_headless(tmp_path: Path,
                                                     processes: list[Lines]) -> None:
    env = {k: v for k, v in ENV.items() if k != "DISPLAY"}
    service = Lines("--demo", "--traffic", "0", "--data", str(tmp_path), "--agent-port", "0",
                    env=env)
    processes.append(service)
    wait_for(lambda: service.proc.poll() is not None or hub_port(service), 30,
             "the service to start")
    code, errors = service.stop(signal.SIGTERM)
    assert code == 0, errors
    lines = [line for line in errors.splitlines() if "without the console window" in line]
    assert lines == ["callcenter-server: no display (DISPLAY is not set): running the service "
                     "without the console window (as --headless; Ctrl-C stops)"]


def test_console_flags_are_checked_before_anything_starts(tmp_path: Path) -> None:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*COMMAND, *args], capture_output=True, text=True,
                              env=env or ENV, timeout=60, check=False)
    no_password = {k: v for k, v in ENV.items() if k != "CALLCENTER_PASSWORD"}
    result = run("--demo", "--data", str(tmp_path), "--user", "x", env=no_password)
    assert result.returncode == 2
    assert "CALLCENTER_PASSWORD" in result.stderr
    result = run("--headless", "--demo", "--data", str(tmp_path), "--user", "x",
                 env={**ENV, "CALLCENTER_PASSWORD": "pw"})
    assert result.returncode == 2 and "--headless" in result.stderr
    result = run("--attach", "host:99999")
    assert result.returncode == 2 and "port" in result.stderr
    result = run("--attach", "127.0.0.1", "--demo")
    assert result.returncode == 2 and "--attach" in result.stderr
    assert "Traceback" not in result.stderr
