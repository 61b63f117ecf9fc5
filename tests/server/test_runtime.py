"""The headless server as it runs: store intake, prepaid control and hotel link together."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from callcenter.pbxsim.app import Simulator
from callcenter.server.prepaid import ledger
from callcenter.server.rating import Tariff, TariffRow
from callcenter.server.rating.tariff_io import TARIFF_FILE, save_tariff_file
from callcenter.server.runtime import ServerRuntime
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.settings import set_setting
from tests.server.pbxlink_support import ask, no_leaked_threads, sim, wait_until

LONG_DISTANCE = Tariff((TariffRow("0", "国内长途", 60, Decimal("0.30"), 60, Decimal("0.30"), 1),))


def pbx_value(sim: Simulator, key: str) -> str:
    return str(ask(sim, {"cmd": "get", "key": key})["value"])


@pytest.fixture
def runtime(sim: Simulator, tmp_path: Path) -> Iterator[ServerRuntime]:
    save_tariff_file(LONG_DISTANCE, tmp_path / TARIFF_FILE)
    server = ServerRuntime(sim.url, tmp_path, sync_clock=False)
    set_setting("hotel_bill.enabled", "true", "test")
    with server:
        server.service.wait_ready(20)
        yield server


def test_a_call_is_rated_charged_billed_and_switches_the_room_over_limit(
        sim: Simulator, runtime: ServerRuntime, tmp_path: Path) -> None:
    room = ledger.room("003")
    ledger.top_up(room, Decimal("1.00"), "cli:test")
    ask(sim, {"cmd": "call", "extension": "003", "number": "02088886666", "duration": 600})
    wait_until(lambda: CallRecordRow.select().count() == 1, 15, "the record stored")
    assert CallRecordRow.get().cost_fen == 300  # 60 s 0.30 + 9 x 60 s 0.30
    wait_until(lambda: (s := ledger.state(room)) is not None and s.balance == Decimal("-2.00"),
               10, "the call charged to the room")
    runtime.reconcile.trigger()
    wait_until(lambda: pbx_value(sim, "extension.003.over_limit") == "on", 15,
               "the PBX switched room 003 to its over-limit class")
    bill = tmp_path / "HotelBill.TXT"
    wait_until(lambda: bill.exists() and b"02088886666" in bill.read_bytes(), 15,
               "the hotel bill line")
    assert bill.read_bytes().endswith(b"\r\n")
    ledger.top_up(room, Decimal("5.00"), "cli:test")
    runtime.reconcile.trigger()
    wait_until(lambda: pbx_value(sim, "extension.003.over_limit") == "off", 15,
               "a top-up restored the normal class")
