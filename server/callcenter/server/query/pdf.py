"""The printed call-record report (PDF), shared by ``records export --format pdf`` and the
console's print.

``render_pdf(rows, summary, title, out)`` draws landscape A4 pages with reportlab's canvas: a
title line, the Chinese column titles, one line per record, page numbers, and at the end the
totals (and the per-group lines of a ``Summary`` when one is given).

Fonts: a text is drawn in runs of two fonts. ``LATIN_FONT`` (Helvetica, which every PDF
reader and Ghostscript have, not embedded) draws what it can show -- digits, Latin letters,
punctuation, the characters of Windows-1252 -- and the Chinese font (``cjk_font()``) the
rest. The Chinese font is embedded (the glyphs used, as a subset) so that the report prints
on a computer without one: the first TrueType font of ``CJK_FONT_FILES`` found on this
computer (Droid Sans Fallback from Debian's fonts-droid-fallback, else WenQuanYi Micro Hei;
reportlab cannot embed the CFF outlines of the Noto CJK collections). With none of them the
report falls back to the CID font ``CJK_CID_FONT`` (STSong-Light), referenced, not embedded:
every PDF reader has it, but a computer without a Chinese font shows no Chinese. Helvetica
stays for the Latin runs either way, because Ghostscript (the console's print preview, a
CUPS printer filtering through it) draws STSong-Light with a substitute that has no Latin
glyphs. A cell wider than its column is cut by its drawn width, with "…"; money and
durations are right-aligned in their columns.

Rows are drawn as they come; a PDF is held in memory until saved, so it is capped at
``PDF_MAX_ROWS`` records (use CSV or XLSX for more).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from callcenter.server.query.export import Totals, about_text, call_type_words, duration_text
from callcenter.server.query.search import RecordView
from callcenter.server.query.summary import Summary
from callcenter.server.store.settings import site_zone

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

#: The CID font referenced (not embedded) when no TrueType Chinese font is found.
CJK_CID_FONT: Final = "STSong-Light"
#: (reportlab font name, file, font index in a collection) of the TrueType Chinese fonts
#: embedded, the first found used.
CJK_FONT_FILES: tuple[tuple[str, str, int], ...] = (
    ("DroidSansFallback", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("WenQuanYiMicroHei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
)
LATIN_FONT: Final = "Helvetica"
PDF_MAX_ROWS: Final = 100_000
ELLIPSIS: Final = "…"

#: (title, width in points) per printed column, left to right from the margin.
PRINTED_COLUMNS: Final = (
    ("序号", 48), ("开始时间", 112), ("端口", 40), ("分机号", 48), ("外线", 34), ("号码", 110),
    ("时长", 54), ("费用", 54), ("类型", 30), ("账号", 50), ("业务/说明", 120),
)
#: The printed columns drawn right-aligned (money and durations).
RIGHT_ALIGNED: Final = frozenset({"时长", "费用"})
#: The page's margin on every side, in points (the first column starts there).
PAGE_MARGIN: Final = 30.0
#: Space kept free at the right of a cell, in points.
CELL_GAP: Final = 3.0
#: Space kept free at the right of a right-aligned cell (the next column's text starts at
#: its left edge), in points.
RIGHT_GAP: Final = 8.0
#: The widest glyph of both fonts, in ems (Helvetica's "@"; a Chinese character is 1): a
#: text of n characters is at most n * size * _WIDEST points wide.
_WIDEST: Final = 1.02


class ReportTooLarge(ValueError):
    """More rows than a PDF report takes; the text says what to do."""


def _latin_class() -> str:
    """A regular-expression class of the characters Helvetica draws (its WinAnsi encoding,
    Windows-1252; control characters left out)."""
    chars = []
    for byte in range(0x20, 0x100):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d: nothing there
            continue
    return "[" + "".join(re.escape(c) for c in chars) + "]"


_LATIN: Final = _latin_class()
_RUNS: Final = re.compile(f"({_LATIN}+)|((?:(?!{_LATIN}).)+)", re.DOTALL)


def text_runs(text: str) -> list[tuple[str, str]]:
    """``text`` as ``(font, run)`` pieces in order: ``LATIN_FONT`` for the characters it has,
    ``cjk_font()`` for the others."""
    if text.isascii():
        return [(LATIN_FONT, text)] if text else []
    cjk = cjk_font()
    return [(LATIN_FONT, latin) if latin else (cjk, other)
            for latin, other in _RUNS.findall(text)]


@functools.cache
def cjk_font() -> str:
    """The name of the Chinese font of the reports, registered with reportlab (once): the
    first of ``CJK_FONT_FILES`` that exists and loads, else ``CJK_CID_FONT``."""
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415 - only reports
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: PLC0415
    from reportlab.pdfbase.ttfonts import TTFError, TTFont  # noqa: PLC0415

    registered = pdfmetrics.getRegisteredFontNames()
    for name, file, index in CJK_FONT_FILES:
        if name in registered:
            return name
        if Path(file).is_file():
            try:
                pdfmetrics.registerFont(TTFont(name, file, subfontIndex=index))
            except (TTFError, OSError):  # not a font reportlab can embed: the next one
                continue
            return name
    if CJK_CID_FONT not in registered:
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_CID_FONT))
    return CJK_CID_FONT


def register_fonts() -> None:
    """Make the reports' Chinese font known to reportlab (Helvetica always is)."""
    cjk_font()


def text_width(text: str, size: float) -> float:
    """The drawn width of ``text`` at ``size`` points (each run in its font)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: PLC0415 - only reports

    register_fonts()
    return float(sum(stringWidth(run, font, size) for font, run in text_runs(text)))


def fit(text: str, width: float, size: float) -> str:
    """``text``, or as much of it as fits ``width`` points followed by "…"."""
    if len(text) * size * _WIDEST <= width or text_width(text, size) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis: bisected
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(text[:middle] + ELLIPSIS, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + ELLIPSIS


def draw_text(pdf: Canvas, x: float, y: float, text: str, size: float) -> None:
    """``text`` at ``(x, y)`` (its baseline's left end), each run in its font."""
    draw_line(pdf, y, [(x, text)], size)


def draw_line(pdf: Canvas, y: float, texts: list[tuple[float, str]], size: float) -> None:
    """Texts on one baseline ``y``, each at its ``x``, in one PDF text object (a font is
    set only when a run needs another one than the run before)."""
    line = pdf.beginText(0, y)
    font_now = ""
    for x, text in texts:
        line.setTextOrigin(x, y)
        for font, run in text_runs(text):
            if font != font_now:
                line.setFont(font, size)
                font_now = font
            line.textOut(run)
    pdf.drawText(line)


def _cells(view: RecordView) -> list[str]:
    return [str(view.seq), view.start.strftime("%Y-%m-%d %H:%M:%S"), view.port, view.extension,
            view.trunk, view.number, duration_text(view.duration), f"{view.cost:.2f}",
            call_type_words(view.call_type), view.account, about_text(view)]


class _Report:
    """One PDF being drawn: pages with a title and the column titles, then lines of text."""

    MARGIN: Final = PAGE_MARGIN
    LINE: Final = 13.0
    SIZE: Final = 8.0  # a record line's and the header's size; the title 13, headings 9

    def __init__(self, title: str, out: Path | str | IO[bytes]) -> None:
        from reportlab.lib.pagesizes import A4, landscape  # noqa: PLC0415 - only reports
        from reportlab.pdfgen import canvas  # noqa: PLC0415

        register_fonts()
        self.width, self.height = landscape(A4)
        target = str(out) if isinstance(out, Path) else out
        self.pdf = canvas.Canvas(target, pagesize=(self.width, self.height))
        self.pdf.setTitle(title)
        self.title = title
        self.printed = datetime.now(site_zone()).strftime("%Y-%m-%d %H:%M")
        self.page = 0
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        pdf, margin = self.pdf, self.MARGIN
        if self.page:
            pdf.showPage()
        self.page += 1
        top = self.height - margin - 4
        draw_text(pdf, margin, top, self.title, 13)
        corner = f"打印 {self.printed}  第 {self.page} 页"
        draw_text(pdf, self.width - margin - text_width(corner, self.SIZE), top, corner,
                  self.SIZE)
        self.y = self.height - margin - 26
        x, titles = margin, []
        for text, w in PRINTED_COLUMNS:
            at = x + w - RIGHT_GAP - text_width(text, 9) if text in RIGHT_ALIGNED else x
            titles.append((at, text))
            x += w
        draw_line(pdf, self.y, titles, 9)
        pdf.line(margin, self.y - 3, self.width - margin, self.y - 3)
        self.y -= self.LINE + 2

    def record(self, cells: list[str]) -> None:
        if self.y < self.MARGIN + self.LINE:
            self.new_page()
        x, texts = self.MARGIN, []
        for (title, w), cell in zip(PRINTED_COLUMNS, cells, strict=True):
            if cell:
                right = title in RIGHT_ALIGNED
                shown = fit(cell, w - (RIGHT_GAP if right else CELL_GAP), self.SIZE)
                at = x + w - RIGHT_GAP - text_width(shown, self.SIZE) if right else x
                texts.append((at, shown))
            x += w
        draw_line(self.pdf, self.y, texts, self.SIZE)
        self.y -= self.LINE

    def closing(self, lines: list[str]) -> None:
        self.y -= 6
        self.pdf.line(self.MARGIN, self.y + self.LINE - 2, self.width - self.MARGIN,
                      self.y + self.LINE - 2)
        for text in lines:
            if self.y < self.MARGIN + self.LINE:
                self.new_page()
            draw_text(self.pdf, self.MARGIN, self.y, text, 9)
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
