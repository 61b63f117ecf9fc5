"""Missed calls per extension port, kept by the agent hub for a day (protocol 1.2, C-8).

A missed call is a call that rang a port and that the port never answered; a group ring
answered at another port is missed for the ports that did not answer.  The hub decides
that from its ``ring``/``answer``/``hangup`` events (``hub.desk``) and keeps the result
here, in the store, so that a client that was off, or a hub that restarted, still has it.
Times are naive UTC, as the store keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from callcenter.common.agent.crm import MISSED_HOURS
from callcenter.server.store.db import database, write_transaction
from callcenter.server.store.desk_models import MissedCall
from callcenter.server.store.models import utc_now

KEEP: Final = timedelta(hours=MISSED_HOURS)
#: Missed calls listed per port, at most (a port rung all day long lists its newest).
MAX_LISTED: Final = 500


@dataclass(frozen=True)
class Missed:
    """One missed call of one port."""

    port: str
    call_id: int
    caller: str
    trunk: str
    number: str
    rang_at: datetime  # naive UTC
    ended_at: datetime  # naive UTC


def record_missed(missed: Missed) -> None:
    with write_transaction(database):
        MissedCall.insert(port=missed.port, call_id=missed.call_id, caller=missed.caller,
                          trunk=missed.trunk, number=missed.number, rang_at=missed.rang_at,
                          ended_at=missed.ended_at).execute()


def forget_missed(port: str, call_id: int, since: datetime) -> int:
    """The port answered the call after all (it came back to it): it is not missed there.
    Only rows that ended after ``since`` are considered (call ids repeat over restarts)."""
    with write_transaction(database):
        return int(MissedCall.delete().where(
            (MissedCall.port == port) & (MissedCall.call_id == call_id)
            & (MissedCall.ended_at >= since)).execute())


def missed_calls(port: str, now: datetime | None = None) -> list[Missed]:
    """The port's missed calls of the last 24 h, newest first."""
    since = (now or utc_now()) - KEEP
    rows = (MissedCall.select()
            .where((MissedCall.port == port) & (MissedCall.ended_at >= since))
            .order_by(MissedCall.ended_at.desc(), MissedCall.id.desc()).limit(MAX_LISTED))
    return [Missed(str(r.port), int(r.call_id), str(r.caller), str(r.trunk), str(r.number),
                   r.rang_at, r.ended_at) for r in rows]


def purge_missed(now: datetime | None = None) -> int:
    """Delete the missed calls older than a day; how many."""
    with write_transaction(database):
        return int(MissedCall.delete().where(
            MissedCall.ended_at < (now or utc_now()) - KEEP).execute())
