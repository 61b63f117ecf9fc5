"""Ring routing: which extensions ring for a call, in which order, and what comes after.

A call that has to ring somebody gets a *hunt*: a list of ring steps.  Each step rings some
ports for some seconds; when nobody answers, the next step begins.  Ports that are busy when
their step begins are skipped.  When the steps run out, the caller gives up.

- An outside call rings the ports whose ring assignment (day or night, manual 1-3-09)
  contains its trunk, all at once; a port with delayed ring on that trunk (1-3-10) joins
  after ``system.delayed_ring_count`` ring cadences.  When every such port belongs to one
  round-robin group (1-3-17), they ring one after another in the group's order instead.
  Then the operator(s) ring (1-3-28); then the caller gives up.
- A one-key group call rings the group's members at once or round robin.
- Skipped whatever the step: DND (``dnd_mode`` external for outside calls, all for every
  call, 1-3-11) and incoming service-class levels (2: no outside calls, 3: no internal
  calls, 4: none, 1-3-03).
- An extension with call forward set passes the call on to its forward target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .dialplan import DialPlan

#: One ring cadence of Chinese exchanges: 1 s ring, 4 s pause.
RING_CADENCE_SECONDS = 5.0
MAX_FORWARD_HOPS = 8


class LineView(Protocol):
    """The live per-port switches the router consults (the engine's lines)."""

    def dnd_on(self, port: str) -> bool: ...

    def forward_of(self, port: str) -> str: ...


@dataclass(frozen=True)
class RingStep:
    """Ring ``ports`` for ``seconds``; a port in ``delays`` joins that many seconds late."""

    ports: tuple[str, ...]
    seconds: float
    delays: tuple[tuple[str, float], ...] = ()
    operator: bool = False


@dataclass
class Hunt:
    """The remaining ring steps of a call, and where it stands."""

    steps: list[RingStep]
    outside: bool  # an outside caller (DND "external" applies)
    step: RingStep | None = None


@dataclass
class IncomingRoute:
    """How an outside call is offered: ring steps, or passed on by a forward to outside."""

    steps: list[RingStep] = field(default_factory=list)
    forward_port: str = ""  # the port whose forward sends the call outside
    forward_digits: str = ""


class Router:
    """Plans hunts from the settings (via the dial plan) and the lines' DND/forward switches."""

    def __init__(self, plan: DialPlan, lines: LineView, *, ring_timeout: float,
                 ring_step: float) -> None:
        self.plan = plan
        self.lines = lines
        self.ring_timeout = ring_timeout
        self.ring_step = ring_step
        self._round_robin_next: dict[str, int] = {}

    def refusal(self, port: str, *, outside: bool, night: bool) -> str:
        """Why the settings keep a call from ringing ``port`` ("" when it may ring)."""
        number = self.plan.number_of(port)
        mode = self.plan.dnd_mode(port)
        if self.lines.dnd_on(port) and (mode == "all" or (mode == "external" and outside)):
            return f"extension {number} is in do-not-disturb"
        level = self.plan.incoming_level(port, night)
        if level == 4 or (level == 2 and outside) or (level == 3 and not outside):
            kind = "outside" if outside else "internal"
            return (f"extension {number} service class "
                    f"{self.plan.service_class(port, night)} accepts no {kind} calls")
        return ""

    def follow_forward(self, port: str) -> tuple[str, str]:
        """``(port, "")`` where forwards lead to an extension, or ``(forwarding port, digits)``
        when the last forward points outside.  Loops stop at the port that closes them."""
        seen = [port]
        while (target := self.lines.forward_of(port)) and len(seen) <= MAX_FORWARD_HOPS:
            next_port = self.plan.port_of_number(target)
            if next_port is None:
                return port, target
            if next_port in seen:
                return port, ""
            seen.append(next_port)
            port = next_port
        return port, ""

    def incoming(self, trunk: str, night: bool) -> IncomingRoute:
        """The hunt for an outside call arriving on ``trunk``."""
        assigned = [p for p in self.plan.ports if trunk in self.plan.ring_assignment(p, night)]
        candidates: list[str] = []
        for port in assigned:
            target, outside_digits = self.follow_forward(port)
            if outside_digits and len(assigned) == 1:
                return IncomingRoute(forward_port=target, forward_digits=outside_digits)
            if outside_digits or target in candidates:
                continue
            if not self.refusal(target, outside=True, night=night):
                candidates.append(target)
        steps = self._group_steps(candidates)
        if steps is None:
            delay = self.plan.delayed_ring_seconds(RING_CADENCE_SECONDS)
            delays = tuple((p, delay) for p in candidates if trunk in self.plan.delayed_trunks(p))
            extra = delay if candidates and len(delays) == len(candidates) else 0.0
            steps = [RingStep(tuple(candidates), self.ring_timeout + extra, delays)]
        operator = self.operator_step(night, outside=True)
        return IncomingRoute(steps=[*steps, *([operator] if operator else [])])

    def _group_steps(self, candidates: list[str]) -> list[RingStep] | None:
        """Round-robin steps when every candidate is in one round-robin group."""
        if not candidates:
            return None
        for group in self.plan.groups:
            if not self.plan.round_robin(group):
                continue
            members = self.plan.group_members(group)
            if set(candidates) <= set(members):
                order = self._rotation(group, [p for p in members if p in candidates])
                return [RingStep((p,), self.ring_step) for p in order]
        return None

    def _rotation(self, group: str, order: list[str]) -> list[str]:
        if not self.plan.rotates(group) or not order:
            return order
        start = self._round_robin_next.get(group, 0) % len(order)
        self._round_robin_next[group] = start + 1
        return order[start:] + order[:start]

    def group_call(self, group: str, caller: str, night: bool) -> list[RingStep]:
        """The hunt of a one-key group call from ``caller`` (nobody when all refuse)."""
        members = [p for p in self.plan.group_members(group)
                   if p != caller and not self.refusal(p, outside=False, night=night)]
        if not members:
            return []
        if self.plan.round_robin(group):
            return [RingStep((p,), self.ring_step) for p in self._rotation(group, members)]
        return [RingStep(tuple(members), self.ring_timeout)]

    def operator_step(self, night: bool, *, outside: bool) -> RingStep | None:
        """Operator fallback: the day operators (or the night operator) ring."""
        ports = tuple(p for p in self.plan.operator_ports(night)
                      if not self.refusal(p, outside=outside, night=night))
        return RingStep(ports, self.ring_timeout, operator=True) if ports else None
