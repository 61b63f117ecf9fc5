"""The service's output (issue 11 item 3): one line per call event, a ring group's 24
ringing ports as ``ext 001-024 ringing from ...``, record lines with their cost."""

from __future__ import annotations

import re
import signal
from datetime import datetime

from callcenter.common.pbx.messages import CallRecord, ExtensionState, TrunkState
from callcenter.pbxsim.app import Simulator
from callcenter.server.cli.format import EventLines, format_event, port_ranges
from callcenter.server.pbx.events import RecordStored
from tests.server.pbxlink_support import ask, no_leaked_threads, sim, wait_until
from tests.server.test_server_cli import Lines, processes

__all__ = ["no_leaked_threads", "processes", "sim"]

NOON = datetime(2026, 12, 3, 12, 0, 1)


def test_port_ranges() -> None:
    assert port_ranges(f"{n:03d}" for n in range(24, 0, -1)) == "001-024"
    assert port_ranges(["007", "001", "002", "003", "010", "011"]) == "001-003, 007, 010-011"
    assert port_ranges(["001"]) == "001"


def test_record_line_shows_the_cost() -> None:
    record = CallRecord(17, "20261125120001", 65, "001", "8001", "01", "02088886666", "OUT")
    assert format_event(RecordStored(record, 120)) == (
        "record #17 2026-11-25 12:00:01 001/8001 trunk 01 OUT 02088886666 65s cost 1.20")
    assert format_event(RecordStored(record, 0)).endswith(" 65s cost 0.00")  # type: ignore[union-attr]
    # Not rated (a sink that does not rate): no cost shown rather than a wrong one.
    assert format_event(RecordStored(record)).endswith(" 65s")  # type: ignore[union-attr]


def test_a_burst_of_like_states_is_one_line() -> None:
    lines: list[str] = []
    out = EventLines(lines.append, hold=0.2)
    out(TrunkState("01", "incoming", "13800138000"), NOON)
    for n in range(1, 25):
        out(ExtensionState(f"{n:03d}", "ringing", "13800138000", "01"), NOON)
    wait_until(lambda: len(lines) >= 2, 10, "the hold to end the burst with no further event")
    assert lines == ["12:00:01 trunk 01 incoming from 13800138000",
                     "12:00:01 ext 001-024 ringing from 13800138000 trunk 01"]
    # A different event ends a burst at once; a port seen twice starts a new line.
    out(ExtensionState("001", "talking", "13800138000", "01"), NOON)
    for n in range(2, 25):
        out(ExtensionState(f"{n:03d}", "idle"), NOON)
    out(ExtensionState("002", "offhook"), NOON)
    out.flush()
    assert lines[2:] == ["12:00:01 ext 001 talking with 13800138000 trunk 01",
                         "12:00:01 ext 002-024 idle", "12:00:01 ext 002 off-hook"]


def test_the_service_prints_a_ring_group_call_in_a_few_lines(
        sim: Simulator, tmp_path: object, processes: list[Lines]) -> None:
    service = Lines("--headless", "--pbx", sim.url, "--data", f"{tmp_path}/data",
                    "--no-clock-sync")
    processes.append(service)
    wait_until(lambda: service.has("data verification done"), 30, "service ready")
    start = len(service.lines)
    ask(sim, {"cmd": "incoming", "caller": "13800138000"})  # rings every port (ring: all)
    wait_until(lambda: service.has(" ringing from 13800138000"), 20, "ring line")
    ask(sim, {"cmd": "answer", "extension": "001"})
    wait_until(lambda: service.has("ext 001 talking with 13800138000"), 20, "answer line")
    wait_until(lambda: service.has(" idle"), 20, "the others stop ringing")
    ask(sim, {"cmd": "hangup", "extension": "001"})
    wait_until(lambda: service.has("record #"), 30, "record line")
    code, err = service.stop(signal.SIGTERM)
    assert code == 0, err
    call = [line.split(" ", 1)[1] for line in service.lines[start:]]
    ringing = [line for line in call if " ringing " in line]
    assert len(ringing) == 1, call
    assert re.fullmatch(r"ext 001-024 ringing from 13800138000 trunk \d\d", ringing[0]), call
    assert "ext 002-024 idle" in call, call
    assert len(call) <= 12, call  # was 50 lines for one call
    record = next(line for line in service.lines if line.startswith("record #"))
    assert re.search(r" IN 13800138000 \d+s cost \d+\.\d\d$", record), record
