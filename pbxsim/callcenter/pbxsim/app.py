"""The simulator as one object: ``Simulator(SimulatorConfig(...)).start()`` runs it in-process.

Everything (the line, the PBX, the traffic generator, the control port) runs on one
asyncio loop in one thread, started and stopped in the manner of aiosmtpd's
``Controller``: ``start()`` returns once the simulator listens, and re-raises a bind
error (``OSError``); ``stop()`` is thread-safe and joins the thread.  The CLI, the
server's ``--demo`` mode and the tests all start it this way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from callcenter.common.pbx.line import LineSettings
from callcenter.common.schema import build_schema

from .control import ControlHandler, ControlServer
from .memory import ParameterMemory
from .pbx import LinkOptions, SimulatedPbx
from .traffic import TrafficGenerator
from .transport import FaultInjector, PtyLine, TcpLine

log = logging.getLogger("callcenter.pbxsim")

T = TypeVar("T")
START_TIMEOUT = 10.0


class ListenError(OSError):
    """``Simulator.start()`` could not open ``where``: ``HOST:PORT`` of the line or of the
    control port (``role`` "line" or "control port"), or "a pseudo-terminal".

    ``str()`` is the cause's text; ``errno`` is the cause's.
    """

    def __init__(self, role: str, where: str, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.role = role
        self.where = where
        self.cause = cause

    def __str__(self) -> str:
        return str(self.cause)


@dataclass
class SimulatorConfig:
    """What ``callcenter-pbxsim``'s flags set; see docs/simulator.md."""

    extensions: int = 24
    trunks: int = 8
    state_file: Path | None = None
    seed: int | None = None
    traffic: float = 0.0  # live calls per minute
    buffer: int = 2000  # call records held until acknowledged
    line: LineSettings | None = None  # None: no pacing
    pace: bool = True  # False: ``line`` only records the framing; output is not paced
    listen: tuple[str, int] | None = ("127.0.0.1", 0)
    pty: bool = False
    control: tuple[str, int] | None = ("127.0.0.1", 0)
    ack_timeout: float = 3.0
    max_retries: int = 3
    window: int = 8
    heartbeat: float = 10.0
    record_timeout: float = 10.0  # an offered record not acknowledged by then is offered again


class Simulator:
    """A running simulated PBX (see the module docstring)."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config = config or SimulatorConfig()
        if not config.pty and config.listen is None:
            raise ValueError("nothing to serve: give listen (TCP) or pty=True")
        schema = build_schema(config.extensions, config.trunks)
        rng = random.Random(config.seed)

        def load_memory() -> ParameterMemory:
            memory = ParameterMemory(schema, config.state_file, config.buffer)
            memory.defer_saves = True  # SimulatedPbx.service() flushes once per round
            return memory

        self._pbx = SimulatedPbx(
            load_memory(), rng=rng,
            link=LinkOptions(config.ack_timeout, config.max_retries, config.window,
                             config.heartbeat, config.record_timeout),
            reload_memory=load_memory if config.state_file is not None else None)
        self._traffic = TrafficGenerator(self._pbx, config.traffic, random.Random(rng.random()))
        self._faults = FaultInjector()
        self._line: TcpLine | PtyLine | None = None
        self._control: ControlServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None

    # ------------------------------------------------------------------ properties
    @property
    def pbx(self) -> SimulatedPbx:
        return self._pbx

    @property
    def traffic(self) -> TrafficGenerator:
        return self._traffic

    @property
    def faults(self) -> FaultInjector:
        return self._faults

    @property
    def url(self) -> str:
        """What the PC opens: ``socket://HOST:PORT`` or the pseudo-terminal's path."""
        if isinstance(self._line, TcpLine):
            return self._line.url
        if isinstance(self._line, PtyLine):
            return self._line.path
        raise RuntimeError("the simulator is not running")

    @property
    def control_address(self) -> tuple[str, int] | None:
        return self._control.address if self._control is not None else None

    @property
    def refused_connections(self) -> int:
        return self._line.refused if isinstance(self._line, TcpLine) else 0

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Start listening; raises OSError (e.g. address in use) when it cannot."""
        if self._thread is not None:
            raise RuntimeError("already started")
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="pbxsim")
        self._thread.start()
        try:
            ready.result(START_TIMEOUT)
        except BaseException:
            self._thread.join(START_TIMEOUT)
            self._thread = None
            raise
        log.info("simulator ready: %s, control %s", self.url, self.control_address)

    def stop(self) -> None:
        """Stop and join the simulator's thread; safe to call twice or from any thread."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stopping.set)
        if thread is not threading.current_thread():
            thread.join()
        self._thread = None
        self._pbx.memory.flush()

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, fn: Callable[[], T], timeout: float = 5.0) -> T:
        """Run ``fn`` on the simulator's loop (where the PBX lives) and return its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the simulator is not running")

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    # ------------------------------------------------------------------ control actions
    def disconnect_line(self) -> bool:
        """Drop the PC's connection (loop thread only)."""
        return self._line.disconnect() if self._line is not None else False

    def reboot(self) -> None:
        """A PBX restart (loop thread only): line dropped, calls cleared, memory reloaded."""
        self.disconnect_line()
        self._pbx.reboot()
        self._traffic.reset()

    # ------------------------------------------------------------------ the loop thread
    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(ready))
        except BaseException as exc:  # a start-up failure was handed to start() already
            if not ready.done():
                ready.set_exception(exc)
            else:
                log.exception("simulator loop failed")
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None

    @property
    def paced_line(self) -> LineSettings | None:
        """The line settings the output is paced by (None: not paced)."""
        return self.config.line if self.config.pace else None

    def _describe_line(self) -> str:
        line = self.config.line
        if line is None:
            return "line not paced"
        framing = f"{line.bytesize}{line.parity}{line.stopbits}"
        if self.config.pace:
            return f"line paced at {line.baud} baud {framing}"
        return f"line framing {framing}, not paced (no baud rate given)"

    async def _main(self, ready: concurrent.futures.Future[None]) -> None:
        config = self.config
        self._stopping = asyncio.Event()
        try:
            if config.pty:
                self._line = PtyLine(self._pbx, self._faults, self.paced_line)
                where = "a pseudo-terminal"
            else:
                assert config.listen is not None
                self._line = TcpLine(config.listen[0], config.listen[1], self._pbx,
                                     self._faults, self.paced_line)
                where = f"{config.listen[0]}:{config.listen[1]}"
            try:
                await self._line.start()
            except OSError as exc:
                raise ListenError("line", where, exc) from exc
            if config.control is not None:
                self._control = ControlServer(config.control[0], config.control[1],
                                              ControlHandler(self))
                try:
                    await self._control.start()
                except OSError as exc:
                    raise ListenError("control port",
                                      f"{config.control[0]}:{config.control[1]}", exc) from exc
        except BaseException:
            await self._shutdown()
            raise
        log.info("%s", self._describe_line())
        ready.set_result(None)
        ticker = asyncio.create_task(self._tick_forever())
        await self._stopping.wait()
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        await self._shutdown()

    async def _tick_forever(self) -> None:
        """Drive the PBX's and the traffic generator's timers."""
        while True:
            now = time.monotonic()
            try:
                wake = self._pbx.service(now)
                traffic_due = self._traffic.tick(now)
            except Exception:
                log.exception("simulator tick failed")
                wake, traffic_due = now + 1.0, None
            if traffic_due is not None:
                wake = min(wake, traffic_due)
            await asyncio.sleep(max(0.0, min(wake - time.monotonic(), 0.25)))

    async def _shutdown(self) -> None:
        if self._control is not None:
            await self._control.stop()
        if self._line is not None:
            await self._line.stop()
