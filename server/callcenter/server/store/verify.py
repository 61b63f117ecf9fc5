"""Checking the record hash chain: edited, removed or inserted records (B-4).

``verify_chain`` walks each PBX's chain in chain order (``chain_pos``: the order intake stored
the records in) and, for every record,

- recomputes ``sha256(prev_hash + raw)`` and compares it with the stored ``hash``: a raw record
  edited after it was stored shows here (``edited``);
- compares ``prev_hash`` with the stored hash of the record before it, and ``chain_pos`` with
  the position after it: a record removed or inserted before this one shows here
  (``broken_link``). The walk then carries on from the stored hash, so one tampered record
  gives one problem, not one for every record after it;
- re-derives the call columns (number, duration, port, ...) from the raw record: a column
  edited behind the raw record's back shows here (``edited``);

then compares the end of the chain with the chain head (``head``: the last records were
removed, or records were added outside the intake) and each record's cached cost with its
newest rating (``rating``). The chain is only as strong as its head: someone who rewrites every
hash *and* the head is caught only by an outside copy of the head (print or export the head hash
now and then); everyone else is caught.

``check_chain`` takes the rows from any iterable in chain order, so the archives can feed the
same check with their rows before the live table's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from callcenter.server.store.chain import (
    derived_columns,
    genesis_hash,
    link_hash,
    record_from_raw,
)
from callcenter.server.store.db import AnyDatabase, read_snapshot
from callcenter.server.store.models import CallRecordRow, ChainHead

_PAGE: Final = 5000
_COLUMNS: Final = ("sequence", "start", "utc_offset_minutes", "local_start", "month", "duration",
                   "port", "extension_number", "trunk", "number", "call_type", "caller",
                   "account", "ring_seconds")


@dataclass(frozen=True)
class Problem:
    """One finding of ``verify_chain``; ``str()`` is the sentence to show."""

    kind: str  # edited / broken_link / head / rating
    pbx_id: str
    record_id: int | None
    sequence: int | None
    text: str

    def __str__(self) -> str:
        return self.text


def _rows(pbx_id: str) -> Iterator[CallRecordRow]:
    """A PBX's records in chain order, a page at a time (a whole store need not fit memory)."""
    after = 0
    while True:
        page = list(CallRecordRow.select()
                    .where((CallRecordRow.pbx_id == pbx_id) & (CallRecordRow.chain_pos > after))
                    .order_by(CallRecordRow.chain_pos).limit(_PAGE))
        yield from page
        if len(page) < _PAGE:
            return
        after = int(page[-1].chain_pos)


def _column_problem(row: Any) -> str | None:
    try:
        expected = derived_columns(record_from_raw(str(row.raw_json)))
    except ValueError as exc:
        return f"its raw record no longer parses ({exc})"
    if expected["start"] is None:  # an impossible PBX date: intake stored the time of receipt
        expected["start"] = row.start
    differ = [name for name in _COLUMNS if getattr(row, name) != expected[name]]
    if differ:
        return "column(s) " + ", ".join(differ) + " no longer match the raw record"
    return None


def check_chain(pbx_id: str, rows: Iterable[Any], head: tuple[str, int] | None,
                progress: Callable[[int], None] | None = None) -> list[Problem]:
    """Check one PBX's chain: ``rows`` in chain order, ``head`` = (last hash, record count)."""
    problems: list[Problem] = []
    prev = genesis_hash(pbx_id)
    position = 0
    count = 0
    for row in rows:
        count += 1
        where = f"PBX {pbx_id} record {row.sequence} (chain position {row.chain_pos})"

        def report(kind: str, text: str, row: Any = row) -> None:
            problems.append(Problem(kind, pbx_id, int(row.id), int(row.sequence), text))

        if row.prev_hash != prev:
            report("broken_link", f"{where}: does not follow the record before it: a record "
                   "was removed or inserted before it, or this one was moved")
        elif row.chain_pos != position + 1:
            report("broken_link", f"{where}: follows chain position {position}: "
                   f"{row.chain_pos - position - 1} record(s) missing before it")
        if link_hash(str(row.prev_hash), str(row.raw_json)) != row.hash:
            report("edited", f"{where}: the raw record was changed after it was stored")
        else:
            text = _column_problem(row)
            if text is not None:
                report("edited", f"{where}: {text}")
        prev = str(row.hash)
        position = int(row.chain_pos)
        if progress is not None and count % 1000 == 0:
            progress(count)
    if head is None:
        if count:
            problems.append(Problem("head", pbx_id, None, None,
                                    f"PBX {pbx_id}: {count} records but no chain head"))
    elif head != (prev, position):
        problems.append(Problem(
            "head", pbx_id, None, None,
            f"PBX {pbx_id}: the chain ends at position {position} but its head says "
            f"{head[1]}: the last record(s) were removed, or records were added or changed "
            "outside the intake"))
    return problems


def _rating_problems(database: AnyDatabase, pbx_id: str) -> list[Problem]:
    p = database.param
    cursor = database.execute_sql(
        "SELECT c.id, c.sequence, c.cost_fen, r.cost_fen FROM call_record c "
        "LEFT JOIN (SELECT record_id, MAX(id) AS last FROM rating GROUP BY record_id) l "
        "ON l.record_id = c.id LEFT JOIN rating r ON r.id = l.last "
        f"WHERE c.pbx_id = {p} AND (r.id IS NULL OR r.cost_fen <> c.cost_fen "
        "OR r.unknown <> c.unknown) ORDER BY c.chain_pos", (pbx_id,))
    problems = []
    for record_id, sequence, cached, rated in cursor.fetchall():
        what = ("has no rating" if rated is None else
                f"shows cost {cached} fen but its newest rating says {rated} fen")
        problems.append(Problem("rating", pbx_id, int(record_id), int(sequence),
                                f"PBX {pbx_id} record {sequence}: {what}"))
    return problems


def verify_chain(database: AnyDatabase, pbx_id: str | None = None,
                 progress: Callable[[int], None] | None = None) -> list[Problem]:
    """Every problem in the stored records of ``pbx_id`` (all PBXs when None); [] if none.

    Reads one consistent snapshot, so it is safe while the service is storing records.
    """
    problems: list[Problem] = []
    with read_snapshot(database):
        if pbx_id is None:
            ids = {str(r.pbx_id) for r in ChainHead.select(ChainHead.pbx_id)}
            ids |= {str(r.pbx_id) for r in CallRecordRow.select(CallRecordRow.pbx_id).distinct()}
            pbx_ids = sorted(ids)
        else:
            pbx_ids = [pbx_id]
        for pbx in pbx_ids:
            row = ChainHead.get_or_none(ChainHead.pbx_id == pbx)
            head = None if row is None else (str(row.last_hash), int(row.records))
            problems += check_chain(pbx, _rows(pbx), head, progress)
            problems += _rating_problems(database, pbx)
    return problems
