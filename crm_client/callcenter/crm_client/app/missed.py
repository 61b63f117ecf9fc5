"""Missed calls (C-8 未接来电): the hub's list merged with this PC's call log.

The hub (protocol 1.2 ``missed_calls``) keeps the port's missed calls of the last 24 hours,
also those that rang while this program was off; the local call log has the ones this PC
saw.  ``missed_calls`` merges them (one item per call: the same ``call_id`` within a minute
is one call), newest first, and writes the hub's ones that the log lacks into the call log
(so ``calls export`` has them too).  Without the hub (offline, or a 1.1 hub) the local log
alone answers.  The local part reads the newest 500 entries of the log (a port with more
calls in a day than that lists the hub's older ones only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from callcenter.crm_client.app.calls import call_key
from callcenter.crm_client.app.times import parse_time
from callcenter.crm_client.link import HubUnavailable, RequestFailed
from callcenter.crm_client.store import CallEntry, CrmStore

log = logging.getLogger(__name__)

WINDOW: Final = timedelta(hours=24)
SAME_CALL: Final = timedelta(seconds=60)


@dataclass(frozen=True)
class MissedCall:
    """One missed call: ``number`` the caller as received, ``name`` the customer's (if
    known), ``time`` when it rang, ``call_id`` (0 when only the log knows it without one),
    ``source`` hub | local | both."""

    time: datetime
    number: str
    name: str = ""
    call_id: int = 0
    trunk: str = ""
    source: str = "local"


def _call_id_of_key(key: str) -> int:
    parts = key.split("/")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0


def missed_calls(store: CrmStore, request: Callable[..., dict[str, Any]], port: str,
                 user: str = "", *, now: datetime | None = None,
                 name_of: Callable[[str], str] | None = None,
                 open_keys: Collection[str] = ()) -> list[MissedCall]:
    """The merged list (module docstring), newest first; ``open_keys``: the log keys of calls
    still in progress (not missed yet)."""
    now = now or datetime.now(UTC)
    since = now - WINDOW
    local: list[MissedCall] = []
    keys: dict[str, MissedCall] = {}
    for entry in store.calls(limit=500):
        if entry.time < since:
            break  # newest first
        if (entry.direction in {"in", "internal"} and not entry.answered
                and entry.key not in open_keys
                and (not port or entry.extension in ("", port))):
            found = MissedCall(entry.time, entry.number, entry.name, _call_id_of_key(entry.key))
            local.append(found)
            keys[entry.key] = found
    merged = list(local)
    try:
        answer = request("missed_calls")
        hub_calls = [c for c in answer.get("calls", []) if isinstance(c, dict)]
    except (HubUnavailable, RequestFailed) as exc:
        log.info("missed calls from the hub: %s; the local log only", exc)
        hub_calls = []
    for item in hub_calls:
        call_id = item.get("call_id", 0) if isinstance(item.get("call_id"), int) else 0
        rang = parse_time(item.get("time"))
        caller = str(item.get("caller", ""))
        match = next((i for i, m in enumerate(merged) if m.call_id == call_id and call_id
                      and abs(m.time - rang) <= SAME_CALL), None)
        if match is not None:
            old = merged[match]
            merged[match] = MissedCall(old.time, old.number or caller, old.name, call_id,
                                       str(item.get("trunk", "")), "both")
            continue
        name = ""
        if name_of is not None and caller:
            try:
                name = name_of(caller)
            except Exception:
                log.exception("missed calls: no name for %s", caller)
        trunk = str(item.get("trunk", ""))
        merged.append(MissedCall(rang, caller, name, call_id, trunk, "hub"))
        _log_missed(store, port, user, MissedCall(rang, caller, name, call_id, trunk, "hub"))
    merged.sort(key=lambda m: m.time, reverse=True)
    return merged


def _log_missed(store: CrmStore, port: str, user: str, missed: MissedCall) -> None:
    try:
        store.log_call(CallEntry(key=call_key(port, missed.call_id, missed.time),
                                 time=missed.time, number=missed.number, name=missed.name,
                                 direction="in" if missed.trunk else "internal",
                                 answered=False, duration=0, extension=port, user=user))
    except Exception:  # best effort: the list still shows it
        log.exception("missed call %s could not be logged", missed.call_id)
