"""Error handling of ``callcenter-server`` commands (issue 10, items 6 and 8): each mistake
gets one clear line on standard error, the documented exit status, no traceback, and
nothing saved; a mistyped ``--data`` is refused by commands that read and reported by
commands that create.  Real subprocesses, real stores in temporary folders."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
COMMAND = [sys.executable, "-m", "callcenter.server"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], input=stdin, capture_output=True, text=True,
                          env=ENV, timeout=60, check=False)


def one_line(result: subprocess.CompletedProcess[str], status: int, *words: str) -> None:
    """Exit ``status`` with one line on standard error that holds ``words``."""
    assert result.returncode == status, result
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    lines = [line for line in result.stderr.splitlines()
             if line.strip() and not line.startswith(("usage:", " "))]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def data(tmp_path: Path) -> str:
    """A data folder with a store in it."""
    folder = tmp_path / "data"
    assert run("settings", "set", "timezone=Asia/Shanghai", "--data", str(folder)
               ).returncode == 0
    return str(folder)


# ---------------------------------------------------------------------- item 6

@pytest.mark.parametrize("command", [
    ("settings", "get"), ("settings", "get", "timezone"), ("accounts", "list"),
    ("accounts", "remove", "alice"), ("rooms", "ledger", "001"), ("rooms", "balance", "001")])
def test_reading_commands_refuse_a_folder_without_server_data(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    """Before: exit 0, the defaults printed, and an empty store created at the typo."""
    typo = tmp_path / "dtaa"
    one_line(run(*command, "--data", str(typo)), 1, "no server data", str(typo))
    assert not typo.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    one_line(run(*command, "--data", str(empty)), 1, "no server data")
    assert list(empty.iterdir()) == []


def test_creating_commands_create_the_store_and_say_so(tmp_path: Path) -> None:
    new = tmp_path / "new-site"
    added = run("accounts", "add", "alice", "--role", "agent", "--port", "001",
                "--password-stdin", "--data", str(new), stdin="long-enough-pw\n")
    one_line(added, 0, "created a new store", str(new))
    assert added.stdout == "added alice (agent, port 001)\n"
    listed = run("accounts", "list", "--data", str(new))
    assert listed.returncode == 0 and "alice" in listed.stdout
    other = tmp_path / "other-site"
    set_ = run("settings", "set", "timezone=UTC", "--data", str(other))
    one_line(set_, 0, "created a new store")
    assert set_.stdout == "UTC\n"
    again = run("settings", "set", "timezone=Asia/Shanghai", "--data", str(other))
    assert again.returncode == 0 and again.stderr == ""  # said once, when created


def test_an_unbound_agent_is_added_with_a_warning(data: str) -> None:
    """Issue 10 item 9, decided: unbound agents stay allowed, and the command says what that
    means (the toll-fraud path)."""
    added = run("accounts", "add", "roamer", "--role", "agent", "--password-stdin",
                "--data", data, stdin="long-enough-pw\n")
    one_line(added, 0, "warning", "any extension port", "--port")
    assert added.stdout == "added roamer (agent)\n"


# ---------------------------------------------------------------------- item 8

def test_demo_traffic_below_zero_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = run("--demo", "--headless", "--traffic", "-5", "--data", str(folder))
    assert result.returncode == 2 and "argument --traffic: '-5'" in result.stderr, result
    assert "Traceback" not in result.stderr and not folder.exists()


@pytest.mark.parametrize("value", ["1e999", "1e20", "-1", "0.001", "nan"])
def test_records_list_money_filters_out_of_range(data: str, value: str) -> None:
    """Before: 1e999 ended in "unexpected error: InvalidOperation" (exit 1)."""
    one_line(run("records", "list", "--cost-min", value, "--data", data), 2, "--cost-min",
             repr(value))


def test_records_verify_of_an_unknown_pbx(data: str) -> None:
    """Before: exit 0 with "chain intact: 0 records"."""
    one_line(run("records", "verify", "--pbx", "nosuch", "--data", data), 2, "'nosuch'",
             "no records")
    known = run("records", "verify", "--pbx", "main", "--data", data)
    assert known.returncode == 0 and known.stdout == "chain intact: 0 records\n"


def test_tls_files_that_do_not_exist_are_refused(data: str, tmp_path: Path) -> None:
    """Before: accepted and saved; the next start failed."""
    for key in ("agent.tls_cert", "agent.tls_key"):
        one_line(run("settings", "set", f"{key}=/nonexistent/cert.pem", "--data", data), 2,
                 key, "no such file")
        one_line(run("settings", "set", f"{key}={tmp_path}", "--data", data), 2, "not a file")
        assert run("settings", "get", key, "--data", data).stdout == "\n"  # nothing saved
    pem = tmp_path / "cert.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    if os.geteuid() != 0:  # root reads anything
        pem.chmod(0)
        one_line(run("settings", "set", f"agent.tls_cert={pem}", "--data", data), 2,
                 "not readable")
        pem.chmod(0o600)
    assert run("settings", "set", f"agent.tls_cert={pem}", "--data", data).returncode == 0
    assert run("settings", "get", "agent.tls_cert", "--data", data).stdout == f"{pem}\n"


def test_a_start_that_fails_on_the_agent_port_saves_no_pbx_url(data: str) -> None:
    assert run("settings", "set", "pbx.url=socket://127.0.0.1:1111", "--data", data
               ).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--headless", "--pbx", "socket://127.0.0.1:2222", "--data", data,
                     "--agent-host", "127.0.0.1", "--agent-port", str(port))
    assert result.returncode == 1 and "address already in use" in result.stderr, result
    assert "Traceback" not in result.stderr
    saved = run("settings", "get", "pbx.url", "--data", data)
    assert saved.stdout == "socket://127.0.0.1:1111\n"


def test_pbx_load_of_a_binary_file(data: str, tmp_path: Path) -> None:
    """Before: "unexpected error: UnicodeDecodeError"."""
    blob = tmp_path / "backup.bin"
    blob.write_bytes(bytes(range(256)) * 8)
    one_line(run("pbx", "load", str(blob), "--data", data), 1, "binary", str(blob))


def test_pbx_dump_negative_timeout_is_a_usage_error(data: str) -> None:
    one_line(run("pbx", "dump", "--timeout", "-1", "--pbx", "socket://127.0.0.1:1",
                 "--data", data), 2, "--timeout")
