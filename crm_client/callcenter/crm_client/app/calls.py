"""The call log recorder (C-5): one ``CallEntry`` per call at this PC's extension port.

Which calls: every call that rang this port (answered or missed) and every call made from it,
dialled here or on the phone itself (those come as ``extension_state`` dialing/talking with a
``peer``).  The recorder follows this port's ``ring``, ``answer``, ``hangup`` and
``extension_state`` events and the snapshots.

When it is written — twice, with one key:
- when the call **starts** (rings, or is dialled): answered false, duration 0, so a crash of
  this program mid-call still leaves the ring in the log;
- when it **ends**: answered and the talk time in seconds.

The key is ``"{port}/{call_id}/{start}"``, ``start`` the hub's time of the first event of the
call at this port, in UTC to the second (``20261203T091502``).  The hub's ``call_id`` is
unique only while the hub (and the PBX) runs; the start second makes a restarted hub's
``call_id`` 7 a different call from the old 7.  The store keeps one row per key: the second
write updates the first (contract "Changes", 2026-12-03), and writing the same final entry
again (a retry, an outbox replay) changes nothing.

Events missed while disconnected: each new snapshot closes what was open and is no longer
there (a ringing entry whose call is gone becomes a missed call, a talking one ends with the
talk time known until the link dropped; a call of the same id with another party is another
call, as after a restart of the hub), and adopts a call of this port that the recorder did
not know (it started while the link was down), keyed by the snapshot's time.

A call answered here that leaves the port and comes back (parked, then taken back with a
泊位 button here; transferred away and back) within an hour is the same entry: its talk time
is the sum of its stays.

The open calls are also kept in a small journal file (optional, ``journal``: the data
folder's ``open-calls.json``), so that after a crash or restart of this program a call
still in progress keeps its key (no second entry), and one that ended meanwhile is closed at
the first snapshot.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from callcenter.crm_client.app.times import event_time, parse_time
from callcenter.crm_client.phone import normalise_number
from callcenter.crm_client.settings import write_private
from callcenter.crm_client.store import CallEntry, CrmStore, ShareUnavailable

log = logging.getLogger(__name__)

JOURNAL_FILE: Final = "open-calls.json"
#: Open calls kept at most (a port has one or two calls at once; more is a bug's leftovers).
MAX_OPEN: Final = 16
TALKING: Final = ("talking", "held")
#: A call that left this port answered and comes back within this time is the same entry.
COME_BACK: Final = timedelta(hours=1)
IN_CALL: Final = ("ringing", "talking", "held", "dialing", "busy")


@dataclass(frozen=True)
class OpenCall:
    """A call of this port that has not ended yet (as the recorder saw it)."""

    call_id: int
    key: str
    start: datetime
    number: str
    direction: str             # in | out | internal
    trunk: str = ""
    name: str = ""
    answered_at: datetime | None = None
    last_seen: datetime | None = None   # the latest event of the call (talk time up to it)
    rang_here: bool = False    # it rang this port (the hangup's "answered" then tells)
    prior: int = 0             # seconds talked before it left this port and came back


def call_key(port: str, call_id: int, start: datetime) -> str:
    """The call log key of a call (module docstring)."""
    return f"{port}/{call_id}/{start.astimezone(UTC):%Y%m%dT%H%M%S}"


class CallRecorder:
    """Writes this port's calls to the store's call log (module docstring).

    ``name_of(number)`` gives the customer name to log with a number ("" unknown);
    ``is_extension(number)`` whether a number is an extension's (an internal call);
    ``journal`` the file keeping the open calls across restarts (None: not kept);
    ``sink(entry)`` writes an entry (default: ``store.log_call`` at once; the app passes its
    ``CallLogWriter.submit``, which writes on a thread of its own).
    """

    def __init__(self, store: CrmStore, port: str, user: str = "", *,
                 name_of: Callable[[str], str] | None = None,
                 is_extension: Callable[[str], bool] | None = None,
                 journal: Path | None = None,
                 sink: Callable[[CallEntry], object] | None = None) -> None:
        self.store = store
        self.sink = sink or store.log_call
        self.port = port
        self.user = user
        self.name_of = name_of or (lambda number: "")
        self.is_extension = is_extension or (lambda number: False)
        self.journal = journal
        self.open: dict[int, OpenCall] = self._load_journal()
        #: answered calls that left this port lately (parked, transferred): one coming back
        #: (unparked here) is the same entry
        self._recent: dict[int, OpenCall] = {}

    # ------------------------------------------------------------------ events
    def on_event(self, event: dict[str, Any], *, name: str | None = None) -> list[CallEntry]:
        """Follow one hub event; the entries written or handed to the sink (``name``: the
        caller's customer name when the pop already looked it up)."""
        kind = event.get("event")
        if kind == "snapshot":
            return []  # whole snapshots come through reconcile()
        if kind == "ring" and event.get("extension") == self.port:
            return self._started(event, str(event.get("caller", "")), "ringing",
                                 str(event.get("trunk", "")), name)
        if kind == "extension_state" and event.get("port") == self.port:
            return self._state(event)
        if kind == "answer" and event.get("extension") == self.port:
            return self._answered(event)
        if kind == "hangup" and event.get("extension") == self.port:
            call_id = _call_id(event)
            call = self.open.get(call_id)
            if call is not None:
                # "answered" false: it rang here and nobody answered; for a call made from
                # here it says nothing about the far end (the talking state does)
                answered = bool(event.get("answered", True)) if call.rang_here else None
                return self._ended(call_id, event_time(event), answered)
        return []

    def reconcile(self, extensions: dict[str, Any], snapshot_time: datetime,
                  calls: dict[int, str] | None = None) -> list[CallEntry]:
        """After a whole snapshot: close open calls that are gone, adopt an unknown call of
        this port.  ``extensions``: port -> the snapshot's extension (a dict or a desk
        ExtensionView); ``calls``: call_id -> direction from the snapshot's calls."""
        mine = extensions.get(self.port)
        state = _get(mine, "state", "idle")
        call_id = int(_get(mine, "call_id", 0) or 0)
        written: list[CallEntry] = []
        peer, trunk = str(_get(mine, "peer", "")), str(_get(mine, "trunk", ""))
        for open_id, call in list(self.open.items()):
            if (open_id != call_id or state not in IN_CALL
                    or _other_party(call, peer, state)):
                written += self._ended(open_id, None, None)
        if call_id and state in IN_CALL:
            if call_id in self.open:
                call = self.open[call_id]
                if state in TALKING and call.answered_at is None:
                    self.open[call_id] = replace(call, answered_at=snapshot_time)
                    self._save_journal()
            else:
                direction = (calls or {}).get(call_id) or (
                    "in" if state == "ringing" else "out")
                written += self._open(call_id, snapshot_time, peer, direction, trunk,
                                      answered_at=snapshot_time if state in TALKING else None,
                                      rang_here=state == "ringing")
        return written

    def close_all(self, when: datetime | None = None) -> list[CallEntry]:
        """End every open call (the program closes with the link down: what is known)."""
        written: list[CallEntry] = []
        for call_id in list(self.open):
            written += self._ended(call_id, when, None)
        return written

    # ------------------------------------------------------------------ internals
    def _started(self, event: dict[str, Any], number: str, state: str, trunk: str,
                 name: str | None) -> list[CallEntry]:
        """A call rang this port (``ring``, or ``extension_state`` ringing before it)."""
        call_id = _call_id(event)
        if not call_id:
            return []
        if call_id in self.open:
            call = self.open[call_id]
            if number and number != call.number and state == "ringing":
                self.open[call_id] = replace(call, number=number, name=name or call.name)
                return self._write(self.open[call_id], answered=False, duration=0)
            return []
        direction = "in" if trunk else "internal"  # it rang here: from outside or inside
        return self._open(call_id, event_time(event), number, direction, trunk, name=name,
                          rang_here=True)

    def _open(self, call_id: int, start: datetime, number: str, direction: str, trunk: str,
              *, name: str | None = None, answered_at: datetime | None = None,
              rang_here: bool = False) -> list[CallEntry]:
        if len(self.open) >= MAX_OPEN:  # leftovers of a bug: end the oldest
            oldest = min(self.open.values(), key=lambda c: c.start)
            self._ended(oldest.call_id, None, None)
        back = self._came_back(call_id, number, start)
        if back is not None:  # parked (or transferred) away and back: the same entry
            call = replace(back, answered_at=answered_at, last_seen=start)
            self.open[call_id] = call
            self._save_journal()
            return []
        if name is None:
            name = self._lookup(number)
        call = OpenCall(call_id, call_key(self.port, call_id, start), start, number, direction,
                        trunk, name, answered_at, start, rang_here)
        self.open[call_id] = call
        self._save_journal()
        return self._write(call, answered=False, duration=0)

    def _state(self, event: dict[str, Any]) -> list[CallEntry]:
        state = str(event.get("state", ""))
        call_id = _call_id(event)
        peer, trunk = str(event.get("peer", "")), str(event.get("trunk", ""))
        when = event_time(event)
        written: list[CallEntry] = []
        # a port in another call, or idle: the open calls it left have ended
        for open_id in list(self.open):
            if open_id != call_id or state not in IN_CALL:
                written += self._ended(open_id, when, None)
        if not call_id or state not in IN_CALL:
            return written
        if call_id not in self.open:
            if state == "ringing":
                return written + self._started(event, peer, "ringing", trunk, None)
            direction = "out"
            if not trunk and self.is_extension(peer):
                direction = "internal"
            return written + self._open(call_id, when, peer, direction, trunk,
                                        answered_at=when if state in TALKING else None)
        call = self.open[call_id]
        changed = replace(call, last_seen=when, trunk=call.trunk or trunk)
        if call.direction in ("out", "internal") and peer and peer != call.number:
            # dialling: the peer grows digit by digit; talking: the number reached
            changed = replace(changed, number=peer, name=self._lookup(peer))
            if call.direction == "internal" and trunk:
                changed = replace(changed, direction="out")
            elif call.direction == "out" and not changed.trunk and self.is_extension(peer):
                changed = replace(changed, direction="internal")
        if state in TALKING and call.answered_at is None:
            changed = replace(changed, answered_at=when)
        self.open[call_id] = changed
        if (changed.number, changed.answered_at) != (call.number, call.answered_at):
            self._save_journal()
        return written

    def _answered(self, event: dict[str, Any]) -> list[CallEntry]:
        call_id = _call_id(event)
        call = self.open.get(call_id)
        when = event_time(event)
        if call is None:
            peer = str(event.get("peer", ""))
            trunk = str(event.get("trunk", ""))
            direction = "out" if trunk else ("internal" if self.is_extension(peer) else "out")
            return self._open(call_id, when, peer, direction, trunk, answered_at=when)
        if call.answered_at is None:
            self.open[call_id] = replace(call, answered_at=when, last_seen=when)
            self._save_journal()
        return []

    def _ended(self, call_id: int, when: datetime | None,
               answered: bool | None) -> list[CallEntry]:
        call = self.open.get(call_id)
        if call is None:
            return []
        end = when or call.last_seen or call.start
        was_answered = call.answered_at is not None or call.prior > 0
        if answered is not None:
            was_answered = was_answered or answered
        duration = call.prior + _talked(call, end)
        written = self._write(call, answered=was_answered, duration=duration)
        del self.open[call_id]  # after the write: an open call is one not yet complete
        if was_answered:
            self._recent[call_id] = replace(call, last_seen=end, answered_at=None,
                                            prior=duration)
            while len(self._recent) > MAX_OPEN:
                del self._recent[next(iter(self._recent))]
        self._save_journal()
        return written

    def _came_back(self, call_id: int, number: str, start: datetime) -> OpenCall | None:
        call = self._recent.pop(call_id, None)
        if call is None or start - (call.last_seen or call.start) > COME_BACK:
            return None
        if number and call.number and normalise_number(number) != normalise_number(
                call.number):
            return None
        return call

    def _write(self, call: OpenCall, *, answered: bool, duration: int) -> list[CallEntry]:
        entry = CallEntry(key=call.key, time=call.start, number=call.number, name=call.name,
                          direction=call.direction, answered=answered, duration=duration,
                          extension=self.port, user=self.user)
        try:
            self.sink(entry)
        except Exception:  # the store refused or is unreachable: the log is best effort here
            log.exception("call log: %s could not be written", entry.key)
            return []
        return [entry]

    def _lookup(self, number: str) -> str:
        if not number:
            return ""
        try:
            return self.name_of(number)
        except ShareUnavailable as exc:  # network mode, the share away: no name, no trace
            log.warning("call log: no name for %s: %s", number, exc)
            return ""
        except Exception:  # a store that cannot be read: log the number without a name
            log.exception("call log: no name for %s", number)
            return ""

    # ------------------------------------------------------------------ journal
    def _load_journal(self) -> dict[int, OpenCall]:
        if self.journal is None:
            return {}
        try:
            data = json.loads(self.journal.read_text(encoding="utf-8"))
            calls = {}
            for item in data.get("calls", [])[:MAX_OPEN]:
                if item.get("port", self.port) != self.port:
                    continue
                call = OpenCall(
                    int(item["call_id"]), str(item["key"]), parse_time(item["start"]),
                    str(item["number"]), str(item["direction"]), str(item.get("trunk", "")),
                    str(item.get("name", "")),
                    parse_time(item["answered_at"]) if item.get("answered_at") else None,
                    parse_time(item["last_seen"]) if item.get("last_seen") else None,
                    bool(item.get("rang_here", False)), int(item.get("prior", 0)))
                calls[call.call_id] = call
            return calls
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("call log: %s is unreadable; open calls forgotten", self.journal)
            return {}

    def _save_journal(self) -> None:
        if self.journal is None:
            return
        items = []
        for call in self.open.values():
            item = asdict(call)
            item["port"] = self.port
            for name in ("start", "answered_at", "last_seen"):
                value = item[name]
                item[name] = value.isoformat() if value is not None else None
            items.append(item)
        with contextlib.suppress(OSError):
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            write_private(self.journal, json.dumps({"calls": items}).encode("utf-8"))


def _talked(call: OpenCall, end: datetime) -> int:
    """Seconds talked since the call was (last) answered at this port, up to ``end``."""
    if call.answered_at is None:
        return 0
    return max(0, round((end - call.answered_at).total_seconds()))


def _other_party(call: OpenCall, peer: str, state: str) -> bool:
    """Whether a snapshot's call of the same id is another call (a restarted hub or PBX
    numbers its calls from 1 again): a different caller ringing, or a different number
    reached.  A call still being dialled is the same (its number grows)."""
    if not peer or not call.number or state == "dialing":
        return False
    return normalise_number(peer) != normalise_number(call.number)


def _call_id(event: dict[str, Any]) -> int:
    value = event.get("call_id", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _get(item: Any, name: str, default: Any) -> Any:
    if item is None:
        return default
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)
