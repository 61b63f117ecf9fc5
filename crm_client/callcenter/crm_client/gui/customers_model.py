"""The 客户资料 manager without Tk (C-4, manual 2-4): one page of the search, the list's
columns, and an import or export job that the view watches.

The manager never loads every customer: ``load_page`` asks the store for the count and one
page (``PAGE_SIZE`` rows) of the search, in a worker thread.  ``ImportJob`` runs
``store.importer.import_customers`` with a progress callback and a cancel flag; the view polls
``ImportJob.progress`` from ``after()`` (plain ints, written by the worker) and shows the
report of taken and refused rows when it ends.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from callcenter.crm_client.gui import strings
from callcenter.crm_client.store import CrmStore, Customer, exporter, importer

strings.add_texts({
    "customers.title": ("客户资料", "Customers"),
    "customers.search": ("查找", "Find"),
    "customers.search_hint": ("客户名称、公司或号码", "name, company or number"),
    "customers.new": ("新增", "New"),
    "customers.edit": ("编辑", "Edit"),
    "customers.delete": ("删除", "Delete"),
    "customers.call": ("呼叫", "Call"),
    "customers.file": ("文件", "File"),
    "customers.import": ("导入…", "Import…"),
    "customers.export": ("导出…", "Export…"),
    "customers.close": ("返回", "Back"),
    "customers.previous": ("上一页", "Previous"),
    "customers.next": ("下一页", "Next"),
    "customers.page": ("第 {page}/{pages} 页，共 {total} 条", "Page {page} of {pages}, {total} "
                       "customers"),
    "customers.loading": ("正在查找…", "Searching…"),
    "customers.col.name": ("客户名称", "Name"),
    "customers.col.company": ("公司名称", "Company"),
    "customers.col.phones": ("电话号码", "Phone numbers"),
    "customers.col.mobile": ("手机", "Mobile"),
    "customers.col.department": ("受理部门", "Department"),
    "customers.col.marks": ("标记", "Marks"),
    "customers.mark.vip": ("重要", "VIP"),
    "customers.mark.blacklist": ("黑名单", "Blacklist"),
    "customers.pick_one": ("请先在列表中选择一个客户", "Select a customer in the list first"),
    "customers.no_number": ("客户“{name}”没有电话号码", "Customer “{name}” has no number"),
    "customers.confirm_delete": ("删除客户“{name}”吗？此操作不能撤消。",
                                 "Delete the customer “{name}”? This cannot be undone."),
    "customers.deleted_meanwhile": ("客户“{name}”已被另一台电脑删除", "Another PC deleted the "
                                    "customer “{name}”"),
    "customers.calling": ("正在呼叫 {number}…", "Calling {number}…"),
    "customers.file_types": ("客户文件", "Customer files"),
    "customers.bad_format": ("文件：只能导入或导出 .csv 或 .xlsx 文件（“{name}”）",
                             "File: only .csv or .xlsx files (“{name}”)"),
    "import.title": ("导入客户资料", "Import customers"),
    "import.running": ("正在导入 {name}…", "Importing {name}…"),
    "import.ended": ("导入结束：{name}", "Import ended: {name}"),
    "import.progress": ("已导入 {done} 行", "{done} rows in"),
    "import.cancel": ("取消", "Cancel"),
    "import.close": ("关闭", "Close"),
    "import.cancelled": ("导入已取消，没有导入任何客户", "Import cancelled: nothing was imported"),
    "import.failed": ("导入失败，没有导入任何客户：{message}", "Import failed, nothing was "
                      "imported: {message}"),
    "import.done": ("导入 {taken} 个客户，拒绝 {refused} 行", "{taken} customers imported, "
                    "{refused} rows refused"),
    "import.refused_row": ("第 {row} 行：{reason}", "Row {row}: {reason}"),
    "export.done": ("已导出 {count} 个客户到 {path}", "{count} customers exported to {path}"),
    "export.failed": ("导出失败：{message}", "Export failed: {message}"),
})

PAGE_SIZE: Final = 50
COLUMNS: Final = ("name", "company", "phones", "mobile", "department", "marks")
FORMATS: Final = {".csv": "csv", ".xlsx": "xlsx"}


@dataclass(frozen=True)
class CustomerPage:
    """One page of a search: ``page`` counts from 0; ``total`` is the search's count."""

    text: str
    page: int
    total: int
    rows: tuple[Customer, ...]
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


def load_page(store: CrmStore, text: str, page: int, page_size: int = PAGE_SIZE) -> CustomerPage:
    """The count and one page of the search (a worker runs this); a page past the end
    becomes the last one."""
    text = text.strip()
    total = store.count_customers(text)
    pages = max(1, -(-total // page_size))
    page = min(max(0, page), pages - 1)
    rows = store.search_customers(text, limit=page_size, offset=page * page_size)
    return CustomerPage(text, page, total, tuple(rows), page_size)


def row_values(customer: Customer, catalogue: strings.Catalogue) -> tuple[str, ...]:
    """The list's cells for one customer, in ``COLUMNS`` order."""
    marks = []
    if customer.vip:
        marks.append(catalogue.text("customers.mark.vip"))
    if customer.blacklist:
        marks.append(catalogue.text("customers.mark.blacklist"))
    return (customer.name, customer.company, ",".join(customer.phones), customer.mobile,
            customer.department, " ".join(marks))


def first_number(customer: Customer) -> str:
    """The number 呼叫 dials: the first phone number, else the mobile ("" when none)."""
    numbers = customer.numbers()
    return numbers[0] if numbers else ""


def file_format(path: Path) -> str | None:
    """"csv" or "xlsx" from the file's suffix; None for anything else."""
    return FORMATS.get(path.suffix.lower())


def export_customers(store: CrmStore, path: Path) -> int:
    """Write every customer to ``path`` in the format its suffix names (a worker runs this);
    how many."""
    fmt = file_format(path)
    if fmt is None:
        raise ValueError(path.name)
    return exporter.export_customers(store, path, fmt)


@dataclass
class ImportJob:
    """One import of a customer file: ``run`` in a worker, ``cancel`` from the Tk thread,
    ``done`` (rows inserted so far) read by the view's ``after()`` poll."""

    store: CrmStore
    path: Path
    done: int = 0
    _cancel: threading.Event = field(default_factory=threading.Event)

    def run(self) -> importer.ImportReport:
        return importer.import_customers(self.store, self.path, progress=self._progress,
                                         cancelled=self._cancel.is_set)

    def _progress(self, done: int) -> None:
        self.done = done

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


def report_lines(report: importer.ImportReport, catalogue: strings.Catalogue,
                 limit: int = 200) -> list[str]:
    """The summary line and the first ``limit`` refused rows with their reason."""
    lines = [catalogue.text("import.done", taken=report.taken, refused=len(report.refused))]
    for row, reason in list(report.refused)[:limit]:
        lines.append(catalogue.text("import.refused_row", row=row, reason=reason))
    if len(report.refused) > limit:
        lines.append("…")
    return lines
