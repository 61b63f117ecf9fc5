"""The link to the PBX: one thread, one port, one ``LinkSession``; I/O only.

Theory of operation
-------------------
``PbxLink.start()`` starts a thread that owns the port.  The port is opened only through
``serial.serial_for_url`` so ``COM3``, ``/dev/ttyUSB0``, a pty path, ``socket://host:port``
and ``rfc2217://host:port`` all work.  After opening, the PC speaks first (pyserial's
``socket://`` handler discards whatever arrives during ``open()``, so we never rely on a
greeting): the session sends ``RST`` and an ``IdentifyRequest``.  The answer (``Identity``)
makes the link *up*; listeners get ``LinkUp``.

The thread then loops: read with a short timeout, feed the session, handle its deadlines,
send what other threads queued, write what the session produced.  Answers are matched to
requests by request id (``submit``/``request``); every received message, answers included,
is handed to the listener first, in wire order, so a state snapshot and the events after it
are seen in the order the PBX sent them.

When the session reports ``LinkLost``, or the port reports end of stream or an error, the
port is closed, listeners get ``LinkDown``, waiting requests fail with ``PbxUnavailable``
and the thread reopens the port after a back-off (0.5 s doubling to 10 s).  When the PBX
restarts its side (``PeerReset``) the link re-identifies and announces ``LinkUp`` again.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import serial

from callcenter.common.pbx.frame import BadFrame, LocalProtocolError
from callcenter.common.pbx.line import LineSettings
from callcenter.common.pbx.messages import IdentifyRequest, Identity, Message
from callcenter.common.pbx.session import (
    LinkLost,
    LinkSession,
    MalformedMessage,
    MessageReceived,
    PeerReset,
)
from callcenter.server.pbx.port import describe_open_error, open_port, read_available

log = logging.getLogger(__name__)

#: A peer that closes this soon after the port opened, having sent nothing, is refusing us.
CLOSED_AT_ONCE_SECONDS = 2.0
CLOSED_AT_ONCE = ("the PBX closed the connection at once: is another program "
                  "(the callcenter service?) using the port?")

_REQUEST_NAMES = {
    "IDQ": "identify", "PRQ": "parameter read", "PWQ": "parameter write", "CKQ": "clock set",
    "STQ": "state request", "CCQ": "call control",
}


class PbxError(Exception):
    """Something went wrong talking to the PBX; the text is meant for the user."""


class PbxUnavailable(PbxError):
    """The link to the PBX is down (port missing, in use, or the PBX silent)."""


class PbxTimeout(PbxError):
    """The PBX did not answer a request in time."""


@dataclass(frozen=True)
class LinkUp:
    """The PBX answered the identify request: the link is usable."""

    identity: Identity


@dataclass(frozen=True)
class LinkDown:
    """The link went down (or could not come up); ``reason`` is for the user."""

    reason: str


LinkNotice = LinkUp | LinkDown | Message
Listener = Callable[[LinkNotice], None]


@dataclass(frozen=True)
class LinkOptions:
    """Timing of the link; the protocol defaults (3 s, 3 retries) suit a real line."""

    ack_timeout: float = 3.0
    max_retries: int = 3
    window: int = 8
    heartbeat: float | None = 10.0
    identify_timeout: float = 10.0
    backoff_min: float = 0.5
    backoff_max: float = 10.0
    read_timeout: float = 0.02


class PbxLink:
    """The PC side of the PBX link; thread-safe API, one I/O thread inside."""

    def __init__(self, url: str, line: LineSettings | None = None, *,
                 listener: Listener | None = None, options: LinkOptions | None = None,
                 log_failures: bool = True) -> None:
        """``log_failures=False``: connection failures are logged at debug level only, for
        callers that report ``wait_up(fail_fast=True)``'s error themselves (the CLI)."""
        self.url = url
        self._failure_level = logging.WARNING if log_failures else logging.DEBUG
        self._open_error_level = logging.ERROR if log_failures else logging.DEBUG
        self.line = line or LineSettings()
        self.options = options or LinkOptions()
        self._listeners: list[Listener] = [listener] if listener else []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._pending: dict[int, Future[Message]] = {}
        self._names: dict[int, str] = {}  # id(future) -> request name, for messages
        self._outgoing: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._identity: Identity | None = None
        self._failed_attempts = 0
        self._last_error = ""
        self._stopping = threading.Event()
        self._wake = threading.Event()  # ends a back-off wait: stop, or a new port
        self._new_port: tuple[str, LineSettings] | None = None
        self.bytes_written = 0  # to the PBX, frames and acknowledgements (for benchmarks)
        self._thread: threading.Thread | None = None
        # The I/O thread holds this while it uses the session (never while it waits for
        # input), so a caller can hand its request to the session and write it at once
        # instead of waiting for the read timeout.
        self._session_lock = threading.Lock()
        self._live: tuple[serial.SerialBase, LinkSession] | None = None
        self._identify_id = 0
        self._identify_deadline: float | None = None
        self._was_up = False

    # ------------------------------------------------------------------ public API
    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` (in the link thread; it must not block) for every notice."""
        self._listeners.append(listener)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("PbxLink already started")
        self._thread = threading.Thread(target=self._run, name=f"pbx-link {self.url}",
                                        daemon=True)
        self._thread.start()

    def reopen(self, url: str, line: LineSettings | None = None) -> None:
        """Close the port and open ``url`` (with ``line``, default the current settings)
        instead, in the same thread: listeners get ``LinkDown`` ("the PBX port was
        changed"), then ``LinkUp`` once the PBX there identifies itself."""
        with self._lock:
            self._new_port = (url, line or self.line)
        self._wake.set()

    def stop(self) -> None:
        """Close the port and end the thread (thread-safe, idempotent)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=15)

    def __enter__(self) -> PbxLink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def identity(self) -> Identity | None:
        """The PBX's last identity while the link is up, else None."""
        return self._identity

    @property
    def is_up(self) -> bool:
        return self._identity is not None

    @property
    def last_error(self) -> str:
        return self._last_error

    def wait_up(self, timeout: float, *, fail_fast: bool = False) -> Identity:
        """Wait until the PBX identified itself.

        With ``fail_fast`` the first failed attempt (no such port, port in use, PBX silent)
        raises ``PbxUnavailable`` at once instead of waiting for a reconnect.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if self._identity is not None:
                    return self._identity
                if fail_fast and self._failed_attempts:
                    raise PbxUnavailable(self._last_error)
                left = deadline - time.monotonic()
                if left <= 0:
                    detail = f" ({self._last_error})" if self._last_error else ""
                    raise PbxTimeout(f"the PBX at {self.url} did not identify itself within "
                                     f"{timeout:g} s{detail}")
                self._changed.wait(left)

    def submit(self, factory: Callable[[int], Message]) -> Future[Message]:
        """Send ``factory(request_id)``; the future gets the answer with that request id.

        The future fails with ``PbxUnavailable`` when the link goes down first.
        """
        future: Future[Message] = Future()
        with self._lock:
            if self._identity is None:
                raise PbxUnavailable(self._down_text())
            request_id = next(self._ids) % 2**32 or next(self._ids)
            message = factory(request_id)
            self._pending[request_id] = future
            self._names[id(future)] = request_name(message)
        self._outgoing.put(message)
        self._kick()
        return future

    def request(self, factory: Callable[[int], Message], timeout: float = 10.0) -> Message:
        """Send a request and wait for its answer (thread-safe)."""
        return self.result(self.submit(factory), timeout)

    def result(self, future: Future[Message], timeout: float) -> Message:
        """The answer of a submitted request, or PbxTimeout / PbxUnavailable."""
        try:
            return future.result(timeout)
        except FutureTimeout:
            with self._lock:
                for rid, pending in list(self._pending.items()):
                    if pending is future:
                        del self._pending[rid]
                future.cancel()
            raise PbxTimeout(f"no answer from the PBX at {self.url} to a "
                             f"{self._names.get(id(future), 'request')} within "
                             f"{timeout:g} s") from None
        finally:
            with self._lock:
                self._names.pop(id(future), None)

    def send(self, message: Message) -> None:
        """Send a message that has no answer (e.g. RecordAck); PbxUnavailable when down."""
        if self._identity is None:
            raise PbxUnavailable(self._down_text())
        self._outgoing.put(message)
        self._kick()

    def _kick(self) -> None:
        """Send what is queued now, from the caller's thread, if the session is free."""
        live = self._live
        if live is None or threading.current_thread() is self._thread:
            return  # the I/O thread sends it itself before it next waits
        if not self._session_lock.acquire(timeout=0.05):
            return  # the I/O thread sends it after its next read
        try:
            if self._live is live:
                port, session = live
                self._drain_outgoing(session, time.monotonic())
                with contextlib.suppress(serial.SerialException, OSError):
                    self._write(port, session.data_to_send())  # errors: the reader sees them
        finally:
            self._session_lock.release()

    # ------------------------------------------------------------------ the I/O thread
    def _down_text(self) -> str:
        return f"the PBX link is down ({self._last_error or 'not connected yet'})"

    def _notify(self, notice: LinkNotice) -> None:
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("a PBX link listener failed on %r", notice)

    def _run(self) -> None:
        delay = self.options.backoff_min
        logged = ""
        while not self._stopping.is_set():
            if self._take_new_port():
                delay, logged = self.options.backoff_min, ""
            try:
                port = open_port(self.url, self.line, self.options.read_timeout)
            except (serial.SerialException, OSError, ValueError) as exc:
                reason = describe_open_error(self.url, exc)
                if reason != logged:
                    log.log(self._open_error_level, "%s", reason)
                    logged = reason
                self._went_down(reason, was_up=False)
            else:
                logged = ""
                log.info("opened PBX port %s", self.url)
                try:
                    reason, was_up = self._serve(port)
                finally:
                    self._close(port)
                if self._stopping.is_set():
                    self._went_down("stopped", was_up=was_up)
                    break
                if was_up:
                    delay = self.options.backoff_min
                log.log(logging.WARNING if was_up else self._failure_level,
                        "PBX link down: %s; reconnecting in %.1f s", reason, delay)
                self._went_down(reason, was_up=was_up)
            if self._new_port is None and self._wake.wait(delay) and self._stopping.is_set():
                break
            self._wake.clear()
            delay = min(delay * 2, self.options.backoff_max)

    def _take_new_port(self) -> bool:
        """Switch to the port ``reopen`` asked for, if any (I/O thread)."""
        with self._lock:
            new, self._new_port = self._new_port, None
            if new is None:
                return False
            self.url, self.line = new
            self._failed_attempts = 0
        log.info("PBX port changed to %s (%d baud, %d%s%d)", new[0], new[1].baud,
                 new[1].bytesize, new[1].parity, new[1].stopbits)
        return True

    def _close(self, port: serial.SerialBase) -> None:
        try:
            port.close()
        except (serial.SerialException, OSError) as exc:
            log.debug("closing %s: %s", self.url, exc)

    def _went_down(self, reason: str, *, was_up: bool) -> None:
        with self._changed:
            self._identity = None
            self._last_error = reason
            self._failed_attempts += 1
            pending, self._pending = self._pending, {}
            self._changed.notify_all()
        while True:
            try:
                self._outgoing.get_nowait()
            except queue.Empty:
                break
        for future in pending.values():
            if not future.done():
                future.set_exception(PbxUnavailable(f"the PBX link went down: {reason}"))
        if was_up or self._failed_attempts == 1:
            self._notify(LinkDown(reason))

    def _serve(self, port: serial.SerialBase) -> tuple[str, bool]:
        """Run one connection; returns (why it ended, whether it was ever up)."""
        opts = self.options
        session = LinkSession(ack_timeout=opts.ack_timeout, max_retries=opts.max_retries,
                              window=opts.window, heartbeat_interval=opts.heartbeat)
        opened = now = time.monotonic()
        self._identify_id = self._new_internal_id()
        self._identify_deadline = now + opts.identify_timeout
        with self._session_lock:
            session.start(now)
            session.send(IdentifyRequest(self._identify_id), now)
            self._live = (port, session)
        received = 0
        self._was_up = False
        try:
            while not self._stopping.is_set():
                if self._new_port is not None:
                    return "the PBX port was changed", self._was_up
                try:
                    with self._session_lock:
                        self._write(port, session.data_to_send())
                    data = read_available(port)
                except (serial.SerialException, OSError) as exc:
                    if not received and time.monotonic() - opened < CLOSED_AT_ONCE_SECONDS:
                        return CLOSED_AT_ONCE, self._was_up
                    return f"{exc}", self._was_up
                received += len(data)
                with self._session_lock:
                    reason = self._step(session, data, time.monotonic())
                if reason:
                    return reason, self._was_up
            with self._session_lock, contextlib.suppress(serial.SerialException, OSError):
                self._write(port, session.data_to_send())
            return "stopped", self._was_up
        finally:
            with self._session_lock:
                self._live = None

    def _step(self, session: LinkSession, data: bytes, now: float) -> str:
        """Feed input, run timers, send queued messages, handle events; a reason to stop."""
        if data:
            session.receive_data(data, now)
        deadline = session.next_deadline()
        if deadline is not None and now >= deadline:
            session.handle_timeout(now)
        self._drain_outgoing(session, now)
        for event in session.events():
            if isinstance(event, MessageReceived):
                message = event.message
                if isinstance(message, Identity) and message.request_id == self._identify_id:
                    self._identify_deadline = None
                    self._was_up = True
                    self._came_up(message)
                else:
                    self._deliver(message)
            elif isinstance(event, LinkLost):
                return f"the PBX stopped answering: {event.reason}"
            elif isinstance(event, PeerReset):
                if self._was_up:
                    log.info("the PBX restarted its side of the link; identifying again")
                    self._identify_id = self._new_internal_id()
                    session.send(IdentifyRequest(self._identify_id), now)
            elif isinstance(event, MalformedMessage):
                log.warning("malformed message from the PBX (%s): %s", event.frame.type,
                            event.reason)
            elif isinstance(event, BadFrame):
                log.debug("bad frame from the PBX: %s", event.reason)
        if self._identify_deadline is not None and now >= self._identify_deadline:
            line = self.line
            return (f"no answer to identify from the PBX at {self.url} within "
                    f"{self.options.identify_timeout:g} s (is it switched on, is the line set "
                    f"to {line.baud} {line.bytesize}{line.parity}{line.stopbits}, "
                    "or is another program using the port?)")
        return ""

    def _new_internal_id(self) -> int:
        with self._lock:
            return next(self._ids) % 2**32 or next(self._ids)

    def _write(self, port: serial.SerialBase, data: bytes) -> None:
        if data:
            port.write(data)
            self.bytes_written += len(data)

    def _drain_outgoing(self, session: LinkSession, now: float) -> None:
        while True:
            try:
                message = self._outgoing.get_nowait()
            except queue.Empty:
                return
            try:
                session.send(message, now)
            except LocalProtocolError as exc:
                self._fail_request(message, PbxError(f"cannot send {message.TYPE}: {exc}"))

    def _fail_request(self, message: Message, exc: Exception) -> None:
        request_id = getattr(message, "request_id", None)
        with self._lock:
            future = self._pending.pop(request_id, None) if request_id is not None else None
        if future is not None and not future.done():
            future.set_exception(exc)
        else:
            log.error("%s", exc)

    def _came_up(self, identity: Identity) -> None:
        with self._changed:
            self._identity = identity
            self._last_error = ""
            self._changed.notify_all()
        log.info("PBX %s firmware %s: %d extensions, %d trunks", identity.model,
                 identity.firmware, identity.extensions, identity.trunks)
        self._notify(LinkUp(identity))

    def _deliver(self, message: Message) -> None:
        self._notify(message)
        request_id = getattr(message, "request_id", None)
        if request_id is None:
            return
        with self._lock:
            future = self._pending.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result(message)


def request_name(message: Message) -> str:
    """A user-facing name of a request type, e.g. "parameter write"."""
    return _REQUEST_NAMES.get(message.TYPE, message.TYPE)
