"""Importing customers from a CSV or XLSX file: headers recognised in Chinese or English, a
report of the rows taken and refused, all or nothing.

The first non-empty row holds the headers. Each is matched, ignoring case, spaces, ``_``, ``-``,
``.`` and a trailing colon, against ``HEADERS`` (the manual's labels, common Chinese and English
names, the field names themselves); ``mapping`` (the CLI's ``--map HEADER=field,...``) names the
field of any other header and overrides a recognised one. Several columns may feed 电话号码
(``phones``); any other field takes one column. Headers that match nothing are reported as ignored.

Each data row becomes a ``Customer`` checked as a save would be; a row that fails is refused with
its row number (as the spreadsheet numbers it: the header is row 1 when it is the first) and the
reason naming the column; blank rows are skipped. The rows taken are inserted in one transaction
(``CrmStore.insert_customers``): an error there (or a cancel) leaves nothing imported.

CSV: UTF-8 with or without BOM, else GB18030 (which reads GBK, Chinese Excel's "CSV"); comma,
semicolon or tab separated. XLSX: the first sheet (``xlsx.xlsx_rows``: its XML read directly,
three times faster than openpyxl's read-only mode).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from callcenter.crm_client.phone import numbers_in
from callcenter.crm_client.store.crm_store import CrmStore
from callcenter.crm_client.store.records import (
    CUSTOMER_LABELS,
    Customer,
    StoreError,
    check_customer,
)
from callcenter.crm_client.store.xlsx import XlsxError, xlsx_rows

__all__ = ["FIELDS", "HEADERS", "ImportError_", "ImportReport", "import_customers",
           "parse_mapping", "read_rows"]

FIELDS: Final = tuple(f.name for f in fields(Customer) if f.name not in ("id", "version"))


class ImportError_(StoreError):
    """The file cannot be imported at all (unreadable, no usable header, a bad mapping)."""


def _key(header: str) -> str:
    return re.sub(r"[\s_\-.:：*（）()]+", "", header.replace("\ufeff", "")).lower()


_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "name": ("姓名", "客户名称", "客户姓名", "名称", "客户", "联系人", "name", "customer",
             "customer name", "full name", "contact"),
    "extension": ("分机号码", "分机", "分机号", "extension", "ext"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "邮件", "email", "e-mail", "mail"),
    "phones": ("电话", "电话号码", "联系电话", "固定电话", "座机", "phone", "phones", "telephone",
               "tel", "phone number", "phone numbers"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell", "cellphone",
               "mobile phone", "cell phone"),
    "fax": ("传真", "传真号码", "fax"),
    "position": ("客户职位", "职位", "职务", "position", "job title", "title"),
    "kind": ("客户类型", "类型", "kind", "type", "customer type"),
    "customer_no": ("客户编号", "编号", "customer no", "customer number", "customer id"),
    "company": ("公司", "公司名称", "单位", "company", "company name", "organisation",
                "organization"),
    "address": ("地址", "address"),
    "handler": ("受理人", "受理报告", "handler"),
    "department": ("部门", "受理部门", "department", "dept"),
    "notes": ("备注", "描述", "描述或备注", "notes", "note", "remarks", "description", "comment"),
    "vip": ("vip", "重要客户", "important"),
    "blacklist": ("黑名单", "列入黑名单", "blacklist", "blacklisted"),
    "blacklist_reason": ("原因", "黑名单原因", "blacklist reason", "reason"),
}

#: Normalised header -> field.
HEADERS: Final[dict[str, str]] = {
    _key(alias): name
    for name in FIELDS
    for alias in (*_ALIASES[name], name, CUSTOMER_LABELS[name])
}

_TRUE: Final = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔", "vip", "t", "on"})
_FALSE: Final = frozenset({"", "否", "n", "no", "false", "0", "×", "f", "off", "-"})
_BOOLEANS: Final = ("vip", "blacklist")


@dataclass
class ImportReport:
    """What an import did: rows taken, rows refused (row number, reason), the columns used
    (header -> field) and the headers ignored."""

    taken: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def parse_mapping(text: str) -> dict[str, str]:
    """``HEADER=field,HEADER=field`` (the CLI's --map) as a dict; ImportError_ naming a bad
    pair or an unknown field (a field name or its manual label)."""
    labels = {label: name for name, label in CUSTOMER_LABELS.items()}
    mapping: dict[str, str] = {}
    for pair in re.split(r"[,，]", text):
        if not pair.strip():
            continue
        header, sep, target = pair.partition("=")
        header, target = header.strip(), target.strip()
        if not sep or not header or not target:
            raise ImportError_(f"--map: {pair.strip()!r} is not HEADER=field")
        name = target if target in FIELDS else labels.get(target)
        if name is None:
            raise ImportError_(f"--map: {target!r} (for {header!r}) is not a customer field "
                               f"(allowed: {', '.join(FIELDS)})")
        mapping[header] = name
    return mapping


def _csv_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportError_(f"{path}: not UTF-8 nor GBK text (save the CSV as UTF-8)")


def read_rows(path: Path) -> Iterator[list[str]]:
    """The rows of a CSV or XLSX file as lists of texts (ImportError_ when it cannot be read)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise ImportError_(f"{path}: not a customer file (allowed: .csv, .txt, .xlsx, .xlsm)")
    if not path.is_file():
        raise ImportError_(f"{path}: no such file")
    if suffix in (".csv", ".txt"):
        try:
            text = _csv_text(path)
        except OSError as exc:
            raise ImportError_(f"{path}: cannot read it: {exc.strerror or exc}") from None
        first = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first.count) if first else ","
        try:
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                yield [c.strip() for c in row]
        except csv.Error as exc:
            raise ImportError_(f"{path}: not a valid CSV file: {exc}") from None
        return
    try:
        yield from xlsx_rows(path)
    except XlsxError as exc:
        raise ImportError_(f"{path}: not a valid XLSX workbook: {exc}") from None


def _columns(headers: list[str], mapping: dict[str, str],
             report: ImportReport, path: Path) -> list[tuple[int, str]]:
    """(column index, field) of the columns used; ImportError_ for a bad header set."""
    by_key = {_key(k): v for k, v in mapping.items()}
    missing = [h for h in mapping if _key(h) not in {_key(x) for x in headers}]
    if missing:
        raise ImportError_(f"--map: {', '.join(repr(m) for m in missing)} is not a header of "
                           f"{path.name} (its headers: {', '.join(h for h in headers if h)})")
    used: list[tuple[int, str]] = []
    taken: dict[str, str] = {}
    for i, header in enumerate(headers):
        if not header:
            continue
        name = by_key.get(_key(header)) or HEADERS.get(_key(header))
        if name is None:
            report.ignored.append(header)
            continue
        if name in taken and name != "phones":
            raise ImportError_(f"{path.name}: columns {taken[name]!r} and {header!r} are both "
                               f"{CUSTOMER_LABELS[name]} ({name}); map one elsewhere with "
                               f"--map \"{header}=FIELD\"")
        taken[name] = header
        report.columns[header] = name
        used.append((i, name))
    if not any(name in ("name", "phones", "mobile") for _, name in used):
        raise ImportError_(f"{path.name}: no column for the name or a phone number (its "
                           f"headers: {', '.join(h for h in headers if h)}; recognised: 姓名/name, "
                           "电话/phone, 手机/mobile, ...; others with --map HEADER=field)")
    return used


def _customer(row: list[str], used: list[tuple[int, str]]) -> tuple[Customer, list[str]]:
    values: dict[str, Any] = {}
    phones: list[str] = []
    for i, name in used:
        cell = row[i] if i < len(row) else ""
        if name == "phones":
            phones.extend(numbers_in(cell) if cell else ())
            if cell and not numbers_in(cell):
                raise StoreError(f"{CUSTOMER_LABELS[name]} ({name}): {cell!r} holds no digits")
        elif name in _BOOLEANS:
            flag = cell.strip().lower()
            if flag not in _TRUE and flag not in _FALSE:
                raise StoreError(f"{CUSTOMER_LABELS[name]} ({name}): {cell!r} is not yes or no "
                                 "(是/否, yes/no, y/n, 1/0, true/false)")
            values[name] = flag in _TRUE
        else:
            values[name] = cell
    c = Customer(phones=tuple(phones), **values)
    return c, check_customer(c)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while an import builds its rows: it would walk
    the growing lists again and again (a third of the time of a 100 k-row workbook). Rows
    hold no cycles; the collector is back on (if it was) when the import ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def import_customers(store: CrmStore, path: Path, mapping: dict[str, str] | None = None,
                     progress: Callable[[int], None] | None = None,
                     cancelled: Callable[[], bool] | None = None) -> ImportReport:
    """Import the customers of ``path`` (module docstring); the report. ImportError_ when the
    file cannot be imported at all; StoreError / ShareUnavailable from the store (nothing was
    imported then). ``progress(rows inserted)`` is called as the insert goes on."""
    with _collector_paused():
        return _import(store, Path(path), mapping, progress, cancelled)


def _import(store: CrmStore, path: Path, mapping: dict[str, str] | None,
            progress: Callable[[int], None] | None,
            cancelled: Callable[[], bool] | None) -> ImportReport:
    report = ImportReport()
    rows = read_rows(path)
    used: list[tuple[int, str]] | None = None
    customers: list[tuple[Customer, list[str]]] = []
    for number, row in enumerate(rows, 1):
        if not any(row):
            continue
        if used is None:
            used = _columns(row, mapping or {}, report, path)
            continue
        try:
            customers.append(_customer(row, used))
        except StoreError as exc:
            report.refused.append((number, str(exc)))
        if cancelled is not None and number % 1000 == 0 and cancelled():
            raise StoreError("import cancelled: nothing was imported")
    if used is None:
        raise ImportError_(f"{path.name}: the file is empty (no header row)")
    report.taken = store.insert_checked(customers, progress, cancelled)
    return report
