"""DISA passwords on prepaid (S-26): ledger, intake charge, reconcile, the rooms CLI, and the
whole loop against the real simulator (a DISA call through its control port, stored, rated,
charged, the over-limit switch set and restored) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from callcenter.common.pbx.messages import CallRecord
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.control import ControlClient
from callcenter.server.cli.format import format_record
from callcenter.server.hotel.billfile import format_line
from callcenter.server.pbx.service import PbxService
from callcenter.server.prepaid import ledger
from callcenter.server.prepaid.control import ReconcileLoop, reconcile
from callcenter.server.prepaid.ledger import AccountRef, LedgerError, charge_calls
from callcenter.server.query import Filters, parse_filters, search
from callcenter.server.store.db import database
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.prepaid_models import HotelQueueEntry
from callcenter.server.store.settings import set_setting
from tests.server.prepaid.prepaid_support import LONG_DISTANCE, wait_until
from tests.server.prepaid.test_prepaid_pbx import FAST, WHO, after_insert, pbx_value
from tests.server.prepaid.test_rooms_cli import rooms
from tests.server.store_fixtures import StoreTarget

CALLER = "02087654321"
PASSWORD = "2468"


def disa_record(sequence: int, account: str = "D03", *, duration: int = 600) -> CallRecord:
    """A DISA call as the PBX reports it: no extension, the caller ID as caller."""
    return CallRecord(sequence, "20261105103000", duration, "", "", "02", "02088886666", "OUT",
                      CALLER, account)


# ------------------------------------------------------------------ the ledger

def test_disa_accounts(store_db: StoreTarget) -> None:
    ref = ledger.disa("3")
    assert ref == AccountRef("disa", "03") and ledger.disa("10").ident == "10"
    assert str(ref) == "DISA 03"
    assert ref.over_limit_key == "disa_password.03.over_limit"
    for row in ("0", "11", "D03", "x", ""):
        with pytest.raises(LedgerError, match=r"^DISA-password row .* \(allowed: 01-10\)"):
            ledger.disa(row)
    assert str(ledger.password("3")) == "password 03" and str(ledger.room("1")) == "room 001"


def test_a_disa_call_is_charged_to_its_disa_password_only(store_db: StoreTarget) -> None:
    disa, pw, room = ledger.disa("03"), ledger.password("03"), ledger.room("001")
    for ref in (disa, pw, room):
        ledger.top_up(ref, Decimal("1"), WHO)
    sink = RecordIntake(database, "pbx-a", lambda: LONG_DISTANCE, after_insert=charge_calls)
    sink.store([disa_record(1)])  # 600 s long distance: 3.00
    sink.store([disa_record(2, "D07"), disa_record(3, "D11"), disa_record(4, "D")])
    [charge] = [e for e in ledger.entries(disa) if e.kind == "charge"]
    row = CallRecordRow.get(CallRecordRow.sequence == 1)
    assert charge.record_id == row.id and charge.amount == Decimal("-3.00")
    assert (row.port, row.extension_number, row.account, row.caller, row.cost_fen) == (
        "", "", "D03", CALLER, 300)
    state = ledger.state(disa)
    assert state is not None and state.balance == Decimal("-2.00") and state.over_limit
    assert ledger.state(pw).balance == Decimal("1.00")  # type: ignore[union-attr]
    assert ledger.state(room).balance == Decimal("1.00")  # type: ignore[union-attr]
    assert CallRecordRow.select().count() == 4  # stored whatever their account
    assert [s.ref for s in ledger.all_states()] == [room, pw, disa]


def test_records_of_a_disa_account_are_found_by_account(store_db: StoreTarget) -> None:
    sink = RecordIntake(database, "pbx-a", lambda: LONG_DISTANCE)
    sink.store([disa_record(1), disa_record(2, "D04"), disa_record(3, "03")])
    filters = parse_filters({"account": " D03 "}, timezone(timedelta(hours=8)))
    found = search(database, filters)
    assert [(v.seq, v.port, v.extension, v.account) for v in found] == [(1, "", "", "D03")]
    assert [v.seq for v in search(database, Filters(account="03"))] == [3]


# ------------------------------------------------------------------ how a DISA record is shown

def test_bill_line_and_console_line_of_a_disa_record() -> None:
    record = disa_record(7, duration=65)
    line = format_line(record, 60, 1, False)
    assert line == " ".join(["20261105103000", "000105", CALLER.ljust(20), " " * 8,
                             "02088886666".ljust(24), "2", "国内长途", "0.60".rjust(9)])
    assert format_record(record) == ("record #7 2026-11-05 10:30:00 trunk 02 OUT 02088886666 "
                                     "from 02087654321 65s account D03")


# ------------------------------------------------------------------ the rooms CLI

def test_rooms_cli_with_disa(store_db: StoreTarget) -> None:
    code, out, _ = rooms(store_db, "topup", "--disa", "3", "5")
    assert code == 0 and "DISA 03: balance 5.00 (PBX to be set to normal class)" in out
    assert rooms(store_db, "topup", "--password", "3", "8")[0] == 0
    assert rooms(store_db, "topup", "002", "9")[0] == 0
    code, out, _ = rooms(store_db, "adjust", "--disa", "03", "-7.5")
    assert code == 0 and "DISA 03: balance -2.50 (PBX to be set to over limit)" in out
    code, out, _ = rooms(store_db, "balance")
    assert code == 0 and [line.split() for line in out.splitlines()[1:]] == [
        ["room", "002", "9.00", "normal"], ["password", "03", "8.00", "normal"],
        ["DISA", "03", "-2.50", "over", "limit"]]
    code, out, _ = rooms(store_db, "balance", "--disa", "3")
    assert code == 0 and out.splitlines()[1].split() == ["DISA", "03", "-2.50", "over", "limit"]
    code, out, _ = rooms(store_db, "ledger", "--disa", "3")
    assert code == 0 and [line.split()[3] for line in out.splitlines()[1:]] == [
        "topup", "adjustment"]
    code, out, _ = rooms(store_db, "clear", "--disa", "3")
    assert code == 0 and "DISA 03: balance 0.00" in out
    code, out, _ = rooms(store_db, "release", "--disa", "3")
    assert code == 0 and "not on prepaid" in out
    code, out, _ = rooms(store_db, "balance", "--disa", "4")
    assert code == 0 and "DISA 04: not on prepaid" in out
    assert ledger.state(ledger.password("3")).balance_fen == 800  # type: ignore[union-attr]


@pytest.mark.parametrize("argv", [
    ("topup", "--disa", "11", "5"), ("topup", "--disa", "0", "5"),
    ("balance", "--disa", "x"), ("ledger", "--disa", "D3"),
])
def test_a_bad_disa_row_exits_2_naming_it(store_db: StoreTarget, argv: tuple[str, ...]) -> None:
    code, out, err = rooms(store_db, *argv)
    assert code == 2 and out == ""
    assert "--disa" in err and "(allowed: 01-10)" in err


def test_disa_and_password_are_mutually_exclusive(store_db: StoreTarget,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        rooms(store_db, "topup", "--password", "3", "--disa", "3", "5")
    assert info.value.code == 2
    assert "--disa: not allowed with argument --password" in capsys.readouterr().err


# ------------------------------------------------------------------ with the real simulator

@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(seed=1)) as simulator:
        address = simulator.control_address
        assert address is not None
        with ControlClient(*address) as control:
            for key, value in (("trunk.01.disa", "on"),
                               ("disa_password.03.password", PASSWORD)):
                assert control.request({"cmd": "set", "key": key, "value": value})["ok"]
        yield simulator


def disa_call(sim: Simulator, seconds: int = 600) -> dict[str, object]:
    address = sim.control_address
    assert address is not None
    with ControlClient(*address) as control:
        return control.request({"cmd": "disa", "trunk": "01", "caller": CALLER,
                                "password": PASSWORD, "number": "02088886666",
                                "duration": seconds})


def test_a_disa_call_is_stored_rated_charged_and_switches_its_over_limit_class(
        sim: Simulator, store_db: StoreTarget, tmp_path: Path) -> None:
    set_setting("hotel_bill.enabled", "true", "test")
    disa, room = ledger.disa("3"), ledger.room("001")
    ledger.top_up(disa, Decimal("1"), WHO)
    ledger.top_up(room, Decimal("1"), WHO)
    sink = RecordIntake(database, "sim", lambda: LONG_DISTANCE, after_insert=after_insert)
    with PbxService(sim.url, tmp_path / "svc", sink=sink, link_options=FAST) as service:
        loop = ReconcileLoop(service, database, interval=30)
        loop.start()
        try:
            service.wait_ready(20)
            assert disa_call(sim) == {"ok": True, "queued": True, "waiting": 0, "trunk": "02",
                                      "account": "D03"}
            wait_until(lambda: (s := ledger.state(disa)) is not None and s.balance_fen < 0,
                       15, "the DISA call charged")
            assert ledger.state(disa).balance == Decimal("-2.00")  # type: ignore[union-attr]
            assert ledger.state(room).balance == Decimal("1.00")  # type: ignore[union-attr]
            row = CallRecordRow.get(CallRecordRow.account == "D03")
            assert (row.port, row.extension_number, row.trunk, row.number, row.call_type,
                    row.duration, row.caller, row.cost_fen) == (
                "", "", "02", "02088886666", "OUT", 600, CALLER, 300)
            [charge] = [e for e in ledger.entries(disa) if e.kind == "charge"]
            assert charge.record_id == row.id
            [queued] = HotelQueueEntry.select().where(HotelQueueEntry.record_id == row.id)
            assert queued.line.split() == [row.local_start, "001000", CALLER, "02088886666",
                                           "2", "国内长途", "3.00"]
            wait_until(lambda: pbx_value(sim, "disa_password.03.over_limit") == "on", 15,
                       "the DISA password's over limit switched on")
            refused = disa_call(sim, 30)
            assert refused == {"ok": False, "error": "DISA password 03 service class 61 may "
                                                     "not dial outside numbers (internal only) "
                                                     "02088886666"}
            assert pbx_value(sim, "extension.001.over_limit") == "off"
            ledger.top_up(disa, Decimal("2"), WHO)  # back to 0.00: normal class
            loop.trigger()
            wait_until(lambda: pbx_value(sim, "disa_password.03.over_limit") == "off", 15,
                       "the DISA password's over limit switched off")
            assert disa_call(sim, 30)["ok"] is True
            wait_until(lambda: len(ledger.entries(disa)) == 4, 15, "the second charge")
        finally:
            loop.stop()
    assert loop.last is not None and loop.last.ok


def test_reconcile_covers_disa_accounts(sim: Simulator, store_db: StoreTarget,
                                        tmp_path: Path) -> None:
    ledger.top_up(ledger.disa("05"), Decimal("1"), WHO)
    ledger.adjust(ledger.disa("05"), Decimal("-2"), WHO)  # committed, switch not yet written
    ledger.top_up(ledger.disa("06"), Decimal("1"), WHO)
    ledger.release(ledger.disa("06"), WHO)
    address = sim.control_address
    assert address is not None
    with ControlClient(*address) as control:
        assert control.request({"cmd": "set", "key": "disa_password.06.over_limit",
                                "value": "on"})["ok"]
    sink = RecordIntake(database, "sim", lambda: LONG_DISTANCE, after_insert=after_insert)
    with PbxService(sim.url, tmp_path / "svc", sink=sink, link_options=FAST) as service:
        service.wait_ready(20)
        result = reconcile(service, database)
        assert sorted(result.written) == [("disa_password.05.over_limit", "on"),
                                          ("disa_password.06.over_limit", "off")]
        again = reconcile(service, database)
        assert again.written == [] and again.unchanged == 2
    assert pbx_value(sim, "disa_password.05.over_limit") == "on"
    assert pbx_value(sim, "disa_password.06.over_limit") == "off"


def test_rooms_cli_sets_the_disa_switch_with_pbx(sim: Simulator, store_db: StoreTarget) -> None:
    assert rooms(store_db, "topup", "--disa", "3", "1")[0] == 0
    code, out, err = rooms(store_db, "adjust", "--disa", "3", "-2", "--pbx", sim.url)
    assert code == 0, err
    assert "disa_password.03.over_limit = on (verified)" in out
    assert pbx_value(sim, "disa_password.03.over_limit") == "on"
    assert disa_call(sim, 5)["ok"] is False
    code, out, _ = rooms(store_db, "topup", "--disa", "3", "1", "--pbx", sim.url)
    assert code == 0 and "disa_password.03.over_limit = off (verified)" in out
    assert disa_call(sim, 5)["ok"] is True
