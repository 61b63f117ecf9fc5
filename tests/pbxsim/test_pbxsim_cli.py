"""``callcenter-pbxsim`` as a user runs it: a real process, real ports, signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.pbxsim.app import Simulator
from callcenter.pbxsim.cli import build_parser, config_from_args
from callcenter.pbxsim.control import ControlClient
from tests.pbxsim.pcclient import PcClient

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(ROOT / "common"), str(ROOT / "pbxsim"), os.environ.get("PYTHONPATH", "")])}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "callcenter.pbxsim", *args], env=ENV,
                          capture_output=True, text=True, timeout=20, check=False)


@pytest.mark.parametrize("args, named", [
    (["--baud", "1234"], "--baud"),
    (["--baud", "9600", "--parity", "X"], "--parity"),
    (["--baud", "9600", "--bytesize", "6"], "--bytesize"),
    (["--stopbits", "3"], "--stopbits"),
    (["--parity", "X"], "--parity"),
    (["--bytesize", "6"], "--bytesize"),
    (["--extensions", "0"], "--extensions"),
    (["--trunks", "many"], "--trunks"),
    (["--listen", "nowhere"], "--listen"),
    (["--traffic", "-1"], "--traffic"),
    (["--pty", "--listen", "127.0.0.1:0"], "--listen"),
    (["--frobnicate"], "--frobnicate"),
])
def test_bad_flags_exit_2_naming_the_flag(args: list[str], named: str) -> None:
    result = _run(*args)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_flags_make_the_config() -> None:
    args = build_parser().parse_args(
        ["--listen", "0.0.0.0:4001", "--extensions", "48", "--trunks", "16", "--seed", "3",
         "--traffic", "2.5", "--buffer", "100", "--baud", "115200", "--parity", "e",
         "--control", "127.0.0.1:4002", "--ack-timeout", "1.5", "--retries", "5"])
    config = config_from_args(args)
    assert config.listen == ("0.0.0.0", 4001) and config.control == ("127.0.0.1", 4002)
    assert (config.extensions, config.trunks, config.seed, config.buffer) == (48, 16, 3, 100)
    assert config.line is not None and (config.line.baud, config.line.parity) == (115200, "E")
    assert (config.traffic, config.ack_timeout, config.max_retries) == (2.5, 1.5, 5)
    assert config.pace
    assert config_from_args(build_parser().parse_args([])).line is None  # no pacing


def test_framing_flags_without_baud_are_recorded_but_do_not_pace() -> None:
    config = config_from_args(build_parser().parse_args(
        ["--bytesize", "7", "--parity", "e", "--stopbits", "2"]))
    assert config.line is not None and not config.pace
    assert (config.line.bytesize, config.line.parity, config.line.stopbits) == (7, "E", 2)
    assert Simulator(config).paced_line is None
    paced = config_from_args(build_parser().parse_args(["--baud", "1200", "--parity", "O"]))
    assert paced.pace and Simulator(paced).paced_line == paced.line
    assert paced.line is not None and (paced.line.baud, paced.line.parity) == (1200, "O")


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "callcenter.pbxsim", *args], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the simulator prints it once it listens
    return proc, line


def _stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_tcp_run_and_clean_exit(tmp_path: Path, sig: int) -> None:
    proc, line = _start("--listen", "127.0.0.1:0", "--control", "127.0.0.1:0",
                        "--state", str(tmp_path / "pbx.json"), "-v")
    try:
        words = line.split()
        assert words[0] == "listening" and words[1].startswith("socket://127.0.0.1:"), line
        assert words[2] == "control"
        host, port = words[3].rsplit(":", 1)
        with ControlClient(host, int(port)) as control:
            assert control.request({"cmd": "burst", "count": 2})["ok"]
            with PcClient(words[1]) as pc:
                assert pc.identify().model == "GW-SIM"
                pc.until(lambda: len(pc.records) == 2, what="2 records")
    finally:
        code, err = _stop(proc, sig)
    assert code == 0, err
    assert "Traceback" not in err
    assert (tmp_path / "pbx.json").exists()


def test_pty_run() -> None:
    proc, line = _start("--pty")
    try:
        assert line.startswith("pty /dev/"), line
        with PcClient(line.split()[1]) as pc:
            assert pc.identify().extensions == 24
    finally:
        code, err = _stop(proc, signal.SIGTERM)
    assert code == 0, err


def test_framing_flags_alone_run_the_simulator_unpaced() -> None:
    proc, line = _start("--listen", "127.0.0.1:0", "--bytesize", "7", "--parity", "E",
                        "--stopbits", "2", "-v")
    try:
        assert line.startswith("listening socket://127.0.0.1:"), line
        with PcClient(line.split()[1]) as pc:
            assert pc.identify().model == "GW-SIM"
    finally:
        code, err = _stop(proc, signal.SIGTERM)
    assert code == 0, err
    assert "line framing 7E2, not paced" in err


@pytest.mark.parametrize("taken", ["listen", "control"])
def test_cannot_listen_names_the_address_in_use(taken: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = f"127.0.0.1:{holder.getsockname()[1]}"
        free = "127.0.0.1:0"
        result = _run("--listen", busy if taken == "listen" else free,
                      "--control", busy if taken == "control" else free)
    assert result.returncode == 1, result.stderr
    assert f"callcenter-pbxsim: cannot listen on {busy}: " in result.stderr, result.stderr
    assert free + ":" not in result.stderr
    assert "Traceback" not in result.stderr


def test_listen_address_in_use_is_a_message_not_a_traceback() -> None:
    proc, line = _start("--listen", "127.0.0.1:0")
    try:
        url = line.split()[1]
        result = _run("--listen", url.removeprefix("socket://"))
        assert result.returncode == 1
        assert "cannot listen" in result.stderr and "Traceback" not in result.stderr
    finally:
        _stop(proc, signal.SIGTERM)
