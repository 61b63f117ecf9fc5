"""The agent's desk as the hub describes it: a pure model of the phone state (no I/O).

``Desk.apply(event)`` takes the hub's events as dicts (docs/agent-protocol.md section 8) and
returns what changed as ``DeskChange`` items, so a view redraws only those: one extension
(its monitor icon), one trunk, one park slot (the six 泊位 buttons), this PC's call (the pop
and the 通话区), the agents, the PBX link, or everything (a snapshot).  ``connection(state)``
records the client's own link to the hub (connecting, online, ...).

A snapshot may come in parts: the desk collects them from ``part`` 1 and replaces its state
only at the last one.  Unknown events and fields are ignored, unknown states kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final

from callcenter.common.agent.views import (
    AgentView,
    ExtensionView,
    ParkSlotView,
    TrunkView,
    agent_view,
    extension_view,
    integer,
    park_slot_view,
    text,
    trunk_view,
)

PARK_SLOTS: Final = 6
#: Calls whose direction the desk remembers, at most.
MAX_KINDS: Final = 256
#: Extension states in which the port has a call of its own.
CALL_STATES: Final = ("ringing", "talking", "held", "dialing", "busy")


@dataclass(frozen=True)
class MyCall:
    """This PC's port's current call: ``state`` ringing | talking | held | dialing | busy (or a
    newer state as received); ``direction`` in | out | internal; ``caller`` the ring's
    caller-ID digits exactly as received ("" when not rung or withheld)."""

    call_id: int
    state: str
    peer: str = ""
    trunk: str = ""
    direction: str = "in"
    caller: str = ""
    answered: bool = False


@dataclass(frozen=True)
class DeskChange:
    """What a view must redraw: ``kind`` all | extension | trunk | park_slot | my_call |
    agents | link | connection; ``key`` the port, trunk or slot ("" otherwise)."""

    kind: str
    key: str = ""


ALL: Final = DeskChange("all")


def empty_slots() -> dict[int, ParkSlotView]:
    return {n: ParkSlotView(n) for n in range(1, PARK_SLOTS + 1)}


class Desk:
    """The phone state seen from this PC's extension port ``my_port`` (module docstring)."""

    def __init__(self, my_port: str = "") -> None:
        self.my_port = my_port
        self.extensions: dict[str, ExtensionView] = {}
        self.trunks: dict[str, TrunkView] = {}
        self.park_slots: dict[int, ParkSlotView] = empty_slots()
        self.agents: list[AgentView] = []
        self.pbx_link = ""          # up | down ("" before the first snapshot)
        self.connection = ""        # the client's link to the hub (LinkStatus.state)
        self.synced = False         # a whole snapshot has been applied
        self.my_call: MyCall | None = None
        self._parts: dict[str, list[dict[str, Any]]] | None = None
        self._kinds: dict[int, str] = {}    # call_id -> direction, as first seen (bounded)

    # ------------------------------------------------------------------ queries
    @property
    def my_extension(self) -> ExtensionView | None:
        return self.extensions.get(self.my_port)

    def name_of(self, port: str) -> str:
        view = self.extensions.get(port)
        return view.name if view else ""

    def call_directions(self) -> dict[int, str]:
        """call_id -> in | out | internal, as the snapshot's calls and the events told."""
        return dict(self._kinds)

    def port_of_number(self, number: str) -> str:
        """The port whose dialled number is ``number``, "" when none."""
        return next((e.port for e in self.extensions.values() if e.number == number), "")

    # ------------------------------------------------------------------ updates
    def connection_changed(self, state: str) -> list[DeskChange]:
        """Record the hub connection's state; when it is lost the state is stale until the
        next snapshot (``synced`` false)."""
        if state == self.connection:
            return []
        self.connection = state
        if state != "online":
            self.synced = False
            self._parts = None
        return [DeskChange("connection")]

    def apply(self, event: dict[str, Any]) -> list[DeskChange]:
        """Apply one hub event; what changed (empty for events the desk does not model)."""
        name = event.get("event")
        handler = getattr(self, f"_on_{name}", None) if isinstance(name, str) else None
        if handler is None:
            return []
        result: list[DeskChange] = handler(event)
        return result

    def _on_snapshot(self, event: dict[str, Any]) -> list[DeskChange]:
        part, parts = integer(event, "part") or 1, integer(event, "parts") or 1
        if part == 1 or self._parts is None:
            self._parts = {k: [] for k in ("extensions", "trunks", "park_slots", "calls",
                                           "agents")}
        for key, items in self._parts.items():
            value = event.get(key)
            if isinstance(value, list):
                items.extend(v for v in value if isinstance(v, dict))
        if part < parts:
            return []
        collected, self._parts = self._parts, None
        self.extensions = {}
        for item in collected["extensions"]:
            view = extension_view(item)
            self.extensions[view.port] = view
        self.trunks = {t.trunk: t for t in map(trunk_view, collected["trunks"])}
        self.park_slots = empty_slots()
        for slot in map(park_slot_view, collected["park_slots"]):
            if slot.slot:
                self.park_slots[slot.slot] = slot
        self.agents = [agent_view(a) for a in collected["agents"]]
        self.pbx_link = text(event, "link")
        self._kinds = {}
        mine = self.extensions.get(self.my_port)
        for call in collected["calls"]:
            self._kinds[integer(call, "call_id")] = self._direction_of(call)
        old = self.my_call
        self.my_call = None
        if mine is not None and mine.state in CALL_STATES and mine.call_id:
            answered = mine.state in ("talking", "held") or (
                old is not None and old.call_id == mine.call_id and old.answered)
            self.my_call = MyCall(mine.call_id, mine.state, mine.peer, mine.trunk,
                                  self._kinds.get(mine.call_id, "in"),
                                  old.caller if old and old.call_id == mine.call_id else "",
                                  answered)
        self.synced = True
        return [ALL]

    @staticmethod
    def _direction_of(call: dict[str, Any]) -> str:
        kind = text(call, "kind")
        if kind == "incoming":
            return "in"
        if kind == "outgoing":
            return "out"
        return "internal"

    def _on_extension_state(self, event: dict[str, Any]) -> list[DeskChange]:
        port = text(event, "port")
        if not port:
            return []
        self.extensions[port] = extension_view(event, self.extensions.get(port))
        changes = [DeskChange("extension", port)]
        if port == self.my_port:
            changes += self._my_state(self.extensions[port])
        return changes

    def _my_state(self, view: ExtensionView) -> list[DeskChange]:
        old = self.my_call
        if view.state not in CALL_STATES or not view.call_id:
            if old is None:
                return []
            self.my_call = None
            return [DeskChange("my_call")]
        if old is not None and old.call_id == view.call_id:
            new = replace(old, state=view.state, peer=view.peer or old.peer,
                          trunk=view.trunk or old.trunk,
                          answered=old.answered or view.state in ("talking", "held"))
        else:
            direction = self._kinds.get(view.call_id) or (
                "in" if view.state == "ringing" else "out")
            if direction == "out" and not view.trunk and self.port_of_number(view.peer):
                direction = "internal"
            new = MyCall(view.call_id, view.state, view.peer, view.trunk, direction,
                         view.peer if view.state == "ringing" else "",
                         view.state in ("talking", "held"))
            self._remember(view.call_id, direction)
        if new == old:
            return []
        self.my_call = new
        return [DeskChange("my_call")]

    def _remember(self, call_id: int, direction: str) -> None:
        """Note a call's direction; the oldest notes go beyond MAX_KINDS (a day without a
        snapshot must not grow the desk without end)."""
        self._kinds[call_id] = direction
        while len(self._kinds) > MAX_KINDS:
            del self._kinds[next(iter(self._kinds))]

    def _on_ring(self, event: dict[str, Any]) -> list[DeskChange]:
        if text(event, "extension") != self.my_port:
            return []
        call_id = integer(event, "call_id")
        caller, trunk = text(event, "caller"), text(event, "trunk")
        direction = "in" if trunk else "internal"
        self._remember(call_id, direction)
        old = self.my_call
        if old is not None and old.call_id == call_id:
            new = replace(old, caller=caller, direction=direction, peer=old.peer or caller)
        else:
            new = MyCall(call_id, "ringing", caller, trunk, direction, caller)
        if new == old:
            return []
        self.my_call = new
        return [DeskChange("my_call")]

    def _on_answer(self, event: dict[str, Any]) -> list[DeskChange]:
        if text(event, "extension") != self.my_port:
            return []
        call_id = integer(event, "call_id")
        old = self.my_call
        if old is not None and old.call_id == call_id:
            new = replace(old, state="talking", answered=True,
                          peer=text(event, "peer") or old.peer)
        else:
            new = MyCall(call_id, "talking", text(event, "peer"), text(event, "trunk"),
                         self._kinds.get(call_id, "out"), "", True)
        if new == old:
            return []
        self.my_call = new
        return [DeskChange("my_call")]

    def _on_hangup(self, event: dict[str, Any]) -> list[DeskChange]:
        if text(event, "extension") != self.my_port:
            return []
        if self.my_call is None or self.my_call.call_id != integer(event, "call_id"):
            return []
        self.my_call = None
        return [DeskChange("my_call")]

    def _on_trunk_state(self, event: dict[str, Any]) -> list[DeskChange]:
        view = trunk_view(event)
        if not view.trunk:
            return []
        self.trunks[view.trunk] = view
        return [DeskChange("trunk", view.trunk)]

    def _on_park_slot(self, event: dict[str, Any]) -> list[DeskChange]:
        view = park_slot_view(event)
        if not 1 <= view.slot <= PARK_SLOTS:
            return []
        self.park_slots[view.slot] = view
        return [DeskChange("park_slot", str(view.slot))]

    def _on_forward(self, event: dict[str, Any]) -> list[DeskChange]:
        port = text(event, "port")
        old = self.extensions.get(port)
        if old is None:
            return []
        number = text(event, "number") if event.get("on") else ""
        self.extensions[port] = replace(old, forward=number)
        return [DeskChange("extension", port)]

    def _on_dnd(self, event: dict[str, Any]) -> list[DeskChange]:
        port = text(event, "port")
        old = self.extensions.get(port)
        if old is None:
            return []
        self.extensions[port] = replace(old, dnd=bool(event.get("on")))
        return [DeskChange("extension", port)]

    def _on_agent_joined(self, event: dict[str, Any]) -> list[DeskChange]:
        self.agents.append(agent_view(event))
        return [DeskChange("agents")]

    def _on_agent_left(self, event: dict[str, Any]) -> list[DeskChange]:
        user, port = text(event, "user"), text(event, "extension")
        for index, agent in enumerate(self.agents):  # one session of it left
            if agent.user == user and agent.extension == port:
                del self.agents[index]
                return [DeskChange("agents")]
        return []

    def _on_link(self, event: dict[str, Any]) -> list[DeskChange]:
        state = text(event, "state")
        if state == self.pbx_link:
            return []
        self.pbx_link = state
        return [DeskChange("link")]
