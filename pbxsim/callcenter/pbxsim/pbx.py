"""The protocol side of the simulated exchange: one link session per connection.

Theory of operation
-------------------
``SimulatedPbx`` owns the ``ParameterMemory`` (parameters and the call-record buffer),
the ``CallEngine`` and, while a PC is connected, one ``LinkSession``.  The
transport calls ``connection_made`` / ``data_received`` / ``connection_lost``; the
simulator's loop calls ``service(now)`` at least every few hundred milliseconds and
whenever something happened, and ``service`` returns when it wants to be called next.
All of it runs on one thread (the simulator's asyncio loop), so nothing is locked.

A connection starts *dormant*: the PBX says nothing until the PC speaks (pyserial's
``socket://`` handler throws away what arrives while it opens, DESIGN.md), and it
falls dormant again after ``LinkLost`` until the PC is heard from once more.  While
the link is up, engine events go out as they happen, and the unacknowledged call
records of the buffer are offered in sequence order, at most ``record_window`` at
a time and only while the session's own window has room (so answers never queue
behind a long backlog of records).  A record is offered again after a
reconnect, a ``RST`` from the PC, ``LinkLost``, or when the oldest
offered record has not been acknowledged within ``record_timeout`` seconds.  The
PC de-duplicates by sequence number; nothing leaves the buffer without a ``RAK``.

Calls that the engine completes while the buffer is full wait in ``waiting`` (in
order) and enter the buffer as acknowledgements make room: no record is dropped.

A parameter programmed at the PBX itself (``program``: the control port's ``set``, "as
from a phone") is reported to the PC with ``ParameterChanged`` while the link is up; a
write by the PC (``PWQ``) is not echoed.  A change made while no PC is listening is not
queued: the group checksums of the next identify tell the PC what to read again.

A request the PBX cannot decode (``MalformedMessage``) whose request id ``r`` can be
read is answered with its result type refused (``ok=0``, the reason in ``e``): ``CCQ``
with ``CCR``, ``PWQ`` and ``PRQ`` with ``PWR``, ``CKQ`` with ``CKR``.  Anything else
malformed (no readable ``r``, ``STQ``, ``RAK``, an unknown type) is only logged.
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from callcenter.common.pbx import messages as m
from callcenter.common.pbx.frame import (
    MAX_FRAME,
    BadFrame,
    Frame,
    LocalProtocolError,
    escape,
)
from callcenter.common.pbx.session import (
    LinkLost,
    LinkSession,
    MalformedMessage,
    MessageReceived,
    PeerReset,
)
from callcenter.common.schema import Group, ParameterError

from .clock import PbxClock
from .engine import CallEngine, EngineError, PendingRecord
from .memory import ParameterMemory
from .transport import OutputLine

__all__ = ["LinkOptions", "PbxClock", "SimulatedPbx"]

log = logging.getLogger("callcenter.pbxsim.pbx")

MODEL = "GW-SIM"
FIRMWARE = "sim-1.0"
BLOCK_BYTES = MAX_FRAME * 3 // 4  # a parameter block stays well under the frame limit
EVENT_BACKLOG = 512  # state events beyond this backlog are dropped (the PC can ask a snapshot)
TYPICAL_FRAME = 160  # bytes of a call-record frame, for timeouts on a slow line


@dataclass(frozen=True)
class LinkOptions:
    """Link-session parameters of the PBX side (protocol v1 defaults)."""

    ack_timeout: float = 3.0
    max_retries: int = 3
    window: int = 8
    heartbeat: float = 10.0
    record_timeout: float = 10.0


class SimulatedPbx:
    """The exchange as the PC sees it through the serial protocol (see the module docstring)."""

    def __init__(self, memory: ParameterMemory, *, link: LinkOptions | None = None,
                 rng: random.Random | None = None, clock: PbxClock | None = None,
                 reload_memory: Callable[[], ParameterMemory] | None = None) -> None:
        self.memory = memory
        self.rng = rng or random.Random()
        self.engine = CallEngine(memory, rng=self.rng)
        self.clock = clock or PbxClock()
        self.link = link or LinkOptions()
        self._reload_memory = reload_memory
        self.waiting: deque[PendingRecord] = deque()
        self._line: OutputLine | None = None
        self._session: LinkSession | None = None
        self._awake = False
        self._offered: dict[int, float] = {}
        self._param_changes: list[m.ParameterChanged] = []
        self.record_window = max(32, 4 * self.link.window)
        self.connections = 0
        self.reoffers = 0
        self._retired_retransmissions = 0
        self._retired_bad_frames = 0
        self._retired_bytes = 0
        self.events_dropped = 0

    # ------------------------------------------------------------------ transport side
    def connection_made(self, line: OutputLine) -> None:
        self._line = line
        ack_timeout = self.link.ack_timeout
        bps = line.bytes_per_second
        if bps:
            # A window of frames must fit on a slow line before its acknowledgement is due.
            ack_timeout = max(ack_timeout, 2 * self.link.window * TYPICAL_FRAME / bps)
        self._session = LinkSession(ack_timeout=ack_timeout, max_retries=self.link.max_retries,
                                    window=self.link.window,
                                    heartbeat_interval=self.link.heartbeat or None)
        self._awake = False
        self._offered.clear()
        self.connections += 1

    def data_received(self, data: bytes) -> None:
        session = self._session
        if session is None:
            return
        now = time.monotonic()
        session.receive_data(data, now)
        self._handle_events(now)
        self.service(now)

    def connection_lost(self, reason: str) -> None:
        if self._session is not None:
            self._retired_retransmissions += self._session.counters.retransmissions
            self._retired_bad_frames += self._session.counters.bad_frames
        if self._line is not None:
            self._retired_bytes += self._line.bytes_written
        self._session = None
        self._line = None
        self._awake = False
        self._offered.clear()

    @property
    def connected(self) -> bool:
        return self._session is not None

    def disconnect(self) -> None:
        if self._line is not None:
            self._line.close()

    # ------------------------------------------------------------------ periodic work
    def service(self, now: float | None = None) -> float:
        """Do what is due; returns the monotonic time by which to be called again."""
        now = time.monotonic() if now is None else now
        pbx_now = self.clock.now()
        self.engine.tick(pbx_now)
        self.waiting.extend(self.engine.take_records())
        self._fill_buffer()
        self.memory.flush()  # new records are in the state file before they are offered
        events = self.engine.take_events()
        changes, self._param_changes = self._param_changes, []
        session = self._session
        wake = now + 0.25
        if session is None:
            return wake
        if self._awake:
            for change in changes:  # rare and small: never dropped for the event backlog
                self._send(change, now)
            for event in events:
                if session.backlog < EVENT_BACKLOG:
                    self._send(event, now)
                else:
                    self.events_dropped += 1
            deadline = session.next_deadline()
            if deadline is not None and now >= deadline:
                session.handle_timeout(now)
                self._handle_events(now)
            self._offer_records(now)
            deadline = session.next_deadline()
            if deadline is not None:
                wake = min(wake, deadline)
        self._flush()
        return wake

    def _fill_buffer(self) -> None:
        while self.waiting and not self.memory.buffer_full():
            self.memory.add_record(self.waiting.popleft())

    def _offer_records(self, now: float) -> None:
        session = self._session
        assert session is not None
        if self._offered and min(self._offered.values()) + self._record_timeout() < now:
            self.reoffers += 1
            log.info("call records %d.. not acknowledged in time: offering them again",
                     min(self._offered))
            self._offered.clear()
        if session.backlog >= self.link.window:
            return
        unacked = self.memory.unacked_records()
        live = {r.sequence for r in unacked}
        for seq in [s for s in self._offered if s not in live]:
            del self._offered[seq]
        for record in unacked:
            if len(self._offered) >= self.record_window or session.backlog >= self.link.window:
                break
            if record.sequence not in self._offered:
                self._send(record, now)
                self._offered[record.sequence] = now

    def _record_timeout(self) -> float:
        timeout = self.link.record_timeout
        bps = self._line.bytes_per_second if self._line else None
        if bps:
            timeout = max(timeout, 2 * self.record_window * TYPICAL_FRAME / bps)
        return timeout

    def _restart_offers(self) -> None:
        if self._offered:
            self.reoffers += 1
        self._offered.clear()

    # ------------------------------------------------------------------ messages
    def _handle_events(self, now: float) -> None:
        session = self._session
        if session is None:
            return
        for event in session.events():
            if isinstance(event, MessageReceived):
                self._awake = True
                try:
                    self._dispatch(event.message, now)
                except Exception:  # a simulator bug must not take the line down
                    log.exception("handling %s failed", type(event.message).__name__)
            elif isinstance(event, PeerReset):
                self._awake = True
                self._restart_offers()
            elif isinstance(event, LinkLost):
                log.warning("link lost: %s", event.reason)
                self._awake = False  # quiet until the PC is heard from again
                self._offered.clear()
            elif isinstance(event, MalformedMessage):
                log.warning("malformed message from the PC: %s", event.reason)
                self._awake = True  # the PC has spoken
                refusal = self._refuse_malformed(event.frame, event.reason)
                if refusal is not None:
                    self._send(refusal, now)
            elif isinstance(event, BadFrame):
                log.debug("bad frame from the PC: %s", event.reason)

    def _dispatch(self, msg: m.Message, now: float) -> None:
        answer: m.Message | None = None
        if isinstance(msg, m.IdentifyRequest):
            answer = self.identity(msg.request_id)
        elif isinstance(msg, m.ParameterRead):
            answer = self.parameter_block(msg)
        elif isinstance(msg, m.ParameterWrite):
            answer = self._write_parameter(msg)
        elif isinstance(msg, m.ClockSet):
            answer = self._set_clock(msg)
        elif isinstance(msg, m.StateRequest):
            answer = self.snapshot(msg.request_id, msg.offset)
        elif isinstance(msg, m.CallControl):
            answer = self._call_control(msg)
        elif isinstance(msg, m.RecordAck):
            acked = self.memory.acknowledge(msg.first, msg.last)
            log.debug("records %d..%d acknowledged (%d new)", msg.first, msg.last, acked)
            for seq in [s for s in self._offered if msg.first <= s <= msg.last]:
                del self._offered[seq]
            self._fill_buffer()
        elif not isinstance(msg, m.Heartbeat):
            log.warning("unexpected %s from the PC ignored", type(msg).__name__)
        if answer is not None:
            self._send(answer, now)

    def _refuse_malformed(self, frame: Frame, reason: str) -> m.Message | None:
        """The refusal answering a request that could not be decoded, or None when its
        request id cannot be read or its answer type has no refusal form."""
        request_id = m.request_id_of(frame.fields)
        if request_id is None:
            return None
        error = f"malformed {frame.type}: {reason}"
        if frame.type == m.CallControl.TYPE:
            return m.CallControlResult(request_id, False, error)
        if frame.type == m.ParameterWrite.TYPE:
            key = m.field_text(frame.fields, "k")
            return m.ParameterWriteResult(request_id, key, False, self.memory.get(key), error)
        if frame.type == m.ParameterRead.TYPE:  # PRR has no refusal form: PWR's is used
            return m.ParameterWriteResult(request_id, "", False, "", error)
        if frame.type == m.ClockSet.TYPE:
            return m.ClockSetResult(request_id, False, error=error)
        return None

    def identity(self, request_id: int) -> m.Identity:
        return m.Identity(
            request_id, MODEL, FIRMWARE, self.memory.schema.extensions,
            self.memory.schema.trunks,
            tuple((g.value, self.memory.group_checksum(g.value)) for g in Group),
            self.clock.now().strftime("%Y%m%d%H%M%S"), self.memory.next_sequence)

    def parameter_block(self, req: m.ParameterRead) -> m.ParameterBlock:
        rows = self.memory.schema.group_rows(req.group)
        header = m.ParameterBlock(req.request_id, req.group, req.offset, len(rows), ())
        size = _frame_size(header)
        out: list[tuple[str, tuple[str, ...]]] = []
        for row in rows[req.offset:req.offset + req.count]:
            values = self.memory.row_values(row)
            item = m.ParameterBlock(0, req.group, 0, 0, ((row.prefix, values),))
            size += len("|w=") + len(escape(item.to_fields()[-1][1]))
            if size > BLOCK_BYTES:
                break
            out.append((row.prefix, values))
        return m.ParameterBlock(req.request_id, req.group, req.offset, len(rows), tuple(out))

    def _write_parameter(self, req: m.ParameterWrite) -> m.ParameterWriteResult:
        try:
            stored = self.memory.write(req.key, req.value)
        except ParameterError as exc:
            log.info("parameter write refused: %s", exc)
            return m.ParameterWriteResult(req.request_id, req.key, False,
                                          self.memory.get(req.key), str(exc))
        except OSError as exc:
            log.error("parameter memory could not be saved: %s", exc)
            return m.ParameterWriteResult(req.request_id, req.key, False,
                                          self.memory.get(req.key), f"memory error: {exc}")
        log.info("parameter %s set to %r", req.key, stored)
        return m.ParameterWriteResult(req.request_id, req.key, True, stored)

    def _set_clock(self, req: m.ClockSet) -> m.ClockSetResult:
        try:
            effective = self.clock.schedule(req.local_time, req.utc_offset_minutes)
        except ValueError as exc:
            return m.ClockSetResult(req.request_id, False, error=f"bad time: {exc}")
        log.info("clock set to %s (UTC%+d min) at %s", req.local_time, req.utc_offset_minutes,
                 effective)
        return m.ClockSetResult(req.request_id, True, effective)

    def snapshot(self, request_id: int, offset: int = 0) -> m.StateSnapshot:
        """A page of the live state from extension row ``offset``, as big as a frame allows
        (trunks, park slots and day/night come with the first page)."""
        all_exts = tuple(self.engine.extension_states())
        total = len(all_exts)
        first = offset == 0
        trunks = tuple(self.engine.trunk_states()) if first else ()
        slots = tuple(self.engine.park_slots()) if first else ()
        night = self.engine.is_night(self.clock.now())
        exts = all_exts[offset:]
        snap = m.StateSnapshot(request_id, exts, trunks, slots, night, offset, total)
        while _frame_size(snap) > MAX_FRAME - 64 and len(exts) > 1:
            exts = exts[:max(1, len(exts) * 3 // 4)]
            snap = m.StateSnapshot(request_id, exts, trunks, slots, night, offset, total)
        return snap

    def program(self, key: str, value: str) -> str:
        """Program a parameter at the PBX itself, as from a phone; returns the stored value.

        Validated like a ``PWQ`` (``ParameterError`` names what is allowed, nothing
        changes).  A real change is reported to the PC with ``ParameterChanged``.
        """
        before = self.memory.get(key)
        stored = self.memory.write(key, value)
        if stored != before:
            log.info("parameter %s programmed at the PBX: %r", key, stored)
            self._param_changes.append(m.ParameterChanged(key, stored))
        return stored

    def _call_control(self, req: m.CallControl) -> m.CallControlResult:
        try:
            call_id = self.engine.call_control(req.action, req.port, self.clock.now(),
                                               number=req.number, target=req.target,
                                               slot=req.slot, on=req.on)
        except EngineError as exc:
            return m.CallControlResult(req.request_id, False, str(exc))
        return m.CallControlResult(req.request_id, True, call_id=call_id or 0)

    def _send(self, msg: m.Message, now: float) -> None:
        session = self._session
        if session is None:
            return
        if _frame_size(msg) > MAX_FRAME:
            log.error("%s too large for one frame: not sent", type(msg).__name__)
            return
        try:
            session.send(msg, now)
        except LocalProtocolError as exc:  # the PC stopped reading; it will re-identify
            log.warning("%s not sent: %s", type(msg).__name__, exc)

    def _flush(self) -> None:
        if self._session is not None and self._line is not None:
            data = self._session.data_to_send()
            if data:
                self._line.write(data)

    # ------------------------------------------------------------------ whole-PBX actions
    def reboot(self) -> None:
        """A power cycle: the connection drops, calls in progress are lost, memory is reloaded
        (when there is a state file), unacknowledged records and the sequence carry on.
        """
        self.disconnect()
        if self._reload_memory is not None:
            self.memory = self._reload_memory()
        self.engine = CallEngine(self.memory, rng=self.rng)
        log.warning("PBX restarted (%d unacknowledged records kept)",
                    len(self.memory.unacked_records()))

    def counters(self) -> dict[str, int]:
        session = self._session
        return {
            "records_issued": self.memory.records_issued,
            "records_acked": self.memory.records_acked,
            "retransmissions": self._retired_retransmissions
            + (session.counters.retransmissions if session else 0),
            "reoffers": self.reoffers,
            "buffered": len(self.memory.unacked_records()),
            "waiting": len(self.waiting),
            "bad_frames": self._retired_bad_frames + (session.counters.bad_frames if session
                                                      else 0),
            "connections": self.connections,
            "bytes_sent": self._retired_bytes + (self._line.bytes_written if self._line else 0),
            "events_dropped": self.events_dropped,
        }




def _frame_size(msg: m.Message) -> int:
    """Bytes of ``msg`` as one frame (STX, header, fields, ETX, CRC)."""
    return 1 + 5 + sum(2 + len(k) + len(escape(v)) for k, v in msg.to_fields()) + 1 + 4
