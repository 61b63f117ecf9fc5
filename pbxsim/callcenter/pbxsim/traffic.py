"""Generated call traffic: live calls at a steady rate, and bursts of completed calls.

Numbers look like the ones a small exchange in China sees: local numbers of 8
digits, mobiles of 11 digits starting 13/15/18, and long distance as 0 + area
code + number.  Everything random comes from one ``random.Random`` (``--seed``).

Live traffic (``rate`` calls per minute, Poisson arrivals) goes through the call
engine the way a person would: an outgoing call takes an idle extension off-hook,
dials, talks for 5-90 s and hangs up; an incoming call rings by the PBX's own
routing, is answered after a few seconds and talks as long.  A new call is not
started while the record buffer is full or calls still wait for room in it (B-7:
the exchange keeps every record, so it takes no call it could not record).

``burst(count)`` queues exactly ``count`` completed outgoing calls at once
(``CallEngine.completed_call``) with varied numbers and durations, on ports whose
service class allows the number; their records enter the buffer as fast as it
has room.
"""

from __future__ import annotations

import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import datetime

from .engine import EngineError
from .pbx import SimulatedPbx

log = logging.getLogger("callcenter.pbxsim.traffic")

AREA_CODES = ("10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "311", "371",
              "431", "451", "531", "571", "591", "731", "755", "769", "851", "871", "898")
MOBILE_PREFIXES = ("13", "15", "18")
OUTSIDE_ACCESS = "9"  # the trunk access code a live outgoing call dials first
MAX_LIVE = 64


class TrafficError(ValueError):
    """Traffic that this PBX's settings make impossible (the text says why)."""


def local_number(rng: random.Random) -> str:
    return str(rng.randint(2, 8)) + "".join(rng.choice("0123456789") for _ in range(7))


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(9))


def long_distance_number(rng: random.Random) -> str:
    area = rng.choice(AREA_CODES)
    subscriber = str(rng.randint(2, 8)) + "".join(
        rng.choice("0123456789") for _ in range(7 if len(area) == 2 else 6))
    return "0" + area + subscriber


def outside_number(rng: random.Random) -> str:
    """A number as dialled after the trunk access code: 50% local, 35% mobile, 15% long."""
    roll = rng.random()
    if roll < 0.5:
        return local_number(rng)
    if roll < 0.85:
        return mobile_number(rng)
    return long_distance_number(rng)


@dataclass
class LiveCall:
    """A generated call in progress: what to do to it next, and when (monotonic seconds)."""

    kind: str  # "out" or "in"
    port: str
    number: str
    duration: int
    stage: str
    due: float
    call_id: int = 0


class TrafficGenerator:
    """Makes calls on ``pbx``; ``tick(now)`` is called by the simulator's loop."""

    def __init__(self, pbx: SimulatedPbx, rate: float = 0.0,
                 rng: random.Random | None = None) -> None:
        self.pbx = pbx
        self.rng = rng or random.Random()
        self._rate = 0.0
        self._next_call: float | None = None
        self.live: list[LiveCall] = []
        self.calls_started = 0
        self.rate = rate

    @property
    def rate(self) -> float:
        """Live calls per minute (0: none)."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        if value < 0:
            raise TrafficError("the traffic rate must not be negative")
        self._rate = value
        self._next_call = None

    def reset(self) -> None:
        """Forget live calls (the PBX restarted and dropped them)."""
        self.live.clear()

    # ------------------------------------------------------------------ bursts
    def burst(self, count: int) -> None:
        """Queue exactly ``count`` completed outgoing calls now (TrafficError if impossible)."""
        now = self.pbx.clock.now()
        ports = [e.port for e in self.pbx.engine.extension_states()]
        for _ in range(count):
            self._completed_call(ports, now)

    def _completed_call(self, ports: list[str], now: datetime) -> None:
        duration = self.rng.randint(5, 600)
        reasons: list[str] = []
        for attempt in range(24):
            number = outside_number(self.rng) if attempt < 16 else local_number(self.rng)
            port = self.rng.choice(ports)
            try:
                self.pbx.engine.completed_call(port, number, duration, now)
                return
            except EngineError as exc:
                reasons.append(str(exc))
        raise TrafficError("the PBX refused every generated call (e.g. "
                           f"{reasons[-1] if reasons else 'no ports'}); check the service "
                           "classes and trunk access")

    def opening(self, now: float, first: tuple[str, str, int] | None = None) -> None:
        """A demo's first seconds: one completed outgoing call, its record issued at once, and
        an outside call ringing now (``now``: the loop's monotonic clock). ``first``: that
        call as (port, number, seconds); None for a generated one. TrafficError if the PBX
        refuses the given call, or every generated one."""
        if first is None:
            self.burst(1)
        else:
            port, number, seconds = first
            try:
                self.pbx.engine.completed_call(port, number, seconds, self.pbx.clock.now())
            except EngineError as exc:
                raise TrafficError(f"the opening call from {port} to {number}: {exc}") from exc
        self._start_call(now, incoming=True)

    # ------------------------------------------------------------------ live traffic
    def tick(self, now: float) -> float | None:
        """Advance live calls and start new ones; returns when to be called next."""
        for call in [c for c in self.live if c.due <= now]:
            self._advance(call, now)
        if self._rate > 0:
            if self._next_call is None:
                self._next_call = now + self.rng.expovariate(self._rate / 60.0)
            if now >= self._next_call:
                self._next_call = now + self.rng.expovariate(self._rate / 60.0)
                self._start_call(now)
        dues = [c.due for c in self.live] + ([self._next_call] if self._next_call else [])
        return min(dues) if dues else None

    def _start_call(self, now: float, *, incoming: bool = False) -> None:
        memory = self.pbx.memory
        if memory.buffer_full() or self.pbx.waiting or len(self.live) >= MAX_LIVE:
            log.debug("call not started: the record buffer has no room")
            return
        pbx_now = self.pbx.clock.now()
        engine = self.pbx.engine
        busy = {c.port for c in self.live}
        idle = [e.port for e in engine.extension_states()
                if e.state == "idle" and e.port not in busy]
        duration = self.rng.randint(5, 90)
        try:
            if not incoming and self.rng.random() < 0.5 and idle:
                port = self.rng.choice(idle)
                engine.offhook(port, pbx_now)
                call = LiveCall("out", port, outside_number(self.rng), duration, "dial",
                                now + self.rng.uniform(1.0, 3.0))
            else:
                caller = self.rng.choice((local_number, mobile_number))(self.rng)
                call_id = engine.incoming_call(caller, pbx_now)
                port = next((e.port for e in engine.extension_states()
                             if e.call_id == call_id and e.state == "ringing"), "")
                if not port:
                    return  # nobody free to ring (or the auto attendant took it)
                call = LiveCall("in", port, caller, duration, "answer",
                                now + self.rng.uniform(2.0, 8.0), call_id)
        except EngineError as exc:
            log.debug("generated call not started: %s", exc)
            return
        self.calls_started += 1
        self.live.append(call)

    def _advance(self, call: LiveCall, now: float) -> None:
        engine = self.pbx.engine
        pbx_now = self.pbx.clock.now()
        try:
            if call.stage == "dial":
                engine.dial(call.port, OUTSIDE_ACCESS + call.number, pbx_now)
                call.stage, call.due = "hangup", now + call.duration
                return
            if call.stage == "answer":
                engine.answer(call.port, pbx_now)
                call.stage, call.due = "hangup", now + call.duration
                return
            engine.hangup(call.port, pbx_now)
        except EngineError as exc:
            log.debug("generated call on %s ended early: %s", call.port, exc)
            self._clean_up(call.port)
        self.live.remove(call)

    def _clean_up(self, port: str) -> None:
        with contextlib.suppress(EngineError):  # already idle
            self.pbx.engine.hangup(port, self.pbx.clock.now())
