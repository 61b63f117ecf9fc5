"""来电记录区 (C-5), the view: today's count, the search box, one page of the log in a
Treeview (newest first), page buttons, and the right-click menu (回叫, 保存到常用电话 / 公司电话
/ 客户电话, 清除记录区).

It draws what ``CallLogPresenter`` holds and hands every action to the callbacks it was
given; it never reads the store itself.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from functools import partial
from tkinter import ttk

from callcenter.crm_client.gui.presenters_log import BOOKS, COLUMNS, CallLogPresenter

COLUMN_WIDTHS = {"seq": 40, "number": 112, "name": 90, "description": 96, "seat": 40,
                 "time": 140}


class CallLogView(ttk.Frame):
    """The call-record area (see the module docstring)."""

    def __init__(self, parent: tk.Misc, presenter: CallLogPresenter, *,
                 on_search: Callable[[str], None], on_page: Callable[[int], None],
                 on_call_back: Callable[[int], None],
                 on_save: Callable[[int, str], None],
                 on_clear: Callable[[], None]) -> None:
        super().__init__(parent, padding=(4, 2))
        self.presenter = presenter
        self.on_search = on_search
        self.on_page = on_page
        self.on_call_back = on_call_back
        self.on_save = on_save
        self.on_clear = on_clear
        self.may_read = self.may_clear = self.may_save = True  # allow()
        top = ttk.Frame(self)
        top.grid(row=0, column=0, columnspan=2, sticky="ew", pady=(0, 2))
        self.today = ttk.Label(top)
        self.today.grid(row=0, column=0, sticky="w")
        top.columnconfigure(1, weight=1)
        self.search = ttk.Entry(top, width=18)
        self.search.grid(row=0, column=2, padx=(8, 2))
        self.search.bind("<Return>", lambda _e: self.on_search(self.search.get()))
        self.search_button = ttk.Button(top, command=lambda: self.on_search(self.search.get()))
        self.search_button.grid(row=0, column=3)
        self.table = ttk.Treeview(self, columns=COLUMNS, show="headings", height=9,
                                  selectmode="browse")
        for column in COLUMNS:
            wide = column in ("name", "description")
            self.table.column(column, width=COLUMN_WIDTHS[column], minwidth=30,
                              anchor="w" if wide else "center", stretch=wide)
        self.table.grid(row=1, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.table.yview)
        scroll.grid(row=1, column=1, sticky="ns")
        self.table.configure(yscrollcommand=scroll.set)
        self.table.tag_configure("missed", foreground="#c62828")
        bottom = ttk.Frame(self)
        bottom.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(2, 0))
        self.previous = ttk.Button(bottom, width=8, command=lambda: self.on_page(-1))
        self.previous.grid(row=0, column=0)
        self.page_label = ttk.Label(bottom, anchor="center")
        self.page_label.grid(row=0, column=1, padx=6)
        self.next = ttk.Button(bottom, width=8, command=lambda: self.on_page(1))
        self.next.grid(row=0, column=2)
        bottom.columnconfigure(3, weight=1)
        self.clear_button = ttk.Button(bottom, command=self.on_clear)
        self.clear_button.grid(row=0, column=4)
        self.rowconfigure(1, weight=1)
        self.columnconfigure(0, weight=1)
        self.menu = tk.Menu(self, tearoff=False)
        for sequence in ("<Button-3>", "<Control-Button-1>"):
            self.table.bind(sequence, self._context_menu)
        self.table.bind("<Double-Button-1>", self._double_click)
        self.relabel()

    # ------------------------------------------------------------------ drawing
    def relabel(self) -> None:
        text = self.presenter.catalogue.text
        for column, heading in zip(COLUMNS, self.presenter.headings(), strict=True):
            self.table.heading(column, text=heading)
        self.search_button.configure(text=text("log.search"))
        self.previous.configure(text=text("common.previous_page"))
        self.next.configure(text=text("common.next_page"))
        self.clear_button.configure(text=text("log.clear"))
        self.menu.delete(0, "end")
        self.menu.add_command(label=text("log.call_back"), command=self._call_back_selected)
        self.menu.add_separator()
        for book in BOOKS:
            self.menu.add_command(label=text(f"log.save_{book}"),
                                  command=partial(self._save_selected, book))
        self.menu.add_separator()
        self.menu.add_command(label=text("log.clear"), command=self.on_clear)
        self.show()

    def allow(self, *, read: bool = True, clear: bool = True, save: bool = True) -> None:
        """The local user's permissions (gui/permissions.py): ``read`` the log (search,
        pages, 回叫), ``clear`` it, ``save`` a number to a phone book; what is not allowed
        is greyed out."""
        self.may_read, self.may_clear, self.may_save = read, clear, save
        for widget in (self.search, self.search_button):
            widget.state(["!disabled"] if read else ["disabled"])
        self.clear_button.state(["!disabled"] if clear else ["disabled"])
        self.show()

    def show(self) -> None:
        """Draw the presenter's page (the Treeview holds only this page's rows)."""
        presenter = self.presenter
        self.today.configure(text=presenter.today_text())
        self.page_label.configure(text=presenter.page_text())
        self.previous.state(["!disabled" if self.may_read and presenter.has_previous()
                             else "disabled"])
        self.next.state(["!disabled" if self.may_read and presenter.has_next()
                         else "disabled"])
        selected = self.selected_index()
        self.table.delete(*self.table.get_children())
        if not self.may_read:  # the local user may not see the call log
            return
        for index, (values, entry) in enumerate(zip(presenter.rows(), presenter.entries,
                                                    strict=True)):
            missed = presenter.description(entry) == presenter.catalogue.text("log.missed")
            self.table.insert("", "end", iid=str(index), values=values,
                              tags=("missed",) if missed else ())
        if selected is not None and selected < len(presenter.entries):
            self.table.selection_set(str(selected))

    # ------------------------------------------------------------------ for tests and actions
    def selected_index(self) -> int | None:
        selection = self.table.selection()
        return int(selection[0]) if selection else None

    def row_values(self) -> list[tuple[str, ...]]:
        """The rows drawn now, as text (what the agent reads)."""
        return [tuple(str(v) for v in self.table.item(iid, "values"))
                for iid in self.table.get_children()]

    def _context_menu(self, event: tk.Event[ttk.Treeview]) -> None:
        row = self.table.identify_row(event.y)
        if row:
            self.table.selection_set(row)
        row_there = self.selected_index() is not None
        for index in range(5):  # call back and the three books need a row
            if self.menu.type(index) == "command":
                may = self.may_read if index == 0 else self.may_save
                self.menu.entryconfigure(index, state="normal" if row_there and may
                                         else "disabled")
        self.menu.entryconfigure("end", state="normal" if self.may_clear else "disabled")
        self.menu.tk_popup(event.x_root, event.y_root)
        self.menu.grab_release()

    def _double_click(self, event: tk.Event[ttk.Treeview]) -> None:
        if self.table.identify_row(event.y):
            self._call_back_selected()

    def _call_back_selected(self) -> None:
        index = self.selected_index()
        if index is not None:
            self.on_call_back(index)

    def _save_selected(self, book: str) -> None:
        index = self.selected_index()
        if index is not None:
            self.on_save(index, book)
