"""Where records are: the live ``call_record`` table and the committed monthly archives.

Theory of operation
-------------------
A query reads from several *sources*: the live tables and each archived month (a SQLite file
``archive/calls-YYYY-MM.db`` beside the store, or the PostgreSQL tables
``archive.call_record_YYYY_MM`` / ``archive.rating_YYYY_MM``). ``open_sources()`` opens them
all inside one read snapshot of the main store; the snapshot of the main store is taken
*first* (by reading the archive catalog), and every archive read is limited to rows whose
``archive_batch`` is at most the month's ``committed_batch`` *as that snapshot saw it*.

An archive move copies rows into the archive with the next batch number, then, in one
transaction of the main store, deletes them from ``call_record`` and raises
``committed_batch`` (see ``archive.py``). So for any row, a reader either sees the catalog
before that commit (the row is in ``call_record``; its archive copy, if already made, has a too
high batch and is invisible) or after it (the row is gone from ``call_record`` and its archive
copy, written before the commit, is visible). Every record is seen exactly once, with no
cross-file transaction.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from callcenter.server.store.db import (
    AnyDatabase,
    StoreError,
    is_sqlite,
    private_file,
    read_snapshot,
)

#: The columns of ``call_record`` (SQL names), in the order archive tables hold them.
RECORD_COLUMNS: Final = (
    "id", "pbx_id", "sequence", "chain_pos", "start", "utc_offset_minutes", "local_start",
    "month", "duration", "port", "extension_number", "trunk", "number", "call_type", "caller",
    "account", "ring_seconds", "raw", "received_at", "prev_hash", "hash", "cost_fen",
    "service_type", "unknown")
RATING_COLUMNS: Final = (
    "id", "record_id", "tariff_version", "cost_fen", "prefix", "description", "service_type",
    "unknown", "holiday", "receipt", "rated_at", "reason")

ARCHIVE_FOLDER: Final = "archive"
PG_SCHEMA: Final = "archive"
_MONTH: Final = re.compile(r"\d{4}-\d{2}")


def check_month(month: str) -> str:
    if not _MONTH.fullmatch(month):
        raise ValueError(f"month {month!r}: must be YYYY-MM")
    return month


def archive_file_name(month: str) -> str:
    return f"calls-{check_month(month)}.db"


def pg_tables(month: str) -> tuple[str, str]:
    """The quoted PostgreSQL (records, ratings) tables of an archived month."""
    suffix = check_month(month).replace("-", "_")
    return f'{PG_SCHEMA}."call_record_{suffix}"', f'{PG_SCHEMA}."rating_{suffix}"'


def archive_folder(db: AnyDatabase) -> Path:
    """SQLite: the folder of the archive files, beside the store file."""
    target = db.obj if hasattr(db, "obj") else db
    return Path(str(target.database)).resolve().parent / ARCHIVE_FOLDER


def open_archive_file(path: Path) -> sqlite3.Connection:
    """A connection to an archive file (autocommit; ``BEGIN`` explicitly). A new file is
    created readable by its owner only, like the store."""
    if path.parent.is_dir():
        with contextlib.suppress(OSError):
            private_file(path)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None,
                           check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


@dataclass
class Source:
    """One place records are read from, with what SQL needs to know about it."""

    name: str  # "live" or the archived month "YYYY-MM"
    records: str  # the records table as SQL
    ratings: str  # the ratings table as SQL
    param: str  # "?" or "%s"
    sqlite: bool
    execute: Callable[[str, Sequence[Any]], Any]  # returns a DB-API cursor
    visible: str = "1=1"  # the condition that hides uncommitted archive copies
    month: str | None = None

    def sql(self, text: str) -> str:
        return text.replace("?", self.param)

    def query(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.execute(self.sql(text), list(params)).fetchall()]


@dataclass
class Sources:
    """The sources of one snapshot: ``live`` first, then the archives by month."""

    items: list[Source]
    missing: list[str] = field(default_factory=list)  # archived months whose file is missing
    #: archived month -> (location, committed batch, record count)
    catalog: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Source]:
        return iter(self.items)


def month_span(start_from: datetime | None, start_before: datetime | None) -> tuple[str, str]:
    """Archive months that can hold records whose UTC start is in the range: the month key is
    the PBX-local start, at most a day away from UTC."""
    lo = "0000-00" if start_from is None else (start_from - timedelta(days=1)).strftime("%Y-%m")
    hi = "9999-99" if start_before is None else (start_before + timedelta(days=1)).strftime(
        "%Y-%m")
    return lo, hi


def _catalog(db: AnyDatabase) -> dict[str, tuple[str, int, int]]:
    cursor = db.execute_sql("SELECT month, location, committed_batch, records FROM archive_month "
                            "WHERE committed_batch > 0 ORDER BY month")
    return {str(m): (str(loc), int(b), int(n)) for m, loc, b, n in cursor.fetchall()}


def _live(db: AnyDatabase) -> Source:
    sqlite = is_sqlite(db)
    return Source("live", "call_record", "rating", "?" if sqlite else "%s", sqlite,
                  db.execute_sql)


@contextlib.contextmanager
def open_sources(db: AnyDatabase, months: tuple[str, str] | None = None, *,
                 strict: bool = True) -> Iterator[Sources]:
    """Every source in one read snapshot (archives limited to ``months`` = (first, last) if
    given). A missing archive file raises StoreError, or with ``strict=False`` is listed in
    ``missing`` and left out."""
    sqlite = is_sqlite(db)
    with read_snapshot(db), contextlib.ExitStack() as stack:
        catalog = _catalog(db)  # the first read: fixes the main snapshot before any archive read
        sources = Sources([_live(db)], catalog=catalog)
        folder = archive_folder(db) if sqlite else None
        for month, (location, batch, _count) in catalog.items():
            if months is not None and not months[0] <= month <= months[1]:
                continue
            visible = f"archive_batch <= {int(batch)}"
            if folder is None:
                records, ratings = pg_tables(month)
                sources.items.append(Source(month, records, ratings, "%s", False,
                                            db.execute_sql, visible, month))
                continue
            path = folder / location
            if not path.is_file():
                if strict:
                    raise StoreError(f"archive of {month}: file {path} is missing (restore it "
                                     "from a backup; records verify lists what is missing)")
                sources.missing.append(month)
                continue
            conn = open_archive_file(path)
            stack.callback(conn.close)
            conn.execute("BEGIN")
            stack.callback(_end, conn)
            sources.items.append(Source(month, "call_record", "rating", "?", True,
                                        conn.execute, visible, month))
        yield sources


def _end(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        conn.execute("COMMIT")


def parse_time(value: Any) -> datetime:
    """A stored naive-UTC time as a datetime (SQLite hands back text)."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
