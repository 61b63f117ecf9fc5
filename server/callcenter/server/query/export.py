"""Record export: CSV (English column names), XLSX (Chinese titles) and the summary row.

Both writers take an iterator of ``RecordView`` and stream: the CSV writes as it reads, the
XLSX uses openpyxl's write-only workbook (a new sheet every million rows, the format's limit).
Money is a plain decimal ("0.44"); ``start`` is ISO 8601 with the PBX's offset. The last two
columns are the current rating's tariff version and receipt (how the cost was reached).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

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


def duration_text(seconds: int) -> str:
    """``h:mm:ss`` as printed on reports."""
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def write_xlsx(rows: Iterable[RecordView], path: Path | IO[bytes], title: str) -> Totals:
    """An XLSX workbook: the Chinese column titles, one row per record, the totals at the end."""
    from openpyxl import Workbook  # noqa: PLC0415 - only exports need openpyxl

    book = Workbook(write_only=True)
    totals = Totals()
    sheet: Any = None
    in_sheet = XLSX_SHEET_ROWS
    for view in rows:
        if in_sheet >= XLSX_SHEET_ROWS:
            sheet = book.create_sheet("话单" if sheet is None else f"话单{len(book.worksheets)+1}")
            sheet.append([title])
            sheet.append(list(ZH_TITLES))
            in_sheet = 0
        values: list[Any] = row_values(view)
        values[0], values[6], values[7] = view.seq, view.duration, view.cost
        values[13] = "是" if view.unknown else ""
        sheet.append(values)
        in_sheet += 1
        totals.add(view)
    if sheet is None:
        sheet = book.create_sheet("话单")
        sheet.append([title])
        sheet.append(list(ZH_TITLES))
    sheet.append([])
    sheet.append(["合计", f"{totals.count} 条", "", "", "", "", totals.duration, totals.cost])
    sheet.append(["", "", "", "", "", "", duration_text(totals.duration)])
    book.save(path)
    return totals
