"""Link session of PBX serial protocol v1: reliable, ordered delivery over a noisy line.

Theory of operation
-------------------
Sans-I/O, in the manner of h11: the owner feeds received bytes with
``receive_data(data, now)``, takes events from ``next_event()``, queues messages
with ``send(message, now)``, writes out ``data_to_send()``, and calls
``handle_timeout(now)`` whenever ``now`` passes ``next_deadline()``.  Nothing in
here reads a clock, sleeps, or touches a port.

Data frames carry a sequence number 00-FF (wrapping).  Up to ``window`` data
frames may be unacknowledged.  The receiver delivers frames strictly in order
(go-back-N):

* the expected frame is delivered; after each ``receive_data`` one cumulative
  ``ACK`` names the last frame delivered;
* a duplicate (an already delivered frame resent) is acknowledged again and
  not delivered twice;
* a frame from beyond a gap, or a frame with a bad check, is dropped and
  answered with one ``NAK`` naming the expected frame; the sender resends
  from there;
* a receiver that has just started (or got ``RST``) is *unsynchronised* and
  takes the first intact data frame, whatever its number.

The sender resends every unacknowledged frame when the oldest one has waited
``ack_timeout`` seconds; after ``max_retries`` resends without progress it
reports ``LinkLost`` and drops its queue (the application re-identifies).
When nothing has been sent for ``heartbeat_interval`` seconds a ``Heartbeat``
is sent, so a silent peer is found within about
``heartbeat_interval + ack_timeout * (max_retries + 1)``.

Link frames ``ACK``, ``NAK`` and ``RST`` are not sequenced nor acknowledged.
``RST`` (sent by ``start``) tells the peer "I restarted: my next frame is 00";
the peer answers ``RST`` with field ``a=1`` announcing the number of its own
next (or oldest unacknowledged) frame.  Each side then expects exactly the
announced number.  Until the answer comes, the restarting side neither takes
nor sends data frames (sending them before the peer has taken the ``RST``
would let a peer that missed the ``RST`` take a later frame first, and a stray
copy of the ``RST`` would rewind it), and repeats its ``RST`` (now with
``a=2``: "I restarted, my oldest unacknowledged frame is N") every
``ack_timeout``.  After ``max_retries`` repeats it reports ``LinkLost``, drops
its queue and keeps repeating the ``RST`` every ``heartbeat_interval``, so the
link comes back by itself when the peer does.

An ``a=1`` answer naming frames the receiver already took is stale (a late copy)
and leaves its place alone; a restart (no ``a``, or ``a=2``) is always taken.

When the sender gives up on unacknowledged frames it restarts the same way
(``RST``, then wait for the answer): its numbering starts again at 00, and a
peer still expecting the old numbers must not take new frames for old ones.
``LinkLost`` is reported once per outage.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .frame import (
    NEED_DATA,
    BadFrame,
    Frame,
    FrameDecoder,
    LocalProtocolError,
    _NeedData,
    encode_frame,
    renumber_frame,
)
from .messages import Heartbeat, Message, MessageFormatError, message_from_fields

LINK_TYPES = frozenset({"ACK", "NAK", "RST"})
MAX_QUEUED = 4096


@dataclass(frozen=True)
class MessageReceived:
    """An application message arrived, in order, exactly once."""

    message: Message


@dataclass(frozen=True)
class MalformedMessage:
    """An intact frame whose type or fields are not a valid message (peer's fault)."""

    reason: str
    frame: Frame


@dataclass(frozen=True)
class LinkLost:
    """The peer stopped acknowledging; everything unsent was dropped."""

    reason: str


@dataclass(frozen=True)
class PeerReset:
    """The peer sent RST: it restarted its side of the link."""


SessionEvent = MessageReceived | MalformedMessage | BadFrame | LinkLost | PeerReset


def _behind(expected: int, seq: int) -> bool:
    """True when ``seq`` is one of the 128 numbers before ``expected`` (a duplicate)."""
    return 0 < (expected - seq) % 256 <= 128


@dataclass
class LinkCounters:
    frames_sent: int = 0
    frames_received: int = 0
    retransmissions: int = 0
    bad_frames: int = 0
    naks_sent: int = 0
    duplicates: int = 0


class LinkSession:
    """One side of the link (the PC and the PBX use the same class)."""

    def __init__(self, *, ack_timeout: float = 3.0, max_retries: int = 3, window: int = 8,
                 heartbeat_interval: float | None = 10.0) -> None:
        if not 1 <= window <= 64:
            raise ValueError("window must be 1..64")
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self.window = window
        self.heartbeat_interval = heartbeat_interval
        self.counters = LinkCounters()
        self._decoder = FrameDecoder()
        self._events: deque[SessionEvent] = deque()
        self._out = bytearray()
        self._next_seq = 0
        self._unacked: deque[tuple[int, bytes]] = deque()
        self._queue: deque[bytes] = deque()  # encoded frames, numbered 00
        self._retry_deadline: float | None = None
        self._retries = 0
        self._rx_expected: int | None = None
        self._nak_for: int | None = None
        self._last_tx = 0.0
        self._announce_deadline: float | None = None  # awaiting the peer's RST answer
        self._announce_tries = 0
        self._link_down = False  # LinkLost reported, no answer from the peer since

    # ------------------------------------------------------------------ public API
    def start(self, now: float) -> None:
        """(Re)start our side: send RST, number from 00, forget unsent frames."""
        self._reset_tx()
        self._rx_expected = None
        self._nak_for = None
        self._emit_link("RST", 0)
        self._last_tx = now
        self._announce_deadline = now + self.ack_timeout
        self._announce_tries = 0
        self._link_down = False

    def send(self, message: Message, now: float) -> None:
        """Queue ``message``; it goes out as soon as the window allows."""
        if len(self._queue) >= MAX_QUEUED:
            raise LocalProtocolError(f"send queue full ({MAX_QUEUED} messages)")
        # Encode now, so that a message the wire cannot carry raises here, to its sender,
        # and never takes a sequence number (the real number is patched in at _pump).
        self._queue.append(encode_frame(0, message.TYPE, message.to_fields()))
        self._pump(now)

    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes from the line (``b""`` = end of stream)."""
        self._decoder.receive_data(data)
        ack_due = False
        for item in self._decoder.events():
            if isinstance(item, BadFrame):
                self.counters.bad_frames += 1
                self._events.append(item)
                self._nak(self._rx_expected)
                continue
            self.counters.frames_received += 1
            if item.type in LINK_TYPES:
                self._on_link_frame(item, now)
            else:
                ack_due |= self._on_data_frame(item)
        if ack_due and self._rx_expected is not None:
            self._emit_link("ACK", (self._rx_expected - 1) % 256)
        self._pump(now)

    def next_event(self) -> SessionEvent | _NeedData:
        return self._events.popleft() if self._events else NEED_DATA

    def events(self) -> list[SessionEvent]:
        out = list(self._events)
        self._events.clear()
        return out

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def next_deadline(self) -> float | None:
        """When ``handle_timeout`` must next be called (None: only on new input)."""
        deadlines = []
        if self._announce_deadline is not None:
            deadlines.append(self._announce_deadline)
        if self._retry_deadline is not None:
            deadlines.append(self._retry_deadline)
        elif self.heartbeat_interval and self._announce_deadline is None:
            deadlines.append(self._last_tx + self.heartbeat_interval)
        return min(deadlines) if deadlines else None

    def handle_timeout(self, now: float) -> None:
        if self._announce_deadline is not None and now >= self._announce_deadline:
            interval = self.ack_timeout
            if self._announce_tries >= self.max_retries:
                # Keep probing (slower) so the link comes back with the peer.
                interval = max(self.ack_timeout, self.heartbeat_interval or 0.0)
                if not self._link_down:
                    lost = self.backlog
                    self._reset_tx()
                    self._link_down = True
                    self._events.append(LinkLost(
                        f"no answer to RST after {self.max_retries} retries; "
                        f"{lost} message(s) dropped"))
            self._announce_tries += 1
            seq = self._unacked[0][0] if self._unacked else self._next_seq
            self._out += encode_frame(seq, "RST", [("a", "2")])
            self._announce_deadline = now + interval
        if self._retry_deadline is not None and now >= self._retry_deadline:
            if self._retries >= self.max_retries:
                lost = len(self._unacked) + len(self._queue)
                # Our numbering restarts at 00: resynchronise before sending more.
                self.start(now)
                self._link_down = True
                self._events.append(LinkLost(
                    f"no acknowledgement after {self.max_retries} retries "
                    f"({self.ack_timeout:g} s each); {lost} message(s) dropped"))
                return
            self._retries += 1
            self._retransmit(now)
        elif (self.heartbeat_interval and not self._unacked and not self._queue
              and self._announce_deadline is None
              and now >= self._last_tx + self.heartbeat_interval):
            self.send(Heartbeat(), now)

    @property
    def backlog(self) -> int:
        """Messages sent but not yet acknowledged, plus those still queued."""
        return len(self._unacked) + len(self._queue)

    @property
    def synchronised(self) -> bool:
        return self._rx_expected is not None

    # ------------------------------------------------------------------ internals
    def _reset_tx(self) -> None:
        self._next_seq = 0
        self._unacked.clear()
        self._queue.clear()
        self._retry_deadline = None
        self._retries = 0

    def _emit_link(self, type_code: str, seq: int) -> None:
        self._out += encode_frame(seq, type_code)

    def _nak(self, expected: int | None) -> None:
        if expected is None or self._nak_for == expected:
            return
        self._nak_for = expected
        self.counters.naks_sent += 1
        self._emit_link("NAK", expected)

    def _on_data_frame(self, frame: Frame) -> bool:
        """Returns True when an ACK is due."""
        if self._announce_deadline is not None:
            return False  # until the peer announces its numbering, its frames are not ours
        if self._rx_expected is not None and frame.seq != self._rx_expected:
            if _behind(self._rx_expected, frame.seq):
                self.counters.duplicates += 1
                return True
            self._nak(self._rx_expected)
            return False
        self._rx_expected = (frame.seq + 1) % 256
        self._nak_for = None
        try:
            message = message_from_fields(frame.type, list(frame.fields))
        except MessageFormatError as exc:
            self._events.append(MalformedMessage(str(exc), frame))
        else:
            self._events.append(MessageReceived(message))
        return True

    def _on_link_frame(self, frame: Frame, now: float) -> None:
        if frame.type == "RST":
            # The peer announces the number of its next frame; a restart RST is
            # answered with ours, so that both directions are synchronised.
            kind = dict(frame.fields).get("a", "")
            answer = kind == "1"
            if not (answer and self._rx_expected is not None
                    and _behind(self._rx_expected, frame.seq)):
                # (An answer naming frames we already took is stale: keep our place.  A
                # restart, a=2 included, is always taken: its sender sends no data before
                # our answer, so it names its true next frame, usually far behind ours.)
                self._rx_expected = frame.seq
            self._nak_for = None
            self._announce_deadline = None
            self._link_down = False
            if not answer:
                announce = self._unacked[0][0] if self._unacked else self._next_seq
                self._out += encode_frame(announce, "RST", [("a", "1")])
                self._events.append(PeerReset())
            return
        seqs = [s for s, _ in self._unacked]
        if frame.seq not in seqs:
            return  # stale or for frames we no longer hold
        index = seqs.index(frame.seq)
        if frame.type == "ACK":
            for _ in range(index + 1):
                self._unacked.popleft()
            self._retries = 0
            self._retry_deadline = now + self.ack_timeout if self._unacked else None
        else:  # NAK: everything before it arrived; resend from it
            for _ in range(index):
                self._unacked.popleft()
            if self._retries >= self.max_retries * 4:
                return  # a NAK storm; let the timer decide whether the link is lost
            self._retries += 1
            self._retransmit(now)

    def _retransmit(self, now: float) -> None:
        for _, raw in self._unacked:
            self._out += raw
            self.counters.retransmissions += 1
        self._retry_deadline = now + self.ack_timeout
        self._last_tx = now

    def _pump(self, now: float) -> None:
        while (self._queue and len(self._unacked) < self.window
               and self._announce_deadline is None):
            seq = self._next_seq
            self._next_seq = (seq + 1) % 256
            raw = renumber_frame(self._queue.popleft(), seq)
            self._unacked.append((seq, raw))
            self._out += raw
            self.counters.frames_sent += 1
            self._last_tx = now
            if self._retry_deadline is None:
                self._retry_deadline = now + self.ack_timeout
