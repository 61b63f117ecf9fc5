"""PBX state as the agent hub sees it, and PBX notices -> agent-protocol events; pure logic.

Theory of operation
-------------------
``PbxView`` is fed the PBX link's notices in wire order (``load`` for a state snapshot,
``apply`` for one extension, trunk or park-slot change) and keeps the last state of every
port.  ``apply`` compares the new state of a port with the one it replaces and returns the
protocol events that change means (``HubEvent``: name, fields, and for ``ring`` the one port
whose agents get it):

============================= =========================================================
extension change              events
============================= =========================================================
state/peer/trunk/call changed ``extension_state``
became ``ringing`` (new call) ``ring`` (only to the agents at that port)
became ``talking`` in a call  ``answer`` (not when a held call is taken back)
left a call (or it stopped    ``hangup``; ``answered`` is false when the port only rang
ringing)
forward target changed        ``forward``
DND changed                   ``dnd``
============================= =========================================================

A trunk change is a ``trunk_state``, a park-slot change a ``park_slot``.  ``snapshot_fields``
builds the arrays of the ``snapshot`` event from the same state, so a session's snapshot and
the events after it agree (both come from this view, in the order the PBX sent them).

Call ids: the PBX numbers its calls, and may number them from 1 again after a restart.  The
view hands out the hub's own ids (``call_id``), unique while the server runs: a PBX id keeps
its own value while it is above every id handed out so far (the usual case, so hub and PBX
ids agree), and otherwise gets the next free one.  ``new_pbx_session`` (the link came up)
forgets which PBX id meant which call.

The caller number of a ``ring`` is the ringing port's peer, which the PBX fills from the
trunk's caller-ID detection (or the calling extension's number); the extension's own caller-ID
display setting only concerns its phone set and is not consulted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeVar

from callcenter.common.pbx.messages import (
    ExtensionState,
    ParkSlotState,
    StateSnapshot,
    TrunkState,
)

PARK_SLOTS: Final = 6
_KEEP_CALLS: Final = 2000  # remembered call kinds/callers before pruning the dead ones
PortNotice = TypeVar("PortNotice", ExtensionState, TrunkState, ParkSlotState)


@dataclass(frozen=True)
class HubEvent:
    """An event to fan out; ``port`` set: only to the agents logged in at that port."""

    name: str
    data: dict[str, Any] = field(hash=False)
    port: str = ""


def extension_fields(state: ExtensionState, number: str, name: str = "") -> dict[str, Any]:
    return {"port": state.port, "number": number, "name": name, "state": state.state,
            "peer": state.peer, "trunk": state.trunk, "call_id": state.call_id,
            "forward": state.forward, "dnd": state.dnd}


def trunk_fields(state: TrunkState) -> dict[str, Any]:
    return {"trunk": state.trunk, "state": state.state, "number": state.number,
            "port": state.port, "call_id": state.call_id}


def park_fields(state: ParkSlotState) -> dict[str, Any]:
    return {"slot": state.slot, "occupied": state.occupied, "number": state.number,
            "port": state.port, "call_id": state.call_id}


def _line(state: ExtensionState) -> tuple[str, str, str, int]:
    return state.state, state.peer, state.trunk, state.call_id


class PbxView:
    """The last known state of every extension, trunk and park slot (see module doc)."""

    def __init__(self) -> None:
        self.extensions: dict[str, ExtensionState] = {}
        self.trunks: dict[str, TrunkState] = {}
        self.park_slots: dict[int, ParkSlotState] = {}
        self.numbers: dict[str, str] = {}  # extension port -> dialled number
        self.names: dict[str, str] = {}  # extension port -> name an admin gave it (1.2)
        self._kinds: dict[int, str] = {}  # call id -> incoming / outgoing / internal
        self._callers: dict[int, str] = {}  # call id -> the calling party's number
        self._hub_ids: dict[int, int] = {}  # PBX call id -> hub call id, this link session
        self._high = 0  # the highest hub call id handed out

    # ------------------------------------------------------------------ call ids
    def call_id(self, pbx_id: int) -> int:
        """The hub's id of the PBX's call ``pbx_id`` (0 stays 0); see the module doc."""
        if not pbx_id:
            return 0
        hub = self._hub_ids.get(pbx_id)
        if hub is None:
            if len(self._hub_ids) >= _KEEP_CALLS:
                self._prune()
            hub = pbx_id if pbx_id > self._high else self._high + 1
            self._high = hub
            self._hub_ids[pbx_id] = hub
        return hub

    def new_pbx_session(self) -> None:
        """The PBX link came (back) up: the PBX may have restarted and reuse its call ids."""
        self._hub_ids.clear()

    def _hub(self, notice: PortNotice) -> PortNotice:
        hub = self.call_id(notice.call_id)
        return notice if hub == notice.call_id else replace(notice, call_id=hub)

    # ------------------------------------------------------------------ feeding
    def load(self, extensions: Iterable[ExtensionState], trunks: Iterable[TrunkState],
             park_slots: Iterable[ParkSlotState]) -> None:
        """Replace everything (a snapshot from the PBX)."""
        extensions, trunks, park_slots = list(extensions), list(trunks), list(park_slots)
        self._map_ids([*extensions, *trunks, *park_slots])
        self.extensions = {}
        self.trunks = {t.trunk: t for t in map(self._hub, trunks)}
        self.park_slots = {p.slot: p for p in map(self._hub, park_slots)}
        for trunk in self.trunks.values():
            self._note_trunk(trunk)
        self._add_extensions(extensions)

    def load_page(self, snapshot: StateSnapshot) -> bool:
        """Take one page of the PBX's state snapshot: the first page replaces everything,
        later ones add their extensions.  True when it was the last page."""
        if snapshot.offset == 0:
            self.load(snapshot.extensions, snapshot.trunks, snapshot.park_slots)
        else:
            self._map_ids(snapshot.extensions)
            self._add_extensions(snapshot.extensions)
        return snapshot.complete

    def _map_ids(self, notices: Iterable[ExtensionState | TrunkState | ParkSlotState]) -> None:
        """Hand out hub ids for a snapshot's calls in PBX order, so that they keep the PBX's
        ids when they can."""
        for pbx_id in sorted({n.call_id for n in notices if n.call_id}):
            self.call_id(pbx_id)

    def _add_extensions(self, extensions: Iterable[ExtensionState]) -> None:
        for ext in map(self._hub, extensions):
            self.extensions[ext.port] = ext
            if ext.state == "ringing" and ext.call_id:
                self._callers.setdefault(ext.call_id, ext.peer)

    def set_numbers(self, numbers: Mapping[str, str]) -> None:
        self.numbers = dict(numbers)

    def number_of(self, port: str) -> str:
        return self.numbers.get(port, "")

    def set_names(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)

    def apply(self, notice: ExtensionState | TrunkState | ParkSlotState) -> list[HubEvent]:
        """Take one change; the protocol events it means."""
        if isinstance(notice, ExtensionState):
            return self._apply_extension(self._hub(notice))
        if isinstance(notice, TrunkState):
            notice = self._hub(notice)
            old_trunk = self.trunks.get(notice.trunk)
            self.trunks[notice.trunk] = notice
            self._note_trunk(notice)
            if old_trunk == notice:
                return []
            return [HubEvent("trunk_state", trunk_fields(notice))]
        notice = self._hub(notice)
        old_slot = self.park_slots.get(notice.slot)
        self.park_slots[notice.slot] = notice
        if old_slot == notice:
            return []
        return [HubEvent("park_slot", park_fields(notice))]

    def _note_trunk(self, trunk: TrunkState) -> None:
        if trunk.call_id and trunk.state in ("incoming", "outgoing"):
            self._kinds.setdefault(trunk.call_id, trunk.state)
            self._callers.setdefault(trunk.call_id, trunk.number)
        if max(len(self._kinds), len(self._callers), len(self._hub_ids)) > _KEEP_CALLS:
            self._prune()

    def _apply_extension(self, new: ExtensionState) -> list[HubEvent]:
        old = self.extensions.get(new.port) or ExtensionState(new.port, "idle")
        self.extensions[new.port] = new
        events: list[HubEvent] = []
        port = new.port
        if old.call_id and old.call_id != new.call_id:
            events.append(HubEvent("hangup", {
                "call_id": old.call_id, "extension": port, "peer": old.peer,
                "trunk": old.trunk, "answered": old.state != "ringing"}))
        if _line(old) != _line(new):
            events.append(HubEvent("extension_state", {
                "port": port, "state": new.state, "peer": new.peer, "trunk": new.trunk,
                "call_id": new.call_id}))
        if new.state == "ringing" and new.call_id and (
                old.state != "ringing" or old.call_id != new.call_id):
            if not new.trunk:
                self._kinds.setdefault(new.call_id, "internal")
            self._callers.setdefault(new.call_id, new.peer)
            events.append(HubEvent("ring", {
                "call_id": new.call_id, "caller": new.peer, "trunk": new.trunk,
                "extension": port, "number": self.number_of(port)}, port=port))
        retrieved = old.call_id == new.call_id and old.state in ("talking", "held")
        if new.state == "talking" and new.call_id and not retrieved:
            events.append(HubEvent("answer", {
                "call_id": new.call_id, "extension": port, "peer": new.peer,
                "trunk": new.trunk}))
        if new.state == "dialing" and new.call_id and not new.trunk:
            self._kinds.setdefault(new.call_id, "internal")
            self._callers.setdefault(new.call_id, self.number_of(port))
        if old.forward != new.forward:
            events.append(HubEvent("forward", {"port": port, "on": bool(new.forward),
                                               "number": new.forward}))
        if old.dnd != new.dnd:
            events.append(HubEvent("dnd", {"port": port, "on": new.dnd}))
        return events

    def _prune(self) -> None:
        live = {e.call_id for e in self.extensions.values()}
        live |= {t.call_id for t in self.trunks.values()}
        live |= {p.call_id for p in self.park_slots.values()}
        self._kinds = {k: v for k, v in self._kinds.items() if k in live}
        self._callers = {k: v for k, v in self._callers.items() if k in live}
        self._hub_ids = {k: v for k, v in self._hub_ids.items() if v in live}

    # ------------------------------------------------------------------ snapshot
    def snapshot_fields(self) -> dict[str, Any]:
        """``extensions``, ``trunks``, ``park_slots`` and ``calls`` of a snapshot event."""
        slots = [park_fields(self.park_slots.get(slot) or ParkSlotState(slot, False))
                 for slot in range(1, PARK_SLOTS + 1)] if self.park_slots else []
        return {
            "extensions": [extension_fields(e, self.number_of(p), self.names.get(p, ""))
                           for p, e in sorted(self.extensions.items())],
            "trunks": [trunk_fields(t) for _, t in sorted(self.trunks.items())],
            "park_slots": slots,
            "calls": self.calls(),
        }

    def calls(self) -> list[dict[str, Any]]:
        """The calls in progress, derived from the port states."""
        calls: dict[int, dict[str, Any]] = {}

        def call(call_id: int) -> dict[str, Any]:
            return calls.setdefault(call_id, {"call_id": call_id, "trunk": "", "number": "",
                                              "ports": [], "ringing": [], "_states": [],
                                              "_parked": False})

        for port, ext in sorted(self.extensions.items()):
            if not ext.call_id:
                continue
            entry = call(ext.call_id)
            entry["ringing" if ext.state == "ringing" else "ports"].append(port)
            if ext.state != "ringing":
                entry["_states"].append(ext.state)
            if ext.trunk and not entry["trunk"]:
                entry["trunk"] = ext.trunk
        for trunk in self.trunks.values():
            if trunk.call_id and trunk.state != "idle":
                entry = call(trunk.call_id)
                entry["trunk"] = trunk.trunk
                entry["number"] = trunk.number
        for slot in self.park_slots.values():
            if slot.occupied and slot.call_id:
                entry = call(slot.call_id)
                entry["_parked"] = True
                entry["number"] = entry["number"] or slot.number
        out = []
        for call_id, entry in sorted(calls.items()):
            states = entry.pop("_states")
            parked = entry.pop("_parked")
            if parked:
                state = "parked"
            elif "talking" in states:
                state = "talking"
            elif states and all(s == "held" for s in states):
                state = "held"
            else:
                state = "ringing"
            kind = self._kinds.get(call_id) or ("incoming" if entry["trunk"] else "internal")
            if not entry["number"]:
                entry["number"] = self._callers.get(call_id) or (
                    self.number_of(entry["ports"][0]) if entry["ports"] else "")
            out.append({"call_id": call_id, "kind": kind, "state": state,
                        "trunk": entry["trunk"], "number": entry["number"],
                        "ports": entry["ports"], "ringing": entry["ringing"]})
        return out
