"""``records verify`` over the live table *and* the archives (B-4).

Each PBX's chain is walked in ``chain_pos`` order with rows merged from every source (archived
records sit wherever their month put them; late records make the order interleave), through
the store's own ``check_chain``. Each source's cost caches are checked against its newest
ratings, and each archived month against the catalog: a missing archive file, or a record
count that differs from what the move committed, is reported too.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from callcenter.server.store.db import AnyDatabase
from callcenter.server.store.sources import RECORD_COLUMNS, Source, open_sources, parse_time
from callcenter.server.store.verify import Problem, check_chain

_PAGE: Final = 5000


@dataclass(frozen=True)
class _Row:
    """A stored record with the attributes ``check_chain`` reads (model attribute names)."""

    id: int
    pbx_id: str
    sequence: int
    chain_pos: int
    start: datetime
    utc_offset_minutes: int
    local_start: str
    month: str
    duration: int
    port: str
    extension_number: str
    trunk: str
    number: str
    call_type: str
    caller: str
    account: str
    ring_seconds: int
    raw_json: str
    prev_hash: str
    hash: str


_COLUMNS: Final = tuple(c for c in RECORD_COLUMNS if c not in
                        ("received_at", "cost_fen", "service_type", "unknown"))


def _row(values: tuple[Any, ...]) -> _Row:
    data = dict(zip(_COLUMNS, values, strict=True))
    data["raw_json"] = data.pop("raw")
    data["start"] = parse_time(data["start"])
    for name in ("id", "sequence", "chain_pos", "utc_offset_minutes", "duration",
                 "ring_seconds"):
        data[name] = int(data[name])
    return _Row(**data)


def _chain_rows(source: Source, pbx_id: str) -> Iterator[_Row]:
    after = 0
    while True:
        rows = source.query(f"SELECT {', '.join(_COLUMNS)} FROM {source.records} "
                            f"WHERE pbx_id = ? AND chain_pos > ? AND {source.visible} "
                            f"ORDER BY chain_pos LIMIT {_PAGE}", (pbx_id, after))
        yield from (_row(r) for r in rows)
        if len(rows) < _PAGE:
            return
        after = int(rows[-1][_COLUMNS.index("chain_pos")])


def _rating_problems(source: Source) -> list[Problem]:
    rows = source.query(
        f"SELECT c.pbx_id, c.id, c.sequence, c.cost_fen, r.cost_fen FROM {source.records} c "
        f"LEFT JOIN (SELECT record_id, MAX(id) AS last FROM {source.ratings} GROUP BY record_id)"
        f" l ON l.record_id = c.id LEFT JOIN {source.ratings} r ON r.id = l.last "
        f"WHERE {source.visible.replace('archive_batch', 'c.archive_batch')} AND (r.id IS NULL "
        "OR r.cost_fen <> c.cost_fen OR r.unknown <> c.unknown) ORDER BY c.pbx_id, c.chain_pos")
    where = "" if source.name == "live" else f" (archive {source.name})"
    problems = []
    for pbx, record_id, sequence, cached, rated in rows:
        what = ("has no rating" if rated is None else
                f"shows cost {cached} fen but its newest rating says {rated} fen")
        problems.append(Problem("rating", str(pbx), int(record_id), int(sequence),
                                f"PBX {pbx} record {sequence}{where}: {what}"))
    return problems


def verify_records(db: AnyDatabase, pbx_id: str | None = None,
                   progress: Callable[[int], None] | None = None) -> tuple[int, list[Problem]]:
    """(records checked, problems) over the live table and every archive; safe while the
    service runs (one snapshot)."""
    problems: list[Problem] = []
    checked = 0
    with open_sources(db, strict=False) as sources:
        for month in sources.missing:
            problems.append(Problem("archive", "", None, None,
                                    f"archive of {month}: its file is missing "
                                    f"({sources.catalog[month][2]} records)"))
        pbx_ids: set[str] = set()
        for source in sources:
            pbx_ids |= {str(p) for (p,) in source.query(
                f"SELECT DISTINCT pbx_id FROM {source.records} WHERE {source.visible}")}
            if source.month is not None:
                count = int(source.query(f"SELECT COUNT(*) FROM {source.records} "
                                         f"WHERE {source.visible}")[0][0])
                expected = sources.catalog[source.month][2]
                if count != expected:
                    problems.append(Problem(
                        "archive", "", None, None,
                        f"archive of {source.month}: holds {count} records, the move "
                        f"committed {expected}: records were removed or added"))
        live = sources.items[0]
        heads = {str(p): (str(h), int(n)) for p, h, n in live.query(
            "SELECT pbx_id, last_hash, records FROM chain_head")}
        pbx_ids |= set(heads)
        if pbx_id is not None:
            pbx_ids &= {pbx_id}
        for pbx in sorted(pbx_ids):
            streams = [_chain_rows(source, pbx) for source in sources]
            merged = heapq.merge(*streams, key=lambda r: (r.chain_pos, r.id))
            counter = _Counter(merged)
            problems += check_chain(pbx, counter, heads.get(pbx), progress)
            checked += counter.count
        for source in sources:
            problems += [p for p in _rating_problems(source)
                         if pbx_id is None or p.pbx_id == pbx_id]
    return checked, problems


class _Counter:
    def __init__(self, rows: Iterator[_Row]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[_Row]:
        for row in self.rows:
            self.count += 1
            yield row
