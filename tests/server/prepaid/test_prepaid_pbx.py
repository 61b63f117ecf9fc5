"""Over-limit switching against the real simulator, through the real service and intake."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.control import ControlClient
from callcenter.server.hotel.queue import enqueue_calls
from callcenter.server.pbx.link import LinkOptions
from callcenter.server.pbx.service import PbxService
from callcenter.server.prepaid import ledger
from callcenter.server.prepaid.control import ReconcileLoop, reconcile
from callcenter.server.prepaid.ledger import charge_calls
from callcenter.server.store.db import database
from callcenter.server.store.intake import RecordIntake, StoredCall
from tests.server.prepaid.prepaid_support import LONG_DISTANCE, wait_until
from tests.server.store_fixtures import StoreTarget

FAST = LinkOptions(ack_timeout=0.5, max_retries=2, heartbeat=2.0, identify_timeout=5.0,
                   backoff_min=0.1, backoff_max=0.5)
WHO = "cli:test"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(seed=1)) as simulator:
        yield simulator


def ask(sim: Simulator, request: dict[str, object]) -> dict[str, Any]:
    address = sim.control_address
    assert address is not None
    with ControlClient(*address) as client:
        return client.request(request)


def pbx_value(sim: Simulator, key: str) -> str:
    answer = ask(sim, {"cmd": "get", "key": key})
    assert answer.get("ok"), answer
    return str(answer["value"])


def after_insert(calls: list[StoredCall]) -> None:
    charge_calls(calls)
    enqueue_calls(calls)


def service_for(sim: Simulator, data_dir: Path) -> PbxService:
    sink = RecordIntake(database, "sim", lambda: LONG_DISTANCE, after_insert=after_insert)
    return PbxService(sim.url, data_dir, sink=sink, link_options=FAST)


def call(sim: Simulator, port: str = "001", seconds: int = 600) -> dict[str, object]:
    return ask(sim, {"cmd": "call", "extension": port, "number": "02088886666",
                     "duration": seconds})


def test_balance_below_zero_switches_the_over_limit_class_and_a_top_up_restores_it(
        sim: Simulator, store_db: StoreTarget, tmp_path: Path) -> None:
    room = ledger.room("001")
    ledger.top_up(room, Decimal("1"), WHO)
    with service_for(sim, tmp_path / "svc") as service:
        loop = ReconcileLoop(service, database, interval=30)
        loop.start()
        try:
            service.wait_ready(20)
            assert call(sim)["ok"] is True  # 600 s long distance: 3.00
            wait_until(lambda: (s := ledger.state(room)) is not None and s.balance_fen < 0,
                       15, "the call charged")
            assert ledger.state(room).balance == Decimal("-2.00")  # type: ignore[union-attr]
            wait_until(lambda: pbx_value(sim, "extension.001.over_limit") == "on", 15,
                       "over limit switched on")
            refused = call(sim)
            assert refused["ok"] is False and "61" in str(refused["error"]), refused
            assert call(sim, "002")["ok"] is True  # another room: not on prepaid
            ledger.top_up(room, Decimal("2"), WHO)  # back to 0.00: zero or more is normal
            loop.trigger()
            wait_until(lambda: pbx_value(sim, "extension.001.over_limit") == "off", 15,
                       "over limit switched off")
            assert call(sim, seconds=30)["ok"] is True
        finally:
            loop.stop()
    assert loop.last is not None and loop.last.ok


def test_reconcile_after_a_crash_sets_what_the_ledger_implies(
        sim: Simulator, store_db: StoreTarget, tmp_path: Path) -> None:
    # The ledger went negative and committed, then the server died before it wrote the PBX:
    # the switch is still off. Another room was released but its switch stayed on.
    ledger.top_up(ledger.room("003"), Decimal("1"), WHO)
    ledger.adjust(ledger.room("003"), Decimal("-1.50"), WHO)
    ledger.top_up(ledger.password("02"), Decimal("1"), WHO)
    ledger.adjust(ledger.password("02"), Decimal("-2"), WHO)
    ledger.top_up(ledger.room("004"), Decimal("1"), WHO)
    ledger.release(ledger.room("004"), WHO)
    assert ask(sim, {"cmd": "set", "key": "extension.004.over_limit", "value": "on"})["ok"]
    with service_for(sim, tmp_path / "svc") as service:
        service.wait_ready(20)
        result = reconcile(service, database)
        assert sorted(result.written) == [("extension.003.over_limit", "on"),
                                          ("extension.004.over_limit", "off"),
                                          ("personal_password.02.over_limit", "on")]
        assert pbx_value(sim, "extension.003.over_limit") == "on"
        assert pbx_value(sim, "personal_password.02.over_limit") == "on"
        assert pbx_value(sim, "extension.004.over_limit") == "off"
        again = reconcile(service, database)  # only differing values are ever written
        assert again.written == [] and again.unchanged == 3
    refused = ask(sim, {"cmd": "call", "extension": "003", "number": "02088886666",
                        "duration": 5})
    assert refused["ok"] is False


def test_a_port_the_pbx_does_not_have_is_reported_and_the_rest_goes_through(
        sim: Simulator, store_db: StoreTarget, tmp_path: Path) -> None:
    ledger.top_up(ledger.room("900"), Decimal("1"), WHO)  # the simulator has 24 ports
    ledger.adjust(ledger.room("900"), Decimal("-2"), WHO)
    ledger.top_up(ledger.room("002"), Decimal("1"), WHO)
    ledger.adjust(ledger.room("002"), Decimal("-2"), WHO)
    with service_for(sim, tmp_path / "svc") as service:
        service.wait_ready(20)
        result = reconcile(service, database)
    assert result.written == [("extension.002.over_limit", "on")]
    assert [k for k, _ in result.failed] == ["extension.900.over_limit"]
