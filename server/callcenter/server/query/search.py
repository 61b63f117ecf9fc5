"""Record queries over the live table and the archives: sorted pages, keyset pages, streams.

Each source (see ``sources.py``) answers the same SQL; results are merged in Python in the
requested order (``heapq.merge``), so a query spanning archives needs no cross-database join.
Text columns sort by code point on both databases (PostgreSQL: ``COLLATE "C"``), a missing
service type sorts as -1, and ties are broken by the record id, so the merged order is total
and the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final, cast

from callcenter.server.query.filters import SORT_COLUMNS, TEXT_COLUMNS, FilterError, Filters
from callcenter.server.store.db import AnyDatabase
from callcenter.server.store.models import from_fen
from callcenter.server.store.sources import Source, month_span, open_sources, parse_time

PAGE: Final = 5000
_VIEW: Final = ("id", "pbx_id", "sequence", "start", "utc_offset_minutes", "duration", "port",
                "extension_number", "trunk", "number", "call_type", "caller", "account",
                "cost_fen", "service_type", "unknown")
_START: Final = _VIEW.index("start")
_ID: Final = 0


@dataclass(frozen=True)
class RecordView:
    """One call record as queries, exports and the console show it."""

    id: int
    pbx: str
    seq: int
    start: datetime  # aware, in the PBX's own offset (the local time it printed)
    port: str
    extension: str
    trunk: str
    number: str
    duration: int
    cost: Decimal
    call_type: str
    caller: str
    account: str
    service_type: int | None
    description: str
    unknown: bool
    source: str  # "live" or the archived month
    tariff_version: str = ""  # of the current (newest) rating; "" if the record has none
    receipt: str = ""  # the current rating's receipt, e.g. "180 s 0.22 + 2 x 60 s 0.11 = 0.44"


@dataclass(frozen=True)
class Page:
    rows: list[RecordView]
    next_after: tuple[datetime, int] | None  # pass as ``after`` for the next page; None: last


def _sort_expr(column: str, source: Source) -> str:
    if column == "service_type":
        return "COALESCE(service_type, -1)"
    if column in TEXT_COLUMNS and not source.sqlite:
        return f'{column} COLLATE "C"'
    return column


def _sort_key(column: str) -> Any:
    at = _VIEW.index(column)
    if column == "service_type":
        return lambda row: (-1 if row[at] is None else row[at], row[_ID])
    if column == "start":
        return lambda row: (parse_time(row[at]), row[_ID])
    if column == "unknown":
        return lambda row: (bool(row[at]), row[_ID])
    return lambda row: (row[at], row[_ID])


def _select(source: Source, filters: Filters, extra: str = "", extra_params: Sequence[Any] = (),
            *, order: str = "", limit: int | None = None) -> tuple[str, list[Any]]:
    where, params = filters.where(source.param, source.sqlite)
    sql = (f"SELECT {', '.join(_VIEW)} FROM {source.records} WHERE {where} "
           f"AND {source.visible}{extra}")
    params += list(extra_params)
    if order:
        sql += f" ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def _sort_column(sort: str) -> str:
    column = SORT_COLUMNS.get(sort)
    if column is None:
        raise FilterError("sort", f"{sort!r}: allowed: " + ", ".join(SORT_COLUMNS))
    return column


def _views(source: Source, rows: list[tuple[Any, ...]]) -> list[RecordView]:
    """Rows of ``_VIEW`` from ``source`` as RecordViews, with their current rating's
    description, tariff version and receipt."""
    ratings: dict[int, tuple[str, str, str]] = {}
    ids = [int(r[_ID]) for r in rows]
    for at in range(0, len(ids), 500):
        chunk = ids[at:at + 500]
        marks = ", ".join([source.param] * len(chunk))
        cursor = source.execute(
            f"SELECT record_id, description, tariff_version, receipt FROM {source.ratings} "
            f"WHERE record_id IN ({marks}) ORDER BY id", chunk)
        # In id order, so the newest rating of a record (its current one) is kept.
        ratings.update((int(rid), (str(text), str(version), str(receipt)))
                       for rid, text, version, receipt in cursor.fetchall())
    out = []
    for (rid, pbx, seq, start, offset, duration, port, ext, trunk, number, call_type, caller,
         account, cost_fen, service_type, unknown) in rows:
        zone = timezone(timedelta(minutes=int(offset)))
        local = parse_time(start).replace(tzinfo=UTC).astimezone(zone)
        description, version, receipt = ratings.get(int(rid), ("", "", ""))
        out.append(RecordView(int(rid), str(pbx), int(seq), local, str(port), str(ext),
                              str(trunk), str(number), int(duration), from_fen(int(cost_fen)),
                              str(call_type), str(caller), str(account),
                              None if service_type is None else int(service_type),
                              description, bool(unknown), source.name, version, receipt))
    return out


def _merge_views(per_source: list[tuple[Source, list[tuple[Any, ...]]]], key: Any,
                 desc: bool, skip: int, take: int | None) -> list[RecordView]:
    tagged = [[(*row, index) for row in rows] for index, (_s, rows) in enumerate(per_source)]
    merged = list(heapq.merge(*tagged, key=key, reverse=desc))
    chosen = merged[skip:] if take is None else merged[skip:skip + take]
    by_source: dict[int, list[tuple[Any, ...]]] = {}
    for row in chosen:
        by_source.setdefault(row[-1], []).append(row[:-1])
    views = {v.id: v for index, rows in by_source.items()
             for v in _views(per_source[index][0], rows)}
    return [views[int(row[_ID])] for row in chosen]


def search(db: AnyDatabase, filters: Filters, *, sort: str = "start", desc: bool = False,
           limit: int = 50, offset: int = 0) -> list[RecordView]:
    """One page of matching records sorted by ``sort`` (a key of SORT_COLUMNS), archives
    included. For deep paging in start order ``search_after`` is faster."""
    column = _sort_column(sort)
    if limit < 0 or offset < 0:
        raise FilterError("limit" if limit < 0 else "offset", "must be 0 or more")
    direction = " DESC" if desc else ""
    with open_sources(db, month_span(*filters.start_range_utc())) as sources:
        per_source = []
        for source in sources:
            order = f"{_sort_expr(column, source)}{direction}, id{direction}"
            sql, params = _select(source, filters, order=order, limit=offset + limit)
            per_source.append((source, source.query(sql, params)))
        return _merge_views(per_source, _sort_key(column), desc, offset, limit)


def search_after(db: AnyDatabase, filters: Filters, after: tuple[datetime, int] | None = None,
                 *, limit: int = 50, desc: bool = False) -> Page:
    """A keyset page in (start, id) order: the ``limit`` records after ``after`` (a
    ``Page.next_after``; naive UTC start and record id). Cost does not grow with depth."""
    with open_sources(db, month_span(*filters.start_range_utc())) as sources:
        per_source = []
        for source in sources:
            rows = _keyset_page(source, filters, after, limit, desc)
            per_source.append((source, rows))
        views = _merge_views(per_source, _sort_key("start"), desc, 0, limit)
    last = None
    if len(views) == limit and views:
        tail = views[-1]
        last = (tail.start.astimezone(UTC).replace(tzinfo=None), tail.id)
    return Page(views, last)


def _keyset_page(source: Source, filters: Filters, after: tuple[datetime, int] | None,
                 limit: int, desc: bool) -> list[tuple[Any, ...]]:
    extra, params = "", cast(tuple[Any, ...], ())
    if after is not None:
        op = "<" if desc else ">"
        when = after[0].isoformat(" ") if source.sqlite else after[0]
        extra = f" AND (start {op} ? OR (start = ? AND id {op} ?))".replace("?", source.param)
        params = (when, when, int(after[1]))
    direction = " DESC" if desc else ""
    sql, values = _select(source, filters, extra, params,
                          order=f"start{direction}, id{direction}", limit=limit)
    return source.query(sql, values)


def _stream(source: Source, filters: Filters, page: int) -> Iterator[tuple[Any, ...]]:
    after: tuple[datetime, int] | None = None
    while True:
        rows = _keyset_page(source, filters, after, page, False)
        yield from ((*row, source) for row in rows)
        if len(rows) < page:
            return
        after = (parse_time(rows[-1][_START]), int(rows[-1][_ID]))


def iter_records(db: AnyDatabase, filters: Filters, *, page: int = PAGE) -> Iterator[RecordView]:
    """Every matching record in (start, id) order, archives included, a page at a time from
    each source within one snapshot: memory stays bounded for any number of records."""
    with open_sources(db, month_span(*filters.start_range_utc())) as sources:
        streams = [_stream(source, filters, page) for source in sources]
        key = _sort_key("start")
        batch: list[tuple[Any, ...]] = []
        for row in heapq.merge(*streams, key=key):
            batch.append(row)
            if len(batch) >= 500:
                yield from _batch_views(batch)
                batch = []
        yield from _batch_views(batch)


def _batch_views(batch: list[tuple[Any, ...]]) -> Iterable[RecordView]:
    groups: dict[int, tuple[Source, list[tuple[Any, ...]]]] = {}
    for row in batch:
        source = row[-1]
        groups.setdefault(id(source), (source, []))[1].append(row[:-1])
    views = {v.id: v for source, rows in groups.values() for v in _views(source, rows)}
    return [views[int(row[_ID])] for row in batch]


def count_records(db: AnyDatabase, filters: Filters) -> int:
    """How many records match, archives included."""
    total = 0
    with open_sources(db, month_span(*filters.start_range_utc())) as sources:
        for source in sources:
            where, params = filters.where(source.param, source.sqlite)
            total += int(source.query(f"SELECT COUNT(*) FROM {source.records} WHERE {where} "
                                      f"AND {source.visible}", params)[0][0])
    return total
