"""callcenter-server end to end, as subprocesses, against the real simulator."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.pbxsim.app import Simulator
from callcenter.server.service import PbxService
from callcenter.server.settings import ServerSettings
from callcenter.server.store.db import open_store
from callcenter.server.store.models import CallRecordRow
from tests.server.pbxlink_support import FAST, ask, no_leaked_threads, sim, wait_until

__all__ = ["no_leaked_threads", "sim"]

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    str(ROOT / d) for d in ("common", "pbxsim", "server", "crm_client"))}
COMMAND = [sys.executable, "-m", "callcenter.server"]

# A handful of keys of every kind, each set to a value other than its factory default.
NEW_VALUES = {
    "extension.002.number": "8102",
    "extension.001.day_class": "21",
    "extension.001.over_limit": "on",
    "extension.001.alarm1": "0730",
    "extension.003.day_trunk_access": "01,03",
    "extension.001.groups": "1,2",
    "trunk.02.cid_min_digits": "3",
    "system.delayed_ring_count": "3",
    "system.day_start": "0730",
    "system.chaining_timing": "3.5",
    "restriction_code.02.code": "123",
    "personal_password.01.class": "21",
    "group.01.priority": "003,001",
    "smart_route.01.area_code": "755",
}


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout, check=False)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


def dump(url: str) -> dict[str, object]:
    result = run("pbx", "dump", "--pbx", url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_dump_is_the_simulators_image(sim: Simulator, tmp_path: Path) -> None:
    data = dump(sim.url)
    assert data["params"] == ask(sim, {"cmd": "params"})["params"]
    assert (data["extensions"], data["trunks"]) == (24, 8)
    assert set(data["checksums"]) == {"extension", "trunk", "switches", "other"}  # type: ignore
    out = tmp_path / "image.json"
    result = run("pbx", "dump", "--pbx", sim.url, "--out", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(out.read_text("utf-8"))["params"] == data["params"]


def test_set_writes_verifies_and_round_trips(sim: Simulator) -> None:
    pairs = [f"{k}={v}" for k, v in NEW_VALUES.items()]
    result = run("pbx", "set", "--pbx", sim.url, *pairs)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{k} = {v} (verified)" for k, v in NEW_VALUES.items()]
    params = dump(sim.url)["params"]
    assert isinstance(params, dict)
    for key, value in NEW_VALUES.items():
        assert params[key] == value


def test_set_with_a_bad_value_writes_nothing(sim: Simulator) -> None:
    before = ask(sim, {"cmd": "params"})["params"]
    result = run("pbx", "set", "--pbx", sim.url, "extension.001.day_class=21",
                 "extension.001.night_class=77", "no.such.key=1")
    assert result.returncode == 2
    assert "extension.001.night_class: " in result.stderr and "allowed" in result.stderr
    assert "no.such.key: no such parameter" in result.stderr
    assert result.stdout == ""
    no_traceback(result)
    assert ask(sim, {"cmd": "params"})["params"] == before


def test_set_refused_by_the_pbx_exits_1(sim: Simulator) -> None:
    # Two extensions with one number: valid text, refused by the PBX with its reason.
    result = run("pbx", "set", "--pbx", sim.url, "extension.002.number=8001")
    no_traceback(result)
    if result.returncode == 0:
        pytest.skip("this simulator accepts duplicate extension numbers")
    assert result.returncode == 1
    assert "extension.002.number: the PBX refused: " in result.stderr
    assert ask(sim, {"cmd": "get", "key": "extension.002.number"})["value"] == "8002"


def test_load_restores_a_dump(sim: Simulator, tmp_path: Path) -> None:
    saved = tmp_path / "backup.json"
    assert run("pbx", "dump", "--pbx", sim.url, "--out", str(saved)).returncode == 0
    ask(sim, {"cmd": "set", "key": "trunk.01.route", "value": "4"})
    ask(sim, {"cmd": "set", "key": "extension.001.day_class", "value": "31"})
    result = run("pbx", "load", "--pbx", sim.url, str(saved), "--group", "trunk")
    assert result.returncode == 0, result.stderr
    assert "1 written and verified" in result.stdout and "0 refused" in result.stdout
    assert ask(sim, {"cmd": "get", "key": "extension.001.day_class"})["value"] == "31"
    result = run("pbx", "load", "--pbx", sim.url, str(saved))
    assert result.returncode == 0 and "1 written and verified" in result.stdout
    assert ask(sim, {"cmd": "params"})["params"] == json.loads(saved.read_text())["params"]


class Lines:
    """A subprocess whose standard output lines are collected by a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=ENV)
        self.lines: list[str] = []
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def has(self, text: str) -> bool:
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return any(text in line for line in self.lines)

    def stop(self, sig: int, timeout: float = 20) -> tuple[int, str]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=timeout)
        self._reader.join(5)
        self.has("")
        return self.proc.returncode, err


@pytest.fixture
def processes() -> Iterator[list[Lines]]:
    started: list[Lines] = []
    yield started
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.communicate(timeout=10)


def test_monitor_prints_events_and_does_not_acknowledge(sim: Simulator,
                                                        processes: list[Lines]) -> None:
    monitor = Lines("pbx", "monitor", "--pbx", sim.url)
    processes.append(monitor)
    wait_until(lambda: monitor.has('"link_up"'), 20, "monitor connected")
    ask(sim, {"cmd": "ring", "extension": "001", "caller": "13800138000"})
    ask(sim, {"cmd": "burst", "count": 3})
    wait_until(lambda: monitor.has('"ringing"') and sum(
        '"event": "record"' in line for line in monitor.lines) >= 3, 20, "events and records")
    code, err = monitor.stop(signal.SIGINT)
    assert code == 0, err
    events = [json.loads(line) for line in monitor.lines]
    ring = next(e for e in events if e.get("state") == "ringing")
    assert (ring["event"], ring["port"], ring["peer"]) == ("extension", "001", "13800138000")
    records = [e["sequence"] for e in events if e["event"] == "record"]
    assert len(records) == len(set(records)) == 3
    counts = ask(sim, {"cmd": "counters"})
    assert (counts["records_issued"], counts["records_acked"]) == (3, 0)


def test_missing_port_exits_1_with_one_line() -> None:
    result = run("pbx", "dump", "--pbx", "/dev/ttyNO_SUCH_PORT")
    assert result.returncode == 1
    assert result.stderr.startswith("callcenter-server: cannot open PBX port /dev/ttyNO_SUCH")
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    no_traceback(result)


def test_port_held_by_the_service_is_reported_in_use(sim: Simulator, tmp_path: Path) -> None:
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
        service.wait_ready(20)
        result = run("pbx", "dump", "--pbx", sim.url)
    assert result.returncode == 1
    assert "is another program (the callcenter service?) using the port?" in result.stderr
    no_traceback(result)


def test_usage_errors_exit_2() -> None:
    assert run("pbx", "set", "--pbx", "socket://127.0.0.1:9", "nonsense").returncode == 2
    assert run("--no-such-flag").returncode == 2
    assert run("pbx", "dump", "--pbx", "x", "--baud", "1234").returncode == 2


def test_headless_service_prints_events_and_saves_settings(sim: Simulator, tmp_path: Path,
                                                           processes: list[Lines]) -> None:
    data = tmp_path / "data"
    service = Lines("--headless", "--pbx", sim.url, "--data", str(data), "--baud", "19200")
    processes.append(service)
    wait_until(lambda: service.has("data verification done"), 30, "service ready")
    ask(sim, {"cmd": "ring", "extension": "001", "caller": "13800138000"})
    ask(sim, {"cmd": "call", "extension": "002", "number": "02088886666", "duration": 65})
    wait_until(lambda: service.has("ext 001 ringing from 13800138000 trunk"), 20, "ring line")
    wait_until(lambda: service.has(" 002/8002 trunk "), 20, "record line")
    code, err = service.stop(signal.SIGTERM)
    assert code == 0, err
    record = next(line for line in service.lines if line.startswith("record #"))
    assert record.endswith(" OUT 02088886666 65s")
    saved = ServerSettings.load(data)
    assert saved.pbx == sim.url and saved.line.baud == 19200
    assert (data / "callcenter-server.log").stat().st_size > 0
    open_store(data)
    assert [r.number for r in CallRecordRow.select()] == ["02088886666"]
    assert "Traceback" not in err


def test_demo_runs_headless_and_stops_on_ctrl_c(tmp_path: Path, processes: list[Lines]) -> None:
    demo = Lines("--demo", "--traffic", "120", "--data", str(tmp_path))
    processes.append(demo)
    wait_until(lambda: demo.has("PBX connected"), 30, "the demo connected")
    wait_until(lambda: demo.has(" ext ") or demo.has("trunk "), 40, "live events")
    wait_until(lambda: demo.has("data verification done"), 30, "the image verified")
    code, err = demo.stop(signal.SIGINT)
    assert code == 0, err
    assert "console window is not built yet" in err
    assert (tmp_path / "image.json").exists()  # verified against the demo PBX
