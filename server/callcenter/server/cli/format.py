"""How the CLI shows service events: one human-readable line, or one JSON object."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

from callcenter.common.pbx.messages import (
    CallRecord,
    ExtensionState,
    Message,
    ParameterChanged,
    ParkSlotState,
    TrunkState,
    record_to_dict,
)
from callcenter.server.pbx.events import (
    RecordStored,
    ServiceEvent,
    VerificationDone,
    VerificationProgress,
)
from callcenter.server.pbx.link import LinkDown, LinkNotice, LinkUp
from callcenter.server.store.chain import local_start

#: How an extension state is said in a line (the others as they are named).
EXTENSION_WORDS = {"offhook": "off-hook", "busy": "busy tone", "held": "on hold"}


def format_record(record: CallRecord) -> str:
    """``record #17 2026-11-25 12:00:01 001/8001 trunk 01 OUT 02088886666 65s``."""
    s = record.start
    when = f"{s[0:4]}-{s[4:6]}-{s[6:8]} {s[8:10]}:{s[10:12]}:{s[12:14]}"
    trunk = f" trunk {record.trunk}" if record.trunk else ""
    number = f" {record.number}" if record.number else ""
    # For OUT the caller is the extension itself, for IN it is the number: shown once.
    shown = {"", record.extension, record.number}
    caller = f" from {record.caller}" if record.caller not in shown else ""
    account = f" account {record.account}" if record.account else ""
    # A DISA call (account D01...) has no extension: its port and number are empty.
    extension = f" {record.port}/{record.extension}" if record.port or record.extension else ""
    return (f"record #{record.sequence} {when}{extension}{trunk} "
            f"{record.call_type}{number}{caller} {record.duration}s{account}")


def cost_text(cost_fen: int) -> str:
    """``1.20`` for 120 fen (yuan, two decimals)."""
    return f"{Decimal(cost_fen) / 100:.2f}"


def port_ranges(ports: Iterable[str]) -> str:
    """``001-024`` for ports 001 to 024, ``001-003, 007`` with a gap (ports are digits)."""
    numbers = sorted({p for p in ports}, key=lambda p: (not p.isdigit(), len(p), p))
    runs: list[list[str]] = []
    for port in numbers:
        last = runs[-1][-1] if runs else ""
        if (last.isdigit() and port.isdigit() and len(port) == len(last)
                and int(port) == int(last) + 1):
            runs[-1].append(port)
        else:
            runs.append([port])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _extension_text(e: ExtensionState, port: str | None = None) -> str:
    """``ext 001 ringing from 13800138000``; ``port``: what to print for the port."""
    text = f"ext {e.port if port is None else port} {EXTENSION_WORDS.get(e.state, e.state)}"
    if e.peer:
        text += {"ringing": " from ", "talking": " with ", "dialing": " "}.get(e.state, " ") \
            + e.peer
    if e.trunk:
        text += f" trunk {e.trunk}"
    return text


def _trunk_text(t: TrunkState) -> str:
    text = f"trunk {t.trunk} {t.state}"
    if t.number:
        text += (" from " if t.state == "incoming" else " ") + t.number
    if t.port:
        text += f" ext {t.port}"
    return text


def format_event(event: ServiceEvent | LinkNotice, now: datetime | None = None) -> str | None:
    """One line for ``event``, prefixed with the time; None for events not worth a line."""
    stamp = (now or datetime.now()).strftime("%H:%M:%S")
    text: str | None
    if isinstance(event, RecordStored):
        line = format_record(event.record)
        return line if event.cost_fen is None else f"{line} cost {cost_text(event.cost_fen)}"
    if isinstance(event, CallRecord):
        return format_record(event)
    if isinstance(event, ExtensionState):
        text = _extension_text(event)
    elif isinstance(event, TrunkState):
        text = _trunk_text(event)
    elif isinstance(event, ParkSlotState):
        text = (f"park slot {event.slot} holds {event.number or 'a call'} (ext {event.port})"
                if event.occupied else f"park slot {event.slot} free")
    elif isinstance(event, ParameterChanged):
        text = f"parameter {event.key} = {event.value} (changed at the PBX)"
    elif isinstance(event, LinkUp):
        i = event.identity
        text = (f"PBX connected: {i.model} firmware {i.firmware}, {i.extensions} extensions, "
                f"{i.trunks} trunks")
    elif isinstance(event, LinkDown):
        text = f"PBX link down: {event.reason}"
    elif isinstance(event, VerificationDone):
        read = ", ".join(event.groups_read) or "nothing"
        same = ", ".join(event.groups_skipped) or "none"
        text = f"data verification done: read {read} ({event.rows_read} rows); unchanged: {same}"
    elif isinstance(event, VerificationProgress):
        text = progress_text(event)
    else:
        text = None
    return None if text is None else f"{stamp} {text}"


def progress_text(event: VerificationProgress) -> str:
    """``data verification: reading trunk, 310/1254 rows (24%)``."""
    percent = 100 * event.done // event.total if event.total else 100
    return (f"data verification: reading {event.group}, {event.done}/{event.total} rows "
            f"({percent}%)")


#: Progress lines at most every this fraction of the rows (besides one per group).
PROGRESS_STEP = 0.25


class EventFormatter:
    """``format_event`` for a stream of events, with verification progress thinned out: a
    line when a group's reading starts and each time another quarter of the rows is read,
    none for the last block (the "data verification done" line follows)."""

    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone  # the time zone of the line's time stamp; None: this computer's
        self._group: str | None = None
        self._step = 0
        self._done = 0

    def __call__(self, event: ServiceEvent | LinkNotice,
                 now: datetime | None = None) -> str | None:
        if isinstance(event, VerificationDone | LinkUp | LinkDown):
            self._group, self._step, self._done = None, 0, 0  # the next verification
        elif isinstance(event, VerificationProgress) and not self._wanted(event):
            return None
        return format_event(event, now or datetime.now(self.zone))

    def _wanted(self, event: VerificationProgress) -> bool:
        if event.done < self._done:  # a new verification (no "done" seen in between)
            self._group, self._step = None, 0
        self._done = event.done
        if event.total <= 0 or event.done >= event.total:
            return False
        step = int(event.done / event.total / PROGRESS_STEP)
        if event.group != self._group or step > self._step:
            self._group, self._step = event.group, step
            return True
        return False


#: Seconds a burst of like extension states (a ring group ringing) is held after its last
#: event to be one line (24 states take about 1 s on a 9600 baud line), and at most in all.
BURST_HOLD = 0.5
BURST_MAX = 3.0


class EventLines:
    """The service's output: ``EventFormatter``'s lines written through ``write``, with a
    burst of extension events of the same state, peer and trunk (24 ports of a ring group
    ringing, the 23 that stop ringing when one answers) as one line,
    ``ext 001-024 ringing from 13800138000``.  A burst ends at another event or
    ``BURST_HOLD`` seconds after its last (``BURST_MAX`` after its first); ``flush`` writes a
    held burst now."""

    def __init__(self, write: Callable[[str], None], zone: tzinfo | None = None,
                 hold: float = BURST_HOLD) -> None:
        self.formatter = EventFormatter(zone)
        self.zone = zone
        self.hold = hold
        self._write = write
        self._lock = threading.Lock()
        self._burst: tuple[str, ExtensionState, list[str], datetime] | None = None
        self._timer: threading.Timer | None = None
        self._started = 0.0

    def __call__(self, event: ServiceEvent | LinkNotice, now: datetime | None = None) -> None:
        with self._lock:
            if isinstance(event, ExtensionState):
                key = _extension_text(event, port="")
                burst = self._burst
                if burst is not None and burst[0] == key and event.port not in burst[2]:
                    burst[2].append(event.port)
                else:
                    self._flush()
                    self._burst = (key, event, [event.port], now or datetime.now(self.zone))
                    self._started = time.monotonic()
                if self._timer is not None:
                    self._timer.cancel()
                # held BURST_HOLD after its last event (a slow serial line), BURST_MAX at most
                wait = min(self.hold, self._started + BURST_MAX - time.monotonic())
                self._timer = threading.Timer(max(0.0, wait), self.flush)
                self._timer.daemon = True
                self._timer.start()
                return
            self._flush()
            line = self.formatter(event, now)
            if line is not None:
                self._write(line)

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._burst is None:
            return
        _, first, ports, stamp = self._burst
        self._burst = None
        self._write(f"{stamp.strftime('%H:%M:%S')} "
                    f"{_extension_text(first, port=port_ranges(ports))}")


def event_to_json(event: LinkNotice | ServiceEvent, now: datetime | None = None,
                  zone: tzinfo | None = None) -> dict[str, Any] | None:
    """A JSON object for ``pbx monitor``; None for notices that are not events.  ``time``
    (and a record's ``start_time``, from the PBX's local ``start`` and its offset) in
    ``zone`` (the site's, setting ``timezone``; None: this computer's), with the offset."""
    stamp = (now or datetime.now(zone)).astimezone(zone).isoformat(timespec="seconds")
    data: dict[str, Any]
    if isinstance(event, RecordStored):
        event = event.record
    if isinstance(event, CallRecord):
        data = {"event": "record", **record_to_dict(event)}
        local = local_start(event)
        if local is not None:
            offset = timezone(timedelta(minutes=event.utc_offset_minutes))
            data["start_time"] = (local.replace(tzinfo=offset).astimezone(zone)
                                  .isoformat(timespec="seconds"))
    elif isinstance(event, ExtensionState):
        data = {"event": "extension", **asdict(event)}
    elif isinstance(event, TrunkState):
        data = {"event": "trunk", **asdict(event)}
    elif isinstance(event, ParkSlotState):
        data = {"event": "park_slot", **asdict(event)}
    elif isinstance(event, ParameterChanged):
        data = {"event": "parameter", **asdict(event)}
    elif isinstance(event, LinkUp):
        i = event.identity
        data = {"event": "link_up", "model": i.model, "firmware": i.firmware,
                "extensions": i.extensions, "trunks": i.trunks}
    elif isinstance(event, LinkDown):
        data = {"event": "link_down", "reason": event.reason}
    elif isinstance(event, Message):
        return None
    else:
        return None
    return {"time": stamp, **data}
