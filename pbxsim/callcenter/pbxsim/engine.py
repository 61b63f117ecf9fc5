"""The simulated PBX's call engine: the phone and call-control actions; pure logic.

Time is an input: every action takes ``now`` (a timezone-aware datetime, PBX local time) and
first runs the timers due by then; ``tick(now)`` runs them alone.  The switching core
(``switching.py``) holds lines, calls and outside legs and derives the monitor events; the
dial plan (``dialplan.py``) says what digits mean and who may dial them; the router
(``routing.py``) says who rings.  ``docs/simulator.md`` lists every setting honoured.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from callcenter.common.pbx.messages import CALL_ACTIONS

from .dialplan import Authority, EngineError
from .routing import Hunt, IncomingRoute, RingStep
from .switching import PARK_SLOTS, Call, OutsideLeg, PendingRecord, Switch

__all__ = ["PARK_SLOTS", "CallEngine", "EngineError", "PendingRecord"]


class CallEngine(Switch):
    """Extensions, trunks and calls of the simulated PBX, driven by actions and ``tick``."""

    # ------------------------------------------------------------------ phone actions

    def offhook(self, port: str, now: datetime) -> None:
        """Lift the handset: answers a ringing port, else dial tone."""
        self._advance(now)
        line = self._line(port)
        if self._ringing_call_of(port) is not None and not line.call:
            self._answer(port, now)
        elif not line.offhook:
            line.offhook = True
            line.busy_tone = False
        self._publish()

    def onhook(self, port: str, now: datetime) -> None:
        """Hang up: ends whatever the port is in; an answered trunk call makes a record."""
        self._advance(now)
        self._line(port)
        self._hang_up(port, now)
        self._publish()

    def hangup(self, port: str, now: datetime) -> None:
        """Same as ``onhook``; on a ringing port it rejects the call."""
        self.onhook(port, now)

    def dial(self, port: str, digits: str, now: datetime) -> int:
        """Dial ``digits`` from ``port`` (off hook implied); returns the new call's id.

        Refused calls raise EngineError: the port hears busy tone; if the handset was only
        lifted implicitly by this dial it goes back on hook.
        """
        self._advance(now)
        line = self._line(port)
        if line.call:
            raise EngineError(f"extension {port} is in call {line.call}; hang up or hold it first")
        if self._ringing_call_of(port) is not None:
            raise EngineError(f"extension {port} is ringing; answer it first")
        implied = not line.offhook
        line.offhook, line.busy_tone = True, False
        self._publish()
        try:
            call_id = self._place_call(port, digits, now)
        except EngineError:
            line.busy_tone = True
            self._publish()
            if implied and not line.held:
                line.offhook = line.busy_tone = False
                self._publish()
            raise
        self._publish()
        return call_id

    def incoming_call(self, caller: str, now: datetime, trunk: str | None = None,
                      ring_port: str | None = None) -> int:
        """An outside call with caller ID ``caller`` arrives on ``trunk`` (a free one if None).

        ``ring_port``: ring exactly that port (no ring assignment, forward or operator
        fallback; DND and the incoming class still refuse).  Otherwise the call is offered
        per ring assignment, DND, incoming class, groups, delayed ring and operator fallback.
        Raises EngineError when no trunk is free or nobody can take the call.

        On a trunk whose ``trunk.<nn>.disa`` is on the PBX answers the call itself (DISA,
        S-26) and nobody rings, ``ring_port`` or not; the caller then keys ``disa_dial``.
        Without ``trunk`` the call comes in on the first free trunk without DISA.
        """
        self._advance(now)
        trunk = self._incoming_trunk(trunk)
        if self.plan.disa_on(trunk):
            return self._disa_answer(caller, trunk, now)
        night = self.is_night(now)
        if ring_port is not None:
            self._line(ring_port)
            reason = self.router.refusal(ring_port, outside=True, night=night)
            if reason or not self._free(ring_port):
                raise EngineError(reason or f"extension {ring_port} is busy")
            route = IncomingRoute(steps=[RingStep((ring_port,), self.router.ring_timeout)])
        else:
            route = self.router.incoming(trunk, night)
        call = self._new_call("IN")
        leg = OutsideLeg(trunk, caller, "IN", now)
        call.legs.append(leg)
        self._trunk_calls[trunk] = call.id
        if route.forward_port:
            self._forward_outside(call, route.forward_port, route.forward_digits, now, night)
        elif not self._start_hunt(call, Hunt(route.steps, outside=True), now):
            self._discard(call)
            raise EngineError(f"nobody can take an outside call on trunk {trunk}: every "
                              "extension assigned to ring is busy, in DND or barred, and so "
                              "is the operator")
        self._publish()
        return call.id

    def answer(self, port: str, now: datetime) -> int:
        """A ringing port answers; returns the call id."""
        self._advance(now)
        self._line(port)
        if self._ringing_call_of(port) is None:
            raise EngineError(f"extension {port} is not ringing")
        call_id = self._answer(port, now)
        self._publish()
        return call_id

    def completed_call(  # noqa: PLR0917 - the agreed API (control port, traffic generator)
            self, port: str, number: str, duration: int, now: datetime,
            trunk: str | None = None, account: str = "") -> PendingRecord:
        """An outgoing call from ``port`` to ``number`` that lasted ``duration`` s, ending now.

        Checked exactly like ``dial`` (class, restriction codes, trunk access; ``account`` a
        personal password or its row); refused calls raise EngineError and make no record.
        The record is appended to ``take_records()`` at once; no monitor events are made.
        """
        self._advance(now)
        self._line(port)
        if not number.isdigit():
            raise EngineError(f"{number!r} is not an outside number")
        if duration < 0:
            raise EngineError("a call cannot last less than 0 s")
        row = ""
        if account:
            row = account if account in self.plan.password_rows else self.plan.password_row(
                account)
            if not row:
                raise EngineError(f"no personal password account {account!r}")
        authority = self.plan.authority(port, self.is_night(now), row)
        self.plan.check_outgoing(authority, number)
        if trunk is not None:
            if trunk not in self.trunks:
                raise EngineError(f"no trunk {trunk!r} (trunks {self.trunks[0]}-"
                                  f"{self.trunks[-1]})")
            if trunk not in authority.trunks:
                raise EngineError(f"{authority.who} may not use trunk {trunk} "
                                  f"({authority.trunk_setting})")
        else:
            trunk = self._choose_trunk(authority, tuple(self.trunks), live=False)
        start = now - timedelta(seconds=duration)
        record = PendingRecord(start, duration, port, self.plan.number_of(port), trunk, number,
                               "OUT", self.plan.number_of(port), row)
        self._records.append(record)
        return record

    # ------------------------------------------------------------------ DISA (S-26)

    def disa_call(self, trunk: str, caller: str, password: str, number: str,  # noqa: PLR0917
                  duration: int, now: datetime) -> PendingRecord:
        """A completed DISA call: ``caller`` called in on ``trunk``, keyed ``password`` and
        ``#``, and talked ``duration`` s to outside ``number`` (after the access code), ending
        now.

        Checked like a personal-password call: the trunk must have DISA on, the password
        must be a DISA password, and that row's class (over-limit class while its
        ``over_limit`` is on), the restriction codes and its trunk access apply; the outgoing
        trunk is an allowed one other than ``trunk`` (free if one is, as for
        ``completed_call``).  Refused calls raise EngineError and make no record.  The ``OUT``
        record (account ``D`` + row, caller = ``caller``, no extension) is appended to
        ``take_records()`` at once; no monitor events are made.
        """
        self._advance(now)
        self._trunk_id(trunk)
        if not self.plan.disa_on(trunk):
            raise EngineError(f"trunk {trunk} does not answer DISA calls (trunk.{trunk}.disa "
                              "is off)")
        if not number.isdigit():
            raise EngineError(f"{number!r} is not an outside number")
        if duration < 0:
            raise EngineError("a call cannot last less than 0 s")
        row = self.plan.disa_row(password)
        if not row:
            raise EngineError("wrong DISA password")
        authority = self.plan.disa_authority(row)
        self.plan.check_outgoing(authority, number)
        out = self._disa_trunk(authority, tuple(self.trunks), trunk, live=False)
        record = PendingRecord(now - timedelta(seconds=duration), duration, "", "", out, number,
                               "OUT", caller, authority.account)
        self._records.append(record)
        return record

    def disa_dial(self, trunk: str, digits: str, now: datetime) -> int:
        """The DISA caller on ``trunk`` keys ``<password>#<access code><number>``: checked as
        ``disa_call``; an allowed free trunk other than ``trunk`` is seized.  Returns the call
        id.  A refusal raises EngineError and the caller may key again."""
        self._advance(now)
        self._trunk_id(trunk)
        call = self._calls.get(self._trunk_calls.get(trunk, 0))
        if call is None or not call.disa or call.legs[0].trunk != trunk:
            raise EngineError(f"trunk {trunk} has no DISA call (a call in on a trunk with "
                              "trunk.<nn>.disa on)")
        if len(call.legs) > 1:
            raise EngineError(f"the DISA caller on trunk {trunk} has dialled already")
        row, rest = self.plan.split_disa(digits)
        authority = self.plan.disa_authority(row)
        destination = self.plan.analyse(rest)
        if destination.kind != "trunk":
            raise EngineError(f"{rest}: a DISA caller may dial only outside numbers (a trunk "
                              f"access code ({self.plan.access_codes()}) and the number)")
        self.plan.check_outgoing(authority, destination.number)
        out = self._disa_trunk(authority, destination.trunks, trunk, live=True)
        self._seize(call, out, destination.number, "", now, account=authority.account,
                    disa_caller=call.legs[0].number)
        self._publish()
        return call.id

    def trunk_hangup(self, trunk: str, now: datetime) -> int:
        """The outside party on ``trunk`` hangs up; returns the call id.

        Its part of the call is recorded; a call left with fewer than two parties ends (an
        extension in it hears busy tone, a DISA call's other leg is recorded and released).
        """
        self._advance(now)
        self._trunk_id(trunk)
        call = self._calls.get(self._trunk_calls.get(trunk, 0))
        if call is None:
            raise EngineError(f"trunk {trunk} is idle")
        leg = next(g for g in call.legs if g.trunk == trunk)
        self._close_segment(leg, now)
        call.legs.remove(leg)
        del self._trunk_calls[trunk]
        if self._over(call):
            self._end_call(call, now, leaver="")
        self._publish()
        return call.id

    def _disa_answer(self, caller: str, trunk: str, now: datetime) -> int:
        """The PBX answers a call in on a DISA trunk: the caller hears dial tone."""
        call = self._new_call("IN", disa=True)
        call.legs.append(OutsideLeg(trunk, caller, "IN", now, answered=True))
        self._trunk_calls[trunk] = call.id
        self._publish()
        return call.id

    def _disa_trunk(self, authority: Authority, route: tuple[str, ...], incoming: str, *,
                    live: bool) -> str:
        """The outgoing trunk of a DISA call: one ``authority`` may use, not ``incoming``."""
        others = tuple(t for t in route if t != incoming)
        if incoming in route and incoming in authority.trunks and not any(
                t in authority.trunks for t in others):
            raise EngineError(f"{authority.who} may use only trunk {incoming}, the trunk the "
                              f"call came in on ({authority.trunk_setting} is "
                              f"{self.memory.get(authority.trunk_setting, 'none')})")
        return self._choose_trunk(authority, others, live=live)

    def _trunk_id(self, trunk: str) -> str:
        if trunk not in self.trunks:
            raise EngineError(f"no trunk {trunk!r} (trunks {self.trunks[0]}-{self.trunks[-1]})"
                              if self.trunks else f"no trunk {trunk!r} (this PBX has none)")
        return trunk

    # ------------------------------------------------------------------ call control (C-9)

    def call_control(self, action: str, port: str, now: datetime, *, number: str = "",
                     target: str = "", slot: int = 0, on: bool = True) -> int:
        """Carry out a CALL_ACTIONS action for ``port``; returns the call id (0 if none)."""
        if action not in CALL_ACTIONS:
            raise EngineError(f"unknown call-control action {action!r} (one of "
                              f"{', '.join(CALL_ACTIONS)})")
        self._line(port)
        handler: Callable[[], int] = {
            "dial": lambda: self.dial(port, _required(number, "dial", "number"), now),
            "answer": lambda: self.answer(port, now),
            "hangup": lambda: self._control_hangup(port, now),
            "onhook": lambda: self._control_hangup(port, now),
            "offhook": lambda: self._control_offhook(port, now),
            "transfer": lambda: self.transfer(port, self._target_port(target or number), now),
            "hold": lambda: self.hold(port, now),
            "retrieve": lambda: self.retrieve(port, now),
            "conference": lambda: self.conference(port, now),
            "page": lambda: self.page(port, self._target_port(target) if target else "", now),
            "pickup": lambda: self.pickup(port, self._target_port(target) if target else "",
                                          now),
            "flash": lambda: self.flash(port, now),
            "park": lambda: self.park(port, slot, now),
            "unpark": lambda: self.unpark(port, slot, now),
            "forward": lambda: self.set_forward(port, number if on else "", now),
            "dnd": lambda: self.set_dnd(port, on, now),
        }[action]
        return handler()

    def _control_hangup(self, port: str, now: datetime) -> int:
        line = self._lines[port]
        ringing = self._ringing_call_of(port)
        call_id = line.call or line.held or (ringing.id if ringing else 0)
        self.onhook(port, now)
        return call_id

    def _control_offhook(self, port: str, now: datetime) -> int:
        self.offhook(port, now)
        return self._lines[port].call

    def transfer(self, port: str, target: str, now: datetime) -> int:
        """Blind transfer: the port's call rings ``target`` and the port hangs up."""
        self._advance(now)
        call = self._talking_call(port, "transfer")
        if target == port:
            raise EngineError(f"extension {port} cannot transfer a call to itself")
        outside = bool(call.legs)
        night = self.is_night(now)
        target, outside_digits = self.router.follow_forward(target)
        if outside_digits:
            raise EngineError(f"extension {self.plan.number_of(target)} forwards outside; "
                              "transfer to it directly is not possible")
        reason = self.router.refusal(target, outside=outside, night=night)
        if reason or not self._free(target):
            raise EngineError(reason or f"extension {self.plan.number_of(target)} is busy")
        steps = [RingStep((target,), self.router.ring_timeout)]
        operator = self.router.operator_step(night, outside=outside) if outside else None
        if operator and target not in operator.ports:
            steps.append(operator)
        self._unassign_legs(call, port, now)
        self._remove_member(call, port)
        self._start_hunt(call, Hunt(steps, outside=outside), now)
        self._clear_line(port)
        self._publish()
        return call.id

    def hold(self, port: str, now: datetime) -> int:
        """Put the port's call on hold; the port keeps it and may make another call."""
        self._advance(now)
        line = self._lines[port]
        call = self._talking_call(port, "hold")
        if line.held:
            raise EngineError(f"extension {port} already holds call {line.held}")
        call.held_by = port
        line.held, line.call = call.id, 0
        self._publish()
        return call.id

    def retrieve(self, port: str, now: datetime) -> int:
        """Take back the held call; a call in progress goes on hold in its place."""
        self._advance(now)
        line = self._line(port)
        if not line.held:
            raise EngineError(f"extension {port} holds no call")
        held = self._calls[line.held]
        swap = self._calls.get(line.call)
        if swap is not None and swap.page:
            raise EngineError(f"extension {port} is paging; hang up the page first")
        held.held_by = ""
        line.call, line.held = held.id, 0
        if swap is not None:
            swap.held_by = port
            line.held = swap.id
        self._publish()
        return held.id

    def conference(self, port: str, now: datetime) -> int:
        """Three-party conference: the held call joins the port's current call."""
        self._advance(now)
        line = self._line(port)
        if not line.held or not line.call:
            raise EngineError(f"extension {port} needs a call on hold and a second call "
                              "in progress for a conference")
        current = self._talking_call(port, "conference")
        held = self._calls[line.held]
        for member in held.members:
            if member != port and member not in current.members:
                current.members.append(member)
                if self._lines[member].call == held.id:
                    self._lines[member].call = current.id
        for leg in held.legs:
            current.legs.append(leg)
            self._trunk_calls[leg.trunk] = current.id
        if held.legs and current.kind == "INT":
            current.kind = held.kind
        del self._calls[held.id]
        line.held = 0
        self._publish()
        return current.id

    def page(self, port: str, target: str, now: datetime) -> int:
        """Page ``target`` (or every idle extension that may be paged) over its speaker."""
        self._advance(now)
        line = self._line(port)
        if line.call:
            raise EngineError(f"extension {port} is in call {line.call}")
        if target:
            if not self.plan.may_be_paged(target):
                raise EngineError(f"extension {self.plan.number_of(target)} may not be paged")
            if not self._free(target):
                raise EngineError(f"extension {self.plan.number_of(target)} is busy")
            targets = [target]
        else:
            targets = [p for p in self.ports
                       if p != port and self.plan.may_be_paged(p) and self._free(p)]
            if not targets:
                raise EngineError("no idle extension may be paged")
        call = self._new_call("INT", page=True)
        call.members = [port, *targets]
        for member in call.members:
            self._lines[member].call = call.id
        line.offhook, line.busy_tone = True, False
        self._publish()
        return call.id

    def pickup(self, port: str, target: str, now: datetime) -> int:
        """Answer the call ringing at ``target``, or at any ringing port of the port's groups."""
        self._advance(now)
        line = self._line(port)
        if line.call:
            raise EngineError(f"extension {port} is in call {line.call}")
        if target:
            call = self._ringing_call_of(target)
            if call is None:
                raise EngineError(f"extension {self.plan.number_of(target)} is not ringing")
        else:
            groups = set(self.plan.groups_of(port))
            ringing = self._ringing_calls()
            found = [ringing[p] for p in self.ports if p in ringing and p != port
                     and groups & set(self.plan.groups_of(p))]
            if not found:
                raise EngineError(f"no extension of the groups of extension {port} is ringing")
            call = found[0]
        call.ringing.append(port)
        call_id = self._answer(port, now)
        self._publish()
        return call_id

    def flash(self, port: str, now: datetime) -> int:
        """Hook flash (闪断/接答): hold the call in progress, take back a held call, or pick
        up a ringing extension of the port's groups."""
        line = self._line(port)
        if line.call:
            return self.hold(port, now)
        if line.held:
            return self.retrieve(port, now)
        return self.pickup(port, "", now)

    def park(self, port: str, slot: int, now: datetime) -> int:
        """Park the port's call in slot 1-6 (0: the first free slot); the port hangs up."""
        self._advance(now)
        call = self._talking_call(port, "park")
        if slot == 0:
            free = [s for s in range(1, PARK_SLOTS + 1) if s not in self._slots]
            if not free:
                raise EngineError("all six park slots are occupied")
            slot = free[0]
        if not 1 <= slot <= PARK_SLOTS:
            raise EngineError(f"park slot must be 1-{PARK_SLOTS}, not {slot}")
        if slot in self._slots:
            raise EngineError(f"park slot {slot} is occupied")
        self._unassign_legs(call, port, now)
        call.parked = slot
        self._slots[slot] = call.id
        self._parker[slot] = port
        self._remove_member(call, port)
        self._clear_line(port)
        self._publish()
        return call.id

    def unpark(self, port: str, slot: int, now: datetime) -> int:
        """Take the call parked in ``slot``; the port talks with it."""
        self._advance(now)
        line = self._line(port)
        if line.call:
            raise EngineError(f"extension {port} is in call {line.call}")
        call = self._calls.get(self._slots.get(slot, 0))
        if call is None:
            raise EngineError(f"park slot {slot} is empty")
        del self._slots[slot]
        self._parker.pop(slot, None)
        call.parked = 0
        call.members.append(port)
        line.call, line.offhook, line.busy_tone = call.id, True, False
        self._assign_legs(call, port, now)
        self._publish()
        return call.id

    def set_forward(self, port: str, number: str, now: datetime) -> int:
        """Unconditional call forward of ``port`` to ``number`` (an extension number, or an
        outside number with or without the trunk access code); "" clears it."""
        self._advance(now)
        line = self._line(port)
        if number and (not number.isdigit() or number == self.plan.number_of(port)):
            raise EngineError(f"{number!r} is not a forward target for extension "
                              f"{self.plan.number_of(port)}")
        line.forward = number
        self._publish()
        return 0

    def set_dnd(self, port: str, on: bool, now: datetime) -> int:
        """Switch do-not-disturb; allowed when the port's DND mode is not ``none``."""
        self._advance(now)
        line = self._line(port)
        if on and self.plan.dnd_mode(port) == "none":
            raise EngineError(f"extension {port} has do-not-disturb mode none "
                              f"(set extension.{port}.dnd_mode first)")
        line.dnd = on
        self._publish()
        return 0

    # ------------------------------------------------------------------ placing calls

    def _place_call(self, port: str, digits: str, now: datetime) -> int:
        night = self.is_night(now)
        row, rest = self.plan.split_password(digits)
        authority = self.plan.authority(port, night, row)
        destination = self.plan.analyse(rest)
        if destination.kind == "trunk":
            self.plan.check_outgoing(authority, destination.number)
            trunk = self._choose_trunk(authority, destination.trunks)
            call = self._new_call("OUT")
            call.members.append(port)
            self._lines[port].call = call.id
            self._seize(call, trunk, destination.number, port, now, account=authority.account)
            return call.id
        operators = self.plan.operator_ports(night)
        if destination.kind == "operator":
            if not operators:
                raise EngineError("no operator port is set")
            destination_port = operators[0]
        else:
            destination_port = destination.port
        if authority.restrict_internal and destination_port not in operators:
            raise EngineError(f"extension {port} may only call the operator "
                              f"(extension.{port}.restrict_internal)")
        if destination.kind == "group":
            steps = self.router.group_call(destination.group, port, night)
            call = self._new_call("INT")
            call.members.append(port)
            if not self._start_hunt(call, Hunt(steps, outside=False), now):
                self._discard(call)
                raise EngineError(f"every extension of group {destination.group} is busy, "
                                  "in DND or barred")
            self._lines[port].call = call.id
            return call.id
        return self._internal_call(port, destination_port, now, night)

    def _internal_call(self, caller: str, callee: str, now: datetime, night: bool) -> int:
        if callee == caller:
            raise EngineError(f"extension {caller} dialled its own number")
        target, outside_digits = self.router.follow_forward(callee)
        call = self._new_call("INT")
        call.members.append(caller)
        if outside_digits and self._forward_outside(call, target, outside_digits, now, night):
            self._lines[caller].call = call.id
            return call.id
        # (a barred forward to outside: the call rings the forwarding port ``target`` itself)
        number = self.plan.number_of(target)
        reason = self.router.refusal(target, outside=False, night=night)
        if reason or not self._free(target) or target == caller:
            self._discard(call)
            raise EngineError(reason or f"extension {number} is busy")
        self._lines[caller].call = call.id
        if self.plan.voice_answer(target):
            call.ringing.append(target)
            self._answer(target, now)
            return call.id
        self._start_hunt(call, Hunt([RingStep((target,), self.router.ring_timeout)],
                                    outside=False), now)
        return call.id

    def _forward_outside(self, call: Call, port: str, digits: str, now: datetime,
                         night: bool) -> bool:
        """Pass ``call`` on to outside number ``digits`` per ``port``'s forward (外转外),
        charged to ``port`` and checked against its rights; False if they bar it."""
        authority = self.plan.authority(port, night)
        try:
            destination = self.plan.analyse(digits)
            trunks, number = ((destination.trunks, destination.number)
                              if destination.kind == "trunk" else (tuple(self.trunks), digits))
        except EngineError:
            trunks, number = tuple(self.trunks), digits
        try:
            self.plan.check_outgoing(authority, number)
            trunk = self._choose_trunk(authority, trunks)
        except EngineError:
            if call.kind == "IN":  # an incoming call then rings the forwarding port itself
                steps = [RingStep((port,), self.router.ring_timeout)]
                if not self._start_hunt(call, Hunt(steps, outside=True), now):
                    self._discard(call)
                    raise
                return True
            return False
        self._seize(call, trunk, number, port, now)
        return True

    def _incoming_trunk(self, trunk: str | None) -> str:
        if trunk is None:
            free = [t for t in self.trunks if t not in self._trunk_calls]
            if not free:
                raise EngineError("every trunk is busy")
            plain = [t for t in free if not self.plan.disa_on(t)]
            if not plain:
                raise EngineError("every trunk without DISA is busy (name a DISA trunk to "
                                  "make a DISA call)")
            return plain[0]
        self._trunk_id(trunk)
        if trunk in self._trunk_calls:
            raise EngineError(f"trunk {trunk} is busy")
        return trunk


def _required(value: str, action: str, name: str) -> str:
    if not value:
        raise EngineError(f"{action} needs a {name}")
    return value
