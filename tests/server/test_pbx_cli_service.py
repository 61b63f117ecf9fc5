"""``callcenter-server pbx ...`` as subprocesses with no flag but ``--data DIR``: through
the service running for DIR (the real ServerRuntime with its hub, store and the simulator),
and on the port itself when none runs."""

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

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.runtime import ServerRuntime
from tests.server.pbxlink_support import FAST, ask, no_leaked_threads, sim, wait_until

__all__ = ["no_leaked_threads", "sim"]

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    str(ROOT / d) for d in ("common", "pbxsim", "server", "crm_client"))}
COMMAND = [sys.executable, "-m", "callcenter.server"]
KEY, OLD, NEW = "extension.003.day_class", "11", "31"


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*COMMAND, *args], capture_output=True, text=True, env=ENV,
                            timeout=timeout, check=False)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def memory(simulator: Simulator) -> dict[str, str]:
    return simulator.call(lambda: dict(simulator.pbx.memory.image()))


def program(simulator: Simulator, key: str, value: str) -> None:
    simulator.call(lambda: simulator.pbx.program(key, value))


@pytest.fixture(scope="module")
def pbx() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(seed=7)) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-data")


@pytest.fixture(scope="module")
def runtime(pbx: Simulator, data_dir: Path) -> Iterator[ServerRuntime]:
    with ServerRuntime(pbx.url, data_dir, agent_port=0, agent_host="127.0.0.1",
                       sync_clock=False, link_options=FAST) as running:
        running.service.wait_ready(20)
        yield running


@pytest.fixture
def service_dir(runtime: ServerRuntime, pbx: Simulator, data_dir: Path) -> Iterator[str]:
    """DIR of the running service; the PBX's memory is put back after the test."""
    before = memory(pbx)
    yield str(data_dir)
    for key, value in before.items():
        if memory(pbx)[key] != value:
            program(pbx, key, value)


def stored_after_calls(runtime: ServerRuntime, pbx: Simulator, count: int = 2) -> None:
    """Calls made now reach the service's store (it keeps the port meanwhile)."""
    before = runtime.service.records_stored
    ask(pbx, {"cmd": "burst", "count": count})
    wait_until(lambda: runtime.service.records_stored >= before + count, 20,
               "the service to store the new records")


def test_set_goes_through_the_service(service_dir: str, runtime: ServerRuntime,
                                      pbx: Simulator) -> None:
    result = run("pbx", "set", "extension.001.number=3001", f"{KEY}={NEW}",
                 "--data", service_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["extension.001.number = 3001 (verified)",
                                          f"{KEY} = {NEW} (verified)"]
    assert memory(pbx)["extension.001.number"] == "3001" and memory(pbx)[KEY] == NEW
    assert runtime.service.link.is_up
    stored_after_calls(runtime, pbx)


def test_set_with_a_bad_value_writes_nothing_through_the_service(
        service_dir: str, pbx: Simulator) -> None:
    before = memory(pbx)
    result = run("pbx", "set", f"{KEY}={NEW}", "extension.001.night_class=77",
                 "--data", service_dir)
    assert result.returncode == 2
    assert "extension.001.night_class: " in result.stderr and result.stdout == ""
    assert memory(pbx) == before


def test_dump_goes_through_the_service(service_dir: str, pbx: Simulator,
                                       tmp_path: Path) -> None:
    out = tmp_path / "dump.json"
    result = run("pbx", "dump", "--out", str(out), "--data", service_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text("utf-8"))
    assert data["params"] == memory(pbx)
    assert (data["extensions"], data["trunks"]) == (24, 8) and data["model"]
    assert result.stderr == f"wrote {len(data['params'])} parameters to {out}\n"


def test_backup_and_restore_through_the_service(service_dir: str, runtime: ServerRuntime,
                                                pbx: Simulator, tmp_path: Path) -> None:
    result = run("pbx", "backup", "--data", service_dir)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.parent == Path(service_dir) / "backups"
    assert re.fullmatch(r"B[0-9]{12}(-[0-9]+)?", path.name)
    saved = json.loads(path.read_text("utf-8"))
    assert saved["params"] == memory(pbx)
    copy = tmp_path / "copy.json"
    result = run("pbx", "backup", "--out", str(copy), "--data", service_dir)
    assert result.returncode == 0 and result.stdout.strip() == str(copy)
    assert json.loads(copy.read_text("utf-8"))["params"] == saved["params"]

    program(pbx, KEY, NEW)
    program(pbx, "trunk.02.route", "4")  # another group: a restore of extension leaves it
    result = run("pbx", "restore", str(path), "--group", "extension", "--data", service_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"restored {path} (extension): 1 written and verified, "
                             "623 unchanged, 0 refused\n")
    assert memory(pbx)[KEY] == OLD and memory(pbx)["trunk.02.route"] == "4"
    result = run("pbx", "load", str(copy), "--data", service_dir)  # the other name
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"loaded {copy} (extension, trunk, switches, other): "
                                    "1 written and verified")
    assert memory(pbx) == saved["params"]
    stored_after_calls(runtime, pbx)


def test_restore_refusals_through_the_service(service_dir: str, pbx: Simulator,
                                              tmp_path: Path) -> None:
    result = run("pbx", "dump", "--data", service_dir)
    data = json.loads(result.stdout)
    program(pbx, KEY, NEW)
    before = memory(pbx)
    bigger = tmp_path / "bigger.json"
    bigger.write_text(json.dumps({**data, "extensions": 48}), "utf-8")
    result = run("pbx", "restore", str(bigger), "--data", service_dir)
    assert result.returncode == 2
    assert "is for a PBX with 48 extensions and 8 trunks, this one has 24 and 8" in \
        result.stderr
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_bytes(bytes(range(256)))
    result = run("pbx", "restore", str(corrupt), "--data", service_dir)
    assert result.returncode == 1
    assert f"{corrupt} holds binary data: not a backup" in result.stderr
    assert memory(pbx) == before


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

    def events(self) -> list[dict[str, object]]:
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return [json.loads(line) for line in self.lines]

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(5)
        assert self.proc.stderr is not None and self.proc.stdout is not None
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, err


def test_monitor_goes_through_the_service(service_dir: str, runtime: ServerRuntime,
                                          pbx: Simulator) -> None:
    monitor = Lines("pbx", "monitor", "--data", service_dir)
    try:
        wait_until(lambda: any(e["event"] == "link_up" for e in monitor.events()), 20,
                   "monitor to start")
        first = monitor.events()[0]
        assert first["event"] == "link_up" and first["extensions"] == 24
        ask(pbx, {"cmd": "ring", "extension": "002", "caller": "13800138000"})
        wait_until(lambda: any(e["event"] == "extension" and e["port"] == "002"
                               and e["state"] == "ringing" for e in monitor.events()), 20,
                   "the ringing extension")
        stored_after_calls(runtime, pbx, 2)
        wait_until(lambda: sum(e["event"] == "record" for e in monitor.events()) >= 2, 20,
                   "the stored records")
        record = next(e for e in monitor.events() if e["event"] == "record")
        assert re.fullmatch(r"[0-9]{14}", str(record["start"]))
        assert {"sequence", "duration", "port", "number", "call_type",
                "utc_offset_minutes"} <= set(record)
        # Times in the site's zone (Asia/Shanghai by default), with the offset.
        assert all(str(e["time"]).endswith("+08:00") for e in monitor.events()), monitor.events()
        assert str(record["start_time"]).endswith("+08:00")
        program(pbx, KEY, NEW)
        wait_until(lambda: any(e["event"] == "parameter" and e["key"] == KEY
                               and e["value"] == NEW for e in monitor.events()), 20,
                   "the parameter change")
    finally:
        code, err = monitor.stop()
    assert code == 0, err
    ask(pbx, {"cmd": "hangup", "extension": "002"})


def test_without_a_service_the_commands_open_the_port(sim: Simulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run("settings", "set", f"pbx.url={sim.url}", "--data", str(data)).returncode == 0
    result = run("pbx", "set", f"{KEY}={NEW}", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{KEY} = {NEW} (verified)\n"
    assert memory(sim)[KEY] == NEW
    result = run("pbx", "backup", "--data", str(data))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.parent == data / "backups" and re.fullmatch(r"B[0-9]{12}", path.name)
    assert json.loads(path.read_text("utf-8"))["params"] == memory(sim)
    out = tmp_path / "dump.json"
    assert run("pbx", "dump", "--out", str(out), "--data", str(data)).returncode == 0
    assert json.loads(out.read_text("utf-8"))["params"] == memory(sim)
    program(sim, KEY, OLD)
    result = run("pbx", "restore", str(path), "--group", "extension", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"restored {path} (extension): 1 written and verified, "
                             "623 unchanged, 0 refused\n")
    assert memory(sim)[KEY] == NEW


def test_monitor_ends_when_the_service_stops(sim: Simulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    runtime = ServerRuntime(sim.url, data, agent_port=0, agent_host="127.0.0.1",
                            sync_clock=False, link_options=FAST)
    with runtime:
        runtime.service.wait_ready(20)
        monitor = Lines("pbx", "monitor", "--data", str(data))
        try:
            wait_until(lambda: any(e["event"] == "link_up" for e in monitor.events()), 20,
                       "monitor to start")
        except BaseException:
            monitor.stop()
            raise
    try:
        monitor.proc.wait(20)
    finally:
        code, err = monitor.stop()
    assert code == 1
    assert "the service closed the connection" in err
