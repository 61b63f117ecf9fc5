"""``callcenter-server --demo``: a new user's first seconds (issue 11, items 1 and 2).

The real service with its built-in simulator in a subprocess: within 15 s of start it has
stored a priced record (the built-in tariff prices the simulator's numbers) and a line has
rung; it prints the simulator's control address and a command line that places a test call,
and that command line, run as printed, makes a stored record priced by the built-in tariff.
A new demo store is a small hotel: prepaid rooms that the calls run down (room 009 below zero
with its opening call, restricted at the PBX, then topped up while the demo runs) and
HotelBill.TXT with money in its lines; a demo store that holds records is left alone.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

from callcenter.pbxsim.control import ControlClient
from callcenter.server.cli.main import demo_lines
from callcenter.server.demo import ROOM_CREDIT, ROOMS, prepare_hotel
from callcenter.server.prepaid import ledger
from callcenter.server.store.db import database, open_store
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.settings import get_setting
from tests.server.pbxlink_support import wait_until
from tests.server.test_server_cli import COMMAND, ENV, Lines, processes

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
    # the demo hotel: room 009's opening call (1.47) took its 1.00 below zero ...
    assert demo.has(f"--data {tmp_path}") and demo.has("demo: room 009 has 1.00 yuan")
    assert any(line.startswith("record") and " 009/8009 " in line and " 02087654321 125s "
               in line and line.endswith(" cost 1.47") for line in demo.lines)
    wait_until(lambda: demo.err_has("room 009 is below zero (balance -0.47): the PBX now "
                                    "refuses its outside calls"), 15, "room 009 restricted")
    bill = tmp_path / "HotelBill.TXT"
    wait_until(lambda: bill.exists() and "02087654321" in bill.read_text("gbk"), 10,
               "the opening call in HotelBill.TXT")
    line = next(x for x in bill.read_text("gbk").splitlines() if "02087654321" in x)
    assert line.split()[-1] == "1.47" and "国内长途" in line
    host, port = control.removeprefix("demo: simulator control port ").split()[0].split(":")
    with ControlClient(host, int(port)) as pbx:
        refused = pbx.request({"cmd": "call", "extension": "009", "number": "13800138000",
                               "duration": 5})
        assert not refused["ok"], refused
        # ... and a top-up while the demo runs goes through the running service
        topup = subprocess.run([*COMMAND, "rooms", "topup", "009", "20", "--data",
                                str(tmp_path)], capture_output=True, text=True, env=ENV,
                               timeout=60, check=False)
        assert topup.returncode == 0 and "recorded by the running service" in topup.stdout
        wait_until(lambda: demo.err_has("room 009 is no longer below zero (balance 19.53)"),
                   15, "room 009 back to its normal class")
        wait_until(lambda: pbx.request({"cmd": "get", "key": "extension.009.over_limit"})[
            "value"] == "off", 10, "the switch off at the PBX")
        allowed = pbx.request({"cmd": "call", "extension": "009", "number": "13800138000",
                               "duration": 5})
        assert allowed["ok"], allowed
    code, err = demo.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in err, err
    open_store(tmp_path)
    rows = list(CallRecordRow.select().where(CallRecordRow.number == "13800138000"))
    assert [(r.port, r.duration, r.cost_fen) for r in rows if r.port == "001"] == [
        ("001", 65, 40)]
    assert CallRecordRow.select().where(CallRecordRow.cost_fen > 0).count() >= 2
    balances = {s.ref.ident: s.balance for s in ledger.all_states()}
    assert sorted(balances) == list(ROOMS) and balances["024"] <= ROOM_CREDIT
    assert balances["009"] <= Decimal("19.53")


def test_the_hotel_is_set_up_on_a_new_demo_store_only(tmp_path: Path) -> None:
    open_store(tmp_path)
    try:
        hotel = prepare_hotel()
        assert hotel is not None and hotel.rooms == ROOMS
        assert get_setting("hotel_bill.enabled") is True
        states = {s.ref.ident: s.balance for s in ledger.all_states()}
        assert states == {room: Decimal("1.00") if room == "009" else ROOM_CREDIT
                          for room in ROOMS}
        ledger.clear(ledger.room("010"), "tester")
        assert prepare_hotel() is None  # a second start: the hotel as it was left
        assert ledger.state(ledger.room("010")) == ledger.AccountState(
            ledger.room("010"), True, 0)
    finally:
        database.close()


def test_demo_lines_name_the_control_port_and_a_call_command() -> None:
    lines = demo_lines("socket://127.0.0.1:4000", ("127.0.0.1", 4001))
    assert lines[0] == "demo: simulated PBX on socket://127.0.0.1:4000"
    assert lines[1].startswith("demo: simulator control port 127.0.0.1:4001 ")
    words = shlex.split(lines[2].removeprefix("demo: place a test call: "))
    assert len(words) == 3 and words[1] == "-c"
    assert 'ControlClient("127.0.0.1", 4001)' in words[2] and '"cmd": "call"' in words[2]
    assert demo_lines("/dev/pts/7", None) == ["demo: simulated PBX on /dev/pts/7"]
