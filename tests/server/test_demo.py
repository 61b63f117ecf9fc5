"""``callcenter-server --demo``: a new user's first seconds (issue 11, items 1 and 2).

The real service with its built-in simulator in a subprocess: within 15 s of start it has
stored a priced record (the built-in tariff prices the simulator's numbers) and a line has
rung; it prints the simulator's control address and a command line that places a test call,
and that command line, run as printed, makes a stored record priced by the built-in tariff.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

from callcenter.server.cli.main import demo_lines
from callcenter.server.store.db import open_store
from callcenter.server.store.models import CallRecordRow
from tests.server.pbxlink_support import wait_until
from tests.server.test_server_cli import ENV, Lines, processes

__all__ = ["processes"]

NO_DISPLAY = {k: v for k, v in ENV.items() if k != "DISPLAY"}


def _priced_record(demo: Lines) -> bool:
    demo.has("")
    costs = (re.search(r"\bcost ([0-9]+\.[0-9]{2})\b", line) for line in demo.lines
             if line.startswith("record"))
    return any(cost is not None and Decimal(cost[1]) > 0 for cost in costs)


def test_the_demo_stores_a_priced_record_and_rings_within_15_s(tmp_path: Path,
                                                                processes: list[Lines]) -> None:
    started = time.monotonic()
    demo = Lines("--demo", "--headless", "--agent-port", "0", "--data", str(tmp_path),
                 env=NO_DISPLAY)
    processes.append(demo)
    wait_until(lambda: _priced_record(demo), 15 - (time.monotonic() - started),
               "a priced record within 15 s of start")
    wait_until(lambda: demo.has(" ringing from "), 15 - (time.monotonic() - started),
               "a ring within 15 s of start")
    assert demo.has("demo: simulated PBX on socket://127.0.0.1:")
    control = next(line for line in demo.lines if line.startswith("demo: simulator control "))
    assert control.startswith("demo: simulator control port 127.0.0.1:")
    command = next(line for line in demo.lines if line.startswith("demo: place a test call: "))
    # the printed command line, run as printed (by a shell), places the call
    placed = subprocess.run(command.removeprefix("demo: place a test call: "), shell=True,
                            capture_output=True, text=True, env=ENV, timeout=30, check=False)
    assert placed.returncode == 0 and "'ok': True" in placed.stdout, placed
    wait_until(lambda: any(line.startswith("record") and " 13800138000 " in line
                           and "0.40" in line for line in demo.lines) or not demo.has(""),
               20, "the test call's record, priced 0.40 (2 started minutes of a mobile)")
    code, err = demo.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in err, err
    open_store(tmp_path)
    rows = list(CallRecordRow.select().where(CallRecordRow.number == "13800138000"))
    assert len(rows) == 1 and rows[0].duration == 65 and rows[0].cost_fen == 40
    assert CallRecordRow.select().where(CallRecordRow.cost_fen > 0).count() >= 2


def test_demo_lines_name_the_control_port_and_a_call_command() -> None:
    lines = demo_lines("socket://127.0.0.1:4000", ("127.0.0.1", 4001))
    assert lines[0] == "demo: simulated PBX on socket://127.0.0.1:4000"
    assert lines[1].startswith("demo: simulator control port 127.0.0.1:4001 ")
    words = shlex.split(lines[2].removeprefix("demo: place a test call: "))
    assert len(words) == 3 and words[1] == "-c"
    assert 'ControlClient("127.0.0.1", 4001)' in words[2] and '"cmd": "call"' in words[2]
    assert demo_lines("/dev/pts/7", None) == ["demo: simulated PBX on /dev/pts/7"]
