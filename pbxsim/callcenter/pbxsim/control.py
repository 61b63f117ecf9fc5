"""The simulator's JSON-lines control port (for tests and demos), and a small client for it.

One UTF-8 JSON object per ``\\n``-terminated line each way; every request is answered
at once by exactly one line.  A bad request (not JSON, not an object, unknown
``cmd``, a missing or bad field, a line over 64 KiB) gets ``{"ok": false, "error":
"..."}`` and the connection lives on.  The command reference is in docs/simulator.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Protocol

from .engine import EngineError
from .pbx import SimulatedPbx
from .traffic import TrafficError, TrafficGenerator
from .transport import FaultInjector

log = logging.getLogger("callcenter.pbxsim.control")

MAX_LINE = 64 * 1024
Answer = dict[str, Any]


class RequestError(ValueError):
    """A control request that cannot be carried out; the text goes back to the client."""


class SimulatorControls(Protocol):
    """What the control port drives (implemented by ``app.Simulator``)."""

    @property
    def pbx(self) -> SimulatedPbx: ...

    @property
    def traffic(self) -> TrafficGenerator: ...

    @property
    def faults(self) -> FaultInjector: ...

    def disconnect_line(self) -> bool: ...

    def reboot(self) -> None: ...


def _field(req: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = req.get(name, default)
    if value is None:
        raise RequestError(f"field {name!r} is required")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is str and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise RequestError(f"field {name!r} must be a {kind.__name__}")
    return value


def _number(req: dict[str, Any], name: str, lo: float, hi: float, *, kind: type = int,
            default: Any = None) -> Any:
    value = _field(req, name, kind, default)
    if not lo <= value <= hi:
        raise RequestError(f"field {name!r} must be in {lo:g}..{hi:g}, got {value}")
    return value


class ControlHandler:
    """Carries out control requests on the simulator (runs on the simulator's loop)."""

    def __init__(self, sim: SimulatorControls) -> None:
        self.sim = sim
        self._commands: dict[str, Callable[[dict[str, Any]], Answer]] = {
            name[4:]: getattr(self, name) for name in dir(self) if name.startswith("cmd_")}

    def handle(self, request: object) -> Answer:
        if not isinstance(request, dict):
            return {"ok": False, "error": "a request must be a JSON object"}
        cmd = request.get("cmd")
        command = self._commands.get(cmd) if isinstance(cmd, str) else None
        if command is None:
            return {"ok": False, "error": f"unknown cmd {cmd!r} (known: "
                    f"{', '.join(sorted(self._commands))})"}
        try:
            answer = command(request)
            self.sim.pbx.service()  # engine events and new records go out at once
        except (RequestError, EngineError, TrafficError) as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:  # a simulator bug must not take the control port down
            log.exception("control command %r failed", cmd)
            return {"ok": False, "error": f"internal error: {exc}"}
        return {"ok": True, **answer}

    @property
    def pbx(self) -> SimulatedPbx:
        return self.sim.pbx

    def _port(self, req: dict[str, Any]) -> str:
        port = str(_field(req, "extension", str))
        if port.isdigit() and len(port) < 3:
            port = port.zfill(3)
        if f"extension.{port}.number" not in self.pbx.memory.schema:
            raise RequestError(f"field 'extension': no port {port!r} (ports are 001.."
                               f"{self.pbx.memory.schema.extensions:03d})")
        return port

    def _trunk(self, req: dict[str, Any]) -> str | None:
        if req.get("trunk") in (None, ""):
            return None
        trunk = str(_field(req, "trunk", str))
        if trunk.isdigit() and len(trunk) < 2:
            trunk = trunk.zfill(2)
        if trunk not in {f"{i:02d}" for i in range(1, self.pbx.memory.schema.trunks + 1)}:
            raise RequestError(f"field 'trunk': no trunk {trunk!r}")
        return trunk

    def _outside_party(self, req: dict[str, Any]) -> str | None:
        """The trunk of a ``dial``/``hangup`` by the outside party (``trunk`` instead of
        ``extension``), or None for an extension's."""
        if req.get("trunk") in (None, ""):
            return None
        if req.get("extension") not in (None, ""):
            raise RequestError("give 'extension' (the extension does it) or 'trunk' (the "
                               "outside party on that trunk does it), not both")
        return self._trunk(req)

    def _digits(self, req: dict[str, Any], name: str) -> str:
        value = str(_field(req, name, str))
        if not value or len(value) > 32 or not all(c in "0123456789*#" for c in value):
            raise RequestError(f"field {name!r} must be 1-32 digits (0-9 * #)")
        return value

    # ------------------------------------------------------------------ calls
    def cmd_call(self, req: dict[str, Any]) -> Answer:
        port, number = self._port(req), self._digits(req, "number")
        duration = _number(req, "duration", 0, 86400)
        account = _field(req, "account", str, "")
        pending = self.pbx.engine.completed_call(port, number, duration, self.pbx.clock.now(),
                                                 trunk=self._trunk(req), account=account)
        self.pbx.service()
        return {"queued": True, "waiting": len(self.pbx.waiting), "trunk": pending.trunk}

    def cmd_disa(self, req: dict[str, Any]) -> Answer:
        trunk = self._trunk(req)
        if trunk is None:
            raise RequestError("field 'trunk' is required (the DISA trunk the call came in on)")
        caller, number = self._digits(req, "caller"), self._digits(req, "number")
        password = str(_field(req, "password", str))
        duration = _number(req, "duration", 0, 86400)
        pending = self.pbx.engine.disa_call(trunk, caller, password, number, duration,
                                            self.pbx.clock.now())
        self.pbx.service()
        return {"queued": True, "waiting": len(self.pbx.waiting), "trunk": pending.trunk,
                "account": pending.account}

    def cmd_burst(self, req: dict[str, Any]) -> Answer:
        count = _number(req, "count", 1, 100_000)
        self.sim.traffic.burst(count)
        return {"count": count}

    def cmd_ring(self, req: dict[str, Any]) -> Answer:
        port, caller = self._port(req), self._digits(req, "caller")
        return {"call_id": self.pbx.engine.incoming_call(caller, self.pbx.clock.now(),
                                                         trunk=self._trunk(req), ring_port=port)}

    def cmd_incoming(self, req: dict[str, Any]) -> Answer:
        caller = self._digits(req, "caller")
        return {"call_id": self.pbx.engine.incoming_call(caller, self.pbx.clock.now(),
                                                         trunk=self._trunk(req))}

    def cmd_answer(self, req: dict[str, Any]) -> Answer:
        return {"call_id": self.pbx.engine.answer(self._port(req), self.pbx.clock.now())}

    def cmd_hangup(self, req: dict[str, Any]) -> Answer:
        trunk = self._outside_party(req)
        if trunk is not None:
            return {"call_id": self.pbx.engine.trunk_hangup(trunk, self.pbx.clock.now())}
        self.pbx.engine.hangup(self._port(req), self.pbx.clock.now())
        return {}

    def cmd_offhook(self, req: dict[str, Any]) -> Answer:
        self.pbx.engine.offhook(self._port(req), self.pbx.clock.now())
        return {}

    def cmd_onhook(self, req: dict[str, Any]) -> Answer:
        self.pbx.engine.onhook(self._port(req), self.pbx.clock.now())
        return {}

    def cmd_dial(self, req: dict[str, Any]) -> Answer:
        trunk = self._outside_party(req)
        if trunk is not None:
            digits = self._digits(req, "digits")
            return {"call_id": self.pbx.engine.disa_dial(trunk, digits, self.pbx.clock.now())}
        port, digits = self._port(req), self._digits(req, "digits")
        return {"call_id": self.pbx.engine.dial(port, digits, self.pbx.clock.now())}

    def cmd_traffic(self, req: dict[str, Any]) -> Answer:
        self.sim.traffic.rate = _number(req, "rate", 0, 600, kind=float)
        return {"rate": self.sim.traffic.rate}

    # ------------------------------------------------------------------ inspection
    def cmd_ping(self, req: dict[str, Any]) -> Answer:
        return {}

    def cmd_counters(self, req: dict[str, Any]) -> Answer:
        return {**self.pbx.counters(), "frames_corrupted": self.sim.faults.frames_corrupted,
                "frames_dropped": self.sim.faults.frames_dropped}

    def cmd_state(self, req: dict[str, Any]) -> Answer:
        now = self.pbx.clock.now()
        return {"night": self.pbx.engine.is_night(now), "pbx_time": now.strftime("%Y%m%d%H%M%S"),
                "extensions": [asdict(e) for e in self.pbx.engine.extension_states()],
                "trunks": [asdict(t) for t in self.pbx.engine.trunk_states()],
                "park_slots": [asdict(p) for p in self.pbx.engine.park_slots()]}

    def cmd_get(self, req: dict[str, Any]) -> Answer:
        key = _field(req, "key", str)
        if key not in self.pbx.memory.schema:
            raise RequestError(f"no parameter {key!r}")
        return {"key": key, "value": self.pbx.memory[key]}

    def cmd_params(self, req: dict[str, Any]) -> Answer:
        return {"params": self.pbx.memory.image()}

    def cmd_set(self, req: dict[str, Any]) -> Answer:
        key, value = _field(req, "key", str), _field(req, "value", str)
        try:
            return {"key": key, "value": self.pbx.program(key, value)}  # as from a phone
        except ValueError as exc:  # ParameterError: names what is allowed
            raise RequestError(str(exc)) from None

    def cmd_clock(self, req: dict[str, Any]) -> Answer:
        return {"pbx_time": self.pbx.clock.now().strftime("%Y%m%d%H%M%S")}

    # ------------------------------------------------------------------ faults
    def cmd_fault(self, req: dict[str, Any]) -> Answer:
        kind = _field(req, "kind", str)
        faults = self.sim.faults
        if kind == "corrupt":
            faults.corrupt(_number(req, "count", 1, 10_000, default=1))
        elif kind == "drop":
            faults.drop(_number(req, "count", 1, 10_000, default=1))
        elif kind == "delay":
            seconds = _number(req, "seconds", 0, 300, kind=float)
            faults.delay(seconds, asyncio.get_running_loop().time())
        elif kind == "disconnect":
            return {"disconnected": self.sim.disconnect_line()}
        elif kind == "reboot":
            self.sim.reboot()
        else:
            raise RequestError(f"field 'kind' must be corrupt, drop, delay, disconnect or "
                               f"reboot; got {kind!r}")
        return {"kind": kind}


class ControlServer:
    """Serves ``ControlHandler`` on a TCP port, JSON lines, many clients at once."""

    def __init__(self, host: str, port: int, handler: ControlHandler) -> None:
        self._host, self._port = host, port
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        if self._clients:
            await asyncio.gather(*self._clients, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        buf = bytearray()
        discarding = False  # inside an over-long line that was already answered
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                buf += data
                while True:
                    end = buf.find(b"\n")
                    if end < 0:
                        if len(buf) > MAX_LINE and not discarding:
                            discarding = True
                            await self._answer(writer, {
                                "ok": False, "error": f"line longer than {MAX_LINE} bytes"})
                        if discarding:
                            buf.clear()
                        break
                    line = bytes(buf[:end])
                    del buf[:end + 1]
                    if discarding:
                        discarding = False
                        continue
                    if line.strip():
                        await self._answer(writer, self._handle_line(line))
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            self._clients.discard(task)
            writer.transport.abort()

    def _handle_line(self, line: bytes) -> Answer:
        if len(line) > MAX_LINE:
            return {"ok": False, "error": f"line longer than {MAX_LINE} bytes"}
        try:
            request = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return {"ok": False, "error": f"not a JSON object: {exc}"}
        return self._handler.handle(request)

    @staticmethod
    async def _answer(writer: asyncio.StreamWriter, answer: Answer) -> None:
        writer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
        await writer.drain()


class ControlClient:
    """A blocking client of the control port: ``request({"cmd": ...}) -> answer``."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._buf = bytearray()

    def request(self, request: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """Send one request and wait (at most ``timeout`` s) for its answer line."""
        self._sock.sendall(json.dumps(request).encode("utf-8") + b"\n")
        return self.read_answer(timeout)

    def send_raw(self, data: bytes) -> None:
        self._sock.sendall(data)

    def read_answer(self, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the simulator's control port")
            self._sock.settimeout(left)
            data = self._sock.recv(65536)
            if not data:
                raise ConnectionError("control port closed the connection")
            self._buf += data
        end = self._buf.index(b"\n")
        line = bytes(self._buf[:end])
        del self._buf[:end + 1]
        answer = json.loads(line)
        if not isinstance(answer, dict):
            raise ValueError(f"control answer is not an object: {line[:80]!r}")
        return answer

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
