"""Renumbering extensions (分机号) when the new numbers shift or swap existing ones.

The PBX checks every write against its rules, one of which is that no two extensions have
clashing numbers (equal, or one the beginning of the other).  Setting ``001=8002`` and
``002=8001`` one after the other therefore fails at the first write: 8002 is still held.
``plan`` orders the writes so that every intermediate state is valid: a port whose new
number is free is written at once; when every remaining port waits for a number another
remaining port still holds (a swap, a rotation), one of those holders first moves to a free
*temporary* number.  A temporary number clashes with no extension's number (now or wanted)
and does not begin with a digit the dial plan gives another meaning (``0`` the operator,
``9`` or the route access digits, the one-key group-call digits that are on).

The plan comes in *segments*: after each one no port holds a temporary number, so a
renumbering stopped between two segments leaves a valid, meaningful numbering; within a
segment a failure is undone by writing the steps back in reverse order.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from callcenter.common.schema import ParameterError, Schema
from callcenter.common.schema import kinds as k
from callcenter.common.schema.core import port_ids
from callcenter.server.pbx.batch import (
    NOT_SENT,
    REFUSED,
    UNCHANGED,
    WRITTEN,
    Cancelled,
    Progress,
    WriteResult,
)

OPERATOR_DIGIT: Final = "0"
TRUNK_ACCESS_DIGIT: Final = "9"
ONE_KEY_GROUPS: Final = 8
#: Candidates tried per temporary number before giving up (bounds the search).
MAX_CANDIDATES: Final = 200_000


class RenumberError(ValueError):
    """The renumbering cannot be planned (nothing was sent); the text says why."""


@dataclass(frozen=True)
class Step:
    """Write ``number`` to ``port`` (it held ``previous``); ``temporary``: a way station."""

    port: str
    number: str
    previous: str
    temporary: bool = False

    @property
    def key(self) -> str:
        return number_key(self.port)


def number_key(port: str) -> str:
    return f"extension.{port}.number"


def clash(a: str, b: str) -> bool:
    """Two extension numbers the PBX cannot both have: equal, or one begins the other."""
    return a.startswith(b) or b.startswith(a)


class NumberSet:
    """A multiset of numbers that answers "does anything clash with this one?" quickly."""

    def __init__(self, numbers: Iterable[str] = ()) -> None:
        self._sorted: list[str] = sorted(n for n in numbers if n)

    def add(self, number: str) -> None:
        if number:
            bisect.insort(self._sorted, number)

    def remove(self, number: str) -> None:
        if number:
            i = bisect.bisect_left(self._sorted, number)
            if i < len(self._sorted) and self._sorted[i] == number:
                del self._sorted[i]

    def clashes(self, number: str, ignore: str = "") -> bool:
        """Whether ``number`` clashes with a member (one occurrence of ``ignore`` aside)."""
        skipped = False
        for i in range(1, len(number) + 1):  # members that begin ``number`` (or equal it)
            j = bisect.bisect_left(self._sorted, number[:i])
            while j < len(self._sorted) and self._sorted[j] == number[:i]:
                if not skipped and self._sorted[j] == ignore:
                    skipped = True
                else:
                    return True
                j += 1
        j = bisect.bisect_right(self._sorted, number)  # members that ``number`` begins
        while j < len(self._sorted) and self._sorted[j].startswith(number):
            if not skipped and self._sorted[j] == ignore:
                skipped = True
            else:
                return True
            j += 1
        return False


def current_numbers(schema: Schema, params: Mapping[str, str]) -> dict[str, str]:
    """Port -> number for every extension port of ``schema`` (RenumberError if unknown)."""
    out: dict[str, str] = {}
    for port in port_ids(schema.extensions):
        key = number_key(port)
        if key not in params:
            raise RenumberError("the extension numbers are not known yet (data "
                                "verification has not read them)")
        out[port] = params[key]
    return out


def reserved_digits(params: Mapping[str, str]) -> set[str]:
    """Leading digits a temporary number must avoid: the operator, trunk access and route
    digits, and the one-key group-call digits that are on."""
    reserved = {OPERATOR_DIGIT, TRUNK_ACCESS_DIGIT}
    if params.get("system.multiple_routes") == "on":
        reserved |= set(params.get("system.route_access_digits", ""))
    for group in range(1, ONE_KEY_GROUPS + 1):
        if params.get(f"group.{group:02d}.one_key_call") == "on":
            reserved.add(str(group))
    return reserved


def number_lengths(schema: Schema) -> tuple[int, int]:
    kind = schema.lookup(number_key("001"))[0].kind
    if isinstance(kind, k.Digits):
        return kind.min_len, kind.max_len
    return 2, 8


def check_request(schema: Schema, params: Mapping[str, str],
                  numbers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``(wanted, problems)``: the canonical new numbers by port, and a reason per port
    whose port or number the schema refuses, or whose number clashes in the end."""
    wanted: dict[str, str] = {}
    problems: dict[str, str] = {}
    for port, text in numbers.items():
        key = number_key(port)
        if key not in schema:
            problems[port] = f"no extension port {port!r} on this PBX"
            continue
        try:
            wanted[port] = schema.validate(key, text)
        except ParameterError as exc:
            problems[port] = exc.message
    final = {**current_numbers(schema, params), **wanted}
    ordered = sorted(final.items(), key=lambda item: item[1])
    for (a_port, a), (b_port, b) in itertools.pairwise(ordered):
        if b.startswith(a):
            for port, other, number in ((a_port, b_port, a), (b_port, a_port, b)):
                if port in wanted:
                    problems[port] = (f"{number} clashes with extension {other}'s number "
                                      f"{final[other]} after the renumbering (numbers must "
                                      "differ and none may begin another)")
    return wanted, problems


def plan(schema: Schema, params: Mapping[str, str],
         wanted: Mapping[str, str]) -> list[list[Step]]:
    """The writes, in segments (see the module docstring); RenumberError when a temporary
    number is needed and none is free."""
    state = current_numbers(schema, params)
    todo = {port: number for port, number in wanted.items() if state[port] != number}
    held = NumberSet(state.values())
    targets = NumberSet(todo.values())
    reserved = reserved_digits(params)
    shortest, longest = number_lengths(schema)
    segments: list[list[Step]] = []
    segment: list[Step] = []
    at_temporary: set[str] = set()
    for _ in range(3 * len(todo) + 1):  # each port moves at most twice; bounded
        if not todo:
            break
        free = next((p for p in sorted(todo)
                     if not held.clashes(todo[p], ignore=state[p])), None)
        if free is not None:
            number = todo.pop(free)
            targets.remove(number)
            segment.append(Step(free, number, state[free]))
            held.remove(state[free])
            held.add(number)
            state[free] = number
            at_temporary.discard(free)
            if not at_temporary:
                segments.append(segment)
                segment = []
            continue
        # Every remaining port waits for a number another remaining port holds: move the
        # holder blocking the first of them to a temporary number.
        first = sorted(todo)[0]
        holder = next((p for p in sorted(todo) if p != first and clash(state[p], todo[first])),
                      None)
        if holder is None:
            raise RenumberError(f"{todo[first]} for extension {first} clashes with a number "
                                "that is not being changed")
        temporary = _free_number(held, targets, reserved,
                                 (len(state[holder]), shortest, longest))
        if temporary is None:
            raise RenumberError("no free temporary number: every number the schema allows "
                                "clashes with an extension number or a dial-plan prefix; "
                                "renumber in two steps through numbers of your choice")
        segment.append(Step(holder, temporary, state[holder], temporary=True))
        held.remove(state[holder])
        held.add(temporary)
        state[holder] = temporary
        at_temporary.add(holder)
    if todo or segment:
        raise RenumberError("the renumbering could not be ordered")  # a bug: never seen
    return segments


def _free_number(held: NumberSet, targets: NumberSet, reserved: set[str],
                 lengths_wanted: tuple[int, int, int]) -> str | None:
    """A number clashing with nothing held or wanted, of the first length possible
    (``(preferred, shortest, longest)``), not beginning with a reserved digit."""
    length, shortest, longest = lengths_wanted
    leads = [d for d in "87654321" if d not in reserved]
    lengths = [length] + [n for n in range(shortest, longest + 1) if n != length]
    tried = 0
    for size in lengths:
        if size < 1:
            continue
        for lead in leads:
            for tail in range(10 ** (size - 1) - 1, -1, -1):  # from the top: rarely used
                candidate = lead + str(tail).zfill(size - 1) if size > 1 else lead
                tried += 1
                if tried > MAX_CANDIDATES:
                    return None
                if not held.clashes(candidate) and not targets.clashes(candidate):
                    return candidate
    return None


def run(segments: list[list[Step]], wanted: Mapping[str, str], old: Mapping[str, str],
        write_one: Callable[[str, str], WriteResult], *, link_up: Callable[[], bool],
        progress: Progress | None = None, cancelled: Cancelled | None = None
        ) -> dict[str, WriteResult]:
    """Carry out a plan: the result of each port that had to change (by port).

    Cancelling, or the link going down, stops between two segments (what was done stays
    done).  A step that fails undoes its segment's earlier steps in reverse order, so no
    port is left on a temporary number unless putting it back failed too."""
    results: dict[str, WriteResult] = {}
    total = sum(len(segment) for segment in segments)
    done = 0

    def unsent(ports: Iterable[str], reason: str) -> None:
        for port in ports:
            results.setdefault(port, WriteResult(number_key(port), wanted[port], old[port],
                                                 NOT_SENT, reason))

    for index, segment in enumerate(segments):
        later = [s.port for seg in segments[index:] for s in seg]
        if cancelled is not None and cancelled():
            unsent(later, "cancelled before this extension was renumbered")
            break
        if not link_up():
            unsent(later, "the PBX link is down")
            break
        executed: list[Step] = []
        failure: tuple[Step, WriteResult] | None = None
        for step in segment:
            if progress is not None:
                progress(done, total, f"{step.key} = {step.number}"
                         + (" (temporary)" if step.temporary else ""))
            result = write_one(step.key, step.number)
            done += 1
            if result.status != WRITTEN:
                failure = (step, result)
                break
            executed.append(step)
        if failure is None:
            for step in segment:
                if not step.temporary:
                    results[step.port] = WriteResult(step.key, step.number, old[step.port],
                                                     WRITTEN)
            continue
        step, result = failure
        why = f"extension {step.port}: {result.reason or result.status}"
        results[step.port] = WriteResult(step.key, wanted[step.port], old[step.port],
                                         result.status if result.status != UNCHANGED
                                         else REFUSED, result.reason)
        left: dict[str, str] = {}
        problem = ""
        for undo in reversed(executed):
            if not problem:
                back = write_one(undo.key, undo.previous)
                if back.status == WRITTEN:
                    continue
                problem = back.reason or back.status
            left.setdefault(undo.port, f"left at {undo.number}: could not put back "
                                       f"{old[undo.port]} ({problem})")
        for undo in executed:
            if undo.port in left:
                results[undo.port] = WriteResult(undo.key, wanted[undo.port], old[undo.port],
                                                 REFUSED, left[undo.port])
            else:
                results.setdefault(undo.port, WriteResult(
                    undo.key, wanted[undo.port], old[undo.port], NOT_SENT,
                    f"put back to {old[undo.port]}: the renumbering stopped at {why}"))
        unsent(later, f"not sent: the renumbering stopped at {why}")
        break
    if progress is not None and done == total:
        progress(total, total, "")
    return results
