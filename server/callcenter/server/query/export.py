"""Record export: CSV (English column names), XLSX (Chinese titles), the report title.

Both writers take an iterator of ``RecordView`` and stream: the CSV writes as it reads, the
XLSX uses openpyxl's write-only workbook (a new sheet every million rows, the format's limit).
The CSV is for programs: money a plain decimal ("0.44"), ``start`` ISO 8601 with the PBX's
offset, ``OUT``/``IN``/``INT``, ``unknown`` yes/no. The XLSX is for people and speaks as the
printed report does: the start a real date-time (the PBX's local time: Excel has no zones),
money in a money format, numbers as numbers, 出/入/内, an unknown number's 说明 reading
未知号码, set column widths and the title rows frozen. The last two columns of both are the
current rating's tariff version and receipt (how the cost was reached). ``report_title``
words a filter set for the XLSX and PDF title (``话单 2026-11 · 端口 805``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

from callcenter.server.query.filters import Filters
from callcenter.server.query.search import RecordView

#: (English name, Chinese title) per exported column, in order.
COLUMNS: Final = (
    ("seq", "序号"), ("start", "开始时间"), ("port", "端口"), ("extension", "分机号"),
    ("trunk", "外线"), ("number", "号码"), ("duration", "时长"), ("cost", "费用"),
    ("call_type", "呼叫类型"), ("caller", "主叫"), ("account", "账号"),
    ("service_type", "业务类型"), ("description", "说明"), ("unknown", "未知号码"),
    ("pbx", "交换机"), ("tariff_version", "费率版本"), ("receipt", "计费明细"),
)
CSV_HEADER: Final = tuple(name for name, _ in COLUMNS)
ZH_TITLES: Final = tuple(title for _, title in COLUMNS)
XLSX_SHEET_ROWS: Final = 1_000_000
#: The words of the XLSX and the printed report for a call type.
CALL_TYPE_WORDS: Final = {"OUT": "出", "IN": "入", "INT": "内"}
#: What 说明 reads for a number no tariff row matched (XLSX, PDF).
UNKNOWN_WORDS: Final = "未知号码"
#: XLSX number formats: the start, money (yuan with two places).
XLSX_DATE_FORMAT: Final = "yyyy-mm-dd hh:mm:ss"
XLSX_MONEY_FORMAT: Final = "#,##0.00"
#: XLSX column widths (in characters: a Chinese character counts two), in COLUMNS order.
XLSX_WIDTHS: Final = (8, 20, 7, 8, 6, 16, 8, 10, 9, 14, 8, 9, 24, 9, 10, 14, 40)
#: Rows above the records on each XLSX sheet (the title and the column titles), kept in view.
XLSX_HEAD_ROWS: Final = 2


def row_values(view: RecordView) -> list[str]:
    """The exported text of each column of ``view``."""
    return [str(view.seq), view.start.isoformat(), view.port, view.extension, view.trunk,
            view.number, str(view.duration), f"{view.cost:.2f}", view.call_type, view.caller,
            view.account, "" if view.service_type is None else str(view.service_type),
            view.description, "yes" if view.unknown else "no", view.pbx, view.tariff_version,
            view.receipt]


@dataclass
class Totals:
    """Running totals of what was exported (for the summary at the end)."""

    count: int = 0
    duration: int = 0
    cost: Decimal = field(default_factory=lambda: Decimal("0.00"))

    def add(self, view: RecordView) -> None:
        self.count += 1
        self.duration += view.duration
        self.cost += view.cost


def write_csv(rows: Iterable[RecordView], out: IO[str], *, excel: bool = False) -> Totals:
    """CSV with a header row; ``excel`` starts with a UTF-8 byte-order mark (Excel needs it to
    read Chinese text). ``out`` is a text stream opened with ``newline=""``."""
    if excel:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    totals = Totals()
    for view in rows:
        writer.writerow(row_values(view))
        totals.add(view)
    return totals


def call_type_words(call_type: str) -> str:
    """出/入/内 for OUT/IN/INT (anything else as it is)."""
    return CALL_TYPE_WORDS.get(call_type, call_type)


def about_text(view: RecordView) -> str:
    """The 说明 of a record: its tariff row's description, else 未知号码 for an unknown
    number."""
    return view.description or (UNKNOWN_WORDS if view.unknown else "")


def _range_words(start: datetime | None, before: datetime | None) -> str:
    if start is not None and before is not None and start.day == 1 and \
            start.time() == before.time() == time(0) and before.day == 1 and \
            (before.year * 12 + before.month) - (start.year * 12 + start.month) == 1:
        return f"{start:%Y-%m}"
    def day_or_minute(moment: datetime) -> str:
        return f"{moment:%Y-%m-%d}" if moment.time() == time(0) else f"{moment:%Y-%m-%d %H:%M}"
    if start is not None and before is not None:
        last = before - timedelta(days=1) if before.time() == time(0) else before
        if before.time() == time(0) and start.time() == time(0):
            return day_or_minute(start) if last.date() == start.date() else \
                f"{day_or_minute(start)} 至 {day_or_minute(last)}"
        return f"{day_or_minute(start)} 至 {day_or_minute(before)} 前"
    if start is not None:
        return f"{day_or_minute(start)} 起"
    if before is not None:
        return f"{day_or_minute(before)} 前"
    return ""


def _span(low: Any, high: Any, unit: str) -> str:
    if low is not None and high is not None:
        return f"{low}-{high} {unit}"
    return f"{low} {unit}以上" if low is not None else f"{high} {unit}以下"


def report_title(filters: Filters) -> str:
    """A title for the XLSX and the printed report, the filters in words:
    ``话单 2026-11 · 端口 805 · 费用 0.50 元以上``; ``话单 全部记录`` for none."""
    parts = [_range_words(filters.start_from, filters.start_before)]
    named = (("port", "端口"), ("extension", "分机"), ("trunk", "外线"), ("account", "账号"),
             ("service_type", "业务类型"), ("pbx", "交换机"))
    parts += [f"{words} {getattr(filters, name)}" for name, words in named
              if getattr(filters, name) is not None]
    if filters.number is not None:
        forms = {"prefix": f"{filters.number}*", "contains": f"*{filters.number}*"}
        parts.append(f"号码 {forms.get(filters.number_mode, filters.number)}")
    if filters.call_type is not None:
        parts.append({"OUT": "呼出", "IN": "呼入", "INT": "内部通话"}.get(
            filters.call_type.upper(), filters.call_type))
    if filters.duration_min is not None or filters.duration_max is not None:
        parts.append("时长 " + _span(filters.duration_min, filters.duration_max, "秒"))
    if filters.cost_min is not None or filters.cost_max is not None:
        low = None if filters.cost_min is None else f"{filters.cost_min:.2f}"
        high = None if filters.cost_max is None else f"{filters.cost_max:.2f}"
        parts.append("费用 " + _span(low, high, "元"))
    if filters.unknown is not None:
        parts.append(UNKNOWN_WORDS if filters.unknown else "已知号码")
    shown = [part for part in parts if part]
    return "话单 " + (" · ".join(shown) if shown else "全部记录")


def duration_text(seconds: int) -> str:
    """``h:mm:ss`` as printed on reports."""
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _xlsx_values(view: RecordView) -> list[Any]:
    """A record's XLSX cells' values (before formats): numbers as numbers, the start as the
    PBX's local time without a zone (Excel has none), the report's words."""
    return [view.seq, view.start.replace(tzinfo=None), view.port, view.extension, view.trunk,
            view.number, view.duration, view.cost, call_type_words(view.call_type),
            view.caller, view.account, view.service_type, about_text(view),
            "是" if view.unknown else "", view.pbx, view.tariff_version, view.receipt]


def write_xlsx(rows: Iterable[RecordView], path: Path | IO[bytes], title: str) -> Totals:
    """An XLSX workbook: a title row and the Chinese column titles (both kept in view while
    scrolling), one row per record, the totals at the end."""
    from openpyxl import Workbook  # noqa: PLC0415 - only exports need openpyxl
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    book = Workbook(write_only=True)
    totals = Totals()
    sheet: Any = None

    def new_sheet() -> Any:
        made = book.create_sheet("话单" if sheet is None else f"话单{len(book.worksheets) + 1}")
        made.freeze_panes = f"A{XLSX_HEAD_ROWS + 1}"
        for index, width in enumerate(XLSX_WIDTHS, start=1):
            made.column_dimensions[get_column_letter(index)].width = width
        heading = WriteOnlyCell(made, title)
        heading.font = Font(bold=True, size=13)
        made.append([heading])
        titles = []
        for text in ZH_TITLES:
            cell = WriteOnlyCell(made, text)
            cell.font = Font(bold=True)
            titles.append(cell)
        made.append(titles)
        return made

    def formatted(value: Any, number_format: str) -> Any:
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = number_format
        return cell

    in_sheet = XLSX_SHEET_ROWS
    for view in rows:
        if in_sheet >= XLSX_SHEET_ROWS:
            sheet = new_sheet()
            in_sheet = 0
        values = _xlsx_values(view)
        values[1] = formatted(values[1], XLSX_DATE_FORMAT)
        values[7] = formatted(values[7], XLSX_MONEY_FORMAT)
        sheet.append(values)
        in_sheet += 1
        totals.add(view)
    if sheet is None:
        sheet = new_sheet()
    sheet.append([])
    sheet.append(["合计", f"{totals.count} 条", "", "", "", "", totals.duration,
                  formatted(totals.cost, XLSX_MONEY_FORMAT)])
    sheet.append(["", "", "", "", "", "", duration_text(totals.duration)])
    book.save(path)
    return totals
