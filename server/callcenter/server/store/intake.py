"""Call-record intake: dedup, hash-chain, rate and commit a batch in one transaction (B-7).

Theory of operation
-------------------
The link hands each batch of call records to ``RecordIntake.store()`` and acknowledges them to
the PBX only after it returns; ``store()`` returns only after the batch's transaction has been
committed (on SQLite with ``synchronous=full``, so it is on disk). A crash at any moment
therefore loses nothing: an uncommitted batch was not acknowledged, so the PBX sends it again.

Inside the one transaction, for the whole batch:

1. Drop records whose (PBX, sequence) is already stored or already earlier in the batch: a
   retransmission is stored once. A record whose sequence is stored with *other* contents is
   not a retransmission: the PBX's sequence never repeats, so this is another PBX, or one
   whose record memory was reset, numbering its calls again. Dropping it would lose a call
   the PBX is told was stored, so intake starts a new *generation* of the PBX name instead
   (``main`` -> ``main-2``, saved as the ``pbx.id`` setting in the same transaction, with a
   ``pbx_replaced`` alert) and stores the batch under it, in a chain of its own. (Two copies of
   one sequence with different contents in the same batch: the first is kept, alerted as
   ``sequence_conflict``.)
2. Compare the new sequences with the highest one seen so far: a jump is a gap, logged and kept
   as an ``sequence_gap`` alert with the missing range. A new sequence *below* the highest is a
   late arrival filling a gap; when a gap is completely filled its alert is resolved.
3. Append each new record to the PBX's hash chain (see ``chain.py``) and rate it with the
   current tariff. Only answered outgoing calls cost anything; a number no tariff row matches
   is stored at cost 0, flagged ``unknown`` and alerted; a rating that fails (a bug) is stored
   the same way rather than blocking the intake.
4. Insert the records, their ratings, the alerts, and move the chain head; commit.

SQLite's ``BEGIN IMMEDIATE`` (PostgreSQL: an advisory lock per PBX) makes concurrent intakes for
one PBX take turns, so the chain cannot fork. A backlog of thousands of records is one
transaction too; the SQL statements are chunked to stay under the databases' parameter limits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import operator
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from peewee import BigIntegerField, CharField, IntegerField, TextField

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.rating import Rating, Tariff
from callcenter.server.store import db as store_db
from callcenter.server.store.archive import archived_raw
from callcenter.server.store.chain import (
    canonical_raw,
    derived_columns,
    genesis_hash,
    link_hash,
    local_start,
)
from callcenter.server.store.models import (
    Alert,
    CallRecordRow,
    ChainHead,
    MalformedRecord,
    RatingRow,
    to_fen,
    utc_now,
)
from callcenter.server.store.settings import set_setting

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Field types whose values go to the database as they are in ``_bulk_insert``.
_PLAIN_FIELDS: Final = frozenset({CharField, TextField, IntegerField, BigIntegerField})

#: SQLite before 3.32 allows 999 parameters per statement; later versions 32766.
_MAX_PARAMS = 900 if sqlite3.sqlite_version_info < (3, 32, 0) else 30_000


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for at in range(0, len(items), size):
        yield items[at:at + size]


def _advisory_key(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


@dataclass
class IntakeResult:
    """What one ``store()`` call did (for logs, the console and tests)."""

    stored: int = 0
    duplicates: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)
    unknown: int = 0
    #: sequence -> cost in fen (None: not rated) of each record stored by this call.
    costs: dict[int, int | None] = field(default_factory=dict)
    #: (id, kind, text) of each alert this call raised, for the console's alert events.
    alerts: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class _Batch:
    """What one ``store()`` call collects on its way: the alerts to insert and the result."""

    pbx_id: str
    now: datetime
    result: IntakeResult
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def alert(self, kind: str, text: str, **detail: Any) -> None:
        self.alerts.append({"kind": kind, "pbx_id": self.pbx_id, "text": f"PBX {self.pbx_id} "
                            + text, "detail": json.dumps(detail, sort_keys=True),
                            "created_at": self.now})


@dataclass(frozen=True)
class StoredCall:
    """A record ``store()`` has just inserted, as the ``after_insert`` hook sees it."""

    record_id: int
    record: CallRecord
    cost_fen: int
    service_type: int | None
    unknown: bool


@dataclass(frozen=True)
class Rated:
    cost_fen: int
    prefix: str
    description: str
    service_type: int | None
    unknown: bool
    holiday: bool
    receipt: str
    tariff_version: str
    error: str = ""


def rate_record(tariff: Tariff, record: CallRecord, local: datetime | None,
                pbx_id: str = "") -> Rated:
    """Rate one record as intake does (and re-rating does): never raises."""
    try:
        rating: Rating = tariff.rate(record.number, record.duration, start=local,
                                     call_type=record.call_type,
                                     answered=record.duration > 0)
        row = rating.row
        return Rated(
            cost_fen=0 if rating.unknown else to_fen(rating.cost),
            prefix="" if row is None else row.prefix,
            description="" if row is None else row.description,
            service_type=None if row is None else row.service_type,
            unknown=rating.unknown, holiday=rating.holiday, receipt=rating.receipt(),
            tariff_version=rating.tariff_version)
    except Exception as exc:  # a rating bug must never stop records being stored
        log.exception("PBX %s record %d: rating failed", pbx_id, record.sequence)
        error = f"rating failed: {type(exc).__name__}: {exc}"
        return Rated(0, "", "", None, True, False, error,
                      getattr(tariff, "version", ""), error)


class RecordIntake:
    """The call-record sink of one PBX: ``store(records)`` returns after a durable commit."""

    def __init__(self, database: store_db.AnyDatabase, pbx_id: str,
                 tariff: Callable[[], Tariff],
                 after_insert: Callable[[list[StoredCall]], object] | None = None) -> None:
        """``after_insert`` runs inside the batch's transaction after its new records and
        ratings were inserted (prepaid charges, the hotel queue); if it raises, the whole batch
        is rolled back and ``store()`` raises, so the PBX sends the records again."""
        proxy = store_db.database
        if database is not proxy and database is not proxy.obj:
            raise ValueError("RecordIntake: database must be the opened store (open_store())")
        if not pbx_id:
            raise ValueError("RecordIntake: pbx_id must not be empty")
        self.database = database
        self.pbx_id = pbx_id
        self.tariff = tariff
        self.after_insert = after_insert
        self.last = IntakeResult()

    # ------------------------------------------------------------------ public

    def store(self, records: Sequence[CallRecord]) -> None:
        """Store a batch of call records in one transaction; return only after it committed.

        Records already stored (same PBX and sequence) are skipped. Raises the database's error
        when the commit fails, in which case nothing of the batch was stored.
        """
        result = IntakeResult()
        if records:
            tariff = self.tariff()
            with store_db.write_transaction(self.database):
                self._lock_pbx()
                self._store(list(records), tariff, result)
            # Leaving the with-block committed the transaction (or raised).
        self.last = result

    def malformed(self, raw_text: str | bytes, reason: str) -> None:
        """Keep a record the PBX sent that could not be parsed, as received, and alert."""
        if isinstance(raw_text, bytes):
            raw_text = raw_text.decode("utf-8", "backslashreplace")
        raw_text = raw_text.replace("\x00", "\\x00")
        now = utc_now()
        log.warning("PBX %s: malformed call record kept raw: %s", self.pbx_id, reason)
        with store_db.write_transaction(self.database):
            row = MalformedRecord.create(pbx_id=self.pbx_id, raw_text=raw_text, reason=reason,
                                         received_at=now)
            Alert.create(kind="malformed_record", pbx_id=self.pbx_id,
                         text=f"malformed call record from PBX {self.pbx_id}: {reason}",
                         detail=json.dumps({"malformed_id": row.id}), created_at=now)

    # ------------------------------------------------------------------ steps

    def _lock_pbx(self) -> None:
        if not store_db.is_sqlite(self.database):  # SQLite: BEGIN IMMEDIATE already serialises
            self.database.execute_sql("SELECT pg_advisory_xact_lock(%s)",
                                      (_advisory_key("intake " + self.pbx_id),))

    def _store(self, records: list[CallRecord], tariff: Tariff, result: IntakeResult) -> None:
        batch = _Batch(self.pbx_id, utc_now(), result)
        head = ChainHead.get_or_none(ChainHead.pbx_id == self.pbx_id)
        new, conflicts = self._new_records(records, batch, head)
        if conflicts:
            self._new_generation(conflicts, batch)
            head = None  # the new name has no chain yet
            new, _ = self._new_records(records, batch, head)
        high, late = self._find_gaps(new, None if head is None else int(head.max_sequence), batch)
        prev = genesis_hash(self.pbx_id) if head is None else str(head.last_hash)
        position = 0 if head is None else int(head.records)
        rows: list[dict[str, Any]] = []
        ratings: dict[int, Rated] = {}
        unknown: list[tuple[CallRecord, Rated]] = []
        for record, raw in new:
            position += 1
            local = local_start(record)
            columns = derived_columns(record, local)
            if columns["start"] is None:
                columns["start"] = batch.now
                batch.alert("malformed_record", f"record {record.sequence}: start "
                            f"{record.start!r} is not a real date; stored with the time of "
                            "receipt", sequence=record.sequence)
            rated = self._rate(tariff, record, local)
            if rated.unknown and record.call_type == "OUT":
                result.unknown += 1
                unknown.append((record, rated))
            digest = link_hash(prev, raw)
            rows.append({**columns, "pbx_id": self.pbx_id, "chain_pos": position,
                         "raw_json": raw, "received_at": batch.now, "prev_hash": prev,
                         "hash": digest, "cost_fen": rated.cost_fen,
                         "service_type": rated.service_type, "unknown": rated.unknown})
            ratings[record.sequence] = rated
            result.costs[record.sequence] = rated.cost_fen
            prev = digest
        if unknown:
            self._alert_unknown(unknown, batch)
        if rows:
            assert high is not None
            ids = self._write(rows, ratings, batch.now)
            if self.after_insert is not None:
                self.after_insert([StoredCall(ids[record.sequence], record,
                                              ratings[record.sequence].cost_fen,
                                              ratings[record.sequence].service_type,
                                              ratings[record.sequence].unknown)
                                   for record, _ in new])
            values = {"last_hash": prev, "records": position, "max_sequence": high,
                      "updated_at": batch.now}
            if head is None:
                ChainHead.insert(pbx_id=self.pbx_id, **values).execute()
            else:
                ChainHead.update(**values).where(ChainHead.pbx_id == self.pbx_id).execute()
        if late:
            self._resolve_filled_gaps(late, batch.now)
        if batch.alerts:
            alert_ids = self._bulk_insert(Alert, batch.alerts, returning=("id",))
            result.alerts = [(int(row[0]), str(alert["kind"]), str(alert["text"]))
                             for row, alert in zip(alert_ids, batch.alerts, strict=True)]
        result.stored = len(rows)

    def _new_records(self, records: list[CallRecord], batch: _Batch, head: ChainHead | None
                     ) -> tuple[list[tuple[CallRecord, str]], list[int]]:
        """The records of the batch not stored yet, once each, with their canonical raw text;
        and the sequences that are stored with other contents."""
        unique: dict[int, tuple[CallRecord, str]] = {}
        for record in records:
            raw = canonical_raw(record)
            earlier = unique.get(record.sequence)
            if earlier is None:
                unique[record.sequence] = (record, raw)
                continue
            batch.result.duplicates += 1
            if earlier[1] != raw:
                batch.alert("sequence_conflict", f"record {record.sequence} came twice with "
                            "different contents; the first is kept", sequence=record.sequence)
        stored = self._stored_raw(list(unique), head)
        conflicts = sorted(seq for seq, raw in stored.items() if unique[seq][1] != raw)
        if conflicts:
            return [], conflicts
        batch.result.duplicates += len(stored)
        return [pair for sequence, pair in unique.items() if sequence not in stored], []

    @staticmethod
    def _alert_unknown(unknown: list[tuple[CallRecord, Rated]], batch: _Batch) -> None:
        """One ``unknown_number`` alert per batch (a backlog of unknown numbers must not
        bury the console in alerts), naming the first few."""
        shown = ", ".join(f"{r.number!r} (record {r.sequence})" for r, _ in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        errors = sorted({rated.error for _, rated in unknown if rated.error})
        text = (f"{len(unknown)} call(s) with no tariff row, stored at cost 0: {shown}{more}"
                + (f" ({'; '.join(errors[:3])})" if errors else ""))
        batch.alert("unknown_number", text, count=len(unknown),
                    sequences=[r.sequence for r, _ in unknown[:100]],
                    numbers=sorted({r.number for r, _ in unknown})[:100])

    def _new_generation(self, conflicts: list[int], batch: _Batch) -> None:
        """Store this PBX's records under a new name from now on (see the module doc)."""
        old = self.pbx_id
        root = re.sub(r"-[0-9]+$", "", old) or old
        query: Any = ChainHead.select(ChainHead.pbx_id).tuples()
        taken = {str(row[0]) for row in query}
        number = 2
        while f"{root}-{number}" in taken or f"{root}-{number}" == old:
            number += 1
        new = f"{root}-{number}"
        set_setting("pbx.id", new, "intake")
        shown = ", ".join(map(str, conflicts[:5])) + (" ..." if len(conflicts) > 5 else "")
        text = (f"call records {shown} came again with other contents: this is another PBX, "
                f"or its record memory was reset. Its records are kept from now on as PBX "
                f"{new}; the earlier ones stay under {old}")
        log.error("PBX %s: %s", old, text)
        batch.alert("pbx_replaced", text, old=old, new=new, sequences=conflicts[:100])
        self.pbx_id = batch.pbx_id = new
        self._lock_pbx()

    @staticmethod
    def _find_gaps(new: list[tuple[CallRecord, str]], high: int | None,
                   batch: _Batch) -> tuple[int | None, list[int]]:
        """Alert each jump past the highest sequence so far; returns the new highest sequence
        and the late arrivals (new sequences below it)."""
        late: list[int] = []
        for sequence in sorted(record.sequence for record, _ in new):
            if high is None or sequence == high + 1:
                high = sequence
            elif sequence > high + 1:
                first, last = high + 1, sequence - 1
                batch.result.gaps.append((first, last))
                log.warning("PBX %s: call records %d-%d missing (sequence gap)",
                            batch.pbx_id, first, last)
                batch.alert("sequence_gap", f"call records {first}-{last} are missing "
                            f"({last - first + 1} records)", first=first, last=last)
                high = sequence
            else:
                late.append(sequence)
        return high, late

    def _write(self, rows: list[dict[str, Any]], ratings: dict[int, Rated],
               now: datetime) -> dict[int, int]:
        ids = self._insert_records(rows)
        self._insert_many(RatingRow, [
            {"record": ids[sequence], "tariff_version": r.tariff_version, "cost_fen": r.cost_fen,
             "prefix": r.prefix, "description": r.description, "service_type": r.service_type,
             "unknown": r.unknown, "holiday": r.holiday, "receipt": r.receipt, "rated_at": now,
             "reason": "intake"} for sequence, r in ratings.items()])
        return ids

    def _stored_raw(self, sequences: list[int], head: ChainHead | None) -> dict[int, str]:
        """Raw text of those ``sequences`` this PBX has stored (archives included)."""
        found: dict[int, str] = {}
        if not sequences or head is None or min(sequences) > int(head.max_sequence):
            return found  # the usual case: all new, nothing to look up (archives included)
        for chunk in _chunks(sequences, 500):
            query: Any = (CallRecordRow.select(CallRecordRow.sequence, CallRecordRow.raw_json)
                          .where((CallRecordRow.pbx_id == self.pbx_id)
                                 & CallRecordRow.sequence.in_(list(chunk))).tuples())
            found.update((int(seq), str(raw)) for seq, raw in query)
        # A PBX re-sending a record older than the archive cut must not store it again.
        missing = [seq for seq in sequences if seq not in found]
        if missing:
            found.update(archived_raw(self.database, self.pbx_id, missing))
        return found

    def _insert_records(self, rows: list[dict[str, Any]]) -> dict[int, int]:
        """Insert call-record rows; returns sequence -> row id."""
        ids = dict(self._bulk_insert(CallRecordRow, rows, returning=("sequence", "id")))
        if len(ids) != len(rows):
            raise RuntimeError(f"intake: inserted {len(rows)} records but got {len(ids)} ids")
        return ids

    def _insert_many(self, model: Any, rows: list[dict[str, Any]]) -> None:
        self._bulk_insert(model, rows)

    def _bulk_insert(self, model: Any, rows: list[dict[str, Any]],
                     returning: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        """Multi-row INSERT of dicts with the same keys (model field names).

        Written out here rather than with ``Model.insert_many`` because peewee builds a query
        node per value, which cost four times the rest of the intake together; the values go
        through each field's ``db_value`` as peewee would, and stay parameters.
        """
        if not rows:
            return []
        meta = model._meta
        # Model defaults for the fields the rows leave out, as insert_many would apply them.
        defaults = {name: field.default() if callable(field.default) else field.default
                    for name, field in meta.fields.items()
                    if name not in rows[0] and field.default is not None}
        if defaults:
            rows = [{**defaults, **row} for row in rows]
        names = list(rows[0])
        fields = [meta.fields[name] for name in names]
        getter = operator.itemgetter(*names)  # a row's values in column order
        values_of = getter if len(names) > 1 else (lambda row: (getter(row),))
        # Text and integer columns get their values as they are (intake builds them with the
        # right types; peewee's db_value would only coerce again); the others convert.
        converters = [None if type(field) in _PLAIN_FIELDS else field.db_value
                      for field in fields]
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        tail = ""
        if returning:
            tail = " RETURNING " + ", ".join(f'"{meta.fields[n].column_name}"' for n in returning)
        one = "(" + ", ".join([self.database.param] * len(fields)) + ")"
        found: list[tuple[Any, ...]] = []
        for chunk in _chunks(rows, max(1, _MAX_PARAMS // len(fields))):
            sql = (f'INSERT INTO "{meta.table_name}" ({columns}) VALUES '
                   + ", ".join([one] * len(chunk)) + tail)
            params = [value if convert is None else convert(value) for row in chunk
                      for value, convert in zip(values_of(row), converters, strict=True)]
            cursor = self.database.execute_sql(sql, params)
            if returning:
                found.extend(tuple(r) for r in cursor.fetchall())
        return found

    def _rate(self, tariff: Tariff, record: CallRecord, local: datetime | None) -> Rated:
        return rate_record(tariff, record, local, self.pbx_id)

    def _resolve_filled_gaps(self, late: list[int], now: datetime) -> None:
        open_gaps = Alert.select().where((Alert.kind == "sequence_gap")
                                         & (Alert.pbx_id == self.pbx_id)
                                         & (Alert.resolved == False))  # noqa: E712 - SQL
        for gap in open_gaps:
            detail = json.loads(gap.detail)
            first, last = int(detail["first"]), int(detail["last"])
            if not any(first <= s <= last for s in late):
                continue
            present = (CallRecordRow.select()
                       .where((CallRecordRow.pbx_id == self.pbx_id)
                              & CallRecordRow.sequence.between(first, last)).count())
            if present == last - first + 1:
                log.info("PBX %s: late records filled the gap %d-%d", self.pbx_id, first, last)
                Alert.update(resolved=True, resolved_at=now).where(Alert.id == gap.id).execute()

