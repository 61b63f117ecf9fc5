"""The live state of every extension, trunk and park slot (snapshot plus events)."""

from __future__ import annotations

import threading

from callcenter.common.pbx.messages import (
    ExtensionState,
    ParkSlotState,
    StateSnapshot,
    TrunkState,
)

PortEvent = ExtensionState | TrunkState | ParkSlotState


class PortStates:
    """Thread-safe: the link thread applies, any thread reads copies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._extensions: dict[str, ExtensionState] = {}
        self._trunks: dict[str, TrunkState] = {}
        self._park_slots: dict[int, ParkSlotState] = {}
        self._night = False
        self.snapshots = 0  # how many snapshots were loaded (a fresh one after each connect)

    def load(self, snapshot: StateSnapshot) -> None:
        """Take a page of the PBX's snapshot: the first page replaces everything, later
        pages add their extensions."""
        with self._lock:
            if snapshot.offset == 0:
                self._extensions = {}
                self._trunks = {t.trunk: t for t in snapshot.trunks}
                self._park_slots = {p.slot: p for p in snapshot.park_slots}
                self._night = snapshot.night
            self._extensions.update((e.port, e) for e in snapshot.extensions)
            if snapshot.complete:
                self.snapshots += 1

    def apply(self, event: PortEvent) -> None:
        with self._lock:
            if isinstance(event, ExtensionState):
                self._extensions[event.port] = event
            elif isinstance(event, TrunkState):
                self._trunks[event.trunk] = event
            else:
                self._park_slots[event.slot] = event

    def extension(self, port: str) -> ExtensionState | None:
        with self._lock:
            return self._extensions.get(port)

    def trunk(self, trunk: str) -> TrunkState | None:
        with self._lock:
            return self._trunks.get(trunk)

    def extensions(self) -> dict[str, ExtensionState]:
        with self._lock:
            return dict(self._extensions)

    def trunks(self) -> dict[str, TrunkState]:
        with self._lock:
            return dict(self._trunks)

    def park_slots(self) -> dict[int, ParkSlotState]:
        with self._lock:
            return dict(self._park_slots)

    @property
    def night(self) -> bool:
        return self._night
