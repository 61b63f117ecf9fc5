"""The hash chain: verify finds records edited, removed or inserted with raw SQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from callcenter.server.rating import sample_tariff
from callcenter.server.store.chain import link_hash
from callcenter.server.store.db import database
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.verify import Problem, verify_chain
from tests.server.store.store_workers import make_record
from tests.server.store_fixtures import StoreTarget

TARIFF = sample_tariff()


@pytest.fixture
def ten(store_db: StoreTarget) -> StoreTarget:
    """Ten records of pbx-a (in two batches, one late arrival) and two of pbx-b."""
    sink = RecordIntake(database, "pbx-a", lambda: TARIFF)
    sink.store([make_record(s) for s in (1, 2, 3, 4, 6)])
    sink.store([make_record(s) for s in (5, 7, 8, 9, 10)])
    RecordIntake(database, "pbx-b", lambda: TARIFF).store([make_record(1), make_record(2)])
    assert verify_chain(database) == []
    return store_db


def kinds(problems: list[Problem]) -> list[tuple[str, str, int | None]]:
    return [(p.kind, p.pbx_id, p.sequence) for p in problems]


def row_of(target: StoreTarget, sequence: int, pbx: str = "pbx-a") -> tuple[Any, ...]:
    [row] = target.sql("SELECT id, raw, hash, prev_hash, chain_pos FROM call_record "
                       "WHERE pbx_id = ? AND sequence = ?", (pbx, sequence))
    return row


def test_update_of_a_raw_record_is_found(ten: StoreTarget) -> None:
    _, raw, *_ = row_of(ten, 4)
    fields = json.loads(raw)
    fields[3] = ["d", "1"]  # duration 300 -> 1
    ten.sql("UPDATE call_record SET raw = ? WHERE pbx_id = ? AND sequence = ?",
            (json.dumps(fields, separators=(",", ":")), "pbx-a", 4))
    problems = verify_chain(database)
    assert kinds(problems) == [("edited", "pbx-a", 4)]
    assert "raw record was changed" in str(problems[0])


def test_update_of_a_column_behind_the_raw_record_is_found(ten: StoreTarget) -> None:
    ten.sql("UPDATE call_record SET duration = 1, number = '999' WHERE sequence = 7")
    problems = verify_chain(database, "pbx-a")
    assert kinds(problems) == [("edited", "pbx-a", 7)]
    assert "duration, number" in str(problems[0])


def test_raw_edit_with_a_recomputed_hash_breaks_the_next_link(ten: StoreTarget) -> None:
    _, raw, _, prev, _ = row_of(ten, 4)
    forged = raw.replace('["d","300"]', '["d","1"]')
    ten.sql("UPDATE call_record SET raw = ?, hash = ?, duration = 1 WHERE pbx_id = ? "
            "AND sequence = ?", (forged, link_hash(prev, forged), "pbx-a", 4))
    assert kinds(verify_chain(database)) == [("broken_link", "pbx-a", 6)]  # 6 was stored next


def test_delete_in_the_middle_is_found(ten: StoreTarget) -> None:
    record_id, *_ = row_of(ten, 3)
    ten.sql("DELETE FROM rating WHERE record_id = ?", (record_id,))
    ten.sql("DELETE FROM call_record WHERE id = ?", (record_id,))
    problems = verify_chain(database)
    assert kinds(problems) == [("broken_link", "pbx-a", 4)]
    assert "removed or inserted" in str(problems[0])


def test_delete_of_the_last_record_is_found(ten: StoreTarget) -> None:
    record_id, *_ = row_of(ten, 10)
    ten.sql("DELETE FROM rating WHERE record_id = ?", (record_id,))
    ten.sql("DELETE FROM call_record WHERE id = ?", (record_id,))
    problems = verify_chain(database)
    assert kinds(problems) == [("head", "pbx-a", None)]
    assert "last record(s) were removed" in str(problems[0])


def test_insert_in_the_middle_is_found(ten: StoreTarget) -> None:
    # Make room after chain position 3 and put a well-formed, correctly hashed record there.
    _, _, hash3, _, pos3 = row_of(ten, 3)
    ten.sql("UPDATE call_record SET chain_pos = chain_pos + 1000 WHERE pbx_id = ? "
            "AND chain_pos > ?", ("pbx-a", pos3))
    ten.sql("UPDATE call_record SET chain_pos = chain_pos - 999 WHERE pbx_id = ? "
            "AND chain_pos > ?", ("pbx-a", pos3 + 1000))
    fake = make_record(99, duration=1)
    from callcenter.server.store.chain import canonical_raw, derived_columns

    raw = canonical_raw(fake)
    columns = derived_columns(fake)
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    ten.sql(f"INSERT INTO call_record (pbx_id, chain_pos, raw, received_at, prev_hash, hash, "
            f"cost_fen, unknown, {names}) VALUES (?, ?, ?, ?, ?, ?, 0, ?, {marks})",
            ("pbx-a", pos3 + 1, raw, columns["start"], hash3, link_hash(hash3, raw), False,
             *columns.values()))
    [(fake_id,)] = ten.sql("SELECT id FROM call_record WHERE sequence = 99")
    ten.sql("INSERT INTO rating (record_id, tariff_version, cost_fen, prefix, description, "
            "unknown, holiday, receipt, rated_at, reason) VALUES (?, 'x', 0, '', '', ?, ?, "
            "'', ?, 'intake')", (fake_id, False, False, columns["start"]))
    problems = verify_chain(database)
    # the fake one links correctly, so the record after it is the one that no longer follows
    assert kinds(problems) == [("broken_link", "pbx-a", 4), ("head", "pbx-a", None)]


def test_changed_cost_is_found(ten: StoreTarget) -> None:
    ten.sql("UPDATE call_record SET cost_fen = 1 WHERE pbx_id = 'pbx-b' AND sequence = 2")
    assert kinds(verify_chain(database)) == [("rating", "pbx-b", 2)]


def test_problems_of_one_pbx_only(ten: StoreTarget) -> None:
    ten.sql("UPDATE call_record SET port = '999' WHERE pbx_id = 'pbx-b' AND sequence = 1")
    assert verify_chain(database, "pbx-a") == []
    assert kinds(verify_chain(database, "pbx-b")) == [("edited", "pbx-b", 1)]
