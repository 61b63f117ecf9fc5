"""The simulator's line: TCP or a pseudo-terminal, one connection at a time, paced and faulty.

Theory of operation
-------------------
Everything here runs on the simulator's one asyncio loop (see ``app.py``), so the
PBX behind it needs no locks.  A transport hands the bytes it reads to a
``LineEndpoint`` (the ``SimulatedPbx``) and gives it an ``OutputLine`` to write to.

``OutputLine`` is the PBX's transmitter: bytes written to it pass the
``FaultInjector`` (frame by frame: corrupt or drop the next N frames), wait out a
``delay`` stall, and are then paced, when a ``LineSettings`` is given, no faster
than a real line of that speed carries them (start, data, parity and stop bits
counted): each chunk of about 20 ms of line time is written only once the line
time of the previous chunk has passed, so the throughput is close to, never above,
the line's capacity.

Like a real RS-232 line, the simulator serves one PC at a time.  ``TcpLine``
accepts a second connection while one is active and closes it at once, with a log
line (the line is in use).  ``PtyLine`` is a pseudo-terminal whose follower end the
simulator holds open itself, so the line is always "connected"; a ``disconnect``
flushes it and restarts the PBX's side of the link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import termios
import tty
from collections.abc import Awaitable, Callable
from typing import Protocol

from callcenter.common.pbx.frame import STX
from callcenter.common.pbx.line import LineSettings

log = logging.getLogger("callcenter.pbxsim.transport")

MAX_PENDING = 1 << 20  # bytes queued for a line nobody reads; beyond that they are lost
CHUNK_SECONDS = 0.02  # pacing granularity
GRACE_SECONDS = 0.3  # how long a new connection waits for the active one to turn out closed


class LineEndpoint(Protocol):
    """The PBX side of the line (implemented by ``SimulatedPbx``)."""

    def connection_made(self, line: OutputLine) -> None: ...

    def data_received(self, data: bytes) -> None: ...

    def connection_lost(self, reason: str) -> None: ...


class FaultInjector:
    """Faults on the PBX's transmit side, set from the control port; shared by all connections."""

    def __init__(self) -> None:
        self.corrupt_pending = 0
        self.drop_pending = 0
        self.stall_until = 0.0  # loop time until which output is held back
        self.frames_corrupted = 0
        self.frames_dropped = 0

    def corrupt(self, count: int) -> None:
        self.corrupt_pending += count

    def drop(self, count: int) -> None:
        self.drop_pending += count

    def delay(self, seconds: float, now: float) -> None:
        self.stall_until = max(self.stall_until, now + seconds)

    def apply(self, data: bytes) -> bytes:
        """``data`` with the pending corrupt/drop faults applied to its frames."""
        if not (self.corrupt_pending or self.drop_pending):
            return data
        out = bytearray()
        for frame in split_frames(data):
            if frame[:1] == bytes([STX]) and self.drop_pending:
                self.drop_pending -= 1
                self.frames_dropped += 1
                continue
            if frame[:1] == bytes([STX]) and self.corrupt_pending and len(frame) > 2:
                self.corrupt_pending -= 1
                self.frames_corrupted += 1
                # Byte 1 is a hex digit of the sequence number: flipping its low bit keeps the
                # frame 7-bit ASCII and never makes an STX/ETX, so only the CRC can catch it.
                out += frame[:1] + bytes([frame[1] ^ 0x01]) + frame[2:]
                continue
            out += frame
        return bytes(out)


def split_frames(data: bytes) -> list[bytes]:
    """Split the PBX's output (whole frames, back to back) at each STX."""
    parts = data.split(bytes([STX]))
    frames = [bytes([STX]) + p for p in parts[1:]]
    return ([parts[0]] if parts[0] else []) + frames


class OutputLine:
    """The transmit side of one connection: faults, stall, pacing, then ``sink``."""

    def __init__(self, sink: Callable[[bytes], Awaitable[None]], faults: FaultInjector,
                 settings: LineSettings | None, close: Callable[[], None]) -> None:
        self._sink = sink
        self._faults = faults
        self._settings = settings
        self._close = close
        self._buf = bytearray()
        self._ready = asyncio.Event()
        self._closed = False
        self.bytes_written = 0
        self.bytes_lost = 0

    @property
    def pending(self) -> int:
        """Bytes written but not yet on the wire."""
        return len(self._buf)

    @property
    def bytes_per_second(self) -> float | None:
        return self._settings.bytes_per_second if self._settings else None

    def write(self, data: bytes) -> None:
        if self._closed or not data:
            return
        data = self._faults.apply(data)
        room = MAX_PENDING - len(self._buf)
        if len(data) > room:
            self.bytes_lost += len(data) - max(room, 0)
            log.warning("line output backlog over %d bytes (nobody reading?): bytes lost",
                        MAX_PENDING)
            data = data[:max(room, 0)]
        self._buf += data
        self._ready.set()

    def close(self) -> None:
        """Drop the connection (the transport calls ``connection_lost`` when it is gone)."""
        if not self._closed:
            self._closed = True
            self._ready.set()
            self._close()

    async def run(self) -> None:
        """Writer task: runs until the line is closed or the sink fails."""
        loop = asyncio.get_running_loop()
        line_free = loop.time()
        bps = self.bytes_per_second
        chunk = max(1, int(bps * CHUNK_SECONDS)) if bps else 65536
        while not self._closed:
            if not self._buf:
                self._ready.clear()
                await self._ready.wait()
                continue
            stall = self._faults.stall_until - loop.time()
            if stall > 0:
                await asyncio.sleep(stall)
                continue
            if bps and line_free > loop.time():
                await asyncio.sleep(line_free - loop.time())
            data = bytes(self._buf[:chunk])
            del self._buf[:len(data)]
            try:
                await self._sink(data)
            except OSError as exc:
                log.info("line write failed: %s", exc)
                self.close()
                return
            self.bytes_written += len(data)
            if bps:
                # Keep the line's own schedule: a sleep that overran by a millisecond must not
                # be lost from the rate (a real UART sends back to back); only a line that was
                # really idle starts its schedule again from now.
                now = loop.time()
                if line_free < now - CHUNK_SECONDS:
                    line_free = now
                line_free += len(data) / bps


class TcpLine:
    """A TCP listener like an RS-232-over-LAN converter: one connection at a time."""

    def __init__(self, host: str, port: int, endpoint: LineEndpoint, faults: FaultInjector,
                 settings: LineSettings | None) -> None:
        self._host = host
        self._port = port
        self._endpoint = endpoint
        self._faults = faults
        self._settings = settings
        self._server: asyncio.Server | None = None
        self._active: asyncio.StreamWriter | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._released = asyncio.Event()
        self.connections = 0
        self.refused = 0

    async def start(self) -> None:
        """Listen; raises OSError when the address cannot be bound."""
        self._server = await asyncio.start_server(self._accept, self._host, self._port)

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"socket://{host}:{port}"

    def disconnect(self) -> bool:
        """Drop the current connection, if any; True when there was one."""
        if self._active is None:
            return False
        self._active.transport.abort()
        return True

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.disconnect()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _line_free(self) -> bool:
        """Whether a new connection may take the line.

        A port probe (connect, close) just before may not have been noticed yet: the active
        connection gets a moment to turn out closed before the new one is refused.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GRACE_SECONDS
        while self._active is not None and loop.time() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), deadline - loop.time())
        return self._active is None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if not await self._line_free():
            self.refused += 1
            holder = self._active.get_extra_info("peername") if self._active else "?"
            log.warning("connection from %s refused: the line is in use by %s", peer, holder)
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._active = writer
        self._released.clear()
        self.connections += 1
        log.info("PC connected from %s", peer)

        async def sink(data: bytes) -> None:
            writer.write(data)
            await writer.drain()

        line = OutputLine(sink, self._faults, self._settings, writer.transport.abort)
        writer_task = asyncio.create_task(line.run())
        reason = "closed by the PC"
        try:
            self._endpoint.connection_made(line)
            while True:
                data = await reader.read(4096)
                if not data:
                    break
                self._endpoint.data_received(data)
        except (ConnectionError, OSError) as exc:
            reason = f"connection error: {exc}"
        except asyncio.CancelledError:
            reason = "simulator stopping"
        except Exception:  # a simulator bug: log it, drop this connection, keep listening
            log.exception("PBX failed while serving %s", peer)
            reason = "simulator error"
        finally:
            line.close()
            writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await writer_task
            self._active = None
            self._released.set()
            self._handlers.discard(task)
            log.info("PC at %s disconnected (%s)", peer, reason)
            self._endpoint.connection_lost(reason)
            writer.transport.abort()


class PtyLine:
    """A pseudo-terminal in raw mode; the PC opens ``path`` as its serial port."""

    def __init__(self, endpoint: LineEndpoint, faults: FaultInjector,
                 settings: LineSettings | None) -> None:
        self._endpoint = endpoint
        self._faults = faults
        self._settings = settings
        self._leader = -1
        self._follower = -1
        self._line: OutputLine | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self.path = ""
        self.connections = 0

    async def start(self) -> None:
        self._leader, self._follower = os.openpty()
        # The simulator keeps the follower open itself, so the leader never reads EIO
        # when the PC closes its end, and raw mode (no echo, no line editing) sticks.
        tty.setraw(self._follower)
        os.set_blocking(self._leader, False)
        self.path = os.ttyname(self._follower)
        asyncio.get_running_loop().add_reader(self._leader, self._readable)
        self._open_line()

    def _open_line(self) -> None:
        self.connections += 1
        self._line = OutputLine(self._write, self._faults, self._settings, lambda: None)
        self._writer_task = asyncio.create_task(self._line.run())
        self._endpoint.connection_made(self._line)

    async def _close_line(self, reason: str) -> None:
        if self._line is None:
            return
        self._line.close()
        self._line = None
        if self._writer_task is not None:
            self._writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await self._writer_task
        self._endpoint.connection_lost(reason)

    def disconnect(self) -> bool:
        """Restart the line: the PBX's side of the link starts afresh, buffers flushed."""
        asyncio.get_running_loop().create_task(self._restart())
        return True

    async def _restart(self) -> None:
        await self._close_line("line restarted")
        with contextlib.suppress(OSError):
            termios.tcflush(self._follower, termios.TCIOFLUSH)
        self._open_line()

    async def stop(self) -> None:
        if self._leader >= 0:
            asyncio.get_running_loop().remove_reader(self._leader)
        await self._close_line("simulator stopping")
        for fd in (self._leader, self._follower):
            if fd >= 0:
                os.close(fd)
        self._leader = self._follower = -1

    def _readable(self) -> None:
        try:
            data = os.read(self._leader, 4096)
        except BlockingIOError:
            return
        except OSError as exc:
            log.warning("pty read failed: %s", exc)
            return
        if data and self._line is not None:
            self._endpoint.data_received(data)

    async def _write(self, data: bytes) -> None:
        view = memoryview(data)
        loop = asyncio.get_running_loop()
        while view:
            try:
                written = os.write(self._leader, view)
            except BlockingIOError:
                ready = loop.create_future()
                loop.add_writer(self._leader, ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_writer(self._leader)
                continue
            view = view[written:]
