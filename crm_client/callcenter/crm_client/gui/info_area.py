"""信息管理区 (C-8), the view: a notebook with 分机监控 (the agent's extension icons in their live
colours), 电话簿 (常用电话, 公司电话, 客户电话) and 未接电话 (回拨, 查找, 保存到电话簿).

Views only: the icons' places, states and texts are ``MonitorPresenter``'s; phonebook and
missed-call rows are given to ``show_*``; every action goes to a callback of the app.
Icons can be dragged to another place; right-click gives 新建 / 属性 / 删除 (新建 alone on the
blank canvas); a double-click on an icon is the second step of 转接.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from tkinter import ttk

from callcenter.crm_client.gui.presenters_log import BOOKS
from callcenter.crm_client.gui.presenters_monitor import (
    CELL_HEIGHT,
    CELL_WIDTH,
    MonitorPresenter,
)
from callcenter.crm_client.gui.strings import Catalogue

BOOK_COLUMNS = ("name", "number", "company", "notes")
MISSED_COLUMNS = ("number", "name", "time")


@dataclass
class InfoCallbacks:
    """What the information area asks the app to do."""

    icon_double: Callable[[str], None]
    icon_new: Callable[[], None]
    icon_properties: Callable[[str], None]
    icon_delete: Callable[[str], None]
    icon_moved: Callable[[str, int, int], None]
    book_show: Callable[[str, str], None]            # book, search
    book_call: Callable[[int], None]                 # row index
    book_new: Callable[[str], None]                  # book
    book_edit: Callable[[int], None]
    book_delete: Callable[[int], None]
    missed_call_back: Callable[[int], None]
    missed_find: Callable[[int], None]
    missed_save: Callable[[int], None]
    missed_refresh: Callable[[], None]


class MonitorPanel(ttk.Frame):
    """分机监控: a Canvas of icons (see the module docstring)."""

    def __init__(self, parent: tk.Misc, presenter: MonitorPresenter,
                 callbacks: InfoCallbacks) -> None:
        super().__init__(parent)
        self.presenter = presenter
        self.callbacks = callbacks
        self.canvas = tk.Canvas(self, background="#ffffff", highlightthickness=0)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        scroll.grid(row=0, column=1, sticky="ns")
        self.canvas.configure(yscrollcommand=scroll.set)
        self.rowconfigure(0, weight=1)
        self.columnconfigure(0, weight=1)
        self.menu = tk.Menu(self, tearoff=False)
        self._drawn: dict[str, tuple[int, int, int, int]] = {}
        self._menu_port = ""
        self._drag: tuple[str, int, int] | None = None
        self._dragged = False
        for sequence in ("<Button-3>", "<Control-Button-1>"):
            self.canvas.bind(sequence, self._context_menu)
        self.canvas.bind("<Double-Button-1>", self._double)
        self.canvas.bind("<ButtonPress-1>", self._press)
        self.canvas.bind("<B1-Motion>", self._motion)
        self.canvas.bind("<ButtonRelease-1>", self._release)

    # ------------------------------------------------------------------ drawing
    def redraw(self, changed: set[str] | None = None) -> None:
        """Repaint ``changed`` icons (all when None): create, move, re-colour, delete."""
        ports = set(self.presenter.icons) | set(self._drawn) if changed is None else changed
        for port in ports:
            icon = self.presenter.icons.get(port)
            if icon is None:
                for item in self._drawn.pop(port, ()):
                    self.canvas.delete(item)
                continue
            if port not in self._drawn:
                self._create(port)
            box, *lines = self._drawn[port]
            self.canvas.coords(box, icon.x, icon.y, icon.x + CELL_WIDTH, icon.y + CELL_HEIGHT)
            ink = self.presenter.ink(port)
            self.canvas.itemconfigure(box, fill=self.presenter.fill(port))
            for row, (item, text) in enumerate(zip(lines, self.presenter.texts(port),
                                                   strict=True)):
                self.canvas.coords(item, icon.x + CELL_WIDTH / 2, icon.y + 12 + 19 * row)
                self.canvas.itemconfigure(item, text=text, fill=ink)
        bottom = max((i.y + CELL_HEIGHT for i in self.presenter.icons.values()), default=0)
        right = max((i.x + CELL_WIDTH for i in self.presenter.icons.values()), default=0)
        self.canvas.configure(scrollregion=(0, 0, right + 8, bottom + 8))

    def _create(self, port: str) -> None:
        tag = f"icon:{port}"
        box = self.canvas.create_rectangle(0, 0, 1, 1, outline="#666666", tags=("icon", tag))
        first, second, third = (
            self.canvas.create_text(0, 0, text="", font=font, tags=("icon", tag))
            for font in ("TkDefaultFont", "TkDefaultFont", "TkSmallCaptionFont"))
        self._drawn[port] = (box, first, second, third)

    # ------------------------------------------------------------------ for tests
    def icon_fill(self, port: str) -> str | None:
        items = self._drawn.get(port)
        if items is None:
            return None
        return self._option(items[0], "fill")

    def icon_texts(self, port: str) -> tuple[str, ...] | None:
        items = self._drawn.get(port)
        if items is None:
            return None
        return tuple(self._option(item, "text") for item in items[1:])

    def _option(self, item: int, option: str) -> str:
        options = self.canvas.itemconfigure(item)
        return str(options[option][-1]) if options else ""

    def icon_centre(self, port: str) -> tuple[int, int]:
        """Where icon ``port`` is on the canvas widget (to click it in tests)."""
        icon = self.presenter.icons[port]
        x = int(icon.x + CELL_WIDTH / 2 - self.canvas.canvasx(0))
        y = int(icon.y + CELL_HEIGHT / 2 - self.canvas.canvasy(0))
        return x, y

    # ------------------------------------------------------------------ events
    def port_at(self, x: int, y: int) -> str:
        """The icon under the widget point (x, y), "" when none."""
        cx, cy = self.canvas.canvasx(x), self.canvas.canvasy(y)
        for port, icon in self.presenter.icons.items():
            if icon.x <= cx <= icon.x + CELL_WIDTH and icon.y <= cy <= icon.y + CELL_HEIGHT:
                return port
        return ""

    def _context_menu(self, event: tk.Event[tk.Canvas]) -> None:
        self._menu_port = self.port_at(event.x, event.y)
        text = self.presenter.catalogue.text
        self.menu.delete(0, "end")
        self.menu.add_command(label=text("info.new_icon"), command=self.callbacks.icon_new)
        if self._menu_port:
            port = self._menu_port
            self.menu.add_command(label=text("info.icon_properties"),
                                  command=lambda: self.callbacks.icon_properties(port))
            self.menu.add_command(label=text("info.delete_icon"),
                                  command=lambda: self.callbacks.icon_delete(port))
        self.menu.tk_popup(event.x_root, event.y_root)
        self.menu.grab_release()

    def _double(self, event: tk.Event[tk.Canvas]) -> None:
        port = self.port_at(event.x, event.y)
        if port:
            self.callbacks.icon_double(port)

    def _press(self, event: tk.Event[tk.Canvas]) -> None:
        port = self.port_at(event.x, event.y)
        self._drag = (port, event.x, event.y) if port else None
        self._dragged = False

    def _motion(self, event: tk.Event[tk.Canvas]) -> None:
        if self._drag is None:
            return
        port, x0, y0 = self._drag
        dx, dy = event.x - x0, event.y - y0
        if not self._dragged and abs(dx) + abs(dy) < 6:
            return
        self._dragged = True
        icon = self.presenter.icons.get(port)
        if icon is None:
            return
        self.presenter.move(port, icon.x + dx, icon.y + dy)
        self._drag = (port, event.x, event.y)
        self.redraw(self.presenter.take_changed())

    def _release(self, _event: tk.Event[tk.Canvas]) -> None:
        if self._drag is not None and self._dragged:
            port = self._drag[0]
            icon = self.presenter.icons.get(port)
            if icon is not None:
                self.callbacks.icon_moved(port, icon.x, icon.y)
        self._drag = None
        self._dragged = False


class PhonebookPanel(ttk.Frame):
    """电话簿: the three books, a search, one Treeview, 呼叫 / 新建 / 编辑 / 删除."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue,
                 callbacks: InfoCallbacks) -> None:
        super().__init__(parent, padding=2)
        self.catalogue = catalogue
        self.callbacks = callbacks
        self.book = BOOKS[0]
        top = ttk.Frame(self)
        top.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.book_buttons: dict[str, ttk.Button] = {}
        for place, book in enumerate(BOOKS):
            button = ttk.Button(top, command=partial(self.choose, book))
            button.grid(row=0, column=place, padx=(0, 2))
            self.book_buttons[book] = button
        top.columnconfigure(3, weight=1)
        self.search = ttk.Entry(top, width=12)
        self.search.grid(row=0, column=4, padx=2)
        self.search.bind("<Return>", lambda _e: self.reload())
        self.search_button = ttk.Button(top, command=self.reload)
        self.search_button.grid(row=0, column=5)
        self.table = ttk.Treeview(self, columns=BOOK_COLUMNS, show="headings", height=6,
                                  selectmode="browse")
        for column, width in zip(BOOK_COLUMNS, (90, 110, 110, 120), strict=True):
            self.table.column(column, width=width, minwidth=40, stretch=True)
        self.table.grid(row=1, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.table.yview)
        scroll.grid(row=1, column=1, sticky="ns")
        self.table.configure(yscrollcommand=scroll.set)
        self.table.bind("<Double-Button-1>", lambda _e: self._with_row(callbacks.book_call))
        buttons = ttk.Frame(self)
        buttons.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(2, 0))
        self.call_button = ttk.Button(buttons, command=lambda: self._with_row(
            callbacks.book_call))
        self.new_button = ttk.Button(buttons, command=lambda: callbacks.book_new(self.book))
        self.edit_button = ttk.Button(buttons, command=lambda: self._with_row(
            callbacks.book_edit))
        self.delete_button = ttk.Button(buttons, command=lambda: self._with_row(
            callbacks.book_delete))
        for place, button in enumerate((self.call_button, self.new_button, self.edit_button,
                                        self.delete_button)):
            button.grid(row=0, column=place, padx=(0, 2))
        self.rowconfigure(1, weight=1)
        self.columnconfigure(0, weight=1)
        self.relabel()

    def relabel(self) -> None:
        text = self.catalogue.text
        for book, button in self.book_buttons.items():
            button.configure(text=text(f"book.{book}"))
        for column in BOOK_COLUMNS:
            self.table.heading(column, text=text(f"book.col.{column}"))
        self.search_button.configure(text=text("common.search"))
        self.call_button.configure(text=text("book.call"))
        self.new_button.configure(text=text("book.new"))
        self.edit_button.configure(text=text("book.edit"))
        self.delete_button.configure(text=text("book.delete"))
        self._mark_book()

    def choose(self, book: str) -> None:
        self.book = book
        self._mark_book()
        self.reload()

    def reload(self) -> None:
        self.callbacks.book_show(self.book, self.search.get().strip())

    def show(self, rows: Sequence[tuple[str, ...]]) -> None:
        self.table.delete(*self.table.get_children())
        for index, values in enumerate(rows):
            self.table.insert("", "end", iid=str(index), values=values)

    def row_values(self) -> list[tuple[str, ...]]:
        return [tuple(str(v) for v in self.table.item(iid, "values"))
                for iid in self.table.get_children()]

    def _mark_book(self) -> None:
        for book, button in self.book_buttons.items():
            button.state(["pressed"] if book == self.book else ["!pressed"])

    def _with_row(self, action: Callable[[int], None]) -> None:
        selection = self.table.selection()
        if selection:
            action(int(selection[0]))


class MissedPanel(ttk.Frame):
    """未接电话: number, customer, time; 回拨, 查找, 保存到电话簿, 刷新."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue,
                 callbacks: InfoCallbacks) -> None:
        super().__init__(parent, padding=2)
        self.catalogue = catalogue
        self.count = ttk.Label(self)
        self.count.grid(row=0, column=0, sticky="w")
        self.table = ttk.Treeview(self, columns=MISSED_COLUMNS, show="headings", height=6,
                                  selectmode="browse")
        for column, width in zip(MISSED_COLUMNS, (130, 120, 150), strict=True):
            self.table.column(column, width=width, minwidth=40, stretch=True)
        self.table.grid(row=1, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.table.yview)
        scroll.grid(row=1, column=1, sticky="ns")
        self.table.configure(yscrollcommand=scroll.set)
        self.table.bind("<Double-Button-1>",
                        lambda _e: self._with_row(callbacks.missed_call_back))
        buttons = ttk.Frame(self)
        buttons.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(2, 0))
        self.call_back = ttk.Button(buttons, command=lambda: self._with_row(
            callbacks.missed_call_back))
        self.find = ttk.Button(buttons, command=lambda: self._with_row(callbacks.missed_find))
        self.save = ttk.Button(buttons, command=lambda: self._with_row(callbacks.missed_save))
        self.refresh_button = ttk.Button(buttons, command=callbacks.missed_refresh)
        for place, button in enumerate((self.call_back, self.find, self.save,
                                        self.refresh_button)):
            button.grid(row=0, column=place, padx=(0, 2))
        self.rowconfigure(1, weight=1)
        self.columnconfigure(0, weight=1)
        self._rows = 0
        self.relabel()

    def relabel(self) -> None:
        text = self.catalogue.text
        for column in MISSED_COLUMNS:
            self.table.heading(column, text=text(f"missed.col.{column}"))
        self.call_back.configure(text=text("missed.call_back"))
        self.find.configure(text=text("missed.find"))
        self.save.configure(text=text("missed.save"))
        self.refresh_button.configure(text=text("missed.refresh"))
        self.count.configure(text=text("missed.count", count=self._rows))

    def show(self, rows: Sequence[tuple[str, ...]]) -> None:
        self.table.delete(*self.table.get_children())
        for index, values in enumerate(rows):
            self.table.insert("", "end", iid=str(index), values=values)
        self._rows = len(rows)
        self.count.configure(text=self.catalogue.text("missed.count", count=self._rows))

    def row_values(self) -> list[tuple[str, ...]]:
        return [tuple(str(v) for v in self.table.item(iid, "values"))
                for iid in self.table.get_children()]

    def _with_row(self, action: Callable[[int], None]) -> None:
        selection = self.table.selection()
        if selection:
            action(int(selection[0]))


class InfoArea(ttk.Notebook):
    """The information area's notebook (see the module docstring)."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, monitor: MonitorPresenter,
                 callbacks: InfoCallbacks) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.monitor = MonitorPanel(self, monitor, callbacks)
        self.phonebook = PhonebookPanel(self, catalogue, callbacks)
        self.missed = MissedPanel(self, catalogue, callbacks)
        for panel in (self.monitor, self.phonebook, self.missed):
            self.add(panel, text="")
        self.relabel()

    def relabel(self) -> None:
        text = self.catalogue.text
        for panel, key in ((self.monitor, "info.monitor"), (self.phonebook, "info.phonebook"),
                           (self.missed, "info.missed")):
            self.tab(panel, text=text(key))  # type: ignore[no-untyped-call]
        self.phonebook.relabel()
        self.missed.relabel()
        self.monitor.redraw()

    def tab_texts(self) -> list[str]:
        return [str(self.tab(tab, "text"))  # type: ignore[no-untyped-call]
                for tab in self.tabs()]  # type: ignore[no-untyped-call]
