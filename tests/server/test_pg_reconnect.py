"""The headless server on PostgreSQL goes on after its store sessions are killed (issue 10,
item 1): the real simulator sends call records, ``pg_terminate_backend`` ends every session of
the service (intake, prepaid reconcile, hotel link, retention) while records arrive, and every
record must be stored and billed exactly once without a restart. Skipped without
``CALLCENTER_TEST_PG``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.pbxsim.app import Simulator
from callcenter.server.hotel.billfile import LINE_WIDTH
from callcenter.server.runtime import ServerRuntime
from callcenter.server.store.db import database
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.settings import set_setting
from callcenter.server.store.verify import verify_chain
from tests.server.pbxlink_support import FAST, ask, no_leaked_threads, sim, wait_until
from tests.server.store.test_store_reconnect import terminate_backends
from tests.server.store_fixtures import reset_pg_schema

__all__ = ["no_leaked_threads", "sim"]


@pytest.fixture
def pg_runtime(sim: Simulator, pg_url: str, tmp_path: Path) -> Iterator[ServerRuntime]:
    if database.obj is not None and not database.is_closed():
        database.close()
    reset_pg_schema(pg_url)
    server = ServerRuntime(sim.url, tmp_path, sync_clock=False, db_url=pg_url,
                           link_options=FAST)
    set_setting("hotel_bill.enabled", "true", "test")
    with server:
        server.service.wait_ready(20)
        yield server
    if not database.is_closed():
        database.close()


def acked(sim: Simulator) -> int:
    return int(str(ask(sim, {"cmd": "counters"})["records_acked"]))


def test_records_are_stored_again_after_the_store_sessions_are_killed(
        sim: Simulator, pg_runtime: ServerRuntime, pg_url: str, tmp_path: Path) -> None:
    ask(sim, {"cmd": "burst", "count": 100})
    wait_until(lambda: acked(sim) >= 20, 20, "the first records acknowledged")
    assert terminate_backends(pg_url) >= 1  # during the burst
    ask(sim, {"cmd": "burst", "count": 100})
    wait_until(lambda: acked(sim) >= 150, 30, "records acknowledged after the kill")
    assert terminate_backends(pg_url) >= 1  # and again, every thread idle or not
    ask(sim, {"cmd": "burst", "count": 100})
    # Within 30 s of the last kill, everything is stored.
    wait_until(lambda: acked(sim) == 300, 30, "all 300 records acknowledged")
    assert ask(sim, {"cmd": "counters"})["records_issued"] == 300
    sequences = [int(r.sequence) for r in CallRecordRow.select(CallRecordRow.sequence)]
    assert sorted(sequences) == sorted(set(sequences)) and len(sequences) == 300
    assert verify_chain(database) == []
    # The hotel link's thread lost its session too: every bill line arrives, once.
    bill = tmp_path / "HotelBill.TXT"
    line = LINE_WIDTH + 2  # with its CR LF
    wait_until(lambda: bill.exists() and bill.stat().st_size == 300 * line, 30,
               "300 bill lines")
    # The prepaid reconcile thread lost its session too: it still completes a run.
    before = pg_runtime.reconcile.last
    pg_runtime.reconcile.trigger()
    wait_until(lambda: pg_runtime.reconcile.last is not before, 30, "a reconcile run")
