"""Retention moves to the monthly archives: transparent queries, verify, idempotence, crashes."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.server.query import (
    archived_raw,
    count_records,
    filter_archived,
    iter_records,
    parse_filters,
    run_retention,
    search,
    summarize,
    verify_records,
)
from callcenter.server.store import archive as archive_mod
from callcenter.server.store.archive_models import ArchiveMonth
from callcenter.server.store.db import database, is_sqlite
from callcenter.server.store.models import CallRecordRow, RatingRow
from callcenter.server.store.sources import archive_folder, pg_tables
from tests.server.query.query_support import Ref, make_records, store_records

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 7, 1, 12, 0)  # naive UTC; retention 90 days -> cut 2026-04-02 12:00
CASES = [{}, {"month": "2026-01"}, {"from": "2026-03-20", "to": "2026-04-10"},
         {"port": "802", "call_type": "OUT"}, {"number": "138*"}, {"to": "2026-02-15"}]


def snapshot() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, case in enumerate(CASES):
        f = parse_filters(case, TZ)
        out[f"search{i}"] = [(v.id, v.seq, v.cost, v.description)
                             for v in search(database, f, sort="cost", desc=True, limit=1000)]
        out[f"iter{i}"] = [v.id for v in iter_records(database, f, page=11)]
        out[f"count{i}"] = count_records(database, f)
        out[f"sum{i}"] = summarize(database, f, "month")
    return out


def live_count() -> int:
    return int(CallRecordRow.select().count())


def test_old_records_move_and_everything_reads_the_same(filled: tuple[Any, list[Ref]]) -> None:
    _target, refs = filled
    before = snapshot()
    results = run_retention(database, NOW)
    assert [r.month for r in results] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    moved = sum(r.moved for r in results)
    cut = datetime(2026, 4, 2, 12, 0)
    assert moved == sum(1 for r in refs if r.start < cut) > 0
    assert live_count() == len(refs) - moved
    assert CallRecordRow.select().where(CallRecordRow.start < cut).count() == 0
    assert RatingRow.select().count() == live_count()  # ratings travelled with their records
    assert snapshot() == before
    assert verify_records(database) == (len(refs), [])
    sources = {v.source for v in search(database, parse_filters({}, TZ), limit=1000)}
    assert sources == {"live", "2026-01", "2026-02", "2026-03", "2026-04"}
    assert run_retention(database, NOW) == []  # a re-run is a no-op
    assert snapshot() == before


def test_a_query_with_a_range_reads_only_the_archives_it_needs(
        filled: tuple[Any, list[Ref]]) -> None:
    run_retention(database, NOW)
    f = parse_filters({"month": "2026-02"}, TZ)
    assert {v.source for v in search(database, f, limit=1000)} == {"2026-02"}


def test_a_crash_between_copy_and_delete_is_completed_by_the_next_run(
        filled: tuple[Any, list[Ref]], monkeypatch: pytest.MonkeyPatch) -> None:
    _target, refs = filled
    before = snapshot()
    cut = archive_mod.retention_cut(NOW)
    if is_sqlite(database):
        batch = archive_mod.copy_month(database, "2026-02", cut)  # step 1 only: then "crash"
        assert batch == 1
        archive_mod.copy_month(database, "2026-02", cut)  # a repeated copy changes nothing
        con = sqlite3.connect(archive_folder(database) / "calls-2026-02.db")
        copied = con.execute("SELECT COUNT(*) FROM call_record").fetchone()[0]
        con.close()
        assert copied > 0
    else:
        def crash(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("power cut")
        monkeypatch.setattr(archive_mod, "_catalog", crash)
        with pytest.raises(RuntimeError):
            run_retention(database, NOW)
        monkeypatch.undo()
    assert live_count() == len(refs)  # nothing deleted, copies invisible
    assert snapshot() == before
    assert verify_records(database) == (len(refs), [])
    results = run_retention(database, NOW)
    assert sum(r.archived for r in results) == sum(1 for r in refs if r.start < cut)
    assert snapshot() == before
    assert verify_records(database) == (len(refs), [])
    every = [v.id for v in iter_records(database, parse_filters({}, TZ))]
    assert sorted(every) == sorted(r.id for r in refs)  # no loss, no duplicate


def test_later_runs_add_to_a_month_already_archived(filled: tuple[Any, list[Ref]]) -> None:
    _target, refs = filled
    before = snapshot()
    run_retention(database, datetime(2026, 6, 10))  # cut 2026-03-12: March partly
    march = ArchiveMonth.get(ArchiveMonth.month == "2026-03")
    run_retention(database, NOW)  # the rest of March, with the next batch
    later = ArchiveMonth.get(ArchiveMonth.month == "2026-03")
    assert later.committed_batch == march.committed_batch + 1
    assert later.records > march.records
    assert snapshot() == before
    assert verify_records(database) == (len(refs), [])


def _archive_sql(month: str, sql: str) -> None:
    if is_sqlite(database):
        con = sqlite3.connect(archive_folder(database) / f"calls-{month}.db")
        con.execute(sql.format(records="call_record", ratings="rating"))
        con.commit()
        con.close()
    else:
        records, ratings = pg_tables(month)
        database.execute_sql(sql.format(records=records, ratings=ratings))


def test_tampering_in_an_archive_is_detected(filled: tuple[Any, list[Ref]]) -> None:
    run_retention(database, NOW)
    _archive_sql("2026-02", "UPDATE {records} SET number = '110' WHERE id = "
                 "(SELECT MIN(id) FROM {records})")
    _archive_sql("2026-01", "DELETE FROM {ratings} WHERE record_id = "
                 "(SELECT MAX(id) FROM {records})")
    _archive_sql("2026-01", "DELETE FROM {records} WHERE id = (SELECT MAX(id) FROM {records})")
    _checked, problems = verify_records(database)
    kinds = sorted({p.kind for p in problems})
    assert kinds == ["archive", "broken_link", "edited"], [p.text for p in problems]
    assert any("2026-01" in p.text for p in problems if p.kind == "archive")


def test_a_missing_archive_file_is_reported(filled: tuple[Any, list[Ref]]) -> None:
    if not is_sqlite(database):
        pytest.skip("archive files are a SQLite thing")
    run_retention(database, NOW)
    (archive_folder(database) / "calls-2026-03.db").rename(archive_folder(database) / "x.db")
    _checked, problems = verify_records(database)
    assert any(p.kind == "archive" and "missing" in p.text for p in problems)
    with pytest.raises(Exception, match="missing"):
        search(database, parse_filters({}, TZ))


def test_retransmitted_archived_records_are_recognised(filled: tuple[Any, list[Ref]]) -> None:
    _target, refs = filled
    run_retention(database, NOW)
    old = min((r for r in refs if r.pbx == "pbx-a"), key=lambda r: r.start)
    live = max((r for r in refs if r.pbx == "pbx-a"), key=lambda r: r.start)
    found = archived_raw(database, "pbx-a", [old.seq, live.seq, 10**9])
    assert set(found) == {old.seq}
    assert archived_raw(database, "pbx-b", [old.seq + 10**6]) == {}
    records = make_records(240)  # the same records again, as a PBX would re-send them
    kept = filter_archived(database, "pbx-a", records)
    assert old.seq not in {r.sequence for r in kept}
    assert len(kept) == sum(1 for r in refs if r.pbx == "pbx-a") - len(
        [r for r in refs if r.pbx == "pbx-a" and r.start < datetime(2026, 4, 2, 12)])
    store_records(kept)  # what the intake does with the rest: duplicates of live records
    assert count_records(database, parse_filters({}, TZ)) == len(refs)


def test_the_intake_does_not_store_a_retransmitted_archived_record_twice(
        filled: tuple[Any, list[Ref]]) -> None:
    _target, refs = filled
    run_retention(database, NOW)
    store_records(make_records(240))  # everything again, archived records included
    assert count_records(database, parse_filters({}, TZ)) == len(refs)


def test_finding_the_due_months_reads_through_the_start_index(
        filled: tuple[Any, list[Ref]]) -> None:
    """At every service start retention asks which months are due: through the ``start``
    index it reads only the due records, not every row of the store (docs/benchmarks.md, 10 M
    records); the months it finds are those the records say."""
    cut = datetime(2026, 4, 2, 12, 0)
    expected = sorted({str(m) for (m,) in database.execute_sql(
        "SELECT month FROM call_record WHERE start < " + database.param,
        (cut.isoformat(" ") if is_sqlite(database) else cut,)).fetchall()})
    assert archive_mod.due_months(database, cut) == expected and expected
    assert archive_mod.due_months(database, datetime(2000, 1, 1)) == []
    if is_sqlite(database):
        plan = " ".join(str(row[-1]) for row in database.execute_sql(
            "EXPLAIN QUERY PLAN " + archive_mod.due_months_sql(database), ("2026-04-02",)))
        assert "INDEX call_record_start (start<?)" in plan, plan
