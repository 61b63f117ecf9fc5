"""实时监控 (S-37) without Tk: the PBX's ports as the console shows them, from the hub's
events, and where each icon goes.

``MonitorModel.apply(event)`` takes the ``snapshot`` (in parts: collected, then swapped in
whole, so the view never draws half a state) and the ``extension_state``, ``trunk_state``,
``park_slot`` and ``link`` events, and returns which icons changed (``"ext:001"``,
``"trunk:01"``, ``"park:1"``, or ``ALL``); an extension's icon shows its name (1.2, from the
snapshot) under its number.  ``MonitorLayout`` places the icons in rows of
cells for a given width, so the view can ask which cells a scrolled window shows and draw
only those (300 extensions stay cheap).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

from callcenter.common.agent.views import (
    ExtensionView,
    ParkSlotView,
    TrunkView,
    extension_view,
    park_slot_view,
    text,
    trunk_view,
)

ALL: Final = "*"

#: Extension states (agent protocol, section 8) in the legend's order, with their colours.
EXTENSION_COLOURS: Final = {
    "idle": "#d9f2d9",       # pale green: free
    "offhook": "#fff2a8",    # yellow: handset lifted
    "dialing": "#ffe08a",    # deeper yellow: dialling
    "ringing": "#ffb74d",    # orange: ringing
    "talking": "#e53935",    # red: in a call
    "busy": "#8e8e8e",       # grey: busy tone
    "held": "#7e57c2",       # violet: holds a call
}
TRUNK_COLOURS: Final = {
    "idle": "#d9f2d9",
    "incoming": "#ffb74d",
    "outgoing": "#64b5f6",
    "talking": "#e53935",
}
PARK_COLOURS: Final = {False: "#eeeeee", True: "#7e57c2"}
#: Text colour on each fill (white on the dark ones, for contrast).
DARK_FILLS: Final = frozenset({"#e53935", "#8e8e8e", "#7e57c2"})
UNKNOWN_COLOUR: Final = "#ffffff"


class MonitorModel:
    """The monitor's state (see the module docstring)."""

    def __init__(self) -> None:
        self.extensions: dict[str, ExtensionView] = {}
        self.trunks: dict[str, TrunkView] = {}
        self.park_slots: dict[int, ParkSlotView] = {}
        self.link_up: bool | None = None
        self.have_snapshot = False
        self._parts: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ events
    def apply(self, event: dict[str, Any]) -> set[str]:
        """Apply one hub event; the keys of the icons that changed (empty: none)."""
        name = event.get("event")
        if name == "snapshot":
            return self._snapshot_part(event)
        if name == "extension_state":
            return self._extension(event)
        if name == "trunk_state":
            return self._trunk(event)
        if name == "park_slot":
            return self._park(event)
        if name == "link":
            self.link_up = event.get("state") == "up"
            return {ALL}
        return set()

    def _snapshot_part(self, event: dict[str, Any]) -> set[str]:
        part, parts = event.get("part", 1), event.get("parts", 1)
        if part == 1:
            self._parts = []
        self._parts.append(event)
        if part != parts:
            return set()
        extensions: dict[str, ExtensionView] = {}
        trunks: dict[str, TrunkView] = {}
        slots: dict[int, ParkSlotView] = {}
        for piece in self._parts:
            for item in piece.get("extensions") or ():
                icon = extension_view(item)
                extensions[icon.port] = icon
            for item in piece.get("trunks") or ():
                trunk = trunk_view(item)
                trunks[trunk.trunk] = trunk
            for item in piece.get("park_slots") or ():
                slot = park_slot_view(item)
                slots[slot.slot] = slot
        self._parts = []
        self.extensions = dict(sorted(extensions.items()))
        self.trunks = dict(sorted(trunks.items()))
        self.park_slots = dict(sorted(slots.items()))
        self.link_up = event.get("link") == "up"
        self.have_snapshot = True
        return {ALL}

    def _extension(self, event: dict[str, Any]) -> set[str]:
        port = text(event, "port")
        old = self.extensions.get(port)
        if old is None:
            return set()  # not in the snapshot: the next snapshot brings it
        new = extension_view(event, old)
        if new == old:
            return set()
        self.extensions[port] = new
        return {f"ext:{port}"}

    def _trunk(self, event: dict[str, Any]) -> set[str]:
        trunk = text(event, "trunk")
        if trunk not in self.trunks:
            return set()
        new = trunk_view(event)
        if new == self.trunks[trunk]:
            return set()
        self.trunks[trunk] = new
        return {f"trunk:{trunk}"}

    def _park(self, event: dict[str, Any]) -> set[str]:
        slot = event.get("slot")
        if not isinstance(slot, int) or slot not in self.park_slots:
            return set()
        self.park_slots[slot] = park_slot_view(event)
        return {f"park:{slot}"}

    # ------------------------------------------------------------------ what to show
    def counts(self) -> dict[str, int]:
        """The counts line's figures."""
        states = Counter(icon.state for icon in self.extensions.values())
        return {"extensions": len(self.extensions), "talking": states["talking"],
                "ringing": states["ringing"],
                "offhook": states["offhook"] + states["dialing"] + states["busy"],
                "trunks": len(self.trunks),
                "busy_trunks": sum(t.state != "idle" for t in self.trunks.values()),
                "parked": sum(p.occupied for p in self.park_slots.values())}

    def keys(self) -> list[str]:
        """Every icon's key, in the order they are drawn."""
        return ([f"ext:{p}" for p in self.extensions] + [f"trunk:{t}" for t in self.trunks]
                + [f"park:{s}" for s in self.park_slots])

    def fill(self, key: str) -> str:
        """The colour of icon ``key`` (its state's colour)."""
        kind, _, ident = key.partition(":")
        if kind == "ext" and ident in self.extensions:
            return EXTENSION_COLOURS.get(self.extensions[ident].state, UNKNOWN_COLOUR)
        if kind == "trunk" and ident in self.trunks:
            return TRUNK_COLOURS.get(self.trunks[ident].state, UNKNOWN_COLOUR)
        if kind == "park" and ident.isdigit() and int(ident) in self.park_slots:
            return PARK_COLOURS[self.park_slots[int(ident)].occupied]
        return UNKNOWN_COLOUR

    def lines(self, key: str) -> tuple[str, str]:
        """An icon's two text lines: who it is, and the caller or dialled number."""
        kind, _, ident = key.partition(":")
        if kind == "ext" and ident in self.extensions:
            ext = self.extensions[ident]
            return f"{ext.port} {ext.number}".strip(), ext.peer
        if kind == "trunk" and ident in self.trunks:
            trunk = self.trunks[ident]
            return f"T{trunk.trunk}", trunk.number
        if kind == "park" and ident.isdigit() and int(ident) in self.park_slots:
            slot = self.park_slots[int(ident)]
            return f"P{slot.slot}", slot.number
        return ident, ""

    def name_line(self, key: str) -> str:
        """The name an admin gave the extension of icon ``key`` (protocol 1.2), shown under
        its number; ``""`` when none (and for trunks and park slots)."""
        kind, _, ident = key.partition(":")
        if kind == "ext" and ident in self.extensions:
            return self.extensions[ident].name
        return ""


@dataclass(frozen=True)
class Section:
    """One block of icons (extensions, trunks, park slots) under its heading."""

    title_key: str  # catalogue key of the heading
    top: int  # y of the heading
    keys: tuple[str, ...]
    first_row_y: int
    rows: int


class MonitorLayout:
    """Where every icon goes for a canvas ``width`` pixels wide (pure geometry)."""

    def __init__(self, cell_width: int = 96, cell_height: int = 58, gap: int = 6,
                 heading: int = 26, margin: int = 8) -> None:
        self.cell_width = cell_width
        self.cell_height = cell_height
        self.gap = gap
        self.heading = heading
        self.margin = margin
        self.columns = 1
        self.sections: list[Section] = []
        self.height = 0
        self._where: dict[str, tuple[int, int]] = {}

    def arrange(self, model: MonitorModel, width: int) -> None:
        """Place every icon of ``model`` for this width."""
        pitch = self.cell_width + self.gap
        self.columns = max(1, (width - 2 * self.margin + self.gap) // pitch)
        groups = (("monitor.extensions", [f"ext:{p}" for p in model.extensions]),
                  ("monitor.trunks", [f"trunk:{t}" for t in model.trunks]),
                  ("monitor.park", [f"park:{s}" for s in model.park_slots]))
        y = self.margin
        self.sections = []
        self._where = {}
        for title, keys in groups:
            if not keys:
                continue
            rows = -(-len(keys) // self.columns)
            first = y + self.heading
            self.sections.append(Section(title, y, tuple(keys), first, rows))
            for index, key in enumerate(keys):
                row, column = divmod(index, self.columns)
                self._where[key] = (self.margin + column * pitch,
                                    first + row * (self.cell_height + self.gap))
            y = first + rows * (self.cell_height + self.gap) + self.gap
        self.height = y + self.margin

    def position(self, key: str) -> tuple[int, int] | None:
        """Top-left corner of icon ``key``; None if it has none."""
        return self._where.get(key)

    def visible(self, top: float, bottom: float) -> list[str]:
        """The icons that overlap the band ``top``..``bottom`` (canvas y)."""
        shown: list[str] = []
        row_height = self.cell_height + self.gap
        for section in self.sections:
            end = section.first_row_y + section.rows * row_height
            if end < top or section.first_row_y > bottom:
                continue
            first_row = max(0, int((top - section.first_row_y) // row_height))
            last_row = min(section.rows - 1, int((bottom - section.first_row_y) // row_height))
            start = first_row * self.columns
            stop = (last_row + 1) * self.columns
            shown.extend(section.keys[start:stop])
        return shown
