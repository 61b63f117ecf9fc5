"""Exporting customers and the call log as CSV or XLSX.

Columns are headed with the manual's labels (客户名称, 电话号码, ...: ``CUSTOMER_LABELS``), so an
exported customer file imports again as it is (``importer`` recognises them). Several phone
numbers share one cell, separated by commas; VIP and blacklist are 是 or 否. Call times are
written at their recorded UTC offset (``2026-12-03 16:54:30+08:00``).

CSV written to a file starts with a UTF-8 BOM (so Excel reads the Chinese right); CSV written
to a text stream (standard output) has none. XLSX needs a path or a binary stream.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

import openpyxl

from callcenter.crm_client.store.crm_store import CrmStore
from callcenter.crm_client.store.records import CUSTOMER_LABELS, CallEntry, Customer, StoreError

__all__ = ["CALL_COLUMNS", "FORMATS", "export_calls", "export_customers"]

FORMATS: Final = ("csv", "xlsx")
_PAGE: Final = 5_000

#: Call-log columns: the call-record area's (序号 ... 来电时间), then the rest.
CALL_COLUMNS: Final = ("序号", "来电号码", "客户名称", "描述", "座席", "来电时间", "方向", "接听",
                       "通话秒数", "用户", "key")
_DIRECTION: Final = {"in": "呼入", "out": "呼出", "internal": "内部"}


def _customer_row(c: Customer) -> list[str]:
    row = []
    for name in CUSTOMER_LABELS:
        value = getattr(c, name)
        if name == "phones":
            value = ",".join(value)
        elif isinstance(value, bool):
            value = "是" if value else "否"
        row.append(value)
    return row


def _customers(store: CrmStore) -> Iterator[list[Any]]:
    yield list(CUSTOMER_LABELS.values())
    offset = 0
    while True:
        page = store.search_customers("", limit=_PAGE, offset=offset)
        for c in page:
            yield _customer_row(c)
        if len(page) < _PAGE:
            return
        offset += _PAGE


def _call_row(n: int, e: CallEntry) -> list[Any]:
    return [n, e.number, e.name, e.description, e.extension,
            e.time.isoformat(sep=" ", timespec="seconds"), _DIRECTION.get(e.direction, e.direction),
            "是" if e.answered else "否", e.duration, e.user, e.key]


def _calls(store: CrmStore) -> Iterator[list[Any]]:
    yield list(CALL_COLUMNS)
    total = store.count_calls()
    offset = 0
    while offset < total:
        page = store.calls(limit=_PAGE, offset=offset)
        if not page:
            return
        for i, e in enumerate(page):
            yield _call_row(total - offset - i, e)  # 序号: the newest has the highest number
        offset += len(page)


def _write(rows: Iterator[list[Any]], target: Path | IO[str] | IO[bytes], fmt: str,
           sheet: str) -> int:
    if fmt not in FORMATS:
        raise StoreError(f"format {fmt!r}: allowed {', '.join(FORMATS)}")
    count = -1
    if fmt == "csv":
        if isinstance(target, Path):
            with target.open("w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                for row in rows:
                    writer.writerow(row)
                    count += 1
            return count
        if isinstance(target, io.BufferedIOBase | io.RawIOBase):
            raise StoreError("CSV export: give a text stream or a path")
        writer = csv.writer(target)  # type: ignore[arg-type]  # a text stream here
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    for row in rows:
        ws.append(row)
        count += 1
    book.save(target)
    return count


def export_customers(store: CrmStore, target: Path | IO[str] | IO[bytes], fmt: str) -> int:
    """Write every customer (name order) to ``target``; how many."""
    return _write(_customers(store), target, fmt, "客户资料")


def export_calls(store: CrmStore, target: Path | IO[str] | IO[bytes], fmt: str) -> int:
    """Write the whole call log (newest first) to ``target``; how many calls."""
    return _write(_calls(store), target, fmt, "来电记录")
