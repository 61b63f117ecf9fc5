"""A virtual grid on one Canvas: frozen headings and row labels, only the visible cells drawn.

Why not a Treeview: a ``ttk.Treeview`` colours whole rows (tags), never one cell, and a
parameter grid must turn the one cell written green and the one refused yellow.  Why not
an Entry per cell: a 300 x 28 grid of them takes seconds to build and scrolls badly.  So the
grid draws, on each scroll or change, the rectangles and texts of the cells in view (a few
hundred Canvas items whatever the size of the grid), and places one editor widget (an Entry
or a Combobox) over the cell being edited.

The grid knows nothing of parameters: a ``GridSource`` gives the sizes, headings, texts,
fills and hover texts; the page says what an edit or a right-click does.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk
from typing import Protocol

ROW_HEIGHT = 24
HEADER_HEIGHT = 28
LABEL_WIDTH = 64
MIN_WIDTH = 56
MAX_WIDTH = 220
GRID_LINE = "#c8c8c8"
HEAD_FILL = "#ececec"
SELECTED_FILL = "#a9c8ee"
CURRENT_OUTLINE = "#1f5fbf"


class GridSource(Protocol):
    def row_count(self) -> int: ...

    def column_count(self) -> int: ...

    def heading(self, column: int) -> str: ...

    def row_label(self, row: int) -> str: ...

    def cell(self, row: int, column: int) -> tuple[str, str]:
        """(text, fill) of a cell."""
        ...


class ParameterGrid(ttk.Frame):
    """The grid widget (see the module docstring).

    ``on_edit(row, column)``: a cell asked to be edited (double-click, Enter, F2);
    ``on_menu(event, row, column)``: right-click on a cell (the selection already follows);
    ``on_hover(row, column)``: the cell under the pointer (-1, -1: none), for a help line;
    ``hover_text(row, column)``: a tooltip text ("" for none).
    """

    def __init__(self, parent: tk.Misc, source: GridSource, *,
                 on_edit: Callable[[int, int], None],
                 on_menu: Callable[[tk.Event[tk.Misc], int, int], None] | None = None,
                 on_hover: Callable[[int, int], None] | None = None,
                 hover_text: Callable[[int, int], str] | None = None,
                 label_width: int = LABEL_WIDTH,
                 min_widths: dict[int, int] | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.on_edit = on_edit
        self.on_menu = on_menu
        self.on_hover = on_hover
        self.hover_text = hover_text
        self.label_width = label_width
        self.min_widths = min_widths or {}
        self.font = tkfont.nametofont("TkDefaultFont")
        self.top = 0
        self.left = 0
        self.current: tuple[int, int] = (0, 0)
        self.selected: set[int] = set()
        self._anchor = 0
        self._widths: list[int] = []
        self._drawn: dict[tuple[int, int], tuple[int, int]] = {}
        self._redraw_pending = False
        self.editor: tk.Widget | None = None
        self._editor_cell: tuple[int, int] | None = None
        self.canvas = tk.Canvas(self, background="#ffffff", highlightthickness=1,
                                highlightcolor=CURRENT_OUTLINE, takefocus=True)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.vbar = ttk.Scrollbar(self, orient="vertical", command=self._yview)
        self.vbar.grid(row=0, column=1, sticky="ns")
        self.hbar = ttk.Scrollbar(self, orient="horizontal", command=self._xview)
        self.hbar.grid(row=1, column=0, sticky="ew")
        self.rowconfigure(0, weight=1)
        self.columnconfigure(0, weight=1)
        canvas = self.canvas
        canvas.bind("<Configure>", lambda _e: self.redraw())
        canvas.bind("<Button-1>", self._click)
        canvas.bind("<Double-Button-1>", self._double)
        canvas.bind("<Button-3>", self._right)
        canvas.bind("<Motion>", self._motion)
        canvas.bind("<Leave>", lambda _e: self._hide_tip())
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            canvas.bind(sequence, self._wheel)
        canvas.bind("<Shift-MouseWheel>", self._shift_wheel)
        canvas.bind("<Shift-Button-4>", lambda _e: self.scroll_columns(-1))
        canvas.bind("<Shift-Button-5>", lambda _e: self.scroll_columns(1))
        for key, move in (("<Up>", (-1, 0)), ("<Down>", (1, 0)), ("<Left>", (0, -1)),
                          ("<Right>", (0, 1)), ("<Prior>", (-10, 0)), ("<Next>", (10, 0))):
            canvas.bind(key, self._mover(*move))
        canvas.bind("<Return>", lambda _e: self.on_edit(*self.current))
        canvas.bind("<F2>", lambda _e: self.on_edit(*self.current))
        self.measure()

    def _mover(self, drow: int, dcolumn: int) -> Callable[[tk.Event[tk.Misc]], None]:
        return lambda _event: self.move(drow, dcolumn)

    # ------------------------------------------------------------------ content
    def measure(self) -> None:
        """Column widths from the headings (and a sample of the cells); then redraw."""
        widths = []
        sample_rows = range(min(self.source.row_count(), 40))
        for column in range(self.source.column_count()):
            width = self.font.measure(self.source.heading(column)) + 16
            for row in sample_rows:
                width = max(width, self.font.measure(self.source.cell(row, column)[0]) + 12)
            widths.append(max(MIN_WIDTH, self.min_widths.get(column, 0),
                              min(MAX_WIDTH, width)))
        self._widths = widths
        self.redraw()

    def refresh(self) -> None:
        """The source changed: redraw (soon, once for a burst)."""
        if not self._redraw_pending:
            self._redraw_pending = True
            self.after_idle(self.redraw)

    def drawn_fill(self, row: int, column: int) -> str | None:
        """The fill a cell is drawn with now; None when it is out of view (for tests)."""
        items = self._drawn.get((row, column))
        return None if items is None else self._option(items[0], "fill")

    def drawn_text(self, row: int, column: int) -> str | None:
        items = self._drawn.get((row, column))
        return None if items is None else self._option(items[1], "text")

    def _option(self, item: int, option: str) -> str:
        options = self.canvas.itemconfigure(item)
        return str(options[option][-1]) if options else ""

    def drawn_count(self) -> int:
        return len(self._drawn)

    # ------------------------------------------------------------------ geometry
    def _visible_rows(self) -> int:
        height = max(self.canvas.winfo_height(), 1)
        return max(1, (height - HEADER_HEIGHT) // ROW_HEIGHT)

    def _visible_columns(self) -> int:
        width = max(self.canvas.winfo_width(), 1) - self.label_width
        count, used = 0, 0
        for w in self._widths[self.left:]:
            if used + w > width and count:
                break
            used += w
            count += 1
        return max(1, count)

    def cell_box(self, row: int, column: int) -> tuple[int, int, int, int] | None:
        """The cell's rectangle on the Canvas; None when it is out of view."""
        if row < self.top or column < self.left or row >= self.top + self._visible_rows():
            return None
        x = self.label_width + sum(self._widths[self.left:column])
        if x >= self.canvas.winfo_width():
            return None
        y = HEADER_HEIGHT + (row - self.top) * ROW_HEIGHT
        return x, y, x + self._widths[column], y + ROW_HEIGHT

    def hit(self, x: int, y: int) -> tuple[int, int]:
        """(row, column) under a point: -1 for the headings row / the row-label column."""
        row = -1 if y < HEADER_HEIGHT else self.top + (y - HEADER_HEIGHT) // ROW_HEIGHT
        column = -1
        if x >= self.label_width:
            edge = self.label_width
            for index in range(self.left, len(self._widths)):
                edge += self._widths[index]
                if x < edge:
                    column = index
                    break
            else:
                column = -2
        if row >= self.source.row_count():
            row = -2
        return row, column

    # ------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        self._redraw_pending = False
        canvas = self.canvas
        canvas.delete("all")
        self._drawn = {}
        rows = self.source.row_count()
        columns = self.source.column_count()
        if len(self._widths) != columns:
            self._widths = (self._widths + [MIN_WIDTH] * columns)[:columns]
        self.top = max(0, min(self.top, max(0, rows - self._visible_rows())))
        self.left = max(0, min(self.left, max(0, columns - 1)))
        width = max(canvas.winfo_width(), 1)
        last_row = min(rows, self.top + self._visible_rows() + 1)
        current_row, current_column = self.current
        x = self.label_width
        for column in range(self.left, columns):
            if x >= width:
                break
            w = self._widths[column]
            canvas.create_rectangle(x, 0, x + w, HEADER_HEIGHT, fill=HEAD_FILL, outline=GRID_LINE)
            canvas.create_text(x + 6, HEADER_HEIGHT // 2, anchor="w",
                               text=self._fit(self.source.heading(column), w - 8))
            for row in range(self.top, last_row):
                y = HEADER_HEIGHT + (row - self.top) * ROW_HEIGHT
                text, fill = self.source.cell(row, column)
                rect = canvas.create_rectangle(x, y, x + w, y + ROW_HEIGHT, fill=fill,
                                               outline=GRID_LINE)
                item = canvas.create_text(x + 5, y + ROW_HEIGHT // 2, anchor="w",
                                          text=self._fit(text, w - 8))
                self._drawn[(row, column)] = (rect, item)
            x += w
        canvas.create_rectangle(0, 0, self.label_width, HEADER_HEIGHT, fill=HEAD_FILL,
                                outline=GRID_LINE)
        for row in range(self.top, last_row):
            y = HEADER_HEIGHT + (row - self.top) * ROW_HEIGHT
            fill = SELECTED_FILL if row in self.selected else HEAD_FILL
            canvas.create_rectangle(0, y, self.label_width, y + ROW_HEIGHT, fill=fill,
                                    outline=GRID_LINE)
            canvas.create_text(6, y + ROW_HEIGHT // 2, anchor="w",
                               text=self._fit(self.source.row_label(row),
                                              self.label_width - 8))
        box = self.cell_box(current_row, current_column)
        if box is not None and current_row < rows and current_column < columns:
            canvas.create_rectangle(box[0] + 1, box[1] + 1, box[2] - 1, box[3] - 1,
                                    outline=CURRENT_OUTLINE, width=2)
        self._update_bars()
        self._place_editor()

    def _fit(self, text: str, width: int) -> str:
        if len(text) * 6 <= width or self.font.measure(text) <= width:
            return text
        while text and self.font.measure(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def _update_bars(self) -> None:
        rows = max(self.source.row_count(), 1)
        self.vbar.set(self.top / rows, min(1.0, (self.top + self._visible_rows()) / rows))
        columns = max(self.source.column_count(), 1)
        self.hbar.set(self.left / columns,
                      min(1.0, (self.left + self._visible_columns()) / columns))

    # ------------------------------------------------------------------ scrolling
    def _yview(self, *args: str) -> None:
        self.top = self._scrolled(self.top, self.source.row_count(), self._visible_rows(), args)
        self.redraw()

    def _xview(self, *args: str) -> None:
        self.left = self._scrolled(self.left, self.source.column_count(),
                                   self._visible_columns(), args)
        self.redraw()

    @staticmethod
    def _scrolled(first: int, count: int, visible: int, args: tuple[str, ...]) -> int:
        if args and args[0] == "moveto":
            first = round(float(args[1]) * count)
        elif args and args[0] == "scroll":
            step = int(args[1]) * (visible if args[2] == "pages" else 1)
            first += step
        return max(0, min(first, max(0, count - visible)))

    def scroll_rows(self, delta: int) -> None:
        self.top = max(0, self.top + delta)
        self.redraw()

    def scroll_columns(self, delta: int) -> None:
        self.left = max(0, min(self.left + delta, self.source.column_count() - 1))
        self.redraw()

    def _wheel(self, event: tk.Event[tk.Misc]) -> None:
        self.scroll_rows(-3 if event.num == 4 or getattr(event, "delta", 0) > 0 else 3)

    def _shift_wheel(self, event: tk.Event[tk.Misc]) -> None:
        self.scroll_columns(-1 if getattr(event, "delta", 0) > 0 else 1)

    def see(self, row: int, column: int) -> None:
        """Scroll so that the cell is in view."""
        if row < self.top:
            self.top = row
        elif row >= self.top + self._visible_rows():
            self.top = row - self._visible_rows() + 1
        if column < self.left:
            self.left = column
        else:
            while column >= self.left + self._visible_columns() and self.left < column:
                self.left += 1
        self.redraw()

    # ------------------------------------------------------------------ selection
    def select_cell(self, row: int, column: int, *, extend: str = "") -> None:
        """Make a cell current; ``extend`` ``"toggle"`` or ``"range"`` for the row
        selection (Ctrl / Shift)."""
        self.current = (row, column)
        if extend == "toggle":
            self.selected ^= {row}
        elif extend == "range":
            low, high = sorted((self._anchor, row))
            self.selected = set(range(low, high + 1))
        else:
            self.selected = {row}
            self._anchor = row
        self.see(row, column)

    def select_rows(self, rows: set[int]) -> None:
        self.selected = set(rows)
        self.redraw()

    def move(self, drow: int, dcolumn: int) -> None:
        row = max(0, min(self.current[0] + drow, self.source.row_count() - 1))
        column = max(0, min(self.current[1] + dcolumn, self.source.column_count() - 1))
        self.select_cell(row, column)

    def _extend(self, event: tk.Event[tk.Misc]) -> str:
        state = int(event.state) if isinstance(event.state, int) else 0
        return "range" if state & 0x1 else "toggle" if state & 0x4 else ""

    def _click(self, event: tk.Event[tk.Misc]) -> None:
        self.canvas.focus_set()
        self.close_editor()
        row, column = self.hit(event.x, event.y)
        if row < 0:
            return
        if column == -1:  # the row label: select the row
            self.select_cell(row, self.current[1], extend=self._extend(event))
        elif column >= 0:
            self.select_cell(row, column, extend=self._extend(event))

    def _double(self, event: tk.Event[tk.Misc]) -> None:
        row, column = self.hit(event.x, event.y)
        if row >= 0 and column >= 0:
            self.select_cell(row, column)
            self.on_edit(row, column)

    def _right(self, event: tk.Event[tk.Misc]) -> None:
        self.close_editor()
        row, column = self.hit(event.x, event.y)
        if row < 0 or column < 0:
            return
        if row not in self.selected:
            self.select_cell(row, column)
        else:
            self.current = (row, column)
            self.redraw()
        if self.on_menu is not None:
            self.on_menu(event, row, column)

    # ------------------------------------------------------------------ tooltip
    def _motion(self, event: tk.Event[tk.Misc]) -> None:
        row, column = self.hit(event.x, event.y)
        if row < 0 or column < 0:
            row = column = -1
        if self.on_hover is not None:
            self.on_hover(row, column)
        text = self.hover_text(row, column) if self.hover_text and row >= 0 else ""
        self._hide_tip()
        if text:
            x = min(event.x + 14, max(self.canvas.winfo_width() - 320, 0))
            y = event.y + 18
            item = self.canvas.create_text(x + 4, y + 3, anchor="nw", text=text, width=300,
                                           tags=("tip",))
            x0, y0, x1, y1 = self.canvas.bbox(item)
            if y1 > self.canvas.winfo_height():
                self.canvas.move(item, 0, -(y1 - y0) - 30)
                x0, y0, x1, y1 = self.canvas.bbox(item)
            box = self.canvas.create_rectangle(x0 - 4, y0 - 3, x1 + 4, y1 + 3,
                                               fill="#ffffe0", outline="#888888",
                                               tags=("tip",))
            self.canvas.tag_lower(box, item)

    def _hide_tip(self) -> None:
        self.canvas.delete("tip")

    # ------------------------------------------------------------------ the editor
    def open_editor(self, row: int, column: int, text: str, *,
                    on_commit: Callable[[str], None], choices: list[str] | None = None,
                    accept: Callable[[str], bool] | None = None) -> tk.Widget:
        """Put an editor over the cell: a read-only Combobox for ``choices``, else an
        Entry (``accept`` checks each keystroke's result, e.g. digits only).  Enter calls
        ``on_commit(text)``; Escape or a click elsewhere closes it."""
        self.close_editor()
        self.see(row, column)
        editor: ttk.Entry | ttk.Combobox
        if choices is not None:
            editor = ttk.Combobox(self.canvas, values=choices, state="readonly")
            editor.set(text)
            editor.bind("<<ComboboxSelected>>", lambda _e: commit())
        else:
            editor = ttk.Entry(self.canvas)
            if accept is not None:
                check = self.register(lambda proposed: bool(accept(proposed)))
                editor.configure(validate="key", validatecommand=(check, "%P"))
            editor.insert(0, text)
            editor.select_range(0, "end")

        def commit() -> None:
            value = editor.get()
            self.close_editor()
            self.canvas.focus_set()
            on_commit(value)

        def cancel() -> None:
            self.close_editor()
            self.canvas.focus_set()
        editor.bind("<Return>", lambda _e: commit())
        editor.bind("<KP_Enter>", lambda _e: commit())
        editor.bind("<Escape>", lambda _e: cancel())
        self.editor = editor
        self._editor_cell = (row, column)
        self._place_editor()
        editor.focus_set()
        return editor

    def open_widget(self, row: int, column: int, widget: tk.Widget) -> None:
        """Put a widget of the caller's over the cell (a picker, a child of ``canvas``),
        at its own size; it closes like the other editors (``close_editor``)."""
        self.close_editor()
        self.see(row, column)
        self.editor = widget
        self._editor_cell = (row, column)
        self._place_editor()
        widget.focus_set()

    def _place_editor(self) -> None:
        if self.editor is None or self._editor_cell is None:
            return
        box = self.cell_box(*self._editor_cell)
        if box is None:
            self.editor.place_forget()
            return
        x0, y0, x1, y1 = box
        if isinstance(self.editor, (ttk.Entry, ttk.Combobox)):
            self.editor.place(x=x0, y=y0, width=max(x1 - x0, 90), height=y1 - y0)
            return
        self.editor.update_idletasks()
        width, height = self.editor.winfo_reqwidth(), self.editor.winfo_reqheight()
        x = max(0, min(x0, self.canvas.winfo_width() - width))
        y = y1 if y1 + height <= self.canvas.winfo_height() else max(0, y0 - height)
        self.editor.place(x=x, y=y)

    def close_editor(self) -> None:
        if self.editor is not None:
            self.editor.destroy()
        self.editor = None
        self._editor_cell = None
