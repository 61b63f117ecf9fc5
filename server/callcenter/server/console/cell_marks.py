"""State colours on single cells of a ``ttk.Treeview``, and their reasons on hover.

A Treeview colours whole rows (tags), never one cell.  ``CellMarks`` lays a small label over
each marked cell instead -- the cell's text on the state's colour -- placed at the cell's
``bbox`` and placed again whenever the table scrolls, is resized or a column is dragged
wider, hidden while its row is out of view.  Hovering a mark shows its reason (a refusal's
words) in a ``Tooltip``; a double click on a mark is the double click on its cell.

Only the cells with an outcome are marked (an edit's: a few), so the labels cost nothing on
a table of 999 rooms.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from tkinter import ttk


@dataclass(frozen=True)
class Mark:
    """One marked cell: its state (a key of the colours), the text shown, the reason."""

    state: str
    text: str
    reason: str = ""


class Tooltip:
    """A borderless window with a text beside the pointer while it is over ``widget``."""

    def __init__(self, widget: tk.Misc, text: Callable[[], str]) -> None:
        self.widget = widget
        self.text = text
        self.window: tk.Toplevel | None = None
        self.label: tk.Label | None = None
        widget.bind("<Enter>", self.show, add="+")
        widget.bind("<Leave>", lambda _e: self.hide(), add="+")
        widget.bind("<Destroy>", lambda _e: self.hide(), add="+")

    def show(self, event: tk.Event[tk.Misc] | None = None) -> None:
        text = self.text()
        if not text:
            return
        self.hide()
        window = self.window = tk.Toplevel(self.widget)
        window.wm_overrideredirect(True)
        self.label = tk.Label(window, text=text, justify="left", background="#ffffe0",
                              relief="solid", borderwidth=1, wraplength=420, padx=4, pady=2)
        self.label.pack()
        x = (event.x_root if event is not None else self.widget.winfo_rootx()) + 12
        y = (event.y_root if event is not None else self.widget.winfo_rooty()) + 16
        window.wm_geometry(f"+{x}+{y}")

    def hide(self) -> None:
        if self.window is not None and self.window.winfo_exists():
            self.window.destroy()
        self.window = self.label = None

    def shown_text(self) -> str:
        """The text on screen now ("" when hidden)."""
        return str(self.label.cget("text")) if self.label is not None else ""


class CellMarks:
    """Marks over single cells of ``tree`` (see the module docstring)."""

    def __init__(self, tree: ttk.Treeview, colours: Mapping[str, str], *,
                 on_double: Callable[[str, str], None] = lambda item, column: None) -> None:
        self.tree = tree
        self.colours = dict(colours)
        self.on_double = on_double
        self.marks: dict[tuple[str, str], Mark] = {}
        self.labels: dict[tuple[str, str], tk.Label] = {}
        self.tooltips: dict[tuple[str, str], Tooltip] = {}
        self._job = ""
        tree.bind("<Configure>", lambda _e: self.schedule(), add="+")
        tree.bind("<ButtonRelease-1>", lambda _e: self.schedule(), add="+")  # a column dragged
        tree.bind("<<TreeviewOpen>>", lambda _e: self.schedule(), add="+")

    def scrolled(self, first: float | str, last: float | str) -> None:
        """For the tree's ``yscrollcommand`` (after the scroll bar's own)."""
        self.schedule()

    def set(self, marks: Mapping[tuple[str, str], Mark]) -> None:
        """The marks now: (item, column) -> Mark; others are removed."""
        for cell in [c for c in self.labels if c not in marks]:
            self.labels.pop(cell).destroy()
            self.tooltips.pop(cell, None)
        self.marks = dict(marks)
        for cell, mark in self.marks.items():
            label = self.labels.get(cell)
            if label is None:
                label = self.labels[cell] = tk.Label(self.tree, borderwidth=0, anchor="center")
                self._bind(label, cell)
            label.configure(text=mark.text, background=self.colours.get(mark.state, ""))
        self.schedule()

    def _bind(self, label: tk.Label, cell: tuple[str, str]) -> None:
        def double(_event: tk.Event[tk.Misc]) -> None:
            self.on_double(*cell)
        label.bind("<Double-1>", double)
        self.tooltips[cell] = Tooltip(label, lambda: self._reason(cell))

    def _reason(self, cell: tuple[str, str]) -> str:
        mark = self.marks.get(cell)
        return mark.reason if mark is not None else ""

    def schedule(self) -> None:
        """Place the marks once the table has settled (after idle; one for a burst)."""
        if not self._job:
            self._job = self.tree.after_idle(self.place)

    def place(self) -> None:
        """Each mark over its cell, or hidden while the cell is out of view."""
        self._job = ""
        if not self.tree.winfo_exists():
            return
        for (item, column), label in self.labels.items():
            box = self.tree.bbox(item, column) if self.tree.exists(item) else ""
            if not box:
                label.place_forget()
                continue
            x, y, width, height = box
            label.place(x=x + 1, y=y + 1, width=max(width - 2, 1), height=max(height - 2, 1))

    def label_at(self, item: str, column: str) -> tk.Label | None:
        """The mark over a cell (tests hover and read it), or None."""
        return self.labels.get((item, column))
