"""callcenter-server end to end, as subprocesses, against the real simulator."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.pbx.service import PbxService
from callcenter.server.settings import ServerSettings
from callcenter.server.store.db import open_store
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.settings import get_setting
from tests.server.pbxlink_support import (
    FAST,
    ask,
    make_intake,
    no_leaked_threads,
    sim,
    wait_until,
)

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


def run(*args: str, timeout: float = 60, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, env=env or ENV,
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
    # the result, not a warning
    assert result.stderr == f"wrote {len(data['params'])} parameters to {out}\n"  # type: ignore


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
    """A subprocess whose standard output lines (and standard error) are collected by
    threads, the only readers of the pipes."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env or ENV)
        self.lines: list[str] = []
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stderr: list[str] = []
        self._readers = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.extend(self.proc.stderr)

    def has(self, text: str) -> bool:
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return any(text in line for line in self.lines)

    def err_has(self, text: str) -> bool:
        """Whether a line read so far from standard error holds ``text``."""
        return any(text in line for line in list(self._stderr))

    def stop(self, sig: int, timeout: float = 20) -> tuple[int, str]:
        self.proc.send_signal(sig)
        self.proc.wait(timeout)
        self.close()
        self.has("")
        return self.proc.returncode, "".join(self._stderr)

    def close(self) -> None:
        """After the process ended: the readers reach the end of the pipes; close them."""
        for reader in self._readers:
            reader.join(5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def processes() -> Iterator[list[Lines]]:
    started: list[Lines] = []
    yield started
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait(10)
        p.close()


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
    [link_up] = [e for e in events if e["event"] == "link_up"]  # once, with its time
    assert link_up["model"] == "GW-SIM" and "time" in link_up
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
    with PbxService(sim.url, tmp_path, sink=make_intake(tmp_path), link_options=FAST) as service:
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
    service = Lines("--headless", "--pbx", sim.url, "--data", str(data), "--baud", "19200",
                    "--ack-timeout", "0.5", "--retries", "5")
    processes.append(service)
    wait_until(lambda: service.has("data verification done"), 30, "service ready")
    ask(sim, {"cmd": "ring", "extension": "001", "caller": "13800138000"})
    ask(sim, {"cmd": "call", "extension": "002", "number": "02088886666", "duration": 65})
    ask(sim, {"cmd": "set", "key": "trunk.01.route", "value": "3"})  # as from a phone: PCH
    wait_until(lambda: service.has("ext 001 ringing from 13800138000 trunk"), 20, "ring line")
    wait_until(lambda: service.has(" 002/8002 trunk "), 20, "record line")
    wait_until(lambda: service.has("parameter trunk.01.route = 3 (changed at the PBX)"), 20,
               "parameter change line")
    code, err = service.stop(signal.SIGTERM)
    assert code == 0, err
    record = next(line for line in service.lines if line.startswith("record #"))
    assert re.search(r" OUT 02088886666 65s cost [0-9]+\.[0-9][0-9]$", record), record
    # Verification progress: a few lines (per group, per quarter), not one per block.
    progress = [line for line in service.lines if "data verification: reading " in line]
    assert any(" reading extension, " in line for line in progress), service.lines
    assert any(" reading other, " in line for line in progress), service.lines
    assert 4 <= len(progress) <= 8, progress
    assert "link: ack timeout 0.5 s, 5 retries" in err
    saved = ServerSettings.load(data)
    assert saved.pbx == sim.url and saved.line.baud == 19200
    assert (saved.ack_timeout, saved.retries) == (0.5, 5)
    assert (data / "callcenter-server.log").stat().st_size > 0
    open_store(data)
    assert [r.number for r in CallRecordRow.select()] == ["02088886666"]
    assert "Traceback" not in err


def test_demo_runs_headless_and_stops_on_ctrl_c(tmp_path: Path, processes: list[Lines]) -> None:
    """Without a display (and without --headless) the demo runs as a service, saying so."""
    demo = Lines("--demo", "--traffic", "120", "--data", str(tmp_path),
                 env={k: v for k, v in ENV.items() if k != "DISPLAY"})
    processes.append(demo)
    wait_until(lambda: demo.has("PBX connected"), 30, "the demo connected")
    wait_until(lambda: demo.has(" ext ") or demo.has("trunk "), 40, "live events")
    wait_until(lambda: demo.has("data verification done"), 30, "the image verified")
    code, err = demo.stop(signal.SIGINT)
    assert code == 0, err
    assert "no display (DISPLAY is not set): running the service without the console" in err
    assert (tmp_path / "image.json").exists()  # verified against the demo PBX


def test_usage_errors_of_the_service_save_nothing(sim: Simulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    cases = [
        (["--ack-timeout", "0"],
         "argument --ack-timeout: '0' is not allowed (allowed: seconds, 0.05-60)"),
        (["--ack-timeout", "soon"], "argument --ack-timeout: 'soon' is not allowed"),
        (["--retries", "21"],
         "argument --retries: '21' is not allowed (allowed: a whole number 0-20)"),
        (["--pbx", "bogus://x"], "--pbx: 'bogus://x' is not a serial port or a URL pyserial "
                                 "opens: pyserial cannot open bogus:// URLs (it opens "),
        (["--pbx", "socket://localhost"], "socket://HOST:PORT"),
        (["--db", "mysql://x"], "--db 'mysql://x': not a store URL"),
        (["--demo"], "--demo runs its own simulated PBX: give --demo or --pbx, not both"),
        (["--baud", "1234"], "baud: 1234 is not supported"),
    ]
    for extra, message in cases:
        pbx = [] if "--pbx" in extra else ["--pbx", sim.url]
        result = run("--headless", *pbx, "--data", str(data), *extra)
        assert result.returncode == 2, (extra, result.stderr)
        # one line (after argparse's usage lines for a flag it checks itself)
        assert message in result.stderr.strip().splitlines()[-1], (extra, result.stderr)
        assert result.stdout == ""
        no_traceback(result)
        assert not data.exists(), extra  # nothing created, nothing saved
    result = run("pbx", "dump", "--pbx", "bogus://x")
    assert result.returncode == 2 and "bogus://" in result.stderr
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    for args in (["--headless", "--pbx", sim.url], ["pbx", "dump"], ["settings", "get"]):
        result = run(*args, "--data", str(a_file))
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr == f"callcenter-server: --data {a_file} is a file, not a folder\n"


def test_first_start_with_postgresql_keeps_the_settings_there(
        sim: Simulator, tmp_path: Path, processes: list[Lines], pg_url: str) -> None:
    data = tmp_path / "data"
    first = Lines("--headless", "--pbx", sim.url, "--data", str(data), "--db", pg_url,
                  "--baud", "19200", "--retries", "4")
    processes.append(first)
    wait_until(lambda: first.has("data verification done"), 30, "service ready")
    code, err = first.stop(signal.SIGTERM)
    assert code == 0, err
    assert not (data / "callcenter.db").exists()  # no stray SQLite store
    assert json.loads((data / "store.json").read_text("utf-8"))["url"] == pg_url
    # The next run needs neither --db nor --pbx: both are remembered.
    again = Lines("--headless", "--data", str(data))
    processes.append(again)
    wait_until(lambda: again.has("data verification done"), 30, "second run ready")
    code, err = again.stop(signal.SIGTERM)
    assert code == 0, err
    assert not (data / "callcenter.db").exists()
    open_store(data, pg_url)
    assert (get_setting("pbx.url"), get_setting("pbx.baud"), get_setting("pbx.retries")) == (
        sim.url, 19200, 4)


def test_demo_keeps_its_own_data_folder(tmp_path: Path, processes: list[Lines]) -> None:
    env = {**ENV, "XDG_DATA_HOME": str(tmp_path), "APPDATA": str(tmp_path)}
    demo = Lines("--demo", "--headless", "--traffic", "0", "--agent-port", "0", env=env)
    processes.append(demo)
    wait_until(lambda: demo.has("data verification done"), 30, "the demo verified")
    code, err = demo.stop(signal.SIGINT, timeout=60)  # a bound, not a timing check
    assert code == 0, err
    real = tmp_path / "callcenter"  # the real service's default data folder
    assert (real / "demo" / "callcenter.db").exists() and (real / "demo" / "image.json").exists()
    assert not (real / "callcenter.db").exists() and not (real / "image.json").exists()


def test_load_of_a_larger_pbxs_file_says_so_briefly(sim: Simulator, tmp_path: Path) -> None:
    big_file = tmp_path / "big.json"
    with Simulator(SimulatorConfig(seed=3, extensions=48)) as big:
        assert run("pbx", "dump", "--pbx", big.url, "--out", str(big_file)).returncode == 0
    before = ask(sim, {"cmd": "params"})["params"]
    result = run("pbx", "load", "--pbx", sim.url, str(big_file))
    assert result.returncode == 2
    no_traceback(result)
    lines = result.stderr.splitlines()
    schema_keys = set(cast(dict[str, str], before))
    foreign = [k for k in json.loads(big_file.read_text("utf-8"))["params"]
               if k not in schema_keys]
    assert lines[0] == (f"callcenter-server: {big_file} is for a PBX with 48 extensions and "
                        f"8 trunks, this one has 24 and 8: {len(foreign)} keys are not on "
                        "this PBX; nothing written")
    assert lines[1:11] == [f"  {k}" for k in foreign[:10]]
    assert lines[11:] == [f"  ... and {len(foreign) - 10} more"]
    assert ask(sim, {"cmd": "params"})["params"] == before
