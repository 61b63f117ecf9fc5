"""One agent connection: framing, validation, order of checks, timers, the send queue.

Theory of operation
-------------------
A session is the protocol half of a connection (aiosmtpd's ``SMTP`` to the hub's handler):
it reads bytes in bounded chunks into a ``LineDecoder``, validates each line with
``validate_client_message`` and ``check_access`` (so the order of checks is the document's:
JSON, type, id, action, parameters, login state, role), and hands logins and requests to the
``SessionHandler`` (the business).  Every login and request gets exactly one response.

Requests the PBX carries out run as tasks, so a ``ping`` is answered while a ``dial`` waits
for the PBX (responses may come out of order, as the protocol allows); everything else is
answered in order.

Output goes through a bounded queue of encoded lines drained by one writer task per
connection (``write`` + ``drain``), so a slow client only ever waits on its own queue.  When
the queue is full the session is *overflowed*: its queue is dropped, an ``overflow`` event is
written best effort, and the connection is closed (aborted after ``close_grace`` if the peer
does not read).  Fan-out therefore never blocks on a client.

Timers: an unauthenticated connection is closed ``login_timeout`` after it connected, whatever
it sends (also while it waits for the answer to a login, and with logins pipelined in one
write: they are answered one at a time, and the deadline ends the connection with the rest
unanswered); a logged-in one after ``idle_timeout`` without receiving anything.

``end`` closes a session from the hub's side with one last response of ``id`` null, e.g.
when its account was removed or changed (the handler polls the store for that).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from callcenter.common.agent.catalog import ACTIONS, EVENTS, ErrorCode, role_allows
from callcenter.common.agent.codec import (
    NEED_DATA,
    EndOfStream,
    InvalidLine,
    LineDecoder,
    LineTooLong,
    ObjectLine,
    encode,
)
from callcenter.common.agent.messages import (
    Login,
    ProtocolError,
    Request,
    check_access,
    event,
    format_time,
    response_error,
    validate_client_message,
)
from callcenter.server.hub.admin import Job
from callcenter.server.hub.options import HubOptions

log = logging.getLogger(__name__)

_BATCH: Final = 256  # lines handed to the transport per write
ALL_EVENTS: Final = frozenset(EVENTS)
UNSUBSCRIBABLE: Final = frozenset(name for name, spec in EVENTS.items()
                                  if not spec.unsubscribable)


def now_text() -> str:
    """The server's local time, ISO 8601 with offset, to the millisecond."""
    return format_time(datetime.now().astimezone())


class EncodedEvent:
    """An event encoded once for every receiver; only ``seq`` differs per connection."""

    __slots__ = ("name", "prefix", "tail")

    def __init__(self, name: str, time_text: str, data: dict[str, Any]) -> None:
        self.name = name
        body = encode(data, max_line=1 << 24)  # b'{...}\n'; a snapshot may be large
        self.tail = b"}\n" if body == b"{}\n" else b"," + body[1:]
        self.prefix = (b'{"type":"event","event":"' + name.encode() + b'","seq":', b',"time":"'
                       + time_text.encode() + b'"')

    def line(self, seq: int) -> bytes:
        return self.prefix[0] + str(seq).encode() + self.prefix[1] + self.tail


@dataclass(frozen=True)
class Reply:
    """The one response to a login or request, and what to do right after sending it
    (``then``: e.g. send the snapshot that follows a successful login)."""

    response: dict[str, Any]
    then: Callable[[], None] | None = None


class SessionHandler(Protocol):
    """The business side the session calls (``hub.handler.HubHandler``)."""

    def hello(self) -> dict[str, Any]: ...

    def admit(self, session: AgentSession) -> str | None: ...

    def login(self, session: AgentSession, login: Login) -> Awaitable[Reply]: ...

    def request(self, session: AgentSession, request: Request) -> Awaitable[Reply]: ...

    def closed(self, session: AgentSession) -> None: ...


class AgentSession:
    """The protocol side of one connection (see the module docstring)."""

    def __init__(self, handler: SessionHandler, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, options: HubOptions) -> None:
        self.handler = handler
        self.options = options
        self._reader = reader
        self._writer = writer
        peer = writer.get_extra_info("peername")
        self.address: str = str(peer[0]) if isinstance(peer, tuple) else ""
        self.remote_port: int = int(peer[1]) if isinstance(peer, tuple) else 0
        self.connected_at = now_text()
        # Set by the handler at login:
        self.user = ""
        self.role: str | None = None
        self.port = ""
        self.device = "normal"
        self.logged_in_at = ""
        self.must_change_password = False
        self.token_login = False  # logged in with the service token: no account behind it
        self.account_generation = 0  # the store's account counter its account was read at
        self.admin_only: frozenset[str] = frozenset()
        self.modules: frozenset[str] = frozenset()  # console modules operators may use
        self.jobs: dict[str, Job] = {}  # long admin requests running, by request id
        self.active = False  # logged in, password fine: receives events, counts as an agent
        self.subscribed: set[str] = set(ALL_EVENTS)
        self.seq = 0
        self.closing = False
        self.overflowed = False
        self.ended = False  # closed by the hub with a last response (``end``)
        self._out: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._read: asyncio.Future[bytes] | None = None
        self._tokens = options.burst
        self._refilled = time.monotonic()
        self._started = time.monotonic()
        self._last_heard = self._started

    def __repr__(self) -> str:
        who = self.user or "-"
        return f"<AgentSession {self.address}:{self.remote_port} {who} {self.port or '-'}>"

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        """Serve the connection until either side closes it."""
        writer_task = asyncio.create_task(self._write_loop())
        try:
            with contextlib.suppress(OSError):
                self._set_buffers()
            self.send(self.handler.hello())
            refused = self.handler.admit(self)
            if refused is not None:
                self.send(response_error(None, ErrorCode.RATE_LIMITED, refused))
                return
            await self._read_loop()
        except (ConnectionError, OSError) as exc:
            log.debug("%r: %s", self, exc)
        finally:
            self.closing = True
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            self.handler.closed(self)
            self._wake.set()
            await self._finish_writer(writer_task)

    def _set_buffers(self) -> None:
        sock = self._writer.get_extra_info("socket")
        if sock is not None and self.options.send_buffer:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.options.send_buffer)
        self._writer.transport.set_write_buffer_limits(high=self.options.write_buffer)

    async def _finish_writer(self, writer_task: asyncio.Task[None]) -> None:
        if self.overflowed:  # give the overflow event a chance to get out
            with contextlib.suppress(TimeoutError, ConnectionError, OSError):
                await asyncio.wait_for(self._writer.wait_closed(), self.options.close_grace)
        try:
            await asyncio.wait_for(asyncio.shield(writer_task), self.options.close_grace)
        except (TimeoutError, asyncio.CancelledError):
            writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                await writer_task
        self.abort()

    def abort(self) -> None:
        """Drop the connection now (no flushing)."""
        self.closing = True
        self._wake.set()
        with contextlib.suppress(Exception):
            self._writer.transport.abort()

    def end(self, code: ErrorCode, message: str) -> None:
        """Close the session from the hub's side: one last response with ``id`` null (its
        ``code`` and ``message`` say why), then the connection closes once it is written."""
        if self.closing:
            return
        self.send(response_error(None, code, message))
        self.ended = True
        self.closing = True
        self._wake.set()
        if self._read is not None:
            self._read.cancel()

    def _login_expired(self) -> bool:
        return (self.role is None
                and time.monotonic() >= self._started + self.options.login_timeout)

    def _deadline(self) -> tuple[float, str]:
        if self.role is None:
            return (self._started + self.options.login_timeout,
                    f"no login within {self.options.login_timeout:g} s")
        return (self._last_heard + self.options.idle_timeout,
                f"nothing received for {self.options.idle_timeout:g} s")

    async def _read_loop(self) -> None:
        decoder = LineDecoder()
        while not self.closing:
            deadline, why = self._deadline()
            left = deadline - time.monotonic()
            if left <= 0:
                log.info("%r: closed: %s", self, why)
                return
            self._read = asyncio.ensure_future(self._reader.read(self.options.read_chunk))
            try:
                data = await asyncio.wait_for(self._read, left)
            except TimeoutError:
                continue  # the deadline is checked at the top (it may have moved)
            except asyncio.CancelledError:
                if (self.overflowed or self.ended) and self._read.cancelled():
                    return  # _overflow or end stopped the reading, not someone stopping us
                raise
            self._last_heard = time.monotonic()
            decoder.receive_data(data)
            while not self.closing:
                if self._login_expired():  # e.g. logins pipelined in one write
                    log.info("%r: closed: %s", self, self._deadline()[1])
                    return
                item = decoder.next_event()
                if item is NEED_DATA:
                    break
                if isinstance(item, EndOfStream):
                    return
                if isinstance(item, ObjectLine):
                    await self._on_object(item.data)
                elif isinstance(item, InvalidLine):
                    self.send(response_error(None, ErrorCode.BAD_JSON, item.reason))
                elif isinstance(item, LineTooLong):
                    self.send(response_error(None, ErrorCode.LINE_TOO_LONG,
                                             f"a line is at most {item.limit} bytes including "
                                             "its newline"))

    # ------------------------------------------------------------------ dispatch
    async def _on_object(self, obj: dict[str, Any]) -> None:
        message = validate_client_message(obj)
        if isinstance(message, ProtocolError):
            self.send(message.response())
            return
        if isinstance(message, Login):
            if self.role is not None:
                self.send(response_error(message.id, ErrorCode.ALREADY_LOGGED_IN,
                                         f"already logged in as {self.user!r}"))
                return
            # One login at a time (the next line is not read before this one is answered),
            # and never past the login deadline, however long the answer takes.
            left = self._started + self.options.login_timeout - time.monotonic()
            try:
                async with asyncio.timeout(max(left, 0)):
                    await self._answer(message.id, lambda: self.handler.login(self, message))
            except TimeoutError:
                self.closing = True
                log.info("%r: closed: %s (while a login was answered)", self,
                         self._deadline()[1])
            return
        if not self._take_token():
            self.send(response_error(message.id, ErrorCode.RATE_LIMITED,
                                     f"more than {self.options.rate:g} requests per second; "
                                     "slow down"))
            return
        denied = check_access(message, self.role,
                              must_change_password=self.must_change_password)
        if denied is None and message.action in self.admin_only and self.role != "admin":
            denied = ProtocolError(ErrorCode.FORBIDDEN, f"action {message.action!r} is "
                                   "reserved for admins on this server", message.id)
        module = ACTIONS[message.action].module
        if denied is None and module and self.role == "operator" and module not in self.modules:
            denied = ProtocolError(ErrorCode.FORBIDDEN, f"action {message.action!r} belongs "
                                   f"to the console module {module!r}, which this server "
                                   "does not allow operators (console.operator_modules)",
                                   message.id)
        if denied is not None:
            self.send(denied.response())
            return
        request = message
        if ACTIONS[request.action].pbx or ACTIONS[request.action].long:
            if len(self._tasks) >= self.options.max_outstanding:
                self.send(response_error(request.id, ErrorCode.RATE_LIMITED,
                                         f"{len(self._tasks)} requests are waiting for the PBX "
                                         "already"))
                return
            task = asyncio.create_task(
                self._answer(request.id, lambda: self.handler.request(self, request)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        await self._answer(request.id, lambda: self.handler.request(self, request))

    async def _answer(self, request_id: str | int,
                      work: Callable[[], Awaitable[Reply]]) -> None:
        try:
            reply = await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%r: request %r failed", self, request_id)
            reply = Reply(response_error(request_id, ErrorCode.INTERNAL,
                                         "the hub failed to carry out the request (logged)"))
        self.send(reply.response)
        if reply.then is not None:
            reply.then()

    def _take_token(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.options.burst,
                           self._tokens + (now - self._refilled) * self.options.rate)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    # ------------------------------------------------------------------ output
    def send(self, message: dict[str, Any]) -> bool:
        """Queue one message (a response or the hello); False when dropped."""
        return self.send_line(encode(message, max_line=1 << 24))

    def send_event(self, encoded: EncodedEvent) -> bool:
        """Queue an event if subscribed, with this connection's next ``seq``."""
        if not self.active or encoded.name not in self.subscribed:
            return False
        spec = EVENTS.get(encoded.name)
        if spec is not None and spec.role != "agent" and not role_allows(self.role or "",
                                                                        spec.role):
            return False
        self.seq += 1
        return self.send_line(encoded.line(self.seq))

    def send_line(self, line: bytes) -> bool:
        if self.closing:
            return False
        if len(self._out) >= self.options.queue_limit:
            self._overflow()
            return False
        self._out.append(line)
        self._wake.set()
        return True

    def _overflow(self) -> None:
        log.warning("%r: the client read too slowly (%d lines waiting); disconnecting",
                    self, len(self._out))
        self.overflowed = True
        self.closing = True
        self._out.clear()
        self.seq += 1
        line = encode(event("overflow", self.seq, now_text(), limit=self.options.queue_limit,
                            message="client read too slowly; closing"))
        with contextlib.suppress(Exception):
            self._writer.transport.write(line)  # best effort, behind what is buffered
        self._wake.set()
        loop = asyncio.get_running_loop()
        loop.call_later(self.options.close_grace, self.abort)
        with contextlib.suppress(Exception):
            self._writer.transport.close()  # stops reading; flushes, then closes
        if self._read is not None:
            self._read.cancel()  # the read loop ends now, not when the peer reads

    async def _write_loop(self) -> None:
        writer = self._writer
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._out and not self.overflowed:
                    count = min(len(self._out), _BATCH)
                    writer.write(b"".join([self._out.popleft() for _ in range(count)]))
                    await writer.drain()
                if self.closing or self.overflowed:
                    break
            if not self.overflowed:
                with contextlib.suppress(Exception):
                    await writer.drain()
        except (ConnectionError, OSError) as exc:
            log.debug("%r: write failed: %s", self, exc)
            self.closing = True
        finally:
            if not self.overflowed:
                with contextlib.suppress(Exception):
                    writer.close()
                    await writer.wait_closed()  # flushed; bounded by _finish_writer
