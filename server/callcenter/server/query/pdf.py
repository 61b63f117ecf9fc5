"""The printed call-record report (PDF), shared by ``records export --format pdf`` and the
console's print.

``render_pdf(rows, summary, title, out)`` draws landscape A4 pages with reportlab's canvas: a
title line, the Chinese column titles, one line per record, page numbers, and at the end the
totals (and the per-group lines of a ``Summary`` when one is given). Chinese text uses the CID
font ``STSong-Light`` (built into reportlab and every PDF reader: nothing to embed or install).
Rows are drawn as they come; a PDF is held in memory until saved, so it is capped at
``PDF_MAX_ROWS`` records (use CSV or XLSX for more).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Final

from callcenter.server.query.export import Totals, duration_text
from callcenter.server.query.search import RecordView
from callcenter.server.query.summary import Summary

FONT: Final = "STSong-Light"
PDF_MAX_ROWS: Final = 100_000

#: (title, width in points, value) per printed column.
_COLUMNS: Final = (
    ("序号", 48), ("开始时间", 112), ("端口", 40), ("分机号", 48), ("外线", 34), ("号码", 110),
    ("时长", 54), ("费用", 54), ("类型", 30), ("账号", 50), ("业务/说明", 120),
)


class ReportTooLarge(ValueError):
    """More rows than a PDF report takes; the text says what to do."""


def _cells(view: RecordView) -> list[str]:
    kind = {"OUT": "出", "IN": "入", "INT": "内"}.get(view.call_type, view.call_type)
    about = view.description or ("未知号码" if view.unknown else "")
    return [str(view.seq), view.start.strftime("%Y-%m-%d %H:%M:%S"), view.port, view.extension,
            view.trunk, view.number, duration_text(view.duration), f"{view.cost:.2f}", kind,
            view.account, about]


class _Report:
    """One PDF being drawn: pages with a title and the column titles, then lines of text."""

    MARGIN: Final = 30.0
    LINE: Final = 13.0

    def __init__(self, title: str, out: Path | str | IO[bytes]) -> None:
        from reportlab.lib.pagesizes import A4, landscape  # noqa: PLC0415 - only reports
        from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: PLC0415
        from reportlab.pdfgen import canvas  # noqa: PLC0415

        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        self.width, self.height = landscape(A4)
        target = str(out) if isinstance(out, Path) else out
        self.pdf = canvas.Canvas(target, pagesize=(self.width, self.height))
        self.pdf.setTitle(title)
        self.title = title
        self.printed = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
        self.page = 0
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        pdf, margin = self.pdf, self.MARGIN
        if self.page:
            pdf.showPage()
        self.page += 1
        pdf.setFont(FONT, 13)
        pdf.drawString(margin, self.height - margin - 4, self.title)
        pdf.setFont(FONT, 8)
        pdf.drawRightString(self.width - margin, self.height - margin - 4,
                            f"打印 {self.printed}  第 {self.page} 页")
        self.y = self.height - margin - 26
        x = margin
        pdf.setFont(FONT, 9)
        for text, w in _COLUMNS:
            pdf.drawString(x, self.y, text)
            x += w
        pdf.line(margin, self.y - 3, self.width - margin, self.y - 3)
        self.y -= self.LINE + 2
        pdf.setFont(FONT, 8)

    def record(self, cells: list[str]) -> None:
        if self.y < self.MARGIN + self.LINE:
            self.new_page()
        x = self.MARGIN
        for (_title, w), cell in zip(_COLUMNS, cells, strict=True):
            limit = int(w / 4.6)
            self.pdf.drawString(x, self.y, cell if len(cell) <= limit else cell[:limit - 1] + "…")
            x += w
        self.y -= self.LINE

    def closing(self, lines: list[str]) -> None:
        self.y -= 6
        self.pdf.line(self.MARGIN, self.y + self.LINE - 2, self.width - self.MARGIN,
                      self.y + self.LINE - 2)
        self.pdf.setFont(FONT, 9)
        for text in lines:
            if self.y < self.MARGIN + self.LINE:
                self.new_page()
                self.pdf.setFont(FONT, 9)
            self.pdf.drawString(self.MARGIN, self.y, text)
            self.y -= self.LINE
        self.pdf.save()


def render_pdf(rows: Iterable[RecordView], summary: Summary | None, title: str,
               out: Path | str | IO[bytes]) -> Totals:
    """Draw the report of ``rows`` to ``out`` (a path or a binary file); returns the totals
    of the rows drawn. ``summary`` adds its per-group lines after the totals."""
    report = _Report(title, out)
    totals = Totals()
    for view in rows:
        if totals.count >= PDF_MAX_ROWS:
            raise ReportTooLarge(f"a PDF report takes at most {PDF_MAX_ROWS} records; narrow "
                                 "the filters or export CSV/XLSX")
        report.record(_cells(view))
        totals.add(view)
    lines = [f"合计: {totals.count} 条  时长 {duration_text(totals.duration)}  "
             f"费用 {totals.cost:.2f} 元"]
    if summary is not None and summary.rows:
        lines.append(f"分组 ({summary.by}):")
        lines += [f"  {r.label or '-'}: {r.count} 条  时长 {duration_text(r.duration)}  "
                  f"费用 {r.cost:.2f} 元" for r in summary.rows]
    report.closing(lines)
    return totals
