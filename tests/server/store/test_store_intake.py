"""Intake: each record stored once, gaps alerted, ratings exact, one transaction per batch."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import fn

from callcenter.server.rating import Tariff, TariffRow, sample_tariff
from callcenter.server.store.db import database
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.models import (
    Alert,
    CallRecordRow,
    ChainHead,
    MalformedRecord,
    RatingRow,
    from_fen,
    to_fen,
)
from callcenter.server.store.settings import get_setting
from callcenter.server.store.verify import verify_chain
from tests.server.store.store_workers import make_record
from tests.server.store_fixtures import StoreTarget

TARIFF = sample_tariff()


def intake(pbx: str = "pbx-a", tariff: Tariff = TARIFF) -> RecordIntake:
    return RecordIntake(database, pbx, lambda: tariff)


def stored_sequences(pbx: str = "pbx-a") -> list[int]:
    return [r.sequence for r in CallRecordRow.select(CallRecordRow.sequence)
            .where(CallRecordRow.pbx_id == pbx).order_by(CallRecordRow.sequence)]


def open_alerts(kind: str) -> list[Alert]:
    return list(Alert.select().where((Alert.kind == kind) & (Alert.resolved == False))  # noqa: E712
                .order_by(Alert.id))


def test_record_keeps_its_fields_rating_and_receipt(store_db: StoreTarget) -> None:
    record = make_record(1, number="12315888", duration=300, port="805", extension="8123",
                         start="20261105103000")
    intake().store([record])
    row = CallRecordRow.get()
    assert (row.pbx_id, row.sequence, row.port, row.extension_number, row.number,
            row.call_type, row.duration) == ("pbx-a", 1, "805", "8123", "12315888", "OUT", 300)
    assert row.local_start == "20261105103000" and row.utc_offset_minutes == 480
    assert str(row.start) == "2026-11-05 02:30:00"  # UTC
    assert row.month == "2026-11"
    assert json.loads(row.raw_json)[0] == ["q", "1"]
    rating = RatingRow.get()
    assert rating.record_id == row.id and rating.reason == "intake"  # type: ignore[attr-defined]
    assert (rating.cost_fen, rating.prefix, rating.service_type) == (44, "12315", 3)
    assert rating.receipt == "180 s 0.22 + 2 x 60 s 0.11 = 0.44"
    assert rating.tariff_version == TARIFF.version
    assert row.cost_fen == 44 and from_fen(row.cost_fen) == Decimal("0.44")


def test_retransmissions_and_duplicates_in_a_batch_are_stored_once(
        store_db: StoreTarget) -> None:
    sink = intake()
    first = [make_record(s) for s in (1, 2, 3)]
    sink.store([*first, make_record(2)])
    assert (sink.last.stored, sink.last.duplicates) == (3, 1)
    sink.store([*first, make_record(4), make_record(4)])  # re-delivery after a lost ack
    assert (sink.last.stored, sink.last.duplicates) == (1, 4)
    sink.store(first)
    assert sink.last.stored == 0
    sink.store([])
    assert stored_sequences() == [1, 2, 3, 4]
    assert RatingRow.select().count() == 4
    assert open_alerts("sequence_gap") == [] and open_alerts("sequence_conflict") == []
    assert verify_chain(database) == []


def test_same_sequence_twice_in_one_batch_keeps_the_first_and_alerts(
        store_db: StoreTarget) -> None:
    sink = intake()
    sink.store([make_record(1, duration=10), make_record(1, duration=99)])
    assert CallRecordRow.get().duration == 10
    assert len(open_alerts("sequence_conflict")) == 1


def test_a_pbx_numbering_its_records_again_gets_a_new_generation_and_loses_nothing(
        store_db: StoreTarget) -> None:
    """Another PBX on the same line (or one whose record memory was reset) sends sequence
    numbers already stored, with other calls in them: they are stored, under a new name."""
    sink = intake("main")
    sink.store([make_record(s, duration=10) for s in (1, 2, 3)])
    again = [make_record(s, duration=99) for s in (1, 2)] + [make_record(4, duration=99)]
    sink.store(again)
    assert sink.pbx_id == "main-2" and get_setting("pbx.id") == "main-2"
    assert sink.last.stored == 3
    assert stored_sequences("main") == [1, 2, 3]
    assert stored_sequences("main-2") == [1, 2, 4]
    assert {r.duration for r in CallRecordRow.select().where(
        CallRecordRow.pbx_id == "main-2")} == {99}
    [alert] = open_alerts("pbx_replaced")
    assert "main-2" in alert.text and json.loads(alert.detail)["sequences"] == [1, 2]
    sink.store(again)  # a retransmission to the new generation is stored once
    assert (sink.last.stored, sink.last.duplicates) == (0, 3)
    # A service started later reads the new name from the settings.
    later = intake(str(get_setting("pbx.id")))
    later.store([make_record(1, duration=55)])  # and yet another PBX
    assert later.pbx_id == "main-3"
    assert stored_sequences("main-3") == [1]
    assert verify_chain(database) == []


def test_pbxs_have_their_own_sequences(store_db: StoreTarget) -> None:
    intake("pbx-a").store([make_record(1)])
    intake("pbx-b").store([make_record(1)])
    assert stored_sequences("pbx-a") == stored_sequences("pbx-b") == [1]
    assert verify_chain(database) == []


def test_gap_is_alerted_and_resolved_when_late_records_fill_it(
        store_db: StoreTarget, caplog: pytest.LogCaptureFixture) -> None:
    sink = intake()
    sink.store([make_record(s) for s in (1, 2)])
    with caplog.at_level(logging.WARNING):
        sink.store([make_record(s) for s in (6, 5)])
    assert sink.last.gaps == [(3, 4)]
    assert "3-4 missing" in caplog.text
    [gap] = open_alerts("sequence_gap")
    assert json.loads(gap.detail) == {"first": 3, "last": 4}
    assert "3-4" in gap.text
    sink.store([make_record(3)])  # a late arrival: fine, the gap is half filled
    assert sink.last.gaps == [] and len(open_alerts("sequence_gap")) == 1
    sink.store([make_record(4)])
    assert open_alerts("sequence_gap") == []
    assert Alert.get(Alert.kind == "sequence_gap").resolved
    assert stored_sequences() == [1, 2, 3, 4, 5, 6]
    assert ChainHead.get().max_sequence == 6
    assert verify_chain(database) == []


def test_gap_within_one_batch_is_not_a_gap_when_the_batch_fills_it(
        store_db: StoreTarget) -> None:
    sink = intake()
    sink.store([make_record(1)])
    sink.store([make_record(s) for s in (4, 2, 3)])
    assert sink.last.gaps == [] and open_alerts("sequence_gap") == []


def test_unknown_number_is_stored_at_cost_0_flagged_and_alerted(store_db: StoreTarget) -> None:
    sink = intake()
    sink.store([make_record(1, number="77777"), make_record(2, number="02112345",
                                                            call_type="IN")])
    unknown = CallRecordRow.get(CallRecordRow.sequence == 1)
    assert unknown.unknown and unknown.cost_fen == 0
    rating = RatingRow.get(RatingRow.record == unknown.id)
    assert rating.unknown and rating.cost_fen == 0 and rating.prefix == ""
    [alert] = open_alerts("unknown_number")
    assert "77777" in alert.text
    incoming = CallRecordRow.get(CallRecordRow.sequence == 2)  # incoming: free, not unknown
    assert not incoming.unknown and incoming.cost_fen == 0


def test_a_failing_tariff_does_not_stop_intake(store_db: StoreTarget) -> None:
    class Broken(Tariff):
        def rate(self, *args: Any, **kwargs: Any) -> Any:
            raise ZeroDivisionError("bug")

    intake(tariff=Broken(TARIFF.rows)).store([make_record(1)])
    row = CallRecordRow.get()
    assert row.unknown and row.cost_fen == 0
    assert "rating failed" in RatingRow.get().receipt
    assert len(open_alerts("unknown_number")) == 1


def test_impossible_start_date_is_kept_raw_and_alerted(store_db: StoreTarget) -> None:
    intake().store([make_record(1, start="20261399250000")])
    row = CallRecordRow.get()
    assert row.local_start == "20261399250000"
    assert len(open_alerts("malformed_record")) == 1
    assert verify_chain(database) == []


def test_malformed_record_is_kept_raw_and_alerted(store_db: StoreTarget) -> None:
    intake().malformed(b"CDR|q=x|\x00junk", "field 'q' must be a decimal number")
    row = MalformedRecord.get()
    assert "junk" in row.raw_text and row.pbx_id == "pbx-a"
    [alert] = open_alerts("malformed_record")
    assert "decimal number" in alert.text


def test_money_is_exact_in_fen(store_db: StoreTarget) -> None:
    rows = (TariffRow("5", "test", 1, Decimal("0.01"), 1, Decimal("0.01"), 3),
            TariffRow("6", "dear", 0, Decimal("0"), 1, Decimal("9999.99"), 3))
    tariff = Tariff(rows)
    sink = intake(tariff=tariff)
    # 0.01 a second for 10 hours: 360.00 exactly; summing them stays exact
    sink.store([make_record(s, number="5123", duration=36000) for s in range(1, 101)])
    sink.store([make_record(101, number="6123", duration=86400)])
    costs = [from_fen(r.cost_fen) for r in CallRecordRow.select().order_by(CallRecordRow.id)]
    assert costs[:100] == [Decimal("360.00")] * 100
    assert costs[100] == Decimal("9999.99") * 86400
    total = CallRecordRow.select(fn.SUM(CallRecordRow.cost_fen)).scalar()  # by the database
    assert from_fen(int(total)) == Decimal("36000.00") + Decimal("9999.99") * 86400
    assert to_fen(Decimal("0.44")) == 44
    with pytest.raises(ValueError, match="whole number of fen"):
        to_fen(Decimal("0.005"))


def test_a_backlog_of_2000_records_is_one_call(store_db: StoreTarget) -> None:
    sink = intake()
    backlog = [make_record(s, number="12315" + str(s)) for s in range(1, 2001)]
    sink.store(backlog)
    assert sink.last.stored == 2000
    assert CallRecordRow.select().count() == 2000 == RatingRow.select().count()
    assert ChainHead.get().records == 2000
    assert verify_chain(database) == []


def test_a_failed_batch_stores_nothing(store_db: StoreTarget) -> None:
    sink = intake()
    sink.store([make_record(1)])
    bad = make_record(3, duration=2**40)  # out of the integer column's range on PostgreSQL
    good = make_record(2)
    if store_db.kind == "sqlite":
        # SQLite takes any integer; make the second statement fail instead
        store_db.sql("CREATE TRIGGER no_rating BEFORE INSERT ON rating "
                     "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    with pytest.raises(Exception):  # noqa: B017 - the database's own error class
        sink.store([good, bad])
    assert stored_sequences() == [1]
    assert ChainHead.get().records == 1


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.integers(1, 40), max_size=12), max_size=6))
def test_any_mix_of_batches_stores_each_sequence_once(store_db: StoreTarget,
                                                      batches: list[list[int]]) -> None:
    pbx = "prop-" + str(abs(hash(str(batches))))
    sink = intake(pbx)
    for batch in batches:
        sink.store([make_record(s) for s in batch])
    assert stored_sequences(pbx) == sorted({s for b in batches for s in b})
    assert verify_chain(database, pbx) == []


def test_a_backlog_of_unknown_numbers_makes_one_alert(store_db: StoreTarget) -> None:
    sink = intake()
    sink.store([make_record(s, number=f"7777{s:04d}") for s in range(1, 301)])
    assert sink.last.unknown == 300
    [alert] = open_alerts("unknown_number")
    detail = json.loads(alert.detail)
    assert detail["count"] == 300 and len(detail["numbers"]) == 100
    assert "300 call(s) with no tariff row" in alert.text and "'77770001'" in alert.text
