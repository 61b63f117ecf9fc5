"""The switching core of the simulated PBX: lines, calls, outside legs, timers, monitor states.

Theory of operation
-------------------
Time is an input: every action takes ``now`` (a timezone-aware datetime, PBX local time) and
``tick(now)`` runs the timers that fell due (far end answers, ring steps, delayed ring,
scheduled hang-ups, alarm clocks) at their own due time.  Every action (``engine.py``)
first runs the due timers, so timers and actions stay in order however rarely the caller
ticks.

Each extension port is a *line* (handset off hook, busy tone, its active call, the call it
holds, DND, forward).  A *call* joins member extensions and outside *legs* (a trunk with the
outside number).  A call that must ring somebody carries a *hunt* (``routing.py``).  Nothing
stores the monitor states: after each action they are derived from lines and calls and
compared with the last ones published, and every difference becomes an ExtensionState,
TrunkState or ParkSlotState event (``take_events``).

Call records are made per outside leg and per extension that talked on it: an answered
outgoing leg (OUT, number = the digits after the access code) or an answered incoming leg
(IN, number = caller ID).  When an extension hands the leg on (transfer, park, leaving a
conference) its part is recorded and the next extension's part starts when it answers.
Internal calls and unanswered calls make no record.  A DISA call (S-26) is an incoming leg
the PBX itself answered plus, once the caller has keyed a DISA password and a number, an
outgoing leg charged to no extension but to the DISA account (port and extension empty, the
caller ID as caller).  ``docs/simulator.md`` lists every setting the engine honours.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from callcenter.common.pbx.messages import (
    ExtensionState,
    Message,
    ParkSlotState,
    TrunkState,
)

from .dialplan import Authority, DialPlan, EngineError, is_on
from .memory import ParameterMemory
from .routing import Hunt, RingStep, Router

PARK_SLOTS = 6
RING_TIMEOUT_SECONDS = 30.0
ROUND_ROBIN_STEP_SECONDS = 15.0
ALARM_RING_SECONDS = 60.0
FAR_END_ANSWER_SECONDS = (2.0, 5.0)


@dataclass(frozen=True)
class PendingRecord:
    """A completed call before it gets its sequence number."""

    start: datetime  # timezone-aware PBX local time
    duration: int  # seconds of conversation
    port: str
    extension: str
    trunk: str
    number: str
    call_type: str  # "OUT" | "IN" | "INT"
    caller: str = ""
    account: str = ""
    ring_seconds: int = 0


@dataclass
class Line:
    """The live state of one extension port."""

    offhook: bool = False
    busy_tone: bool = False
    call: int = 0  # the call the port is in
    held: int = 0  # the call the port holds
    dnd: bool = False
    forward: str = ""


@dataclass
class OutsideLeg:
    """An outside party on a trunk, and the extension its charge goes to."""

    trunk: str
    number: str  # dialled digits after the access code (OUT) or caller ID (IN)
    call_type: str  # "OUT" | "IN"
    seized: datetime
    port: str = ""  # chargeable extension port
    account: str = ""
    answered: bool = False
    segment_start: datetime | None = None  # when ``port`` started talking on it
    ring_seconds: int = 0
    disa: bool = False  # the OUT leg of a DISA call: charged to ``account``, not to a port
    caller: str = ""  # DISA: the caller ID of the outside caller who dialled it


@dataclass
class Call:
    id: int
    kind: str  # "OUT" | "IN" | "INT"
    members: list[str] = field(default_factory=list)  # extension ports in the call
    legs: list[OutsideLeg] = field(default_factory=list)
    ringing: list[str] = field(default_factory=list)
    hunt: Hunt | None = None
    held_by: str = ""
    parked: int = 0
    page: bool = False
    alarm: bool = False
    disa: bool = False  # answered by the PBX itself (DISA): an outside caller dials out
    version: int = 0  # bumped when the ring situation changes; stale timers compare it


@dataclass(order=True)
class _Timer:
    due: datetime
    seq: int
    kind: str = field(compare=False)
    call_id: int = field(compare=False, default=0)
    version: int = field(compare=False, default=0)
    port: str = field(compare=False, default="")


class Switch:
    """The switching core: state and mechanisms under the actions of ``CallEngine``."""

    def __init__(self, memory: ParameterMemory, *, rng: random.Random | None = None,
                 answer_delay: float | None = None,
                 ring_timeout: float = RING_TIMEOUT_SECONDS,
                 ring_step: float = ROUND_ROBIN_STEP_SECONDS) -> None:
        """``answer_delay``: seconds until the far end answers an outgoing call (None: a
        random 2-5 s from ``rng``; 0: at once).  ``ring_timeout``: how long a call rings
        before the next step; ``ring_step``: each extension's turn in round robin."""
        self.memory = memory
        self.rng = rng or random.Random()
        self.answer_delay = answer_delay
        self.plan = DialPlan(memory)
        self.router = Router(self.plan, self, ring_timeout=ring_timeout, ring_step=ring_step)
        self.ports = self.plan.ports
        self.trunks = self.plan.trunks
        self._lines = {p: Line() for p in self.ports}
        self._calls: dict[int, Call] = {}
        self._trunk_calls: dict[str, int] = {}
        self._slots: dict[int, int] = {}
        self._parker: dict[int, str] = {}
        self._ids = itertools.count(1)
        self._timer_seq = itertools.count()
        self._timers: list[_Timer] = []
        self._events: list[Message] = []
        self._records: list[PendingRecord] = []
        self._last_tick: datetime | None = None
        self._shown_ext = {s.port: s for s in self.extension_states()}
        self._shown_trunk = {s.trunk: s for s in self.trunk_states()}
        self._shown_slot = {s.slot: s for s in self.park_slots()}

    # ------------------------------------------------------------------ outputs

    def take_events(self) -> list[Message]:
        """ExtensionState / TrunkState / ParkSlotState produced since the last call, in order."""
        events, self._events = self._events, []
        return events

    def take_records(self) -> list[PendingRecord]:
        """Completed chargeable calls since the last call, in order."""
        records, self._records = self._records, []
        return records

    def is_night(self, now: datetime) -> bool:
        """Night service (manual 1-3-29): by the switching times in auto mode, else the
        manual day/night switch ``system.night``."""
        if self.plan.system("day_night_mode", "manual").lower() != "auto":
            return is_on(self.plan.system("night", "off"))
        day, night = self.plan.system("day_start"), self.plan.system("night_start")
        if not day or not night or day == night:
            return False
        hhmm = now.strftime("%H%M")
        if day < night:
            return not day <= hhmm < night
        return night <= hhmm < day

    def extension_states(self) -> list[ExtensionState]:
        ringing = self._ringing_calls()
        return [self._extension_state(p, ringing) for p in self.ports]

    def trunk_states(self) -> list[TrunkState]:
        return [self._trunk_state(t) for t in self.trunks]

    def park_slots(self) -> list[ParkSlotState]:
        """The six park slots, free or holding a call."""
        out = []
        for slot in range(1, PARK_SLOTS + 1):
            call = self._calls.get(self._slots.get(slot, 0))
            if call is None:
                out.append(ParkSlotState(slot, False))
                continue
            out.append(ParkSlotState(slot, True, self._parked_party(call),
                                     self._parker.get(slot, ""), call.id))
        return out

    # ------------------------------------------------------------------ time

    def tick(self, now: datetime) -> None:
        """Run every timer due by ``now``, each at its own due time, then alarm clocks."""
        self._advance(now)
        self._publish()

    def schedule_hangup(self, port: str, at: datetime) -> None:
        """Hang ``port`` up at ``at`` if it is still in the call it is in now (traffic)."""
        line = self._line(port)
        self._add_timer(at, "hangup", line.call or line.held, port=port)

    def _advance(self, now: datetime) -> None:
        while self._timers and self._timers[0].due <= now:
            timer = heapq.heappop(self._timers)
            self._fire(timer)
        self._ring_alarms(now)
        self._last_tick = now if self._last_tick is None else max(self._last_tick, now)

    def _add_timer(self, due: datetime, kind: str, call_id: int = 0, version: int = 0,
                   port: str = "") -> None:
        heapq.heappush(self._timers, _Timer(due, next(self._timer_seq), kind, call_id, version,
                                            port))

    def _fire(self, timer: _Timer) -> None:
        call = self._calls.get(timer.call_id)
        at = timer.due
        if timer.kind == "hangup":
            line = self._lines[timer.port]
            if timer.call_id and timer.call_id in (line.call, line.held):
                self._hang_up(timer.port, at)
            return
        if call is None:
            return
        if timer.kind == "far_end_answer":
            for leg in call.legs:
                if leg.trunk == timer.port and not leg.answered:
                    self._far_end_answers(call, leg, at)
        elif timer.kind == "ring_end" and timer.version == call.version:
            self._next_step(call, at)
        elif (timer.kind == "delayed_ring" and timer.version == call.version
              and self._free(timer.port)):
            call.ringing.append(timer.port)

    def _ring_alarms(self, now: datetime) -> None:
        """Alarm clocks (S-6): a port whose alarm time passed since the last tick rings."""
        last = self._last_tick
        if last is None or now <= last or now - last > timedelta(days=1):
            return
        minute = last.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while minute <= now:
            hhmm = minute.strftime("%H%M")
            for port in self.ports:
                if hhmm in self.plan.alarms(port) and self._free(port):
                    call = self._new_call("INT", alarm=True)
                    self._start_hunt(call, Hunt([RingStep((port,), ALARM_RING_SECONDS)],
                                                outside=False), minute)
            minute += timedelta(minutes=1)

    # ------------------------------------------------------------------ LineView for routing

    def dnd_on(self, port: str) -> bool:
        return self._lines[port].dnd

    def forward_of(self, port: str) -> str:
        return self._lines[port].forward

    # ------------------------------------------------------------------ outside legs

    def _seize(self, call: Call, trunk: str, number: str, port: str, now: datetime, *,
               account: str = "", disa_caller: str | None = None) -> None:
        """Seize ``trunk`` to dial ``number`` for ``port``, or (``disa_caller`` given) for
        the outside caller of a DISA call."""
        leg = OutsideLeg(trunk, number, "OUT", now, port=port, account=account,
                         disa=disa_caller is not None, caller=disa_caller or "")
        call.legs.append(leg)
        self._trunk_calls[trunk] = call.id
        delay = (self.answer_delay if self.answer_delay is not None
                 else self.rng.uniform(*FAR_END_ANSWER_SECONDS))
        if delay <= 0:
            self._far_end_answers(call, leg, now)
        else:
            self._add_timer(now + timedelta(seconds=delay), "far_end_answer", call.id,
                            port=trunk)

    def _far_end_answers(self, call: Call, leg: OutsideLeg, at: datetime) -> None:
        leg.answered = True
        leg.ring_seconds = round((at - leg.seized).total_seconds())
        if call.kind == "IN" and not call.disa and call.legs and call.legs[0] is not leg:
            # a forwarded outside call: both outside parties now talk; the IN leg is
            # charged to the forwarding extension too
            first = call.legs[0]
            first.answered, first.port, first.segment_start = True, leg.port, at
            first.ring_seconds = round((at - first.seized).total_seconds())
        if leg.port or leg.disa:
            leg.segment_start = at

    def _choose_trunk(self, authority: Authority, route: tuple[str, ...], *,
                      live: bool = True) -> str:
        allowed = [t for t in route if t in authority.trunks]
        if not allowed:
            what = "these trunks" if len(route) < len(self.trunks) else "trunks"
            raise EngineError(f"{authority.who} may not use {what} "
                              f"({authority.trunk_setting} is "
                              f"{self.memory.get(authority.trunk_setting, 'none')})")
        free = [t for t in allowed if t not in self._trunk_calls]
        if free:
            return free[0]
        if not live:
            return allowed[0]
        raise EngineError(f"no free trunk for {authority.who} (trunks {', '.join(allowed)} busy)")

    # ------------------------------------------------------------------ ringing

    def _start_hunt(self, call: Call, hunt: Hunt, now: datetime) -> bool:
        """Begin ringing; False when no step can ring anybody (the caller gives up)."""
        call.hunt = hunt
        return self._next_step(call, now, giving_up=False)

    def _next_step(self, call: Call, now: datetime, *, giving_up: bool = True) -> bool:
        """Stop the ports ringing now and ring the next step that can ring somebody."""
        call.version += 1
        call.ringing = []
        hunt = call.hunt
        while hunt is not None and hunt.steps:
            step = hunt.steps.pop(0)
            delays = dict(step.delays)
            now_ports = [p for p in step.ports if p not in delays and self._free(p)]
            later = [p for p in step.ports if p in delays and self._free(p)]
            if not now_ports and not later:
                continue
            hunt.step = step
            call.ringing = now_ports
            for port in later:
                self._add_timer(now + timedelta(seconds=delays[port]), "delayed_ring", call.id,
                                call.version, port)
            self._add_timer(now + timedelta(seconds=step.seconds), "ring_end", call.id,
                            call.version)
            return True
        call.hunt = None
        if giving_up:
            self._give_up(call, now)
        return False

    def _give_up(self, call: Call, now: datetime) -> None:
        """Nobody answered: the caller gives up (internal callers hear busy tone)."""
        self._end_call(call, now, leaver="")

    def _answer(self, port: str, now: datetime) -> int:
        call = self._ringing_call_of(port)
        assert call is not None
        line = self._lines[port]
        call.version += 1
        call.ringing, call.hunt = [], None
        if call.alarm:  # the wake-up announcement plays; the port is left off hook
            self._discard(call)
            line.offhook, line.busy_tone = True, False
            return call.id
        call.members.append(port)
        line.call, line.offhook, line.busy_tone = call.id, True, False
        for leg in call.legs:
            if leg.call_type == "IN" and not leg.answered:
                leg.answered = True
                leg.ring_seconds = round((now - leg.seized).total_seconds())
        self._assign_legs(call, port, now)
        return call.id

    # ------------------------------------------------------------------ leaving and ending

    def _hang_up(self, port: str, now: datetime) -> None:
        line = self._lines[port]
        ringing = self._ringing_call_of(port)
        if ringing is not None and not line.call:
            ringing.ringing.remove(port)
            if not ringing.ringing:
                self._next_step(ringing, now)
        for call_id in (line.call, line.held):
            call = self._calls.get(call_id)
            if call is not None:
                self._leave(call, port, now)
        self._clear_line(port)

    def _leave(self, call: Call, port: str, now: datetime) -> None:
        if call.page and call.members and call.members[0] == port:
            self._end_call(call, now, leaver=port)
            return
        self._remove_member(call, port)
        if self._over(call):
            self._end_call(call, now, leaver=port)
            return
        if call.members:
            self._unassign_legs(call, port, now)
            self._assign_legs(call, call.members[0], now)
        elif call.ringing or call.hunt or call.parked:
            self._unassign_legs(call, port, now)

    def _over(self, call: Call) -> bool:
        parties = len(call.members) + len(call.legs)
        if call.page:
            return len(call.members) < 2
        if call.ringing or call.hunt is not None or call.parked:
            return parties == 0
        return parties < 2

    def _end_call(self, call: Call, now: datetime, leaver: str) -> None:
        for leg in call.legs:
            self._close_segment(leg, now)
            self._trunk_calls.pop(leg.trunk, None)
        for member in call.members:
            line = self._lines[member]
            if member == leaver:
                continue
            if line.held == call.id:
                line.held = 0
            if line.call == call.id:
                line.call = 0
                if call.page:
                    self._clear_line(member)
                else:
                    line.busy_tone = not line.held
        if call.parked:
            self._slots.pop(call.parked, None)
            self._parker.pop(call.parked, None)
        self._discard(call)

    def _discard(self, call: Call) -> None:
        call.version += 1
        call.ringing, call.hunt = [], None
        for leg in call.legs:
            if self._trunk_calls.get(leg.trunk) == call.id:
                del self._trunk_calls[leg.trunk]
        self._calls.pop(call.id, None)

    def _remove_member(self, call: Call, port: str) -> None:
        if port in call.members:
            call.members.remove(port)
        if call.held_by == port:
            call.held_by = ""

    def _clear_line(self, port: str) -> None:
        line = self._lines[port]
        line.offhook = line.busy_tone = False
        line.call = line.held = 0

    # ------------------------------------------------------------------ charging

    def _assign_legs(self, call: Call, port: str, now: datetime) -> None:
        """Answered legs nobody is charged for now are charged to ``port`` from now on."""
        for leg in call.legs:
            if leg.answered and leg.segment_start is None:
                leg.port, leg.segment_start = port, now

    def _unassign_legs(self, call: Call, port: str, now: datetime) -> None:
        """``port`` stops talking on the call: its part of each leg is recorded."""
        for leg in call.legs:
            if leg.port == port:
                self._close_segment(leg, now)
                leg.port = ""

    def _close_segment(self, leg: OutsideLeg, now: datetime) -> None:
        if leg.answered and leg.segment_start is not None and (leg.port or leg.disa):
            duration = max(0, round((now - leg.segment_start).total_seconds()))
            extension = self.plan.number_of(leg.port) if leg.port else ""
            caller = (leg.number if leg.call_type == "IN"
                      else leg.caller if leg.disa else extension)
            self._records.append(PendingRecord(
                leg.segment_start, duration, leg.port, extension, leg.trunk, leg.number,
                leg.call_type, caller, leg.account, leg.ring_seconds))
            leg.ring_seconds = 0
        leg.segment_start = None

    # ------------------------------------------------------------------ lookups

    def _new_call(self, kind: str, *, page: bool = False, alarm: bool = False,
                  disa: bool = False) -> Call:
        call = Call(next(self._ids), kind, page=page, alarm=alarm, disa=disa)
        self._calls[call.id] = call
        return call

    def _line(self, port: str) -> Line:
        try:
            return self._lines[port]
        except KeyError:
            raise EngineError(f"no extension port {port!r} (ports {self.ports[0]}-"
                              f"{self.ports[-1]})") from None

    def _target_port(self, target: str) -> str:
        """A port named by its port id or by its extension number."""
        if target in self._lines:
            return target
        port = self.plan.port_of_number(target)
        if port is None:
            raise EngineError(f"no extension port or number {target!r}")
        return port

    def _talking_call(self, port: str, action: str) -> Call:
        line = self._lines[port]
        call = self._calls.get(line.call)
        if call is None:
            raise EngineError(f"extension {port} has no call to {action}")
        if call.page or call.ringing or call.hunt is not None or not all(
                leg.answered for leg in call.legs):
            raise EngineError(f"extension {port}'s call {call.id} is not answered yet "
                              f"(cannot {action})")
        return call

    def _free(self, port: str) -> bool:
        line = self._lines[port]
        return (not line.offhook and not line.call and not line.held and not line.busy_tone
                and self._ringing_call_of(port) is None)

    def _ringing_calls(self) -> dict[str, Call]:
        return {p: c for c in self._calls.values() for p in c.ringing}

    def _ringing_call_of(self, port: str) -> Call | None:
        for call in self._calls.values():
            if port in call.ringing:
                return call
        return None

    # ------------------------------------------------------------------ monitor states

    def _publish(self) -> None:
        """Emit an event for every extension, trunk and park slot whose state changed."""
        for state in self.extension_states():
            if self._shown_ext[state.port] != state:
                self._shown_ext[state.port] = state
                self._events.append(state)
        for trunk_state in self.trunk_states():
            if self._shown_trunk[trunk_state.trunk] != trunk_state:
                self._shown_trunk[trunk_state.trunk] = trunk_state
                self._events.append(trunk_state)
        for slot_state in self.park_slots():
            if self._shown_slot[slot_state.slot] != slot_state:
                self._shown_slot[slot_state.slot] = slot_state
                self._events.append(slot_state)

    def _extension_state(self, port: str, ringing: dict[str, Call]) -> ExtensionState:
        line = self._lines[port]
        call = self._calls.get(line.call) or self._calls.get(line.held)
        ringing_call = ringing.get(port)
        if call is not None:
            state = "held" if not line.call else self._member_state(call, port)
        elif ringing_call is not None:
            call, state = ringing_call, "ringing"
        else:
            state = "busy" if line.busy_tone else "offhook" if line.offhook else "idle"
            return ExtensionState(port, state, forward=line.forward, dnd=line.dnd)
        peer, trunk = self._peer(call, port)
        return ExtensionState(port, state, peer, trunk, call.id, line.forward, line.dnd)

    def _member_state(self, call: Call, port: str) -> str:
        if call.page:
            return "talking"
        if call.parked or (call.held_by and call.held_by != port):
            return "held"
        if call.ringing or call.hunt is not None or not all(leg.answered for leg in call.legs):
            return "dialing"
        return "talking"

    def _peer(self, call: Call, port: str) -> tuple[str, str]:
        """The other party's number as ``port`` sees it, and the trunk in use."""
        trunk = call.legs[0].trunk if call.legs else ""
        others = [m for m in call.members if m != port]
        if call.alarm:
            return "alarm", ""
        if others and not (call.legs and port in call.ringing):
            return self.plan.number_of(others[0]), trunk
        if call.legs:
            return call.legs[-1 if port in call.members else 0].number, trunk
        if call.ringing and port not in call.ringing:
            return self.plan.number_of(call.ringing[0]), trunk
        return "", trunk

    def _trunk_state(self, trunk: str) -> TrunkState:
        call = self._calls.get(self._trunk_calls.get(trunk, 0))
        leg = next((g for g in call.legs if g.trunk == trunk), None) if call else None
        if call is None or leg is None:
            return TrunkState(trunk, "idle")
        state = ("talking" if leg.answered
                 else "incoming" if leg.call_type == "IN" else "outgoing")
        return TrunkState(trunk, state, leg.number, leg.port, call.id)

    def _parked_party(self, call: Call) -> str:
        if call.legs:
            return call.legs[0].number
        return self.plan.number_of(call.members[0]) if call.members else ""
