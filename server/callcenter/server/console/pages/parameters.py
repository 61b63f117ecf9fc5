"""参数设置 (S-3..S-34): 分机参数, 外线参数, 开关参数, 其它参数, generated from the schema.

Thin views over ``parameters_model``: the four pages share one ``ParameterStore`` per
connection (the schema and image are read once, followed by ``parameter_changed``).  Each
grid is a ``ParameterGrid`` (only the visible cells drawn); an edit opens an editor that
fits the setting's kind over the cell, Enter checks the value with the schema and writes it
off the Tk thread; the cell turns green when read back, yellow when refused, its reason on
hover and in the help line.  Batches (right-click) show a progress bar with a cancel.
"""

from __future__ import annotations

import time
import tkinter as tk
import weakref
from collections.abc import Callable
from tkinter import ttk
from typing import TYPE_CHECKING, Any, Final

from callcenter.common.schema.core import ParameterError
from callcenter.server.console import strings
from callcenter.server.console.parameter_grid import ParameterGrid
from callcenter.server.console.parameter_texts import invalid_text, member_label
from callcenter.server.console.parameters_model import (
    STATE_FILLS,
    TABLE_TABS,
    VERIFIED,
    GridLayout,
    ParameterSchema,
    ParameterStore,
    PlanError,
    WriteJob,
    accepts_keystroke,
    column_plan,
    editor_kind,
    form_layout,
    format_set,
    grid_layout,
    other_system_tabs,
    parse_set,
    renumber_plan,
    set_members,
    swap_plan,
    system_keys,
)

if TYPE_CHECKING:
    from callcenter.server.console.connection import ServiceConnection
    from callcenter.server.console.pages import PageContext, PageFactory
    from callcenter.server.console.strings import Catalogue

strings.add_texts({
    "parameters.loading": ("正在读取参数…", "Reading the parameters…"),
    "parameters.load_failed": ("读取参数失败：{message}", "Reading the parameters failed: "
                               "{message}"),
    "parameters.reload": ("刷新", "Reload"),
    "parameters.saved_image": ("交换机未连接：显示最后已知的参数", "PBX not connected: the last "
                               "known parameters"),
    "parameters.port": ("端口", "Port"),
    "parameters.row": ("行", "Row"),
    "parameters.hint": ("双击或回车修改，右键批量设置。绿色：已写入并读回；黄色：被拒绝；"
                        "蓝色：正在写入", "Double-click or Enter: edit; right-click: "
                        "batches. Green: written, read back; yellow: refused; blue: writing"),
    "parameters.invalid": ("未发送：{name} {reason}", "Not sent: {name} {reason}"),
    "parameters.written": ("{name} = {value}：已写入并读回", "{name} = {value}: written and "
                           "read back"),
    "parameters.refused": ("{name}：交换机拒绝（{reason}）", "{name}: refused by the PBX "
                           "({reason})"),
    "parameters.not_sent": ("{name}：未发送（{reason}）", "{name}: not sent ({reason})"),
    "parameters.unconfirmed": ("{name}：已发送，未确认（{reason}）", "{name}: sent, not "
                               "confirmed ({reason})"),
    "parameters.busy": ("正在写入其它参数，请稍候", "Another write is under way; wait for it"),
    "parameters.batch_done": ("完成：写入 {written}，未变 {unchanged}，拒绝 {refused}，"
                              "未发送 {not_sent}", "Done: {written} written, {unchanged} "
                              "unchanged, {refused} refused, {not_sent} not sent"),
    "parameters.batch_failed": ("失败：{message}", "Failed: {message}"),
    "parameters.batch_cancelled": ("已取消：写入 {written}，未变 {unchanged}，拒绝 {refused}，"
                                   "未发送 {not_sent}", "Cancelled: {written} written, "
                                   "{unchanged} unchanged, {refused} refused, {not_sent} not "
                                   "sent"),
    "parameters.cancel": ("取消", "Cancel"),
    "parameters.cancelling": ("正在取消…", "Cancelling…"),
    "parameters.state_reason": ("原因：{reason}", "Reason: {reason}"),
    "parameters.menu_column_selected": ("设置“{setting}”（所选 {count} 行）…",
                                        "Set “{setting}” (the {count} rows selected)…"),
    "parameters.menu_column_all": ("设置“{setting}”（全部行）…", "Set “{setting}” (all rows)…"),
    "parameters.menu_select_all": ("全选", "Select all"),
    "parameters.menu_renumber": ("重新编号（从起始号码）…", "Renumber from a start number…"),
    "parameters.menu_swap": ("交换所选两个分机的号码", "Swap the numbers of the two selected"),
    "parameters.menu_groups_in": ("全部分机入组（所有组）", "All extensions in every group"),
    "parameters.menu_groups_out": ("全部分机出组", "All extensions out of every group"),
    "parameters.menu_cid_on": ("来电显示全开", "Caller ID display on for all"),
    "parameters.menu_cid_off": ("来电显示全关", "Caller ID display off for all"),
    "parameters.dialog_ok": ("确定", "OK"),
    "parameters.set_all": ("全部", "All"),
    "parameters.set_none": ("无", "None"),
    "parameters.dialog_cancel": ("取消", "Cancel"),
    "parameters.value_title": ("批量设置", "Set many"),
    "parameters.value_prompt": ("“{setting}”的新值（{count} 行）：",
                                "New value of “{setting}” ({count} rows):"),
    "parameters.renumber_title": ("重新编号", "Renumber"),
    "parameters.renumber_prompt": ("起始号码（{count} 个分机依次编号，如 3001、3002…）：",
                                   "Start number ({count} extensions numbered in turn, "
                                   "e.g. 3001, 3002…):"),
    "parameters.renumber_bad": ("起始号码应为 2-8 位数字，且编号后位数不变",
                                "The start number must be 2-8 digits and keep its length"),
    # 其它参数 tabs
    "parameters.tab.restriction_code": ("限制代码", "Restriction codes"),
    "parameters.tab.abbreviated_code": ("缩位代码", "Abbreviated codes"),
    "parameters.tab.personal_password": ("随身密码", "Personal passwords"),
    "parameters.tab.disa_password": ("DISA", "DISA"),
    "parameters.tab.group": ("分机组", "Extension groups"),
    "parameters.tab.smart_route": ("智能路由", "Smart routing"),
    "parameters.tab.ip_route": ("IP 路由", "IP routing"),
    "parameters.tab.operator": ("话务台", "Operator"),
    "parameters.tab.day_night": ("昼夜切换", "Day/night"),
    "parameters.tab.passwords": ("系统密码 / 外转外", "Passwords"),
    "parameters.tab.chaining": ("中继联号", "Trunk chaining"),
    "parameters.tab.misc": ("其它", "Miscellaneous"),
    "parameters.tab.clock": ("系统时间", "System time"),
    "parameters.clock_now": ("本机时间：{now}", "This computer's time: {now}"),
    "parameters.clock_update": ("更新", "Update"),
    "parameters.clock_hint": ("按“更新”把交换机时钟设为服务器电脑的当前时间"
                              "（下一分钟开始时生效）。",
                              "“Update” sets the PBX clock to the server computer's time "
                              "(effective when the next minute begins)."),
    "parameters.clock_done": ("交换机时间将于 {effective} 生效", "The PBX takes the new time "
                              "at {effective}"),
})

#: One store per connection, shared by the four pages.
_STORES: Final[weakref.WeakKeyDictionary[ServiceConnection, ParameterStore]] = \
    weakref.WeakKeyDictionary()


def store_for(connection: ServiceConnection) -> ParameterStore:
    store = _STORES.get(connection)
    if store is None:
        store = _STORES[connection] = ParameterStore(connection)
    return store


class GridPanel(ttk.Frame):
    """One grid of parameters (a page, or a tab of 其它参数) and its help line."""

    def __init__(self, parent: tk.Misc, page: ParametersPage,
                 make_layout: Callable[[], GridLayout]) -> None:
        super().__init__(parent)
        self.page = page
        self.make_layout = make_layout
        self.layout = make_layout()
        self.grid_widget = ParameterGrid(self, self, on_edit=self.edit,
                                         on_menu=self.menu, on_hover=self.hovered,
                                         hover_text=self.hover_text,
                                         label_width=200 if self.layout.form else 64,
                                         min_widths={0: 170, 1: 560} if self.layout.form
                                         else None)
        self.grid_widget.grid(row=0, column=0, sticky="nsew")
        self.help = ttk.Label(self, anchor="nw", justify="left", padding=(6, 4),
                              wraplength=980)
        self.help.grid(row=1, column=0, sticky="ew")
        self.rowconfigure(0, weight=1)
        self.columnconfigure(0, weight=1)
        self.menu_widget: tk.Menu | None = None

    # --------------------------------------------------------------- GridSource
    @property
    def language(self) -> str:
        return self.page.catalogue.language

    def row_count(self) -> int:
        return len(self.layout.rows)

    def column_count(self) -> int:
        return len(self.layout.columns)

    def heading(self, column: int) -> str:
        return self.layout.columns[column].label(self.language)

    def row_label(self, row: int) -> str:
        if self.layout.form:
            return self.layout.form_settings[row].label(self.language)
        return self.layout.row_labels[row]

    def cell(self, row: int, column: int) -> tuple[str, str]:
        key = self.layout.key(row, column)
        if key is None:
            if self.layout.form:
                return self.layout.short_help(row, self.language), "#f7f7f7"
            return "", "#f4f4f4"
        cell = self.page.store.values.cell(key)
        setting = self.layout.setting_at(row, column)
        return setting.show(cell.value, self.language), STATE_FILLS.get(cell.state, "#ffffff")

    # --------------------------------------------------------------- help and hover
    def hovered(self, row: int, column: int) -> None:
        if row < 0:
            row, column = self.grid_widget.current
        self.show_help(row, column)

    def show_help(self, row: int, column: int) -> None:
        schema = self.page.store.schema
        if schema is None or row >= self.row_count() or column >= self.column_count():
            return
        key = self.layout.key(row, column)
        setting = self.layout.setting_at(row, column)
        text = f"{key or ''}  {schema.help_text(setting, self.language)}"
        if key is not None:
            cell = self.page.store.values.cell(key)
            if cell.reason:
                text += "\n" + self.page.catalogue.text("parameters.state_reason",
                                                        reason=cell.reason)
        self.help.configure(text=text)

    def hover_text(self, row: int, column: int) -> str:
        key = self.layout.key(row, column)
        if key is None:
            return ""
        cell = self.page.store.values.cell(key)
        return cell.reason if cell.state != VERIFIED or cell.reason else ""

    # --------------------------------------------------------------- editing
    def edit(self, row: int, column: int) -> None:
        key = self.layout.key(row, column)
        if key is None:
            return
        setting = self.layout.setting_at(row, column)
        self.show_help(row, column)
        value = self.page.store.values.cell(key).value
        kind = editor_kind(setting)
        if kind == "set":
            picker = SetPicker(self.grid_widget.canvas, self.page.catalogue, set_members(setting),
                               value, lambda text: self._picked(key, text),
                               label=lambda member: member_label(setting, member,
                                                                 self.language))
            self.grid_widget.open_widget(row, column, picker)
            return
        choices = setting.choice_labels(self.language) if kind == "choice" else None
        self.grid_widget.open_editor(
            row, column, setting.show(value, self.language),
            on_commit=lambda text: self.page.commit(key, text), choices=choices,
            accept=lambda proposed: accepts_keystroke(setting, proposed))

    def _picked(self, key: str, text: str) -> None:
        self.grid_widget.close_editor()
        self.grid_widget.canvas.focus_set()
        self.page.commit(key, text)

    # --------------------------------------------------------------- right-click
    def selected_rows(self) -> list[int]:
        return sorted(self.grid_widget.selected) or [self.grid_widget.current[0]]

    def menu(self, event: tk.Event[tk.Misc], row: int, column: int) -> None:
        self.menu_widget = self.build_menu(column)
        if self.menu_widget.index("end") is not None:
            self.menu_widget.tk_popup(event.x_root, event.y_root)

    def build_menu(self, column: int) -> tk.Menu:
        """The right-click menu for ``column`` and the rows selected (tests invoke its
        entries by index)."""
        text = self.page.catalogue.text
        menu = tk.Menu(self, tearoff=False)
        rows = self.selected_rows()
        if not self.layout.form:
            setting = self.layout.columns[column]
            label = setting.label(self.language)
            menu.add_command(label=text("parameters.menu_column_selected", setting=label,
                                        count=len(rows)),
                             command=lambda: self.ask_column(column, rows))
            menu.add_command(label=text("parameters.menu_column_all", setting=label),
                             command=lambda: self.ask_column(column, None))
            menu.add_command(label=text("parameters.menu_select_all"),
                             command=lambda: self.grid_widget.select_rows(
                                 set(range(self.row_count()))))
        for label, command in self.page.extra_menu(self, rows):
            menu.add_command(label=label, command=command)
        return menu

    def ask_column(self, column: int, rows: list[int] | None) -> None:
        setting = self.layout.columns[column]
        keys = self.layout.column_keys(column, rows)
        choices = setting.choice_labels(self.language) if setting.choices else None
        self.page.ask(self.page.catalogue.text("parameters.value_title"),
                      self.page.catalogue.text("parameters.value_prompt",
                                               setting=setting.label(self.language),
                                               count=len(keys)),
                      choices, lambda value: self.page.write_many(keys, value))

    def relabel(self) -> None:
        if self.layout.form:
            self.layout = self.make_layout()
        self.grid_widget.measure()
        if self.page.store.schema is not None:
            self.show_help(*self.grid_widget.current)


class SetPicker(ttk.Frame):
    """部分使用: a check box per trunk (or group), 全部 / 无, and OK; the value becomes
    ``all``, ``none`` or ``1,3,5``."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, members: list[str], value: str,
                 on_ok: Callable[[str], None], *,
                 label: Callable[[str], str] = lambda member: member) -> None:
        super().__init__(parent, padding=6, relief="raised", borderwidth=1)
        self.members = members
        chosen = parse_set(value, members)
        self.vars = {m: tk.BooleanVar(self, value=m in chosen) for m in members}
        self.boxes: dict[str, ttk.Checkbutton] = {}
        for index, member in enumerate(members):
            box = ttk.Checkbutton(self, text=label(member), variable=self.vars[member])
            box.grid(row=index // 6, column=index % 6, sticky="w", padx=2)
            self.boxes[member] = box
        buttons = ttk.Frame(self)
        buttons.grid(row=len(members) // 6 + 1, column=0, columnspan=6, sticky="e", pady=(4, 0))
        ttk.Button(buttons, text=catalogue.text("parameters.set_all"), width=6,
                   command=lambda: self._set_all(True)).grid(row=0, column=0, padx=2)
        ttk.Button(buttons, text=catalogue.text("parameters.set_none"), width=6,
                   command=lambda: self._set_all(False)).grid(row=0, column=1, padx=2)
        self.button_ok = ttk.Button(buttons, text=catalogue.text("parameters.dialog_ok"),
                                    width=6, command=lambda: on_ok(self.value()))
        self.button_ok.grid(row=0, column=2, padx=2)
        self.bind("<Return>", lambda _e: on_ok(self.value()))

    def _set_all(self, on: bool) -> None:
        for var in self.vars.values():
            var.set(on)

    def value(self) -> str:
        return format_set({m for m, var in self.vars.items() if var.get()}, self.members)


class ValueDialog(tk.Toplevel):
    """Asks one value (an Entry, or a drop-down of choices); not modal-blocking, so tests
    drive it (``value``, ``button_ok.invoke()``)."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, title: str, prompt: str, *,
                 choices: list[str] | None, on_ok: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.title(title)
        self.transient(parent.winfo_toplevel())
        self.on_ok = on_ok
        body = ttk.Frame(self, padding=12)
        body.grid(sticky="nsew")
        ttk.Label(body, text=prompt, wraplength=360).grid(row=0, column=0, columnspan=2,
                                                         sticky="w", pady=(0, 6))
        self.value: ttk.Entry | ttk.Combobox
        if choices:
            self.value = ttk.Combobox(body, values=choices, state="readonly", width=30)
            self.value.set(choices[0])
        else:
            self.value = ttk.Entry(body, width=32)
        self.value.grid(row=1, column=0, columnspan=2, sticky="ew")
        self.error = ttk.Label(body, foreground="#b00020", wraplength=360)
        self.error.grid(row=2, column=0, columnspan=2, sticky="w")
        self.button_ok = ttk.Button(body, text=catalogue.text("parameters.dialog_ok"),
                                    command=self._ok)
        self.button_ok.grid(row=3, column=0, sticky="e", pady=(8, 0), padx=4)
        ttk.Button(body, text=catalogue.text("parameters.dialog_cancel"),
                   command=self.destroy).grid(row=3, column=1, sticky="w", pady=(8, 0))
        self.value.bind("<Return>", lambda _e: self._ok())
        self.bind("<Escape>", lambda _e: self.destroy())
        self.value.focus_set()

    def set_value(self, text: str) -> None:
        if isinstance(self.value, ttk.Combobox):
            self.value.set(text)
        else:
            self.value.delete(0, "end")
            self.value.insert(0, text)

    def _ok(self) -> None:
        value = self.value.get()
        self.destroy()
        self.on_ok(value)


class ParametersPage:
    """One of the four pages: a bar (title, reload, progress with cancel, status), then a
    grid, a form, or (其它参数) tabs of both."""

    def __init__(self, context: PageContext, which: str) -> None:
        self.context = context
        self.which = which
        self.catalogue = context.catalogue
        self.store = store_for(context.connection)
        self.frame = ttk.Frame(context.parent)
        self.panels: dict[str, GridPanel] = {}
        self.dialog: ValueDialog | None = None
        self.status_text = ""
        bar = ttk.Frame(self.frame, padding=(8, 6))
        bar.grid(row=0, column=0, sticky="ew")
        self.title = ttk.Label(bar, font="TkHeadingFont")
        self.title.grid(row=0, column=0, sticky="w")
        self.reload_button = ttk.Button(bar, command=self.store.load)
        self.reload_button.grid(row=0, column=1, padx=10)
        self.progress = ttk.Progressbar(bar, length=200, mode="determinate")
        self.cancel_button = ttk.Button(bar, command=self.store.cancel)
        self.hint = ttk.Label(bar, foreground="#555555")
        self.hint.grid(row=0, column=4, sticky="w", padx=(10, 0))
        bar.columnconfigure(4, weight=1)
        self.status = ttk.Label(self.frame, anchor="w", padding=(8, 0, 8, 4),
                                wraplength=1000)
        self.status.grid(row=1, column=0, sticky="ew")
        self.body = ttk.Frame(self.frame)
        self.body.grid(row=2, column=0, sticky="nsew")
        self.body.rowconfigure(0, weight=1)
        self.body.columnconfigure(0, weight=1)
        self.frame.rowconfigure(2, weight=1)
        self.frame.columnconfigure(0, weight=1)
        self.notebook: ttk.Notebook | None = None
        self._tab_keys: list[str] = []
        self.clock_label: ttk.Label | None = None
        self.clock_button: ttk.Button | None = None
        self.clock_hint: ttk.Label | None = None
        self.clock_result: ttk.Label | None = None
        self._clock_job = ""
        self.store.listeners.append(self._changed)
        self.store.job_listeners.append(self._job)
        self.relabel()
        if self.store.loaded:
            self._build()

    # ------------------------------------------------------------------ the page protocol
    def shown(self) -> None:
        if self.store.schema is None and not self.store.loading:
            self.store.load()
        self._show_load_state()

    def on_event(self, event: dict[str, Any]) -> None:
        self.store.on_event(event)

    def relabel(self) -> None:
        text = self.catalogue.text
        self.title.configure(text=text(f"parameters.{self.which}"))
        self.reload_button.configure(text=text("parameters.reload"))
        self.cancel_button.configure(text=text("parameters.cancel"))
        self.hint.configure(text=text("parameters.hint"))
        for panel in self.panels.values():
            panel.relabel()
        self.set_status("")  # a message of the other language: the cells keep the colours
        if self.notebook is not None:
            for tab_id, tab in zip(self.notebook.tabs(), self._tab_keys,  # type: ignore[no-untyped-call]
                                   strict=False):
                self.notebook.tab(tab_id, text=text(f"parameters.tab.{tab}"))  # type: ignore[no-untyped-call]
        if self.clock_button is not None and self.clock_hint is not None:
            self.clock_button.configure(text=text("parameters.clock_update"))
            self.clock_hint.configure(text=text("parameters.clock_hint"))
        self._show_load_state()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        schema = self.store.schema
        if schema is None or self.panels or self.notebook is not None:
            return
        if self.which in ("extension", "trunk"):
            panel = GridPanel(self.body, self, lambda: grid_layout(schema, self.which))
            panel.grid(row=0, column=0, sticky="nsew")
            self.panels[self.which] = panel
        elif self.which == "switches":
            panel = GridPanel(self.body, self, _form_layout(
                schema, system_keys(schema, "switches"), self.catalogue))
            panel.grid(row=0, column=0, sticky="nsew")
            self.panels["switches"] = panel
        else:
            self._build_other()
        self.relabel()

    def _build_other(self) -> None:
        schema = self.store.schema
        assert schema is not None
        notebook = ttk.Notebook(self.body)
        notebook.grid(row=0, column=0, sticky="nsew")
        self.notebook = notebook
        self._tab_keys = []
        tables = schema.prefixes("table")
        for table in [t for t in TABLE_TABS if t in tables] + \
                [t for t in tables if t not in TABLE_TABS]:
            self._add_tab(table, GridPanel(notebook, self, _table_layout(schema, table)))
        for tab, keys in other_system_tabs(schema):
            self._add_tab(tab, GridPanel(notebook, self,
                                         _form_layout(schema, keys, self.catalogue)))
        clock = ttk.Frame(notebook, padding=16)
        self.clock_label = ttk.Label(clock, font="TkHeadingFont")
        self.clock_label.grid(row=0, column=0, sticky="w")
        self.clock_button = ttk.Button(clock, command=self.update_clock)
        self.clock_button.grid(row=0, column=1, padx=12)
        self.clock_hint = ttk.Label(clock, wraplength=700)
        self.clock_hint.grid(row=1, column=0, columnspan=2, sticky="w", pady=8)
        self.clock_result = ttk.Label(clock)
        self.clock_result.grid(row=2, column=0, columnspan=2, sticky="w")
        notebook.add(clock)
        self._tab_keys.append("clock")
        self.clock_label.bind("<Destroy>", lambda _e: self._stop_clock(), add="+")
        self._tick_clock()

    def _add_tab(self, name: str, panel: GridPanel) -> None:
        assert self.notebook is not None
        self.notebook.add(panel)
        self.panels[name] = panel
        self._tab_keys.append(name)

    def _tick_clock(self) -> None:
        if self.clock_label is None or not self.clock_label.winfo_exists():
            return
        self.clock_label.configure(text=self.catalogue.text(
            "parameters.clock_now", now=time.strftime("%Y-%m-%d %H:%M:%S")))
        self._clock_job = self.clock_label.after(1000, self._tick_clock)

    def _stop_clock(self) -> None:
        """The clock's tick ends with its label (no timer left to a destroyed window)."""
        if self._clock_job and self.clock_label is not None:
            self.clock_label.after_cancel(self._clock_job)
        self._clock_job = ""

    def update_clock(self) -> None:
        def done(answer: dict[str, Any]) -> None:
            effective = str(answer.get("effective", ""))
            if len(effective) == 12:
                effective = (f"{effective[:4]}-{effective[4:6]}-{effective[6:8]} "
                             f"{effective[8:10]}:{effective[10:]}")
            if self.clock_result is not None:
                self.clock_result.configure(text=self.catalogue.text(
                    "parameters.clock_done", effective=effective))

        def failed(code: str, message: str) -> None:
            if self.clock_result is not None:
                self.clock_result.configure(text=self.catalogue.error(code, message))
        self.context.connection.request("clock_set", done, failed)

    # ------------------------------------------------------------------ from the store
    def _changed(self, keys: set[str] | None) -> None:
        if keys is None:
            self._build()
            for panel in self.panels.values():
                panel.grid_widget.measure()
            self._show_load_state()
            return
        for panel in self.panels.values():
            if any(panel.layout.position(k) is not None for k in keys):
                panel.grid_widget.refresh()

    def _show_load_state(self) -> None:
        store = self.store
        if store.loading:
            self.set_status(self.catalogue.text("parameters.loading"))
        elif store.error:
            self.set_status(self.catalogue.text("parameters.load_failed", message=store.error))
        elif store.values.source == "saved":
            self.set_status(self.catalogue.text("parameters.saved_image"))
        elif self.status_text in (self.catalogue.text("parameters.loading"), ""):
            self.set_status("")

    def set_status(self, text: str) -> None:
        self.status_text = text
        self.status.configure(text=text)

    def _job(self, job: WriteJob) -> None:
        batch = job.total > 1 or job.action == "extensions_renumber"
        if not job.finished and batch:
            self.progress.configure(maximum=max(job.total, 1), value=job.done)
            self.progress.grid(row=0, column=2, padx=4)
            self.cancel_button.grid(row=0, column=3, padx=4)
            self.cancel_button.state(["disabled"] if job.cancelled else ["!disabled"])
            self.set_status(self.catalogue.text("parameters.cancelling") if job.cancelled
                            else f"{job.done}/{job.total} {job.text}")
            return
        if not job.finished:
            return
        self.progress.grid_remove()
        self.cancel_button.grid_remove()
        if batch or not job.results:
            counts = job.counts
            if job.cancelled:  # what was written stays written; the rest was not sent
                self.set_status(self.catalogue.text(
                    "parameters.batch_cancelled", written=counts.get("written", 0),
                    unchanged=counts.get("unchanged", 0),
                    refused=counts.get("refused", 0) + counts.get("invalid", 0),
                    not_sent=counts.get("not_sent", 0)))
            elif job.error and not job.results:
                self.set_status(self.catalogue.text("parameters.batch_failed",
                                                    message=job.error))
            else:
                self.set_status(self.catalogue.text(
                    "parameters.batch_done", written=counts.get("written", 0),
                    unchanged=counts.get("unchanged", 0),
                    refused=counts.get("refused", 0) + counts.get("invalid", 0),
                    not_sent=counts.get("not_sent", 0)))
            return
        self.set_status(self.result_text(job.results[-1]))

    def result_text(self, result: dict[str, Any]) -> str:
        status = str(result.get("status", ""))
        key, reason = str(result.get("key", "")), str(result.get("reason", ""))
        if status in ("written", "unchanged"):
            return self.catalogue.text("parameters.written", name=key,
                                       value=result.get("value", ""))
        if status in ("refused", "invalid"):
            return self.catalogue.text("parameters.refused", name=key, reason=reason)
        if status == "unconfirmed":
            return self.catalogue.text("parameters.unconfirmed", name=key, reason=reason)
        return self.catalogue.text("parameters.not_sent", name=key, reason=reason)

    # ------------------------------------------------------------------ writes
    def commit(self, key: str, text: str) -> None:
        """An editor's Enter: check, then write (nothing sent when invalid)."""
        schema = self.store.schema
        if schema is None:
            return
        cell = self.store.values.cell(key)
        setting = schema.setting(key)
        if text == setting.show(cell.value, self.catalogue.language):
            return
        try:
            value = schema.validate(key, text)
        except ParameterError as exc:
            reason = invalid_text(setting, text, self.catalogue.language,
                                  str(exc).removeprefix(f"{key}: "))
            self.store.values.mark_invalid(key, reason)
            self._changed({key})
            self.set_status(self.catalogue.text("parameters.invalid", name=key,
                                                reason=reason))
            return
        if self.store.write({key: value}) is None:
            self.set_status(self.catalogue.text("parameters.busy"))

    def write_many(self, keys: list[str], text: str) -> None:
        schema = self.store.schema
        if schema is None or not keys:
            return
        try:
            values = column_plan(schema, keys, text)
        except ParameterError as exc:
            setting = schema.setting(keys[0])
            reason = invalid_text(setting, text, self.catalogue.language, str(exc))
            self.set_status(self.catalogue.text("parameters.invalid",
                                                name=setting.label(self.catalogue.language),
                                                reason=reason))
            return
        if self.store.write(values) is None:
            self.set_status(self.catalogue.text("parameters.busy"))

    def renumber(self, ports: list[str], start: str) -> None:
        try:
            numbers = renumber_plan(ports, start)
        except PlanError:
            self.set_status(self.catalogue.text("parameters.renumber_bad"))
            return
        if self.store.renumber(numbers) is None:
            self.set_status(self.catalogue.text("parameters.busy"))

    def swap(self, first: str, second: str) -> None:
        current = {port: self.store.values.cell(f"extension.{port}.number").value
                   for port in (first, second)}
        if self.store.renumber(swap_plan(current, first, second)) is None:
            self.set_status(self.catalogue.text("parameters.busy"))

    def ask(self, title: str, prompt: str, choices: list[str] | None,
            on_ok: Callable[[str], None]) -> ValueDialog:
        if self.dialog is not None and self.dialog.winfo_exists():
            self.dialog.destroy()
        self.dialog = ValueDialog(self.frame, self.catalogue, title, prompt,
                                  choices=choices, on_ok=on_ok)
        return self.dialog

    def extra_menu(self, panel: GridPanel,
                   rows: list[int]) -> list[tuple[str, Callable[[], None]]]:
        """The 分机参数 batches: renumber, swap, groups all in / out, caller ID on / off
        (those the schema has)."""
        if self.which != "extension" or self.store.schema is None:
            return []
        text = self.catalogue.text
        layout = panel.layout
        ports = [layout.rows[r] for r in rows]
        every = list(range(len(layout.rows)))
        items: list[tuple[str, Callable[[], None]]] = []
        if layout.column_of("extension.number") is not None:
            targets = ports if len(ports) > 1 else list(layout.rows)

            def ask_start() -> None:
                self.ask(text("parameters.renumber_title"),
                         text("parameters.renumber_prompt", count=len(targets)), None,
                         lambda start: self.renumber(targets, start))
            items.append((text("parameters.menu_renumber"), ask_start))
            if len(ports) == 2:
                items.append((text("parameters.menu_swap"),
                              lambda: self.swap(ports[0], ports[1])))
        groups = layout.column_of("extension.groups")
        if groups is not None:
            keys = layout.column_keys(groups, every)
            items.append((text("parameters.menu_groups_in"),
                          lambda: self.write_many(keys, "all")))
            items.append((text("parameters.menu_groups_out"),
                          lambda: self.write_many(keys, "none")))
        cid = layout.column_of("extension.caller_id_display")
        if cid is not None:
            keys_cid = layout.column_keys(cid, every)
            items.append((text("parameters.menu_cid_on"),
                          lambda: self.write_many(keys_cid, "on")))
            items.append((text("parameters.menu_cid_off"),
                          lambda: self.write_many(keys_cid, "off")))
        return items


def _table_layout(schema: ParameterSchema, table: str) -> Callable[[], GridLayout]:
    return lambda: grid_layout(schema, table)


def _form_layout(schema: ParameterSchema, keys: list[str],
                 catalogue: Catalogue) -> Callable[[], GridLayout]:
    return lambda: form_layout(schema, keys, catalogue.language)


def _factory(which: str) -> PageFactory:
    return lambda context: ParametersPage(context, which)


PAGES: Final[dict[str, PageFactory]] = {
    f"parameters.{which}": _factory(which)
    for which in ("extension", "trunk", "switches", "other")
}
