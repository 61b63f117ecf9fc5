"""话单查询 (S-38, S-40, B-5), the view: the paged records list, 综合查询, the live list,
summaries with a chart, export to the console's own disk, a print preview and printing
(``records_print``, ``printing``: the service's PDF report fetched to a temporary folder).

Thin: ``RecordsList``, ``LiveRecords``, ``bar_chart`` and ``ExportProgress``
(records_model) decide what is asked and shown, ``check_query`` (records_query) checks the
query dialog.  The list's Treeview holds one window of rows (a page of ``PAGE_SIZE``, more
appended when it is scrolled to its end, page buttons beyond), so a store of millions costs
what one page costs.  Every request goes through ``ServiceConnection.request``.
"""

from __future__ import annotations

import shutil
import tempfile
import tkinter as tk
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from tkinter import filedialog, ttk
from typing import TYPE_CHECKING, Any, Final, TypeVar

from tkcalendar import DateEntry

from callcenter.server.console.dialogs import grab_when_shown
from callcenter.server.console.pages.records_print import PrintPreview
from callcenter.server.console.printing import (
    PrintProblem,
    open_in_viewer,
    render_pages,
    renderer,
    run_in_thread,
    send_to_printer,
)
from callcenter.server.console.records_model import (
    COLUMNS,
    LIVE_COLUMNS,
    SUMMARY_BY,
    ExportProgress,
    Fetch,
    LiveRecords,
    RecordsList,
    bar_chart,
    cell_text,
    duration_text,
    every_hour,
)
from callcenter.server.console.records_query import (
    CALL_TYPES,
    NUMBER_MATCHES,
    QueryForm,
    check_query,
)
from callcenter.server.console.strings import Catalogue, add_texts

if TYPE_CHECKING:
    from callcenter.server.console.connection import Job
    from callcenter.server.console.pages import PageContext, PageFactory

EXPORT_FORMATS: Final = ("csv", "xlsx", "pdf")
#: Wait this long after a stored record before asking for the list (a burst: one query).
REFRESH_DELAY_MS: Final = 400
ERROR_COLOUR: Final = "#c62828"
Widget = TypeVar("Widget", bound=tk.Misc)

add_texts({
    "records.query": ("综合查询…", "Combined query…"),
    "records.all": ("全部话单", "All records"),
    "records.refresh": ("刷新", "Refresh"),
    "records.export": ("导出…", "Export…"),
    "records.format": ("格式", "Format"),
    "records.filters_none": ("条件：全部话单（含月话单库）",
                             "Filter: all records (archived months included)"),
    "records.filters": ("条件：{text}", "Filter: {text}"),
    "records.tab_list": ("话单", "Records"),
    "records.tab_live": ("实时话单", "Live records"),
    "records.tab_summary": ("统计", "Summaries"),
    "records.first": ("首页", "First"),
    "records.previous": ("上一页", "Previous"),
    "records.next": ("下一页", "Next"),
    "records.last": ("末页", "Last"),
    "records.range": ("共 {total} 条，显示第 {first}–{last} 条", "{total} records, showing "
                      "{first}–{last}"),
    "records.none": ("没有符合条件的话单", "No matching records"),
    "records.loading": ("正在查询…", "Querying…"),
    "records.col.seq": ("序号", "Seq."),
    "records.col.start": ("开始时间", "Start"),
    "records.col.port": ("端口", "Port"),
    "records.col.extension": ("分机", "Ext."),
    "records.col.trunk": ("外线", "Trunk"),
    "records.col.number": ("号码", "Number"),
    "records.col.duration": ("时长", "Duration"),
    "records.col.cost": ("话费", "Cost"),
    "records.col.call_type": ("类型", "Type"),
    "records.col.description": ("业务类型", "Service"),
    "records.col.account": ("账号", "Account"),
    "records.col.source": ("来源", "Source"),
    "records.type.OUT": ("打出", "out"),
    "records.type.IN": ("打入", "in"),
    "records.type.INT": ("内部", "internal"),
    "records.type.all": ("全部", "all"),
    "records.source.live": ("主库", "main"),
    "records.live_counts": ("本次运行已存 {count} 张话单，话费合计 {cost} 元（最新的在最上面）",
                            "{count} records stored while this console runs, cost {cost} "
                            "yuan (newest first)"),
    "records.by": ("统计方式", "Group by"),
    "records.by.extension": ("按分机", "by extension"),
    "records.by.port": ("按端口", "by port"),
    "records.by.trunk": ("按外线", "by trunk"),
    "records.by.day": ("按日", "by day"),
    "records.by.hour": ("按小时（0-23 时）", "by hour of day (0-23)"),
    "records.by.month": ("按月", "by month"),
    "records.by.call_type": ("按呼叫类型", "by call type"),
    "records.by.service_type": ("按业务类型", "by service type"),
    "records.by.account": ("按账号", "by account"),
    "records.summarize": ("统计", "Summarize"),
    "records.sum.key": ("项目", "Group"),
    "records.sum.count": ("次数", "Calls"),
    "records.sum.duration": ("时长", "Duration"),
    "records.sum.cost": ("话费（元）", "Cost (yuan)"),
    "records.sum.total": ("合计", "Total"),
    "records.chart_count": ("通话次数", "Calls"),
    "records.chart_cost": ("话费（元）", "Cost (yuan)"),
    "records.export_title": ("导出话单", "Export records"),
    "records.exporting": ("正在生成 {fmt} 文件：{done}/{total} 条",
                          "Writing the {fmt} file: {done}/{total} records"),
    "records.downloading": ("正在保存到本机：{received}/{size} 字节",
                            "Saving on this computer: {received}/{size} bytes"),
    "records.export_done": ("已导出 {records} 条话单到 {path}",
                            "{records} records exported to {path}"),
    "records.export_cancelled": ("导出已取消，没有保存文件", "Export cancelled; no file saved"),
    "records.export_failed": ("导出失败：{message}", "Export failed: {message}"),
    "records.cancel": ("取消", "Cancel"),
    "records.dialog_title": ("综合查询", "Combined query"),
    "records.d.from": ("开始日期", "From"),
    "records.d.to": ("结束日期", "To"),
    "records.d.time": ("时间", "time"),
    "records.d.month": ("月话单库", "Archived month"),
    "records.d.month_none": ("（按日期，含全部月话单库）", "(by date, all months)"),
    "records.d.extension": ("分机号", "Extension"),
    "records.d.trunk": ("外线", "Trunk"),
    "records.d.number": ("号码", "Number"),
    "records.d.match.exact": ("等于", "equals"),
    "records.d.match.prefix": ("开头是", "begins with"),
    "records.d.match.contains": ("包含", "contains"),
    "records.d.call_type": ("呼叫类型", "Call type"),
    "records.d.cost": ("话费（元）", "Cost (yuan)"),
    "records.d.duration": ("时长（秒）", "Duration (s)"),
    "records.d.to_word": ("至", "to"),
    "records.d.ok": ("查询", "Query"),
    "records.d.clear": ("清除", "Clear"),
    "records.d.cancel": ("取消", "Cancel"),
})


def _labels(catalogue: Catalogue) -> dict[str, str]:
    """Codes shown as words: call types and the live table's source."""
    return {**{code: catalogue.text(f"records.type.{code}") for code in CALL_TYPES if code},
            "live": catalogue.text("records.source.live")}


class QueryDialog(tk.Toplevel):
    """综合查询: the filters of a query (see records_query); never blocks by itself."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, form: QueryForm,
                 months: list[str], on_submit: Callable[[dict[str, str]], None],
                 _utest: bool = False) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.on_submit = on_submit
        #: Widgets whose text is a catalogue key (relabelled when the language changes).
        self.labelled: list[tuple[tk.Misc, str]] = []
        self.withdraw()
        self.title(catalogue.text("records.dialog_title"))
        self.resizable(False, False)
        text = catalogue.text
        body = ttk.Frame(self, padding=14)
        body.grid(sticky="nsew")
        self.use: dict[str, tk.BooleanVar] = {}
        self.dates: dict[str, DateEntry] = {}
        self.entries: dict[str, ttk.Entry] = {}
        row = self._build_dates(body, form, months)
        row = self._build_fields(body, form, row)
        self.error_label = ttk.Label(body, text="", foreground=ERROR_COLOUR, wraplength=380,
                                     justify="left")
        self.error_label.grid(row=row, column=0, columnspan=4, sticky="w", pady=(8, 0))
        row += 1
        buttons = ttk.Frame(body)
        buttons.grid(row=row, column=0, columnspan=4, sticky="e", pady=(10, 0))
        self.button_ok = ttk.Button(buttons, text=text("records.d.ok"), default="active",
                                    command=self.ok)
        self.button_clear = ttk.Button(buttons, text=text("records.d.clear"),
                                       command=self.clear)
        self.button_cancel = ttk.Button(buttons, text=text("records.d.cancel"),
                                        command=self.destroy)
        for button, key in ((self.button_ok, "records.d.ok"),
                            (self.button_clear, "records.d.clear"),
                            (self.button_cancel, "records.d.cancel")):
            self.labelled.append((button, key))
        for column, button in enumerate((self.button_ok, self.button_clear,
                                         self.button_cancel)):
            button.grid(row=0, column=column, padx=(6, 0))
        self.bind("<Return>", lambda _e: self.ok())
        self.bind("<Escape>", lambda _e: self.destroy())
        self.deiconify()
        if not _utest:
            self.transient(parent.winfo_toplevel())
            grab_when_shown(self)

    def _build_dates(self, body: ttk.Frame, form: QueryForm, months: list[str]) -> int:
        text = self.catalogue.text
        locale = "zh_CN" if self.catalogue.language == "zh" else "en_US"
        row = 0
        for side in ("from", "to"):
            self.use[side] = tk.BooleanVar(self, value=getattr(form, f"use_{side}"))
            self._labelled(ttk.Checkbutton(body, variable=self.use[side]),
                           f"records.d.{side}").grid(row=row, column=0, sticky="w", pady=3)
            picker = DateEntry(body, date_pattern="yyyy-mm-dd", locale=locale, width=12)
            picker.grid(row=row, column=1, sticky="w", padx=(8, 0))
            day = getattr(form, f"{side}_date")
            try:
                picker.set_date(date.fromisoformat(day) if day else date.today())
            except ValueError:
                picker.set_date(date.today())
            self.dates[side] = picker
            self._labelled(ttk.Label(body), "records.d.time").grid(row=row, column=2,
                                                                   padx=(10, 4))
            self.entries[f"{side}_time"] = self._entry(body, row, 3, getattr(
                form, f"{side}_time"), 7)
            row += 1
        self._labelled(ttk.Label(body), "records.d.month").grid(row=row, column=0, sticky="w",
                                                                pady=3)
        self.month_names = ["", *months]
        self.month = ttk.Combobox(body, state="readonly", width=26, values=[
            text("records.d.month_none"), *months])
        self.month.current(self.month_names.index(form.month)
                           if form.month in self.month_names else 0)
        self.month.grid(row=row, column=1, columnspan=3, sticky="w", padx=(8, 0))
        row += 1
        return row

    def _build_fields(self, body: ttk.Frame, form: QueryForm, row: int) -> int:
        text = self.catalogue.text
        for name in ("extension", "trunk"):
            self._labelled(ttk.Label(body), f"records.d.{name}").grid(row=row, column=0,
                                                                      sticky="w", pady=3)
            self.entries[name] = self._entry(body, row, 1, getattr(form, name), 14)
            row += 1
        self._labelled(ttk.Label(body), "records.d.number").grid(row=row, column=0,
                                                                 sticky="w", pady=3)
        self.entries["number"] = self._entry(body, row, 1, form.number, 14)
        self.match = ttk.Combobox(body, state="readonly", width=8, values=[
            text(f"records.d.match.{m}") for m in NUMBER_MATCHES])
        self.match.current(NUMBER_MATCHES.index(form.number_match)
                           if form.number_match in NUMBER_MATCHES else 0)
        self.match.grid(row=row, column=2, columnspan=2, sticky="w", padx=(10, 0))
        row += 1
        self._labelled(ttk.Label(body), "records.d.call_type").grid(row=row, column=0,
                                                                    sticky="w", pady=3)
        self.call_type = ttk.Combobox(body, state="readonly", width=12, values=[
            text(f"records.type.{c or 'all'}") for c in CALL_TYPES])
        self.call_type.current(CALL_TYPES.index(form.call_type)
                               if form.call_type in CALL_TYPES else 0)
        self.call_type.grid(row=row, column=1, sticky="w", padx=(8, 0))
        row += 1
        for name in ("cost", "duration"):
            self._labelled(ttk.Label(body), f"records.d.{name}").grid(row=row, column=0,
                                                                      sticky="w", pady=3)
            self.entries[f"{name}_min"] = self._entry(body, row, 1, getattr(
                form, f"{name}_min"), 14)
            self._labelled(ttk.Label(body), "records.d.to_word").grid(row=row, column=2)
            self.entries[f"{name}_max"] = self._entry(body, row, 3, getattr(
                form, f"{name}_max"), 10)
            row += 1
        return row

    def _labelled(self, widget: Widget, key: str) -> Widget:
        widget.configure(text=self.catalogue.text(key))  # type: ignore[call-arg]
        self.labelled.append((widget, key))
        return widget

    def relabel(self) -> None:
        """The language changed while the dialog is open: its words follow, what was
        entered or chosen stays."""
        text = self.catalogue.text
        self.title(text("records.dialog_title"))
        for widget, key in self.labelled:
            widget.configure(text=text(key))  # type: ignore[call-arg]
        for box, values in (
                (self.month, [text("records.d.month_none"), *self.month_names[1:]]),
                (self.match, [text(f"records.d.match.{m}") for m in NUMBER_MATCHES]),
                (self.call_type, [text(f"records.type.{c or 'all'}") for c in CALL_TYPES])):
            chosen = max(0, box.current())
            box.configure(values=values)
            box.current(chosen)
        locale = "zh_CN" if self.catalogue.language == "zh" else "en_US"
        for picker in self.dates.values():
            picker.configure(locale=locale)

    @staticmethod
    def _entry(parent: ttk.Frame, row: int, column: int, value: str, width: int) -> ttk.Entry:
        entry = ttk.Entry(parent, width=width)
        entry.insert(0, value)
        entry.grid(row=row, column=column, sticky="w", padx=(8, 0), pady=3)
        return entry

    def form(self) -> QueryForm:
        """What the fields hold now."""
        values = {name: entry.get() for name, entry in self.entries.items()}
        return QueryForm(
            use_from=self.use["from"].get(), from_date=self.dates["from"].get(),
            use_to=self.use["to"].get(), to_date=self.dates["to"].get(),
            month=self.month_names[max(0, self.month.current())],
            number_match=NUMBER_MATCHES[max(0, self.match.current())],
            call_type=CALL_TYPES[max(0, self.call_type.current())], **values)

    def ok(self) -> None:
        check = check_query(self.form(), self.catalogue)
        if not check.ok:
            self.error_label.configure(text=check.error)
            return
        self.destroy()
        self.on_submit(check.filters)

    def clear(self) -> None:
        for entry in self.entries.values():
            entry.delete(0, "end")
        for var in self.use.values():
            var.set(False)
        for box in (self.month, self.match, self.call_type):
            box.current(0)
        self.error_label.configure(text="")


class RecordsPage:
    """The 话单查询 page (see the module docstring)."""

    def __init__(self, context: PageContext) -> None:
        self.context = context
        self.catalogue = context.catalogue
        self.connection = context.connection
        self.model = RecordsList()
        self.live = LiveRecords()
        self.export: ExportProgress | None = None
        self.dialog: QueryDialog | None = None
        self.preview: PrintPreview | None = None
        #: What printing last said (text, colour), shown in the export line.
        self.print_status: tuple[str, str] = ("", "")
        self._print_folder: Path | None = None
        self._export_request: Job | None = None
        self.months: list[str] = []
        self.summary: dict[str, Any] = {}
        #: Asks where to save an export (title, default name): a path or "". Tests replace it.
        self.ask_path: Callable[[str, str], str] = self._ask_save_path
        #: The query dialog grabs the input (tests turn it off to drive the page too).
        self.dialog_modal = True
        self._labelled: list[tuple[tk.Misc, str]] = []
        self._refresh_job = ""
        self._cost_job = ""
        self._queried = False
        self.frame = ttk.Frame(context.parent)
        self._build_toolbar()
        self.notebook = ttk.Notebook(self.frame)
        self.notebook.grid(row=1, column=0, sticky="nsew", padx=6)
        self._build_list()
        self._build_live()
        self._build_summary()
        self._build_export_bar()
        self.frame.rowconfigure(1, weight=1)
        self.frame.columnconfigure(0, weight=1)
        self.relabel()

    # ------------------------------------------------------------------ building
    def _label(self, widget: Widget, key: str) -> Widget:
        self._labelled.append((widget, key))
        return widget

    def _build_toolbar(self) -> None:
        bar = ttk.Frame(self.frame, padding=(6, 6, 6, 4))
        bar.grid(row=0, column=0, sticky="ew")
        self.query_button = ttk.Button(bar, command=self.open_query)
        self.all_button = ttk.Button(bar, command=lambda: self.run_query({}))
        self.refresh_button = ttk.Button(bar, command=lambda: self._send(self.model.query()))
        for column, (button, key) in enumerate(((self.query_button, "records.query"),
                                                (self.all_button, "records.all"),
                                                (self.refresh_button, "records.refresh"))):
            self._label(button, key).grid(row=0, column=column, padx=(0, 4))
        self.format_label = self._label(ttk.Label(bar), "records.format")
        self.format_label.grid(row=0, column=3, padx=(14, 4))
        self.format_box = ttk.Combobox(bar, state="readonly", width=6,
                                       values=[f.upper() for f in EXPORT_FORMATS])
        self.format_box.current(0)
        self.format_box.grid(row=0, column=4)
        self.export_button = ttk.Button(bar, command=self.start_export)
        self._label(self.export_button, "records.export").grid(row=0, column=5, padx=(4, 0))
        self.preview_button = ttk.Button(bar, command=lambda: self.print_report("preview"))
        self._label(self.preview_button, "records.preview").grid(row=0, column=6,
                                                                 padx=(14, 4))
        self.print_button = ttk.Button(bar, command=lambda: self.print_report("print"))
        self._label(self.print_button, "records.print").grid(row=0, column=7)
        self.filter_label = ttk.Label(bar, padding=(14, 0, 0, 0))
        self.filter_label.grid(row=0, column=8, sticky="w")
        bar.columnconfigure(8, weight=1)

    def _tree(self, parent: ttk.Frame, columns: tuple[str, ...], height: int = 18
              ) -> ttk.Treeview:
        tree = ttk.Treeview(parent, columns=columns, show="headings", height=height,
                            selectmode="browse")
        vertical = ttk.Scrollbar(parent, orient="vertical", command=tree.yview)
        horizontal = ttk.Scrollbar(parent, orient="horizontal", command=tree.xview)
        tree.configure(yscrollcommand=vertical.set, xscrollcommand=horizontal.set)
        tree.grid(row=0, column=0, sticky="nsew")
        vertical.grid(row=0, column=1, sticky="ns")
        horizontal.grid(row=1, column=0, sticky="ew")
        parent.rowconfigure(0, weight=1)
        parent.columnconfigure(0, weight=1)
        tree.vertical = vertical  # type: ignore[attr-defined]
        return tree

    def _build_list(self) -> None:
        tab = ttk.Frame(self.notebook, padding=4)
        self.list_tab = tab
        self.notebook.add(tab)
        self.tree = self._tree(tab, tuple(c.name for c in COLUMNS))
        for column in COLUMNS:
            self.tree.column(column.name, width=column.width, anchor=column.anchor,
                             stretch=column.name in ("number", "description"))
            if column.sort:
                self.tree.heading(column.name, command=partial(self.sort_by, column.name))
        self.tree.configure(yscrollcommand=self._list_scrolled)
        nav = ttk.Frame(tab, padding=(0, 4, 0, 0))
        nav.grid(row=2, column=0, columnspan=2, sticky="ew")
        self.page_buttons: dict[str, ttk.Button] = {}
        for position, which in enumerate(("first", "previous", "next", "last")):
            button = ttk.Button(nav, width=8, command=partial(self.go, which))
            self._label(button, f"records.{which}").grid(row=0, column=position, padx=(0, 4))
            self.page_buttons[which] = button
        self.range_label = ttk.Label(nav, padding=(10, 0))
        self.range_label.grid(row=0, column=4, sticky="w")
        nav.columnconfigure(4, weight=1)

    def _build_live(self) -> None:
        tab = ttk.Frame(self.notebook, padding=4)
        self.live_tab = tab
        self.notebook.add(tab)
        self.live_tree = self._tree(tab, LIVE_COLUMNS)
        for name in LIVE_COLUMNS:
            column = next(c for c in COLUMNS if c.name == name)
            self.live_tree.column(name, width=column.width, anchor=column.anchor,
                                  stretch=name == "number")
        self.live_label = ttk.Label(tab, padding=(0, 4, 0, 0))
        self.live_label.grid(row=2, column=0, sticky="w")

    def _build_summary(self) -> None:
        tab = ttk.Frame(self.notebook, padding=4)
        self.summary_tab = tab
        self.notebook.add(tab)
        top = ttk.Frame(tab)
        top.grid(row=0, column=0, columnspan=2, sticky="ew", pady=(0, 4))
        self._label(ttk.Label(top), "records.by").grid(row=0, column=0, padx=(0, 4))
        self.by_box = ttk.Combobox(top, state="readonly", width=14)
        self.by_box.grid(row=0, column=1)
        self.summary_button = ttk.Button(top, command=self.summarize)
        self._label(self.summary_button, "records.summarize").grid(row=0, column=2,
                                                                   padx=(6, 0))
        self.summary_error = ttk.Label(top, foreground=ERROR_COLOUR, padding=(10, 0))
        self.summary_error.grid(row=0, column=3, sticky="w")
        table = ttk.Frame(tab)
        table.grid(row=1, column=0, sticky="nsew")
        self.summary_tree = self._tree(table, ("key", "count", "duration", "cost"), height=8)
        for name, width in (("key", 160), ("count", 70), ("duration", 90), ("cost", 90)):
            self.summary_tree.column(name, width=width, anchor="w" if name == "key" else "e",
                                     stretch=name == "key")
        self.summary_tree.tag_configure("total", background="#eef3fb")
        self.chart = tk.Canvas(tab, background="#ffffff", highlightthickness=1,
                               highlightbackground="#cccccc", height=220)
        self.chart.grid(row=1, column=1, sticky="nsew", padx=(8, 0))
        self.chart.bind("<Configure>", lambda _e: self._draw_chart())
        tab.rowconfigure(1, weight=1)
        tab.columnconfigure(0, weight=2)
        tab.columnconfigure(1, weight=3)

    def _build_export_bar(self) -> None:
        bar = ttk.Frame(self.frame, padding=(6, 4))
        self.export_frame = bar
        bar.grid(row=2, column=0, sticky="ew")
        self.export_label = ttk.Label(bar)
        self.export_label.grid(row=0, column=0, sticky="w")
        self.export_bar = ttk.Progressbar(bar, length=260, maximum=1.0)
        self.export_bar.grid(row=0, column=1, padx=8)
        self.cancel_button = ttk.Button(bar, command=self.cancel_export)
        self._label(self.cancel_button, "records.cancel").grid(row=0, column=2)
        bar.columnconfigure(0, weight=1)
        bar.grid_remove()

    # ------------------------------------------------------------------ Page
    def relabel(self) -> None:
        text = self.catalogue.text
        for widget, key in self._labelled:
            widget.configure(text=text(key))  # type: ignore[call-arg]
        for tab, key in ((self.list_tab, "records.tab_list"),
                         (self.live_tab, "records.tab_live"),
                         (self.summary_tab, "records.tab_summary")):
            self.notebook.tab(tab, text=text(key))  # type: ignore[no-untyped-call]
        for name in LIVE_COLUMNS:
            self.live_tree.heading(name, text=text(f"records.col.{name}"))
        for name in ("key", "count", "duration", "cost"):
            self.summary_tree.heading(name, text=text(f"records.sum.{name}"))
        by = max(0, self.by_box.current())
        self.by_box.configure(values=[text(f"records.by.{b}") for b in SUMMARY_BY])
        self.by_box.current(by)
        self._show_headings()
        self._show_filters()
        self._show_list()
        self._relabel_rows()
        self._show_live()
        self._show_summary()
        self._show_export()
        if self.dialog is not None and self.dialog.winfo_exists():
            self.dialog.relabel()
        if self.preview is not None and self.preview.winfo_exists():
            self.preview.relabel()

    def _relabel_rows(self) -> None:
        """Cells that hold words (call types, the source) in the current language."""
        labels = _labels(self.catalogue)
        for index, row in enumerate(self.model.rows):
            if self.tree.exists(str(index)):
                self.tree.item(str(index), values=[cell_text(row, c.name, labels)
                                                   for c in COLUMNS])
        for row in self.live.rows:
            if self.live_tree.exists(row["key"]):
                self.live_tree.item(row["key"], values=[cell_text(row, n, labels)
                                                        for n in LIVE_COLUMNS])

    def shown(self) -> None:
        if not self._queried:
            self._queried = True
            self._send(self.model.query())

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "record_stored":
            self._record_stored(event)

    # ------------------------------------------------------------------ the list
    def run_query(self, filters: dict[str, str]) -> None:
        self._send(self.model.query(filters))
        self._show_filters()
        self.notebook.select(self.list_tab)  # type: ignore[no-untyped-call]

    def sort_by(self, column: str) -> None:
        fetch = self.model.sort_by(column)
        if fetch is not None:
            self._show_headings()
            self._send(fetch)

    def go(self, which: str) -> None:
        fetch = self.model.page(which)
        if fetch is not None:
            self._send(fetch)

    def _send(self, fetch: Fetch) -> None:
        self._show_list()

        def done(answer: dict[str, Any]) -> None:
            if self.model.loaded(fetch, answer):
                self._fill_tree(fetch)

        def failed(code: str, message: str) -> None:
            if self.model.failed(fetch, self.catalogue.error(code, message)):
                self._show_list()
        self.connection.request("records_query", done, failed, **fetch.params)

    def _fill_tree(self, fetch: Fetch) -> None:
        labels = _labels(self.catalogue)
        if not fetch.append:
            self.tree.delete(*self.tree.get_children())
        start = fetch.offset - self.model.offset
        for index, row in enumerate(self.model.rows[start:], start):
            self.tree.insert("", "end", iid=str(index),
                             values=[cell_text(row, c.name, labels) for c in COLUMNS])
        if not fetch.append:
            self.tree.yview_moveto(0)
        self._show_list()

    def _list_scrolled(self, first: float | str, last: float | str) -> None:
        self.tree.vertical.set(first, last)  # type: ignore[attr-defined]
        if float(first) > 0 and float(last) >= 0.999:
            fetch = self.model.more()
            if fetch is not None:
                self._send(fetch)

    def _show_headings(self) -> None:
        for column in COLUMNS:
            label = self.catalogue.text(column.text_key)
            if column.sort and column.sort == self.model.sort:
                label += " ▼" if self.model.desc else " ▲"
            self.tree.heading(column.name, text=label)

    def _show_list(self) -> None:
        text = self.catalogue.text
        if self.model.error:
            self.range_label.configure(text=self.model.error, foreground=ERROR_COLOUR)
        elif self.model.pending is not None and not self.model.pending.append:
            self.range_label.configure(text=text("records.loading"), foreground="")
        elif self.model.total == 0:
            self.range_label.configure(text=text("records.none"), foreground="")
        elif self.model.total is not None:
            first, last = self.model.shown_range
            self.range_label.configure(text=text("records.range", total=self.model.total,
                                                 first=first, last=last), foreground="")
        for which, button in self.page_buttons.items():
            button.state(["!disabled"] if self.model.can_go(which) else ["disabled"])

    def _show_filters(self) -> None:
        filters = self.model.filters
        if not filters:
            self.filter_label.configure(text=self.catalogue.text("records.filters_none"))
            return
        labels = _labels(self.catalogue)
        parts = []
        for key, value in filters.items():
            name = "number" if key.startswith("number") else key
            shown = {"number_prefix": f"{value}…", "number_contains": f"…{value}…",
                     "call_type": labels.get(value, value)}.get(key, value)
            parts.append(f"{self.catalogue.text(f'records.field.{name}')} {shown}")
        self.filter_label.configure(text=self.catalogue.text("records.filters",
                                                             text="，".join(parts)))

    def open_query(self) -> None:
        if self.dialog is not None and self.dialog.winfo_exists():
            self.dialog.lift()
            return

        def months(answer: dict[str, Any]) -> None:
            self.months = sorted(str(a.get("month")) for a in answer.get("archives") or ())
            self._make_dialog()

        def failed(_code: str, _message: str) -> None:
            self._make_dialog()  # the dialog works without the archive list
        self.connection.request("records_archives", months, failed)

    def _make_dialog(self) -> None:
        if self.dialog is not None and self.dialog.winfo_exists():
            return
        self.dialog = QueryDialog(self.frame, self.catalogue,
                                  QueryForm.from_filters(self.model.filters), self.months,
                                  self.run_query, _utest=not self.dialog_modal)

    # ------------------------------------------------------------------ live
    def _record_stored(self, event: dict[str, Any]) -> None:
        row = self.live.add(event)
        if row is None:
            return
        labels = _labels(self.catalogue)
        self.live_tree.insert("", 0, iid=row["key"],
                              values=[cell_text(row, n, labels) for n in LIVE_COLUMNS])
        kept = {r["key"] for r in self.live.rows}
        for old in self.live_tree.get_children()[len(kept):]:
            self.live_tree.delete(old)
        self._show_live()
        root = self.context.root
        if not row["cost"] and not self._cost_job:
            self._cost_job = root.after(REFRESH_DELAY_MS, self._fetch_costs)
        if self.model.offset == 0 and self._queried and not self._refresh_job:
            self._refresh_job = root.after(REFRESH_DELAY_MS, self._refresh_first_page)

    def _refresh_first_page(self) -> None:
        self._refresh_job = ""
        if self.model.offset == 0 and self.model.pending is None:
            self._send(self.model.query())

    def _fetch_costs(self) -> None:
        self._cost_job = ""
        missing = self.live.without_cost()
        if not missing:
            return

        def done(answer: dict[str, Any]) -> None:
            labels = _labels(self.catalogue)
            for row in self.live.fill_costs(list(answer.get("rows") or ())):
                if self.live_tree.exists(row["key"]):
                    self.live_tree.item(row["key"], values=[cell_text(row, n, labels)
                                                            for n in LIVE_COLUMNS])
            self._show_live()
        self.connection.request("records_query", done, lambda _c, _m: None, sort="id",
                                desc=True, limit=min(500, len(missing) + 20))

    def _show_live(self) -> None:
        self.live_label.configure(text=self.catalogue.text(
            "records.live_counts", count=self.live.count, cost=f"{self.live.cost:.2f}"))

    # ------------------------------------------------------------------ summaries
    def summarize(self) -> None:
        by = SUMMARY_BY[max(0, self.by_box.current())]

        def done(answer: dict[str, Any]) -> None:
            if by == "hour":  # the whole day on the chart: hours without calls as 0
                answer = {**answer, "rows": every_hour(answer.get("rows") or [])}
            self.summary = answer
            self.summary_error.configure(text="")
            self._show_summary()

        def failed(code: str, message: str) -> None:
            self.summary_error.configure(text=self.catalogue.error(code, message))
        params: dict[str, Any] = {**self.model.filters, "by": by}
        self.connection.request("records_summary", done, failed, **params)

    def _show_summary(self) -> None:
        tree = self.summary_tree
        tree.delete(*tree.get_children())
        if not self.summary:
            self._draw_chart()
            return
        labels = _labels(self.catalogue)
        for index, row in enumerate(self.summary.get("rows") or ()):
            label = str(row.get("label", row.get("key", "")))
            tree.insert("", "end", iid=f"r{index}", values=(
                labels.get(label, label), row.get("count", 0),
                duration_text(row.get("duration", 0)), row.get("cost", "")))
        total = self.summary.get("total") or {}
        tree.insert("", "end", iid="total", tags=("total",), values=(
            self.catalogue.text("records.sum.total"), total.get("count", 0),
            duration_text(total.get("duration", 0)), total.get("cost", "")))
        self._draw_chart()

    def _draw_chart(self) -> None:
        canvas = self.chart
        canvas.delete("all")
        rows = list(self.summary.get("rows") or ()) if self.summary else []
        width, height = canvas.winfo_width(), canvas.winfo_height()
        if not rows or width < 60 or height < 80:
            return
        labels = _labels(self.catalogue)
        band = (height - 16) / 2
        for index, (measure, key, colour) in enumerate(
                (("count", "records.chart_count", "#4f81bd"),
                 ("cost", "records.chart_cost", "#c0504d"))):
            top = 8 + index * (band + 8)
            canvas.create_text(8, top, anchor="nw", text=self.catalogue.text(key))
            # the title, then room for the tallest bar's value, the bars, their labels
            area_top, area_height = top + 38, band - 60
            for bar in bar_chart(rows, measure, width - 16, area_height):
                canvas.create_rectangle(8 + bar.x0, area_top + bar.y0, 8 + bar.x1,
                                        area_top + bar.y1, fill=colour, outline="")
                middle = 8 + (bar.x0 + bar.x1) / 2
                canvas.create_text(middle, area_top + bar.y0 - 1, anchor="s",
                                   text=bar.value, font="TkSmallCaptionFont")
                if bar.x1 - bar.x0 >= 18:
                    canvas.create_text(middle, area_top + area_height + 2, anchor="n",
                                       text=labels.get(bar.label, bar.label)[-6:],
                                       font="TkSmallCaptionFont")

    # ------------------------------------------------------------------ export
    def _ask_save_path(self, title: str, name: str) -> str:
        suffix = Path(name).suffix
        return filedialog.asksaveasfilename(parent=self.frame, title=title,
                                            initialfile=name, defaultextension=suffix,
                                            filetypes=[(suffix.upper()[1:], f"*{suffix}")])

    def start_export(self) -> None:
        if self.export is not None and self.export.running:
            return
        fmt = EXPORT_FORMATS[max(0, self.format_box.current())]
        path = self.ask_path(self.catalogue.text("records.export_title"), f"records.{fmt}")
        if not path:
            return
        self._export(ExportProgress(Path(path), fmt))

    def _export(self, export: ExportProgress) -> None:
        """``records_export`` of the list's filters, then the file fetched to its path."""
        self.export = export
        self._show_export()

        def exported(answer: dict[str, Any]) -> None:
            if export.cancel_asked:
                export.stop("cancelled")
                self._show_export()
                return
            try:
                params = export.exported(answer)
            except OSError as exc:
                export.stop("failed", str(exc))
                self._show_export()
                return
            self._download(export, params)
            self._show_export()

        def failed(code: str, message: str) -> None:
            export.stop("cancelled" if code == "cancelled" else "failed",
                        self.catalogue.error(code, message))
            self._show_export()
        def progress(done: int, total: int, _text: str) -> None:
            if export is self.export and export.phase == "exporting":
                export.job = request.id
                self._export_progress(done, total)
        params: dict[str, Any] = {**self.model.filters, "format": export.fmt,
                                  "title": self.catalogue.text("module.records")}
        request = self._export_request = self.connection.request(
            "records_export", exported, failed, on_progress=progress, timeout=3600, **params)
        if export.cancel_asked:
            request.cancel()

    def _download(self, export: ExportProgress, params: dict[str, Any]) -> None:
        def chunk(answer: dict[str, Any]) -> None:
            try:
                following = export.chunk(answer)
            except OSError as exc:
                export.stop("failed", str(exc))
                following = None
            if following is not None:
                self._download(export, following)
            self._show_export()
            if export.phase == "done" and export.purpose != "export":
                self._report_ready(export)

        def failed(code: str, message: str) -> None:
            export.stop("failed", self.catalogue.error(code, message))
            self._show_export()
        self.connection.request("file_download", chunk, failed, **params)

    def cancel_export(self) -> None:
        export = self.export
        if export is None or not export.running:
            self.export_frame.grid_remove()
            return
        export.cancel_asked = True
        if export.phase == "downloading":
            return  # the next chunk stops it and removes the part file
        if self._export_request is not None:
            self._export_request.cancel()  # sent or not yet, the service stops it

    def _export_progress(self, done: int, total: int) -> None:
        if self.export is not None:
            self.export.done, self.export.total = done, total
            self._show_export()

    def _show_export(self) -> None:
        export = self.export
        if export is None:
            return
        self.export_frame.grid()
        text = self.catalogue.text
        colour = ""
        if export.phase == "exporting":
            label = text("records.exporting", fmt=export.fmt.upper(), done=export.done,
                         total=export.total or "…")
        elif export.phase == "downloading":
            label = text("records.downloading", received=export.received, size=export.size)
        elif export.phase == "done" and export.purpose != "export":
            label, colour = self.print_status
        elif export.phase == "done":
            label = text("records.export_done", records=export.records, path=export.path)
        elif export.phase == "cancelled":
            label = text("records.export_cancelled")
        else:
            label, colour = text("records.export_failed", message=export.error), ERROR_COLOUR
        self.export_label.configure(text=label, foreground=colour)
        self.export_bar.configure(value=export.fraction())
        self.export_button.state(["disabled"] if export.running else ["!disabled"])
        self.cancel_button.configure(text=text("records.cancel") if export.running else "×")

    # ------------------------------------------------------------------ printing
    def print_report(self, purpose: str) -> None:
        """打印预览 (``preview``) or 打印 (``print``): the list's records as the service's PDF
        report, fetched to a temporary folder, then shown or sent to the printer."""
        if self.export is not None and self.export.running:
            return
        if self._print_folder is None:
            self._print_folder = Path(tempfile.mkdtemp(prefix="callcenter-print-"))
            self.frame.bind("<Destroy>", lambda _e: self._forget_print_folder(), add="+")
        self.print_status = ("", "")
        self._export(ExportProgress(self._print_folder / "records.pdf", "pdf",
                                    purpose=purpose))

    def _forget_print_folder(self) -> None:
        if self._print_folder is not None:
            shutil.rmtree(self._print_folder, ignore_errors=True)
            self._print_folder = None

    def _report_ready(self, export: ExportProgress) -> None:
        if export.purpose == "preview" and renderer() is None:
            # no Ghostscript: the system's PDF viewer shows the pages (and prints them)
            run_in_thread(self.frame.after, lambda: open_in_viewer(export.path),
                          lambda _none: self._say_print(self.catalogue.text(
                              "print.opened", path=export.path)), self._print_failed)
        elif export.purpose == "preview":
            folder = export.path.parent / "pages"
            self._say_print(self.catalogue.text("print.rendering"))
            run_in_thread(self.frame.after, lambda: render_pages(export.path, folder),
                          lambda pages: self._show_preview(export.path, pages),
                          self._print_failed)
        else:
            self.send_to_printer(export.path)

    def send_to_printer(self, pdf: Path) -> None:
        """The PDF to the system printer, off the Tk thread; the outcome said below."""
        self._say_print(self.catalogue.text("print.sending"))
        run_in_thread(self.frame.after, lambda: send_to_printer(pdf),
                      lambda said: self._say_print(self.catalogue.text(
                          "print.sent", detail=str(said))), self._print_failed)

    def _show_preview(self, pdf: Path, pages: list[Path]) -> None:
        if self.preview is not None and self.preview.winfo_exists():
            self.preview.destroy()
        self.preview = PrintPreview(self.frame, self.catalogue, pages,
                                    lambda: self.send_to_printer(pdf))
        self._say_print(self.catalogue.text("print.previewed", pages=len(pages)))

    def _print_failed(self, problem: PrintProblem) -> None:
        self._say_print(self.catalogue.text(problem.key, detail=problem.detail), ERROR_COLOUR)

    def _say_print(self, text: str, colour: str = "") -> None:
        self.print_status = (text, colour)
        if self.frame.winfo_exists():
            self._show_export()


PAGES: Final[dict[str, PageFactory]] = {"records": RecordsPage}
