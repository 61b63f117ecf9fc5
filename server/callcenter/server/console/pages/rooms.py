"""话务管理 (S-39, manual 1-7), the view: the room table, its cell editor, the money
buttons and the ledger dialog.

Thin: ``RoomsModel`` holds the rows and decides what an edit asks; this draws it in a
``ttk.Treeview`` (one item per extension port: at most 999, which a Treeview draws lazily)
and sends the requests through ``ServiceConnection.request``.  The edited cell alone turns
green when written and read back, yellow when refused (``CellMarks``: a Treeview's tags would
colour the whole row), the refusal's reason on hover and under the table.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Any, Final

from callcenter.server.console import strings
from callcenter.server.console.cell_marks import CellMarks, Mark
from callcenter.server.console.pages import Page, PageContext, PageFactory
from callcenter.server.console.rooms_model import (
    ALARM_MODES,
    COLUMNS,
    EDITABLE,
    Edit,
    RoomsModel,
    ledger_rows,
)

strings.add_texts({
    "rooms.col.index": ("序号", "No."),
    "rooms.col.port": ("端口号", "Port"),
    "rooms.col.number": ("分机号", "Extension"),
    "rooms.col.day_class": ("白天服务等级", "Day class"),
    "rooms.col.night_class": ("夜间服务等级", "Night class"),
    "rooms.col.alarm": ("闹钟1", "Alarm 1"),
    "rooms.col.alarm2": ("闹钟2", "Alarm 2"),
    "rooms.col.alarm_mode": ("闹铃模式", "Alarm mode"),
    "rooms.col.over_limit_class": ("超额等级", "Over limit"),
    "rooms.col.prepaid": ("预设话费", "Prepaid"),
    "rooms.col.balance": ("余额", "Balance"),
    "rooms.hint": ("双击等级、闹钟或超额等级栏修改（回车写入交换机）；双击预设话费栏输入金额"
                   "充值（累计），清空后回车则余额清零。",
                   "Double-click a class, alarm or over-limit cell to change it (Enter writes "
                   "it to the PBX); double-click Prepaid and type an amount to top up (it "
                   "adds up), or empty it and press Enter to clear the balance."),
    "rooms.amount": ("金额", "Amount"),
    "rooms.note": ("备注", "Note"),
    "rooms.topup": ("充值", "Top up"),
    "rooms.clear": ("清零", "Clear"),
    "rooms.adjust": ("调整", "Adjust"),
    "rooms.release": ("解除预付", "Release"),
    "rooms.ledger": ("账目", "Ledger"),
    "rooms.refresh": ("刷新", "Refresh"),
    "rooms.loading": ("正在读取房间表…", "Reading the room table…"),
    "rooms.count": ("共 {count} 个房间", "{count} rooms"),
    "rooms.over_limit": ("余额不足：已改用超额等级，外线受限，充值后恢复",
                         "below zero: the over-limit class applies (outside calls refused) "
                         "until a top-up"),
    "rooms.select_room": ("请先选择一个房间", "Select a room first"),
    "rooms.bad_amount": ("金额须大于0，最多两位小数，不超过100000元",
                         "The amount must be more than 0, with at most two decimals, at "
                         "most 100000 yuan"),
    "rooms.bad_class": ("服务等级为两位数字：打出1-6，打入1-4（11为最高）",
                        "A service class is two digits: outgoing 1-6 then incoming 1-4 "
                        "(11 = unrestricted)"),
    "rooms.bad_alarm": ("闹钟按24小时制输入，如1300；空为不用",
                        "An alarm is a 24-hour time such as 1300; empty for none"),
    "rooms.bad_mode": ("闹铃模式为 once（单次）或 daily（每天）",
                       "The alarm mode is once or daily"),
    "rooms.not_editable": ("此栏不能修改", "This column cannot be changed"),
    "rooms.nothing_to_clear": ("该房间没有余额可清零", "This room has no balance to clear"),
    "rooms.written": ("端口 {port}：已写入", "Port {port}: written"),
    "rooms.refused": ("端口 {port} 未写入：{reason}", "Port {port} not written: {reason}"),
    "rooms.balance_now": ("端口 {port}：余额 {balance}", "Port {port}: balance {balance}"),
    "rooms.ledger_title": ("账目 - 端口 {port}", "Ledger - port {port}"),
    "rooms.ledger.at": ("时间", "Time"),
    "rooms.ledger.kind": ("类别", "Kind"),
    "rooms.ledger.amount": ("金额", "Amount"),
    "rooms.ledger.balance": ("余额", "Balance"),
    "rooms.ledger.who": ("操作员", "By"),
    "rooms.ledger.note": ("备注", "Note"),
    "rooms.ledger.count": ("共 {total} 条", "{total} entries"),
    "rooms.ledger.close": ("关闭", "Close"),
    "rooms.kind.topup": ("充值", "top-up"),
    "rooms.kind.charge": ("话费", "call"),
    "rooms.kind.clear": ("清零", "clear"),
    "rooms.kind.adjustment": ("调整", "adjustment"),
    "rooms.mode.once": ("单次", "once"),
    "rooms.mode.daily": ("每天", "daily"),
})

WIDTHS: Final = {"index": 50, "port": 60, "number": 80, "day_class": 100, "night_class": 100,
                 "alarm": 70, "alarm2": 70, "alarm_mode": 80, "over_limit_class": 80,
                 "prepaid": 80, "balance": 90}
TAG_COLOURS: Final = {"written": "#c8e6c9", "refused": "#fff59d", "pending": "#e0e0e0",
                      "over_limit": "#ffcdd2"}
#: After a record was stored, the balances are asked for again this much later (a burst
#: of records costs one ``rooms_list``).
REFRESH_DELAY_MS: Final = 400
LEDGER_PAGE: Final = 200


class RoomsPage:
    """The 话务管理 page (see the module docstring)."""

    def __init__(self, context: PageContext) -> None:
        self.context = context
        self.catalogue = context.catalogue
        self.model = RoomsModel()
        self.frame = ttk.Frame(context.parent, padding=6)
        self.hint = ttk.Label(self.frame, wraplength=980, justify="left")
        self.hint.grid(row=0, column=0, columnspan=2, sticky="ew", pady=(0, 4))
        self.tree = ttk.Treeview(self.frame, columns=COLUMNS, show="headings",
                                 selectmode="browse")
        for column in COLUMNS:
            self.tree.column(column, width=WIDTHS[column], anchor="center", stretch=True)
        self.marks = CellMarks(self.tree, TAG_COLOURS, on_double=self._double_on_mark)
        self._marks_job = ""
        self.tree.grid(row=1, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(self.frame, orient="vertical", command=self.tree.yview)
        scroll.grid(row=1, column=1, sticky="ns")
        self._scroll = scroll
        self.tree.configure(yscrollcommand=self._scrolled_table)
        self.tree.bind("<Double-1>", self._double_click)
        self.message = ttk.Label(self.frame, text="", anchor="w", wraplength=980)
        self.message.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(4, 0))
        bar = ttk.Frame(self.frame)
        bar.grid(row=3, column=0, columnspan=2, sticky="ew", pady=(6, 0))
        self.amount_label = ttk.Label(bar)
        self.amount_label.grid(row=0, column=0, padx=(0, 4))
        self.amount = ttk.Entry(bar, width=10)
        self.amount.grid(row=0, column=1, padx=(0, 8))
        self.note_label = ttk.Label(bar)
        self.note_label.grid(row=0, column=2, padx=(0, 4))
        self.note = ttk.Entry(bar, width=18)
        self.note.grid(row=0, column=3, padx=(0, 8))
        self.buttons: dict[str, ttk.Button] = {}
        for index, (name, command) in enumerate((
                ("topup", lambda: self._money("rooms_topup")),
                ("clear", lambda: self._money("rooms_clear")),
                ("adjust", lambda: self._money("rooms_adjust")),
                ("release", lambda: self._money("rooms_release")),
                ("ledger", self.open_ledger),
                ("refresh", self.refresh))):
            button = ttk.Button(bar, command=command)
            button.grid(row=0, column=4 + index, padx=2)
            self.buttons[name] = button
        self.count = ttk.Label(bar, anchor="e")
        self.count.grid(row=0, column=10, sticky="e")
        bar.columnconfigure(10, weight=1)
        self.frame.rowconfigure(1, weight=1)
        self.frame.columnconfigure(0, weight=1)
        self.editor: ttk.Entry | ttk.Combobox | None = None
        self.ledger: LedgerDialog | None = None
        self._refresh_job = ""
        self._loading = False
        self.relabel()

    # ------------------------------------------------------------------ Page
    def relabel(self) -> None:
        text = self.catalogue.text
        for column in COLUMNS:
            self.tree.heading(column, text=text(f"rooms.col.{column}"))
        self.hint.configure(text=text("rooms.hint"))
        self.amount_label.configure(text=text("rooms.amount"))
        self.note_label.configure(text=text("rooms.note"))
        for name, button in self.buttons.items():
            button.configure(text=text(f"rooms.{name}"))
        self._show_count()
        if self.ledger is not None and self.ledger.winfo_exists():
            self.ledger.relabel()

    def shown(self) -> None:
        self.refresh()

    def on_event(self, event: dict[str, Any]) -> None:
        ports, refresh = self.model.apply_event(event)
        for port in ports:
            self._draw_row(port)
        if refresh and self.model.loaded and not self._refresh_job:
            self._refresh_job = self.frame.after(REFRESH_DELAY_MS, self._delayed_refresh)
        if refresh and self.ledger is not None and self.ledger.winfo_exists():
            self.ledger.reload()

    # ------------------------------------------------------------------ the table
    def refresh(self) -> None:
        """Ask for the room table again."""
        if self._loading:
            return
        self._loading = True
        if not self.model.loaded:
            self.message.configure(text=self.catalogue.text("rooms.loading"))
        self.context.connection.request("rooms_list", self._listed, self._list_failed)

    def _delayed_refresh(self) -> None:
        self._refresh_job = ""
        self.refresh()

    def _listed(self, answer: dict[str, Any]) -> None:
        self._loading = False
        first = not self.model.loaded
        self.model.load(list(answer.get("rooms") or []))
        wanted = set(self.model.order)
        for item in self.tree.get_children():
            if item not in wanted:
                self.tree.delete(item)
        for port in self.model.order:
            self._draw_row(port)
        if first:
            self.message.configure(text="")
        self._show_count()

    def _list_failed(self, code: str, message: str) -> None:
        self._loading = False
        self.message.configure(text=self.catalogue.error(code, message))

    def _draw_row(self, port: str) -> None:
        if port not in self.model.rooms:
            return
        values = list(self.model.row(port))
        mode = COLUMNS.index("alarm_mode")
        if values[mode] in ALARM_MODES:
            values[mode] = self.catalogue.text(f"rooms.mode.{values[mode]}")
        if self.tree.exists(port):
            self.tree.item(port, values=values)
        else:
            self.tree.insert("", "end", iid=port, values=values)
        if not self._marks_job:  # the cells' marks follow, once for a burst of rows
            self._marks_job = self.tree.after_idle(self._mark_cells)

    def _scrolled_table(self, first: float | str, last: float | str) -> None:
        self._scroll.set(first, last)
        self.marks.scrolled(first, last)

    def _mark_cells(self) -> None:
        """Each edited cell's outcome on that cell alone, its reason on hover; the balance
        of a room below zero (its over-limit class in force) in red."""
        self._marks_job = ""
        marks: dict[tuple[str, str], Mark] = {}
        for port, room in self.model.rooms.items():
            if room.over_limit and self.tree.exists(port):
                marks[(port, "balance")] = Mark("over_limit", str(self.tree.set(port, "balance")),
                                                self.catalogue.text("rooms.over_limit"))
        for (port, column), outcome in self.model.outcomes.items():
            if port in self.model.rooms and column in COLUMNS and self.tree.exists(port):
                marks[(port, column)] = Mark(outcome.state, str(self.tree.set(port, column)),
                                             outcome.reason)
        self.marks.set(marks)

    def _double_on_mark(self, port: str, column: str) -> None:
        self.tree.selection_set(port)
        if column in EDITABLE:
            self.begin_edit(port, column)

    def _show_count(self) -> None:
        if self.model.loaded:
            self.count.configure(text=self.catalogue.text("rooms.count",
                                                          count=len(self.model.order)))

    def selected_port(self) -> str:
        selection = self.tree.selection()
        return str(selection[0]) if selection else ""

    # ------------------------------------------------------------------ cell editing
    def _double_click(self, event: tk.Event) -> str:
        port = self.tree.identify_row(event.y)
        column_id = self.tree.identify_column(event.x)
        if not port or not column_id.startswith("#"):
            return "break"
        column = COLUMNS[int(column_id[1:]) - 1]
        self.tree.selection_set(port)
        if column in EDITABLE:
            self.begin_edit(port, column)
        return "break"

    def begin_edit(self, port: str, column: str) -> ttk.Entry | ttk.Combobox:
        """Open the editor on a cell (a drop-down for the alarm mode)."""
        self.cancel_edit()
        self.tree.see(port)
        self.tree.update_idletasks()
        x, y, width, height = self.tree.bbox(port, column) or (0, 0, 80, 20)
        editor: ttk.Entry | ttk.Combobox
        if column == "alarm_mode":
            labels = [self.catalogue.text(f"rooms.mode.{m}") for m in ALARM_MODES]
            editor = ttk.Combobox(self.tree, values=labels, state="readonly")
            current = self.model.edit_text(port, column)
            editor.set(labels[ALARM_MODES.index(current)] if current in ALARM_MODES else "")
        else:
            editor = ttk.Entry(self.tree, justify="center")
            editor.insert(0, self.model.edit_text(port, column))
        editor.place(x=x, y=y, width=max(width, 70), height=height)
        editor.focus_set()
        editor.select_range(0, "end")
        editor.bind("<Return>", lambda _e: self._commit(port, column))
        editor.bind("<KP_Enter>", lambda _e: self._commit(port, column))
        editor.bind("<Escape>", lambda _e: self.cancel_edit())
        self.editor = editor
        return editor

    def cancel_edit(self) -> None:
        if self.editor is not None:
            self.editor.destroy()
            self.editor = None

    def _commit(self, port: str, column: str) -> str:
        if self.editor is None:
            return "break"
        text = self.editor.get()
        if column == "alarm_mode":  # the drop-down shows the labels: back to the code
            labels = [self.catalogue.text(f"rooms.mode.{m}") for m in ALARM_MODES]
            text = ALARM_MODES[labels.index(text)] if text in labels else text
        request = self.model.edit_request(port, column, text)
        if isinstance(request, str):  # not sent: the cell says why (yellow, on hover)
            reason = self.catalogue.text(request)
            self.message.configure(text=reason, foreground="#c62828")
            if column != "prepaid":
                self.model.set_failed(port, column, reason)
                self._draw_row(port)
            return "break"
        self.cancel_edit()
        self._draw_row(port)
        self._send(request)
        return "break"

    def _send(self, edit: Edit) -> None:
        if edit.action == "rooms_set":
            self.context.connection.request(
                "rooms_set", lambda answer: self._set_done(edit, answer),
                lambda code, message: self._set_failed(edit, code, message), **edit.params)
        else:
            self.context.connection.request(
                edit.action, self._money_done,
                self._failed, **edit.params)

    def _set_done(self, edit: Edit, answer: dict[str, Any]) -> None:
        self.model.apply_set_results(edit.port, list(answer.get("results") or []))
        self._draw_row(edit.port)
        reasons = self.model.reasons(edit.port)
        if reasons:
            self._say(self.catalogue.text("rooms.refused", port=edit.port,
                                          reason="; ".join(reasons)), error=True)
        else:
            self._say(self.catalogue.text("rooms.written", port=edit.port))

    def _set_failed(self, edit: Edit, code: str, message: str) -> None:
        text = self.catalogue.error(code, message)
        self.model.set_failed(edit.port, edit.column, text)
        self._draw_row(edit.port)
        self._say(self.catalogue.text("rooms.refused", port=edit.port, reason=text),
                  error=True)

    # ------------------------------------------------------------------ money
    def _money(self, action: str) -> None:
        port = self.selected_port()
        if not port:
            self._say(self.catalogue.text("rooms.select_room"), error=True)
            return
        request = self.model.money_request(port, action, self.amount.get(),
                                           self.note.get().strip())
        if isinstance(request, str):
            self._say(self.catalogue.text(request), error=True)
            return
        self._send(request)

    def _money_done(self, answer: dict[str, Any]) -> None:
        port = self.model.apply_money(answer)
        self._draw_row(port)
        self.amount.delete(0, "end")
        self._say(self.catalogue.text("rooms.balance_now", port=port,
                                      balance=answer.get("balance", "")))
        if self.ledger is not None and self.ledger.winfo_exists() and self.ledger.port == port:
            self.ledger.reload()

    def _failed(self, code: str, message: str) -> None:
        self._say(self.catalogue.error(code, message), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.configure(text=text, foreground="#c62828" if error else "#1b5e20")

    # ------------------------------------------------------------------ the ledger
    def open_ledger(self) -> LedgerDialog | None:
        port = self.selected_port()
        if not port:
            self._say(self.catalogue.text("rooms.select_room"), error=True)
            return None
        if self.ledger is not None and self.ledger.winfo_exists():
            self.ledger.destroy()
        self.ledger = LedgerDialog(self.frame, self.context, port)
        return self.ledger


class LedgerDialog(tk.Toplevel):
    """A room's ledger (``rooms_ledger``), oldest first, fetched a page at a time as it
    is scrolled to its end."""

    HEADINGS: Final = ("at", "kind", "amount", "balance", "who", "note")

    def __init__(self, parent: tk.Misc, context: PageContext, port: str) -> None:
        super().__init__(parent)
        self.context = context
        self.catalogue = context.catalogue
        self.port = port
        self.total = 0
        self._loading = False
        self.transient(parent.winfo_toplevel())
        self.geometry("760x380")
        # a border of its own: the dialog stays distinct where no window manager draws one
        frame = ttk.Frame(self, padding=8, relief="ridge", borderwidth=2)
        frame.pack(fill="both", expand=True)
        self.tree = ttk.Treeview(frame, columns=self.HEADINGS, show="headings")
        for name, width in zip(self.HEADINGS, (150, 80, 80, 80, 90, 240), strict=True):
            self.tree.column(name, width=width, anchor="w" if name == "note" else "center")
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(frame, orient="vertical", command=self.tree.yview)
        scroll.grid(row=0, column=1, sticky="ns")
        self.tree.configure(yscrollcommand=lambda first, last: self._scrolled(
            scroll, first, last))
        self.status = ttk.Label(frame, text="")
        self.status.grid(row=1, column=0, sticky="w", pady=(6, 0))
        self.button_close = ttk.Button(frame, command=self.destroy)
        self.button_close.grid(row=1, column=0, columnspan=2, sticky="e", pady=(6, 0))
        frame.rowconfigure(0, weight=1)
        frame.columnconfigure(0, weight=1)
        self.bind("<Escape>", lambda _e: self.destroy())
        self.relabel()
        self.reload()

    def relabel(self) -> None:
        self.title(self.catalogue.text("rooms.ledger_title", port=self.port))
        for name in self.HEADINGS:
            self.tree.heading(name, text=self.catalogue.text(f"rooms.ledger.{name}"))
        self.button_close.configure(text=self.catalogue.text("rooms.ledger.close"))
        self.status.configure(text=self.catalogue.text("rooms.ledger.count", total=self.total))

    def reload(self) -> None:
        """Ask again from the first entry."""
        self.tree.delete(*self.tree.get_children())
        self._fetch(0)

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(str(v) for v in self.tree.item(item, "values"))
                for item in self.tree.get_children()]

    def _fetch(self, offset: int) -> None:
        if self._loading:
            return
        self._loading = True
        self.context.connection.request(
            "rooms_ledger", lambda answer: self._got(offset, answer), self._failed,
            port=self.port, offset=offset, limit=LEDGER_PAGE)

    def _got(self, offset: int, answer: dict[str, Any]) -> None:
        self._loading = False
        if not self.winfo_exists():
            return
        if offset == 0:
            self.tree.delete(*self.tree.get_children())
        self.total = int(answer.get("total", 0))
        timezone = str(self.context.whoami.get("timezone", ""))
        for row in ledger_rows(list(answer.get("entries") or []), timezone):
            kind = f"rooms.kind.{row[1]}"
            shown = self.catalogue.text(kind) if kind in strings.TEXTS else row[1]
            self.tree.insert("", "end", values=(row[0], shown, *row[2:]))
        self.relabel()

    def _failed(self, code: str, message: str) -> None:
        self._loading = False
        if self.winfo_exists():
            self.status.configure(text=self.catalogue.error(code, message))

    def _scrolled(self, scroll: ttk.Scrollbar, first: float | str, last: float | str) -> None:
        scroll.set(first, last)
        loaded = len(self.tree.get_children())
        if float(last) >= 0.999 and loaded < self.total:
            self._fetch(loaded)


def _build(context: PageContext) -> Page:
    return RoomsPage(context)


PAGES: Final[dict[str, PageFactory]] = {"rooms": _build}
