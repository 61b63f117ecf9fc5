"""分机监控 (C-8), the presenter: the agent's own set of extension icons, where they sit, and
the live state each is drawn with -- without Tk.

The icons (port, label, position) are this PC's (the store's local ``monitor_icons``); the
states, numbers and names come from the phone-state model as events arrive.  An icon without
a position is placed in the next free cell of a grid.  ``changed`` tells the view which
icons to repaint, so a burst of state events repaints only what changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

from callcenter.crm_client.gui.presenters import ink_on, state_colour, state_text
from callcenter.crm_client.gui.strings import Catalogue

CELL_WIDTH: Final = 100
CELL_HEIGHT: Final = 62
GAP: Final = 8
MARGIN: Final = 8
PORT_PATTERN: Final = re.compile(r"(?!000)[0-9]{3}")


@dataclass(frozen=True)
class Icon:
    """One monitor icon (the store's ``MonitorIcon`` fields)."""

    port: str
    label: str = ""
    x: int = 0
    y: int = 0


@dataclass(frozen=True)
class LineState:
    """What the phone-state model knows of one extension port."""

    number: str = ""
    name: str = ""
    state: str = ""
    peer: str = ""


class MonitorPresenter:
    """The icons and their live states (see the module docstring)."""

    def __init__(self, catalogue: Catalogue, columns: int = 4) -> None:
        self.catalogue = catalogue
        self.columns = columns
        self.icons: dict[str, Icon] = {}
        self.lines: dict[str, LineState] = {}
        self.changed: set[str] = set()

    # ------------------------------------------------------------------ icons
    def set_icons(self, icons: list[Icon]) -> None:
        """The saved icons (positions kept; those without one are placed)."""
        self.icons = {}
        for icon in icons:
            self.icons[icon.port] = icon if (icon.x or icon.y) else self._placed(icon)
        self.changed = set(self.icons)

    def add(self, port: str, label: str = "") -> Icon:
        """A new icon (ValueError naming the field when the port is not allowed)."""
        port = check_port(port)
        if port in self.icons:
            raise ValueError(f"port {port}: this extension has an icon already")
        icon = self._placed(Icon(port, label.strip()))
        self.icons[port] = icon
        self.changed.add(port)
        return icon

    def update(self, old_port: str, port: str, label: str) -> Icon:
        """Properties changed: a new port or label, the position kept."""
        port = check_port(port)
        current = self.icons[old_port]
        if port != old_port and port in self.icons:
            raise ValueError(f"port {port}: this extension has an icon already")
        del self.icons[old_port]
        icon = replace(current, port=port, label=label.strip())
        self.icons[port] = icon
        self.changed |= {old_port, port}
        return icon

    def move(self, port: str, x: int, y: int) -> None:
        self.icons[port] = replace(self.icons[port], x=max(0, x), y=max(0, y))
        self.changed.add(port)

    def remove(self, port: str) -> None:
        self.icons.pop(port, None)
        self.changed.add(port)

    def saved(self) -> list[Icon]:
        """What to save (in icon order)."""
        return sorted(self.icons.values(), key=lambda icon: (icon.y, icon.x, icon.port))

    def _placed(self, icon: Icon) -> Icon:
        taken = {(i.x, i.y) for i in self.icons.values()}
        for index in range(len(self.icons) + 1):
            row, column = divmod(index, self.columns)
            where = (MARGIN + column * (CELL_WIDTH + GAP), MARGIN + row * (CELL_HEIGHT + GAP))
            if where not in taken:
                return replace(icon, x=where[0], y=where[1])
        return replace(icon, x=MARGIN, y=MARGIN)  # unreachable: one cell is always free

    # ------------------------------------------------------------------ states
    def set_line(self, port: str, line: LineState) -> None:
        if self.lines.get(port) != line:
            self.lines[port] = line
            if port in self.icons:
                self.changed.add(port)

    def set_all_lines(self, lines: dict[str, LineState]) -> None:
        """A snapshot: every port's state replaced."""
        self.lines = dict(lines)
        self.changed |= set(self.icons)

    def take_changed(self) -> set[str]:
        changed, self.changed = self.changed, set()
        return changed

    # ------------------------------------------------------------------ drawing
    def fill(self, port: str) -> str:
        return state_colour(self.lines.get(port, LineState()).state)

    def ink(self, port: str) -> str:
        return ink_on(self.fill(port))

    def texts(self, port: str) -> tuple[str, str, str]:
        """An icon's three lines: who (the port and its label, else the extension's name,
        else its number), the state in words, and the other party while in a call."""
        icon = self.icons.get(port, Icon(port))
        line = self.lines.get(port, LineState())
        who = icon.label or line.name or line.number
        first = f"{port} {who}".strip()
        second = state_text(self.catalogue, line.state) if line.state else "—"
        third = line.peer if line.state in ("ringing", "talking", "held", "dialing") else ""
        return first, second, third

    def number_of(self, port: str) -> str:
        return self.lines.get(port, LineState()).number


def check_port(port: str) -> str:
    """An extension port (three digits, not 000); ValueError naming the field."""
    port = port.strip()
    if not PORT_PATTERN.fullmatch(port):
        raise ValueError(f"port {port!r}: an extension port is three digits, 001-999")
    return port
