"""客户资料 (C-4, manual 2-4): the customer manager window.

A search box (name, company or number; a search starts as the agent stops typing), a paged
list that never holds more than one page (``customers_model.load_page`` in a worker: with
100 k customers the list still draws ``PAGE_SIZE`` rows), and the manual's actions: 新增 and
编辑 (``CustomerDialog``), 删除 (asked first, with the version read), 呼叫 (the main window's
phone area), 导入 (a file chosen, a progress window with a cancel button, then the report of
the rows taken and refused) and 导出 (CSV or XLSX by the file's suffix).
"""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import ttk
from typing import Final

from callcenter.crm_client.gui import customers_model as model
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.customer_form import CustomerDialog
from callcenter.crm_client.gui.dialog_support import (
    DialogWindow,
    MessageLine,
    ask_open_file,
    ask_save_file,
    confirm,
)
from callcenter.crm_client.store import Customer, ShareUnavailable, VersionConflict
from callcenter.crm_client.store.importer import ImportReport

#: How long the search waits after the last key before it asks the store (ms).
SEARCH_DELAY_MS: Final = 250
#: How often the import window reads the job's progress (ms).
PROGRESS_POLL_MS: Final = 100
FILE_TYPES: Final = (("CSV", "*.csv"), ("Excel", "*.xlsx"))
_WIDTHS: Final = {"name": 120, "company": 160, "phones": 190, "mobile": 110,
                  "department": 100, "marks": 80}


class CustomersWindow(DialogWindow):
    """The 客户资料 window (see the module docstring)."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext) -> None:
        super().__init__(parent, ctx, "customers.title", modal=False)
        self.page = model.CustomerPage("", 0, 0, ())
        self.requested = 0  # the page last asked for (two clicks on 下一页 move two pages)
        self._generation = 0
        self._search_job = ""
        self._rows: dict[str, Customer] = {}
        body = ttk.Frame(self, padding=8)
        body.grid(row=0, column=0, sticky="nsew")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        top = ttk.Frame(body)
        top.grid(row=0, column=0, sticky="ew")
        self.search_label = ttk.Label(top)
        self.search_label.grid(row=0, column=0, sticky="w")
        self.search = ttk.Entry(top, width=30)
        self.search.grid(row=0, column=1, sticky="w", padx=(6, 6))
        self.search.bind("<KeyRelease>", lambda _e: self._search_soon())
        self.search.bind("<Return>", lambda _e: self.refresh(0))
        self.search_hint = ttk.Label(top, foreground="#555555")
        self.search_hint.grid(row=0, column=2, sticky="w")
        actions = ttk.Frame(body)
        actions.grid(row=1, column=0, sticky="ew", pady=(8, 4))
        self.buttons: dict[str, ttk.Button] = {}
        for place, (name, command) in enumerate((
                ("new", self.new), ("edit", self.edit), ("delete", self.delete),
                ("call", self.call), ("import", self.import_file),
                ("export", self.export_file), ("close", self.close))):
            button = ttk.Button(actions, command=command)
            button.grid(row=0, column=place, padx=(0, 12 if name in ("call", "export") else 4))
            self.buttons[name] = button
        if not ctx.may("import_export"):  # the local user's permissions (权限设置)
            for name in ("import", "export"):
                self.buttons[name].state(["disabled"])
        self._table(body)
        self.message = MessageLine(body, wraplength=760)
        self.message.grid(row=4, column=0, sticky="w", pady=(6, 0))
        self.loading = False
        self.relabel()
        self.show()
        self.search.focus_set()
        self.refresh(0)

    def _table(self, body: ttk.Frame) -> None:
        table = ttk.Frame(body)
        table.grid(row=2, column=0, sticky="nsew")
        body.rowconfigure(2, weight=1)
        body.columnconfigure(0, weight=1)
        self.tree = ttk.Treeview(table, columns=model.COLUMNS, show="headings",
                                 selectmode="browse", height=16)
        for column in model.COLUMNS:
            self.tree.column(column, width=_WIDTHS[column], stretch=column != "marks")
        scroll = ttk.Scrollbar(table, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=scroll.set)
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        table.rowconfigure(0, weight=1)
        table.columnconfigure(0, weight=1)
        self.tree.tag_configure("vip", foreground="#0d47a1")
        self.tree.tag_configure("blacklist", foreground="#c62828")
        self.tree.bind("<Double-1>", lambda _e: self.edit())
        self.tree.bind("<Return>", lambda _e: self.edit())
        self.tree.bind("<Delete>", lambda _e: self.delete())
        pages = ttk.Frame(body)
        pages.grid(row=3, column=0, sticky="ew", pady=(6, 0))
        self.button_previous = ttk.Button(
            pages, command=lambda: self.refresh(max(0, self.requested - 1)))
        self.button_previous.grid(row=0, column=0)
        self.page_label = ttk.Label(pages)
        self.page_label.grid(row=0, column=1, padx=10)
        self.button_next = ttk.Button(pages, command=lambda: self.refresh(self.requested + 1))
        self.button_next.grid(row=0, column=2)

    def relabel(self) -> None:
        text = self.catalogue.text
        self.search_label.configure(text=text("customers.search"))
        self.search_hint.configure(text=text("customers.search_hint"))
        for name, button in self.buttons.items():
            button.configure(text=text(f"customers.{name}"))
        for column in model.COLUMNS:
            self.tree.heading(column, text=text(f"customers.col.{column}"))
        self.button_previous.configure(text=text("customers.previous"))
        self.button_next.configure(text=text("customers.next"))
        self._show_page(self.page)

    # ------------------------------------------------------------------ the list
    def _search_soon(self) -> None:
        if self._search_job:
            self.after_cancel(self._search_job)
        self._search_job = self.after(SEARCH_DELAY_MS, lambda: self.refresh(0))

    def refresh(self, page: int | None = None) -> None:
        """Ask the store for ``page`` (the current one by default) of the search's rows."""
        if self._search_job:
            self.after_cancel(self._search_job)
            self._search_job = ""
        self._generation += 1
        generation = self._generation
        text = self.search.get()
        wanted = self.requested if page is None else page
        self.requested = wanted
        store = self.ctx.store
        self.loading = True
        self.ctx.run_in_worker(lambda: model.load_page(store, text, wanted),
                               lambda result: self._loaded(generation, result), self._failed)

    def _loaded(self, generation: int, page: model.CustomerPage) -> None:
        if generation != self._generation or not self.alive():
            return  # an older search's answer
        self.loading = False
        self.page = page
        self.requested = page.page
        self._show_page(page)

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        if self.alive():
            self.message.show_error(self.ctx.error_text(exc))

    def _show_page(self, page: model.CustomerPage) -> None:
        selected = self.selected()
        self.tree.delete(*self.tree.get_children())
        self._rows.clear()
        for customer in page.rows:
            tags = [t for t, on in (("vip", customer.vip), ("blacklist", customer.blacklist))
                    if on]
            iid = str(customer.id)
            self.tree.insert("", "end", iid=iid, tags=tags,
                             values=model.row_values(customer, self.catalogue))
            self._rows[iid] = customer
        if selected is not None and str(selected.id) in self._rows:
            self.tree.selection_set(str(selected.id))
        elif page.rows:
            self.tree.selection_set(str(page.rows[0].id))
            self.tree.focus(str(page.rows[0].id))
        self.page_label.configure(text=self.catalogue.text(
            "customers.page", page=page.page + 1, pages=page.pages, total=page.total))
        self.button_previous.state(["!disabled"] if page.has_previous else ["disabled"])
        self.button_next.state(["!disabled"] if page.has_next else ["disabled"])

    def selected(self) -> Customer | None:
        chosen = self.tree.selection()
        return self._rows.get(chosen[0]) if chosen else None

    def select(self, customer_id: int) -> None:
        iid = str(customer_id)
        if iid in self._rows:
            self.tree.selection_set(iid)
            self.tree.focus(iid)
            self.tree.see(iid)

    def _need_selection(self) -> Customer | None:
        customer = self.selected()
        if customer is None:
            self.message.show_error(self.catalogue.text("customers.pick_one"))
        return customer

    # ------------------------------------------------------------------ actions
    def new(self) -> CustomerDialog:
        return CustomerDialog(self, self.ctx, Customer(), on_saved=self._saved)

    def edit(self) -> CustomerDialog | None:
        customer = self._need_selection()
        if customer is None:
            return None
        return CustomerDialog(self, self.ctx, customer, on_saved=self._saved)

    def _saved(self, customer: Customer) -> None:
        if self.alive():
            self.refresh()

    def delete(self) -> None:
        customer = self._need_selection()
        if customer is None:
            return
        name = customer.name or ",".join(customer.numbers())
        if not confirm(self.ctx, self, self.catalogue.text("customers.delete"),
                       self.catalogue.text("customers.confirm_delete", name=name)):
            return
        store = self.ctx.store

        def failed(exc: BaseException) -> None:
            if not self.alive():
                return
            if isinstance(exc, VersionConflict):
                key = ("customers.deleted_meanwhile" if exc.current is None
                       else "customer.conflict")
                self.message.show_error(self.catalogue.text(key, name=name))
                self.refresh()
            elif isinstance(exc, ShareUnavailable):  # queued: replayed when the share is back
                self.message.show_info(self.catalogue.text("dialog.queued"))
                self.ctx.writes_kept()
            else:
                self._failed(exc)
        self.ctx.run_in_worker(lambda: store.delete_customer(customer.id, customer.version),
                               lambda _none: self._saved(customer), failed)

    def call(self) -> None:
        customer = self._need_selection()
        if customer is None:
            return
        number = model.first_number(customer)
        if not number:
            self.message.show_error(self.catalogue.text("customers.no_number",
                                                        name=customer.name))
        elif self.ctx.dial is None:
            self.message.show_error(self.catalogue.text("customer.no_phone"))
        else:
            self.message.show_info(self.catalogue.text("customers.calling", number=number))
            self.ctx.dial(number)

    def _may_import_export(self) -> bool:
        if self.ctx.may("import_export"):
            return True
        self.message.show_error(self.catalogue.text(
            "local.not_allowed", user=self.ctx.extra.get("local_user", ""),
            area=self.catalogue.text("area.import_export")))
        return False

    def import_file(self) -> ImportWindow | None:
        if not self._may_import_export():
            return None
        chosen = ask_open_file(self.ctx, self, self.catalogue.text("import.title"), FILE_TYPES)
        if not chosen:
            return None
        path = Path(chosen)
        if model.file_format(path) is None:
            self.message.show_error(self.catalogue.text("customers.bad_format", name=path.name))
            return None
        return ImportWindow(self, self.ctx, path, on_end=self._saved)

    def export_file(self) -> None:
        if not self._may_import_export():
            return
        chosen = ask_save_file(self.ctx, self, self.catalogue.text("customers.export"),
                               FILE_TYPES, initial="customers.csv")
        if not chosen:
            return
        path = Path(chosen)
        if model.file_format(path) is None:
            self.message.show_error(self.catalogue.text("customers.bad_format", name=path.name))
            return
        store = self.ctx.store
        self.message.show_info(self.catalogue.text("common.working"))

        def done(count: int) -> None:
            if self.alive():
                self.message.show_done(self.catalogue.text("export.done", count=count,
                                                           path=path))

        def failed(exc: BaseException) -> None:
            if self.alive():
                self.message.show_error(self.catalogue.text(
                    "export.failed", message=self.ctx.error_text(exc)))
        self.ctx.run_in_worker(lambda: model.export_customers(store, path), done, failed)


class ImportWindow(DialogWindow):
    """An import's progress (a bar, rows read, 取消) and then its report."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, path: Path,
                 on_end: object = None) -> None:
        super().__init__(parent, ctx, "import.title", modal=True)
        self.job = model.ImportJob(ctx.store, path)
        self._on_end = on_end
        self.finished = False
        body = ttk.Frame(self, padding=12)
        body.grid(sticky="nsew")
        self.path = path
        self.label = ttk.Label(body, text=self.catalogue.text("import.running", name=path.name))
        self.label.grid(row=0, column=0, sticky="w")
        self.bar = ttk.Progressbar(body, length=380, mode="indeterminate")
        self.bar.grid(row=1, column=0, sticky="ew", pady=(8, 4))
        self.count = ttk.Label(body, text="")
        self.count.grid(row=2, column=0, sticky="w")
        self.report = tk.Text(body, height=10, width=60, wrap="word")
        self.report_scroll = ttk.Scrollbar(body, orient="vertical", command=self.report.yview)
        self.report.configure(yscrollcommand=self.report_scroll.set)
        self.message = MessageLine(body, wraplength=420)
        self.message.grid(row=4, column=0, sticky="w", pady=(6, 0))
        self.button = ttk.Button(body, text=self.catalogue.text("import.cancel"),
                                 command=self.cancel)
        self.button.grid(row=5, column=0, sticky="e", pady=(8, 0))
        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.bind("<Escape>", lambda _e: self.cancel())
        self.show()
        self.bar.start(20)
        self._poll_job = self.after(PROGRESS_POLL_MS, self._poll)
        ctx.run_in_worker(self.job.run, self._done, self._failed)

    def _poll(self) -> None:
        if not self.alive() or self.finished:
            return
        done = self.job.done
        self.count.configure(text=self.catalogue.text("import.progress", done=done))
        self._poll_job = self.after(PROGRESS_POLL_MS, self._poll)

    def cancel(self) -> None:
        """取消 while it runs (nothing is imported); 关闭 once it ended."""
        if self.finished:
            self.close()
        else:
            self.job.cancel()
            self.button.state(["disabled"])

    def _end(self) -> None:
        self.finished = True
        self.after_cancel(self._poll_job)
        self.label.configure(text=self.catalogue.text("import.ended", name=self.path.name))
        self.bar.stop()
        self.bar.configure(mode="determinate", maximum=1, value=1)
        self.button.configure(text=self.catalogue.text("import.close"))
        self.button.state(["!disabled"])
        if callable(self._on_end):
            self._on_end(None)

    def _done(self, report: ImportReport) -> None:
        if not self.alive():
            return
        self._end()
        if self.job.cancelled and report.taken == 0:
            self.message.show_error(self.catalogue.text("import.cancelled"))
            return
        lines = model.report_lines(report, self.catalogue)
        if report.taken:
            self.message.show_done(lines[0])
        else:
            self.message.show_error(lines[0])
        if len(lines) > 1:
            self.report.grid(row=3, column=0, sticky="nsew", pady=(6, 0))
            self.report_scroll.grid(row=3, column=1, sticky="ns", pady=(6, 0))
            self.report.insert("1.0", "\n".join(lines[1:]))
            self.report.configure(state="disabled")

    def _failed(self, exc: BaseException) -> None:
        if not self.alive():
            return
        self._end()
        if self.job.cancelled:
            self.message.show_error(self.catalogue.text("import.cancelled"))
        else:
            self.message.show_error(self.catalogue.text("import.failed",
                                                        message=self.ctx.error_text(exc)))


def open_customers(parent: tk.Misc, ctx: DialogContext) -> CustomersWindow:
    """客户资料 (the contract's entry point): the open window raised, or a new one."""
    window = ctx.extra.get("customers_window")
    if isinstance(window, CustomersWindow) and window.alive():
        window.deiconify()
        window.lift()
        window.search.focus_set()
        return window
    window = CustomersWindow(parent, ctx)
    ctx.extra["customers_window"] = window
    return window
