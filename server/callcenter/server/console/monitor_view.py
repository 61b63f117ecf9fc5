"""实时监控 (S-37), the view: a legend, the counts, and a Canvas of port icons.

An extension's icon shows the port and number, under it the name an admin gave the port
(protocol 1.2; nothing when it has none), and the caller or dialled number at the bottom.
The Canvas holds items only for the icons in (or next to) the visible band: scrolling or
resizing redraws the band, a state change re-colours the icon if it is drawn.  Everything it
shows comes from ``MonitorModel``; this module only draws.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from callcenter.server.console.monitor_model import (
    ALL,
    DARK_FILLS,
    EXTENSION_COLOURS,
    TRUNK_COLOURS,
    MonitorLayout,
    MonitorModel,
)
from callcenter.server.console.strings import Catalogue

#: Extra band above and below the window drawn too, so a small scroll shows no blank.
OVERSCAN = 60


class MonitorView(ttk.Frame):
    """The monitor page (see the module docstring)."""

    def __init__(self, parent: tk.Misc, model: MonitorModel, catalogue: Catalogue) -> None:
        super().__init__(parent)
        self.model = model
        self.catalogue = catalogue
        self.layout = MonitorLayout()
        self._drawn: dict[str, tuple[int, int, int, int]] = {}
        self._redraw_pending = False
        self._width = 0
        self.legend = ttk.Frame(self, padding=(8, 6))
        self.legend.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.counts = ttk.Label(self, padding=(8, 0, 8, 4))
        self.counts.grid(row=1, column=0, columnspan=2, sticky="ew")
        self.canvas = tk.Canvas(self, background="#ffffff", highlightthickness=0)
        self.canvas.grid(row=2, column=0, sticky="nsew")
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        self.scrollbar.grid(row=2, column=1, sticky="ns")
        self.canvas.configure(yscrollcommand=self._scrolled)
        self.rowconfigure(2, weight=1)
        self.columnconfigure(0, weight=1)
        self.canvas.bind("<Configure>", self._resized)
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            self.canvas.bind(sequence, self._wheel)
        self.relabel()

    # ------------------------------------------------------------------ from the model
    def refresh(self, changed: set[str]) -> None:
        """Show what changed in the model (keys from ``MonitorModel.apply``)."""
        if not changed:
            return
        if ALL in changed or any(self.layout.position(key) is None for key in changed):
            self._relayout()
        else:
            for key in changed:
                if key in self._drawn:
                    self._paint(key)
        self._show_counts()

    def relabel(self) -> None:
        """Texts in the catalogue's current language (legend, counts, headings)."""
        for child in self.legend.winfo_children():
            child.destroy()
        column = 0
        for title, colours, prefix in (("monitor.extensions", EXTENSION_COLOURS, "state"),
                                       ("monitor.trunks", TRUNK_COLOURS, "trunk")):
            group = self.catalogue.text(title)
            ttk.Label(self.legend, text=self.catalogue.text("monitor.legend_group",
                                                            group=group)).grid(
                row=0, column=column, padx=(0 if column == 0 else 14, 4))
            column += 1
            for state, colour in colours.items():
                swatch = tk.Canvas(self.legend, width=14, height=14, highlightthickness=0)
                swatch.create_rectangle(1, 1, 13, 13, fill=colour, outline="#555555")
                swatch.grid(row=0, column=column)
                ttk.Label(self.legend, text=self.catalogue.text(f"{prefix}.{state}")).grid(
                    row=0, column=column + 1, padx=(2, 8))
                column += 2
        self._relayout()
        self._show_counts()

    # ------------------------------------------------------------------ for tests
    def icon_fill(self, key: str) -> str | None:
        """The fill colour icon ``key`` is drawn with; None when it is not drawn."""
        items = self._drawn.get(key)
        return None if items is None else self._option(items[0], "fill")

    def icon_text(self, key: str) -> tuple[str, str] | None:
        """The two text lines icon ``key`` is drawn with; None when it is not drawn."""
        items = self._drawn.get(key)
        if items is None:
            return None
        return self._option(items[1], "text"), self._option(items[2], "text")

    def icon_name(self, key: str) -> str | None:
        """The name line icon ``key`` is drawn with (under the number; ``""`` when the
        extension has no name); None when it is not drawn."""
        items = self._drawn.get(key)
        return None if items is None else self._option(items[3], "text")

    def drawn_count(self) -> int:
        """How many icons have Canvas items now (only the visible band's)."""
        return len(self._drawn)

    def _option(self, item: int, option: str) -> str:
        options = self.canvas.itemconfigure(item)
        return str(options[option][-1]) if options else ""

    def scroll_to(self, key: str) -> None:
        """Scroll so that icon ``key`` is in view (drawn at once)."""
        where = self.layout.position(key)
        if where is None or self.layout.height <= 0:
            return
        self.canvas.yview_moveto(max(0.0, (where[1] - 10) / self.layout.height))
        self._draw_visible()

    # ------------------------------------------------------------------ drawing
    def _show_counts(self) -> None:
        if not self.model.have_snapshot:
            self.counts.configure(text=self.catalogue.text("monitor.waiting"))
            return
        text = self.catalogue.text("monitor.counts", **self.model.counts())
        if self.model.link_up is False:
            text += "    " + self.catalogue.text("monitor.link_down")
        self.counts.configure(text=text)

    def _resized(self, event: tk.Event[tk.Canvas]) -> None:
        if event.width != self._width:
            self._width = event.width
            self._relayout()
        else:
            self._schedule_redraw()

    def _relayout(self) -> None:
        width = self._width or self.canvas.winfo_width()
        self.layout.arrange(self.model, max(width, 200))
        self.canvas.delete("all")
        self._drawn = {}
        for section in self.layout.sections:
            self.canvas.create_text(self.layout.margin, section.top + 4, anchor="nw",
                                    text=self.catalogue.text(section.title_key),
                                    font="TkHeadingFont", fill="#333333", tags=("heading",))
        self.canvas.configure(scrollregion=(0, 0, max(width, 200), self.layout.height))
        self._draw_visible()

    def _scrolled(self, first: float, last: float) -> None:
        self.scrollbar.set(first, last)
        self._schedule_redraw()

    def _schedule_redraw(self) -> None:
        if not self._redraw_pending:
            self._redraw_pending = True
            self.after_idle(self._draw_visible)

    def _wheel(self, event: tk.Event[tk.Canvas]) -> None:
        if event.num == 4 or getattr(event, "delta", 0) > 0:
            self.canvas.yview_scroll(-2, "units")
        else:
            self.canvas.yview_scroll(2, "units")

    def _draw_visible(self) -> None:
        self._redraw_pending = False
        top = self.canvas.canvasy(0) - OVERSCAN
        bottom = self.canvas.canvasy(max(self.canvas.winfo_height(), 1)) + OVERSCAN
        wanted = set(self.layout.visible(top, bottom))
        for key in [k for k in self._drawn if k not in wanted]:
            for item in self._drawn.pop(key):
                self.canvas.delete(item)
        for key in wanted:
            if key not in self._drawn:
                self._create(key)

    def _create(self, key: str) -> None:
        where = self.layout.position(key)
        if where is None:
            return
        x, y = where
        w, h = self.layout.cell_width, self.layout.cell_height
        tag = f"icon:{key}"
        box = self.canvas.create_rectangle(x, y, x + w, y + h, outline="#666666",
                                           tags=("icon", tag))
        first = self.canvas.create_text(x + w / 2, y + 12, text="", font="TkDefaultFont",
                                        tags=("icon", tag))
        name = self.canvas.create_text(x + w / 2, y + h / 2, text="", width=w - 4,
                                       font="TkSmallCaptionFont", tags=("icon", tag))
        second = self.canvas.create_text(x + w / 2, y + h - 11, text="",
                                         font="TkSmallCaptionFont", tags=("icon", tag))
        self._drawn[key] = (box, first, second, name)
        self._paint(key)

    def _paint(self, key: str) -> None:
        box, first, second, name = self._drawn[key]
        fill = self.model.fill(key)
        ink = "#ffffff" if fill in DARK_FILLS else "#000000"
        line1, line2 = self.model.lines(key)
        self.canvas.itemconfigure(box, fill=fill)
        self.canvas.itemconfigure(first, text=line1, fill=ink)
        self.canvas.itemconfigure(name, text=self.model.name_line(key), fill=ink)
        self.canvas.itemconfigure(second, text=line2, fill=ink)
