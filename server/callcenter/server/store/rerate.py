"""Re-rating: rate stored calls again with the current tariff, explicitly and on the record.

The raw records never change (they are hash-chained); a re-rate appends one new
``RatingRow`` per call whose cost or tariff version changes, with the reason
``"re-rate <who> <range>"``, and updates the record's cached current cost in the same
transaction.  A call already charged to a prepaid ledger gets an adjustment entry for the
difference, so balances follow the new costs.  Every re-rate writes an audit entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from callcenter.server.rating import Tariff
from callcenter.server.store import db as store_db
from callcenter.server.store.chain import local_start, record_from_raw
from callcenter.server.store.intake import rate_record
from callcenter.server.store.models import AuditEntry, CallRecordRow, RatingRow, utc_now
from callcenter.server.store.prepaid_models import PrepaidEntry

log = logging.getLogger(__name__)
CHARGE, ADJUSTMENT = "charge", "adjustment"


@dataclass(frozen=True)
class RerateResult:
    examined: int
    changed: int  # calls that got a new rating row
    cost_delta_fen: int  # new total minus old total over the changed calls
    ledger_adjustments: int


#: Calls between two ``step`` calls of ``rerate``.
STEP_EVERY = 200


def rerate(tariff: Tariff, start: datetime, end: datetime, who: str,
           step: Callable[[int, int], None] | None = None) -> RerateResult:
    """Re-rate the calls that started in ``[start, end)`` (aware datetimes) in the main store.

    Calls already moved to monthly archives keep their rating (say so to the user).
    ``step(done, total)`` is called before the first call and every ``STEP_EVERY`` calls,
    inside the transaction: an exception it raises (a cancel) rolls the whole re-rate back.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must carry a time zone")
    if end <= start:
        raise ValueError("the end must be after the start")
    reason = f"re-rate {who} {start.isoformat()}..{end.isoformat()}"
    utc_start, utc_end = (t.astimezone(UTC).replace(tzinfo=None) for t in (start, end))
    examined = changed = delta = adjustments = 0
    now = utc_now()
    with store_db.write_transaction(store_db.database):
        rows = (CallRecordRow.select()
                .where((CallRecordRow.start >= utc_start) & (CallRecordRow.start < utc_end))
                .order_by(CallRecordRow.id))
        total = rows.count() if step is not None else 0
        for row in rows:
            if step is not None and examined % STEP_EVERY == 0:
                step(examined, total)
            examined += 1
            record = record_from_raw(row.raw_json)
            rated = rate_record(tariff, record, local_start(record), row.pbx_id)
            current = (RatingRow.select().where(RatingRow.record == row.id)
                       .order_by(RatingRow.id.desc()).first())
            if (current is not None and current.tariff_version == rated.tariff_version
                    and current.cost_fen == rated.cost_fen):
                continue
            changed += 1
            delta += rated.cost_fen - row.cost_fen
            RatingRow.create(record=row.id, tariff_version=rated.tariff_version,
                             cost_fen=rated.cost_fen, prefix=rated.prefix,
                             description=rated.description, service_type=rated.service_type,
                             unknown=rated.unknown, holiday=rated.holiday,
                             receipt=rated.receipt, rated_at=now, reason=reason)
            adjustments += _adjust_ledger(row, rated.cost_fen, who, now)
            CallRecordRow.update(cost_fen=rated.cost_fen, service_type=rated.service_type,
                                 unknown=rated.unknown).where(
                CallRecordRow.id == row.id).execute()
        AuditEntry.create(who=who, what="rerate",
                          key=f"{start.isoformat()}..{end.isoformat()}", old=None,
                          new=f"tariff {tariff.version}: {changed} of {examined} calls "
                              f"changed, total {delta:+d} fen", at=now)
    log.info("%s: %d of %d calls changed (%+d fen)", reason, changed, examined, delta)
    return RerateResult(examined, changed, delta, adjustments)


def _adjust_ledger(row: CallRecordRow, new_fen: int, who: str, now: datetime) -> int:
    """An adjustment of the prepaid account that paid for this call, if any."""
    charge = PrepaidEntry.get_or_none((PrepaidEntry.record_id == row.id)
                                      & (PrepaidEntry.kind == CHARGE))
    if charge is None:
        return 0
    paid = -int(charge.amount_fen)
    already = sum(int(e.amount_fen) for e in PrepaidEntry.select().where(
        (PrepaidEntry.account == charge.account) & (PrepaidEntry.kind == ADJUSTMENT)
        & (PrepaidEntry.note.startswith(f"re-rate of call #{row.id}:"))))
    correction = paid - already - new_fen  # positive: the call became cheaper, money back
    if correction == 0:
        return 0
    PrepaidEntry.create(account=charge.account, kind=ADJUSTMENT, amount_fen=correction,
                        record_id=None, rating_id=None, who=who, at=now,
                        note=f"re-rate of call #{row.id}: now {new_fen} fen")
    return 1
