"""Retention (S-40): records older than ``retention_days`` move to per-month archives.

Theory of operation
-------------------
Records whose UTC start is before the cut (now - ``retention_days``) move, grouped by their
``month`` (the PBX-local month of the start), with their rating rows, ids unchanged.

SQLite: each month is a file ``archive/calls-YYYY-MM.db`` beside the store, with tables
``call_record`` and ``rating`` of the same columns plus ``archive_batch``. A move is two
transactions, each atomic on its own file (WAL makes a transaction that writes two files
non-atomic, so no transaction here ever writes both):

1. ``copy_month``: the archive file is attached; in one transaction *of the archive file* the
   month's old rows and their ratings are copied in (upsert keyed on the record / rating id, so
   a repeat changes nothing but a refreshed cost cache), tagged ``archive_batch`` =
   the month's ``committed_batch`` + 1. Readers ignore rows above ``committed_batch``, so these
   copies are invisible.
2. ``commit_month``: in one transaction *of the main store* (``BEGIN IMMEDIATE``): check that
   every rating and cost cache of the copied records is in the archive as it is in the main
   store (a re-rating between the steps makes the move redo step 1), delete exactly the
   records and ratings whose ids are in the archive, and raise ``committed_batch`` in
   ``archive_month``. That commit is the moment the copies become the records.

A crash after 1 leaves invisible copies; the next run copies again (a no-op for rows already
there, same batch number since nothing was committed) and commits. A crash during 2 rolls it
back. Nothing is ever deleted from the main store that is not already durably in the archive
(``synchronous=FULL`` on both files), and no reader sees a row twice (see ``sources.py``).

PostgreSQL: schema ``archive`` with tables ``call_record_YYYY_MM`` and ``rating_YYYY_MM``;
copy, delete and catalog update are one transaction, under an advisory lock so two movers take
turns. A re-rating racing the move makes the delete fail on the rating foreign key and the
whole move roll back (the next run retries).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from callcenter.server.store.db import AnyDatabase, StoreError, is_sqlite, write_transaction
from callcenter.server.store.settings import get_setting
from callcenter.server.store.sources import (
    RATING_COLUMNS,
    RECORD_COLUMNS,
    Source,
    archive_file_name,
    archive_folder,
    check_month,
    open_archive_file,
    open_sources,
    parse_time,
    pg_tables,
)

log = logging.getLogger(__name__)

PG_ARCHIVE_LOCK: Final = int.from_bytes(hashlib.sha256(b"callcenter archive").digest()[:8],
                                        "big", signed=True)
_RETRIES: Final = 5


def _record_ddl(table: str, sqlite: bool) -> list[str]:
    ts = "DATETIME" if sqlite else "TIMESTAMP"
    key = "INTEGER PRIMARY KEY" if sqlite else "BIGINT PRIMARY KEY"
    return [f"CREATE TABLE IF NOT EXISTS {table} (id {key}, pbx_id TEXT NOT NULL, "
            "sequence BIGINT NOT NULL, chain_pos BIGINT NOT NULL, "
            f"start {ts} NOT NULL, utc_offset_minutes INTEGER NOT NULL, "
            "local_start VARCHAR(14) NOT NULL, month VARCHAR(7) NOT NULL, "
            "duration INTEGER NOT NULL, port TEXT NOT NULL, extension_number TEXT NOT NULL, "
            "trunk TEXT NOT NULL, number TEXT NOT NULL, call_type VARCHAR(3) NOT NULL, "
            "caller TEXT NOT NULL, account TEXT NOT NULL, ring_seconds INTEGER NOT NULL, "
            f"raw TEXT NOT NULL, received_at {ts} NOT NULL, prev_hash VARCHAR(64) NOT NULL, "
            "hash VARCHAR(64) NOT NULL, cost_fen BIGINT NOT NULL, service_type INTEGER, "
            "unknown BOOLEAN NOT NULL, archive_batch INTEGER NOT NULL)"]


def _rating_ddl(table: str, sqlite: bool) -> list[str]:
    ts = "DATETIME" if sqlite else "TIMESTAMP"
    key = "INTEGER PRIMARY KEY" if sqlite else "BIGINT PRIMARY KEY"
    return [f"CREATE TABLE IF NOT EXISTS {table} (id {key}, record_id BIGINT NOT NULL, "
            "tariff_version TEXT NOT NULL, cost_fen BIGINT NOT NULL, prefix TEXT NOT NULL, "
            "description TEXT NOT NULL, service_type INTEGER, unknown BOOLEAN NOT NULL, "
            f"holiday BOOLEAN NOT NULL, receipt TEXT NOT NULL, rated_at {ts} NOT NULL, "
            "reason TEXT NOT NULL)"]


def _index_ddl(records: str, ratings: str, name: str) -> list[str]:
    """Indexes; ``name`` makes their names unique (PostgreSQL names them per schema)."""
    indexes = (("pbx_seq", "pbx_id, sequence"), ("pbx_pos", "pbx_id, chain_pos"),
               ("start", "start"), ("port", "port, start"), ("ext", "extension_number, start"),
               ("trunk", "trunk, start"))
    out = [f"CREATE INDEX IF NOT EXISTS {name}_{suffix} ON {records} ({cols})"
           for suffix, cols in indexes]
    out.append(f"CREATE INDEX IF NOT EXISTS {name}_rating_record ON {ratings} (record_id)")
    return out


@dataclass(frozen=True)
class MoveResult:
    month: str
    moved: int  # records moved by this run
    archived: int  # records in the month's archive now


def retention_cut(now: datetime | None = None) -> datetime:
    """Naive UTC: records starting before it are due for the archives."""
    moment = datetime.now(UTC) if now is None else now
    if moment.utcoffset() is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment - timedelta(days=int(get_setting("retention_days")))


def due_months_sql(db: AnyDatabase) -> str:
    """The question ``due_months`` asks. On SQLite it names the ``start`` index: without
    statistics SQLite would walk the ``month`` index (for the DISTINCT) and read every row's
    ``start`` from the table, the whole store at each service start (10 s on a 10 M-record
    store, docs/benchmarks.md) even when nothing is due; through the ``start`` index it reads
    only the records that are due."""
    source = "call_record INDEXED BY call_record_start" if is_sqlite(db) else "call_record"
    return f"SELECT DISTINCT month FROM {source} WHERE start < {db.param} ORDER BY month"


def due_months(db: AnyDatabase, cut: datetime) -> list[str]:
    """The months that have live records starting before ``cut``."""
    when: Any = cut.isoformat(" ") if is_sqlite(db) else cut
    cursor = db.execute_sql(due_months_sql(db), (when,))
    return [str(m) for (m,) in cursor.fetchall()]


def run_retention(db: AnyDatabase, now: datetime | None = None) -> list[MoveResult]:
    """Move every record older than the retention period to its month's archive; one
    transaction per month. Idempotent: a re-run (also after a crash) completes a half-done
    move and otherwise does nothing. The service calls this daily; ``records archive`` now."""
    cut = retention_cut(now)
    results = []
    for month in due_months(db, cut):
        results.append(move_month(db, month, cut))
        log.info("archive: %s: %d record(s) moved, %d archived", month, results[-1].moved,
                 results[-1].archived)
    return results


def move_month(db: AnyDatabase, month: str, cut: datetime) -> MoveResult:
    check_month(month)
    if not is_sqlite(db):
        return _move_pg(db, month, cut)
    for _attempt in range(_RETRIES):
        batch = copy_month(db, month, cut)
        result = commit_month(db, month, batch)
        if result is not None:
            return result
        log.info("archive: %s: records were re-rated during the move; copying again", month)
    raise StoreError(f"archive of {month}: records kept changing during the move; try again")


# ---------------------------------------------------------------------- SQLite


def _committed_batch(db: AnyDatabase, month: str) -> int:
    rows = db.execute_sql(f"SELECT committed_batch FROM archive_month WHERE month = {db.param}",
                          (month,)).fetchall()
    return int(rows[0][0]) if rows else 0


class _Attached:
    """The month's archive file attached to this thread's main connection as ``arc``."""

    def __init__(self, db: AnyDatabase, month: str) -> None:
        folder = archive_folder(db)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / archive_file_name(month)
        self.db = db
        conn = open_archive_file(self.path)  # create it in WAL mode, with its tables
        try:
            conn.execute("PRAGMA journal_mode = wal")
            for sql in (_record_ddl("call_record", True) + _rating_ddl("rating", True)
                        + _index_ddl("call_record", "rating", "arc")):
                conn.execute(sql)
        finally:
            conn.close()

    def __enter__(self) -> _Attached:
        if self.db.in_transaction():
            raise StoreError("archive: cannot move records inside another transaction")
        self.db.execute_sql("ATTACH DATABASE ? AS arc", (str(self.path),))
        self.db.execute_sql("PRAGMA arc.synchronous = FULL")
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.execute_sql("DETACH DATABASE arc")


def copy_month(db: AnyDatabase, month: str, cut: datetime) -> int:
    """Step 1 (SQLite): copy the month's records before ``cut`` and their ratings into its
    archive file, invisible until ``commit_month``; returns the batch number used."""
    batch = _committed_batch(db, month) + 1
    columns = ", ".join(RECORD_COLUMNS)
    rating_columns = ", ".join(RATING_COLUMNS)
    with _Attached(db, month), db.atomic("DEFERRED"):  # writes only arc: atomic on that file
        db.execute_sql(
            f"INSERT INTO arc.call_record ({columns}, archive_batch) "
            f"SELECT {columns}, ? FROM main.call_record WHERE month = ? AND start < ? "
            "ON CONFLICT (id) DO UPDATE SET cost_fen = excluded.cost_fen, "
            "service_type = excluded.service_type, unknown = excluded.unknown",
            (batch, month, cut.isoformat(" ")))
        db.execute_sql(
            f"INSERT INTO arc.rating ({rating_columns}) SELECT {rating_columns} "
            "FROM main.rating WHERE record_id IN (SELECT id FROM main.call_record "
            "WHERE month = ? AND start < ?) ON CONFLICT (id) DO NOTHING",
            (month, cut.isoformat(" ")))
    return batch


def commit_month(db: AnyDatabase, month: str, batch: int) -> MoveResult | None:
    """Step 2 (SQLite): in one main-store transaction, delete the records and ratings that are
    in the archive and make the archive rows up to ``batch`` visible. None (nothing changed)
    when a copied record was re-rated since step 1."""
    with _Attached(db, month), db.atomic("IMMEDIATE"):
        stale = db.execute_sql(
            "SELECT (SELECT COUNT(*) FROM main.rating r WHERE r.record_id IN "
            "(SELECT id FROM arc.call_record) AND r.id NOT IN (SELECT id FROM arc.rating)) + "
            "(SELECT COUNT(*) FROM main.call_record m JOIN arc.call_record a ON a.id = m.id "
            "WHERE m.cost_fen <> a.cost_fen OR m.unknown <> a.unknown "
            "OR m.service_type IS NOT a.service_type)").fetchone()[0]
        if stale:
            return None
        _check_same(db, month, "arc.call_record", "main.call_record")
        db.execute_sql("DELETE FROM main.rating WHERE record_id IN "
                       "(SELECT id FROM arc.call_record)")
        moved = db.execute_sql("DELETE FROM main.call_record WHERE id IN "
                               "(SELECT id FROM arc.call_record)").rowcount
        archived = int(db.execute_sql("SELECT COUNT(*) FROM arc.call_record").fetchone()[0])
        ranges = db.execute_sql("SELECT pbx_id, MIN(sequence), MAX(sequence) FROM "
                                "arc.call_record GROUP BY pbx_id").fetchall()
        _catalog(db, month, archive_file_name(month), batch, archived=archived,
                 ranges=ranges)
    return MoveResult(month, max(0, int(moved)), archived)


def _catalog(db: AnyDatabase, month: str, location: str, batch: int, *, archived: int,
             ranges: Sequence[Sequence[Any]]) -> None:
    from callcenter.server.store.models import utc_now  # noqa: PLC0415 - keep imports light

    p = db.param
    db.execute_sql(
        f"INSERT INTO archive_month (month, location, committed_batch, records, updated_at) "
        f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (month) DO UPDATE SET "
        "location = excluded.location, committed_batch = excluded.committed_batch, "
        "records = excluded.records, updated_at = excluded.updated_at",
        (month, location, batch, archived, utc_now().isoformat(" ") if is_sqlite(db)
         else utc_now()))
    for pbx, low, high in ranges:
        db.execute_sql(
            f"INSERT INTO archive_range (month, pbx_id, min_sequence, max_sequence) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (month, pbx_id) DO UPDATE SET "
            "min_sequence = excluded.min_sequence, max_sequence = excluded.max_sequence",
            (month, str(pbx), int(low), int(high)))


def _check_same(db: AnyDatabase, month: str, archived: str, live: str) -> None:
    """StoreError (and so a rollback) if the archive holds a *different* record under an id
    that is also live: deleting by id would then lose the live one."""
    clash = db.execute_sql(f"SELECT MIN(a.id) FROM {archived} a JOIN {live} m ON m.id = a.id "
                           "WHERE m.hash <> a.hash").fetchone()[0]
    if clash is not None:
        raise StoreError(f"archive of {month}: record id {clash} there differs from the live "
                         "record with that id; nothing was moved (is the archive from another "
                         "store?)")


# ---------------------------------------------------------------------- PostgreSQL


def _move_pg(db: AnyDatabase, month: str, cut: datetime) -> MoveResult:
    records, ratings = pg_tables(month)
    name = "arc_" + month.replace("-", "_")
    columns = ", ".join(RECORD_COLUMNS)
    rating_columns = ", ".join(RATING_COLUMNS)
    with write_transaction(db):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (PG_ARCHIVE_LOCK,))
        db.execute_sql("CREATE SCHEMA IF NOT EXISTS archive")
        for sql in (_record_ddl(records, False) + _rating_ddl(ratings, False)
                    + _index_ddl(records, ratings, name)):
            db.execute_sql(sql)
        batch = _committed_batch(db, month) + 1
        db.execute_sql(
            f"INSERT INTO {records} ({columns}, archive_batch) SELECT {columns}, %s "
            "FROM call_record WHERE month = %s AND start < %s ON CONFLICT (id) DO NOTHING",
            (batch, month, cut))
        db.execute_sql(
            f"INSERT INTO {ratings} ({rating_columns}) SELECT {rating_columns} FROM rating "
            "WHERE record_id IN (SELECT id FROM call_record WHERE month = %s AND start < %s) "
            "ON CONFLICT (id) DO NOTHING", (month, cut))
        _check_same(db, month, records, "call_record")
        db.execute_sql(f"DELETE FROM rating WHERE id IN (SELECT id FROM {ratings}) AND "
                       "record_id IN (SELECT id FROM call_record WHERE month = %s)", (month,))
        moved = db.execute_sql(f"DELETE FROM call_record WHERE month = %s AND id IN "
                               f"(SELECT id FROM {records})", (month,)).rowcount
        archived = int(db.execute_sql(f"SELECT COUNT(*) FROM {records}").fetchone()[0])
        ranges = db.execute_sql(f"SELECT pbx_id, MIN(sequence), MAX(sequence) FROM {records} "
                                "GROUP BY pbx_id").fetchall()
        _catalog(db, month, records, batch, archived=archived, ranges=ranges)
    return MoveResult(month, max(0, int(moved)), archived)


# ---------------------------------------------------------------------- intake support


def archived_raw(db: AnyDatabase, pbx_id: str, sequences: Sequence[int]) -> dict[int, str]:
    """sequence -> raw record of those ``sequences`` of ``pbx_id`` that are in an archive.

    For the intake's duplicate check: ``RecordIntake._stored_raw`` looks in ``call_record``
    only, so a PBX re-sending a record older than the archive cut would store it twice. Call
    inside the intake transaction (it reads the catalog of that snapshot); costs one indexed
    query on ``archive_range`` when no sequence falls in an archived range.
    """
    wanted = sorted(set(sequences))
    if not wanted:
        return {}
    p = db.param
    months = {str(m) for m, low, high in db.execute_sql(
        f"SELECT r.month, r.min_sequence, r.max_sequence FROM archive_range r "
        f"JOIN archive_month m ON m.month = r.month WHERE r.pbx_id = {p} "
        f"AND m.committed_batch > 0 AND r.max_sequence >= {p} AND r.min_sequence <= {p}",
        (pbx_id, wanted[0], wanted[-1])).fetchall()
        if any(int(low) <= s <= int(high) for s in wanted)}
    found: dict[int, str] = {}
    if not months:
        return found
    for source in _archive_sources(db, months):
        for at in range(0, len(wanted), 500):
            chunk = wanted[at:at + 500]
            marks = ", ".join([source.param] * len(chunk))
            for seq, raw in source.query(
                    f"SELECT sequence, raw FROM {source.records} WHERE pbx_id = ? "
                    f"AND sequence IN ({marks}) AND {source.visible}", [pbx_id, *chunk]):
                found.setdefault(int(seq), str(raw))
    return found


def _archive_sources(db: AnyDatabase, months: set[str]) -> Iterator[Source]:
    """Archive sources of ``months`` read *within the caller's transaction* (no snapshot)."""
    p = db.param
    for month in sorted(months):
        rows = db.execute_sql(f"SELECT location, committed_batch FROM archive_month WHERE "
                              f"month = {p}", (month,)).fetchall()
        location, batch = str(rows[0][0]), int(rows[0][1])
        visible = f"archive_batch <= {batch}"
        if not is_sqlite(db):
            records, ratings = pg_tables(month)
            yield Source(month, records, ratings, "%s", False, db.execute_sql, visible, month)
            continue
        path = archive_folder(db) / location
        if not path.is_file():
            raise StoreError(f"archive of {month}: file {path} is missing")
        conn = open_archive_file(path)
        try:
            yield Source(month, "call_record", "rating", "?", True, conn.execute, visible,
                         month)
        finally:
            conn.close()


def filter_archived(db: AnyDatabase, pbx_id: str, records: Sequence[Any]) -> list[Any]:
    """``records`` (CallRecords) without those whose sequence is already archived."""
    archived = archived_raw(db, pbx_id, [int(r.sequence) for r in records])
    return [r for r in records if int(r.sequence) not in archived]


__all__ = ["MoveResult", "archived_raw", "commit_month", "copy_month", "due_months",
           "filter_archived", "move_month", "open_sources", "parse_time", "retention_cut",
           "run_retention"]
