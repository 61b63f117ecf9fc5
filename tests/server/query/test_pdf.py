"""The printed report's fonts (``query/pdf.py``): Latin runs in Helvetica, Chinese in an
embedded TrueType font (Droid Sans Fallback, fonts-droid-fallback) or, with none on the
computer, STSong-Light referenced; cells cut by their drawn width, money right-aligned, the
report's words (出/入, 未知号码); and the report drawn by Ghostscript, as the console's print
preview draws it (``console/printing.render_pages``), shows its digits, Latin letters and
Chinese (with STSong-Light alone Ghostscript's substitute font left digits blank)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from callcenter.server.console.printing import render_pages, renderer
from callcenter.server.query import pdf as pdf_module
from callcenter.server.query.pdf import (
    CJK_CID_FONT,
    CJK_FONT_FILES,
    LATIN_FONT,
    PAGE_MARGIN,
    PRINTED_COLUMNS,
    cjk_font,
    fit,
    render_pdf,
    text_runs,
    text_width,
)
from callcenter.server.query.search import RecordView

DPI = 100
needs_ghostscript = pytest.mark.skipif(
    renderer() is None, reason="needs Ghostscript (gs; apt-get install ghostscript)")
needs_a_truetype_chinese_font = pytest.mark.skipif(
    not any(Path(file).is_file() for _, file, _ in CJK_FONT_FILES),
    reason="needs a TrueType Chinese font (apt-get install fonts-droid-fallback)")

ROW = RecordView(
    id=1, pbx="pbx-a", seq=4711, start=datetime(2026, 11, 5, 10, 30, tzinfo=timezone(
        timedelta(hours=8))), port="805", extension="8123", trunk="1", number="13800138000",
    duration=185, cost=Decimal("0.44"), call_type="OUT", caller="8123", account="A-17",
    service_type=None, description="前台 Room 8", unknown=False, source="live")


def test_text_runs_put_latin_in_helvetica_and_chinese_in_the_chinese_font() -> None:
    CJK_FONT = cjk_font()  # the font of this computer
    assert text_runs("13800138000") == [(LATIN_FONT, "13800138000")]
    assert text_runs("合计: 12 条") == [(CJK_FONT, "合计"), (LATIN_FONT, ": 12 "),
                                        (CJK_FONT, "条")]
    assert text_runs("Café 前台…") == [(LATIN_FONT, "Café "), (CJK_FONT, "前台"),
                                       (LATIN_FONT, "…")]
    assert text_runs("") == []
    assert "".join(run for _, run in text_runs("业务/说明：Room 8（前台）")) == \
        "业务/说明：Room 8（前台）"


def test_a_cell_is_cut_by_its_drawn_width() -> None:
    assert fit("13800138000", 107, 8) == "13800138000"
    long = fit("北京市朝阳区" * 10, 117, 8)  # Chinese is twice as wide as digits
    assert long.endswith("…") and len(long) < 20 and text_width(long, 8) <= 117
    assert "北京市朝阳区".startswith(long[:6])
    assert fit("x" * 300, 50, 8).endswith("…") and text_width(fit("x" * 300, 50, 8), 8) <= 50


@needs_a_truetype_chinese_font
def test_the_report_embeds_its_chinese_font(tmp_path: Path) -> None:
    target = tmp_path / "r.pdf"
    render_pdf([ROW], None, "话单 2026-11", target)
    data = target.read_bytes()
    assert cjk_font() != CJK_CID_FONT and cjk_font() in [name for name, _, _ in CJK_FONT_FILES]
    assert data.startswith(b"%PDF") and b"/Helvetica" in data
    assert b"/FontFile2" in data  # the TrueType glyphs (a subset) are in the file
    assert b"STSong-Light" not in data
    assert len(data) < 200_000  # a subset, not the 4 MB font


def test_without_a_truetype_chinese_font_stsong_light_is_referenced(tmp_path: Path) -> None:
    saved = pdf_module.CJK_FONT_FILES
    pdf_module.CJK_FONT_FILES = (("NoSuchFont", str(tmp_path / "missing.ttf"), 0),)
    cjk_font.cache_clear()
    try:
        assert cjk_font() == CJK_CID_FONT
        assert text_runs("合计") == [(CJK_CID_FONT, "合计")]
        target = tmp_path / "r.pdf"
        render_pdf([ROW], None, "话单 2026-11", target)
        data = target.read_bytes()
        assert b"/STSong-Light" in data and b"/Helvetica" in data
        assert b"/FontFile" not in data  # nothing embedded: the readers' own fonts
    finally:
        pdf_module.CJK_FONT_FILES = saved
        cjk_font.cache_clear()


def _page(tmp_path: Path, name: str, row: RecordView) -> Image.Image:
    pdf = tmp_path / f"{name}.pdf"
    render_pdf([row], None, "话单 2026-11", pdf)
    pages = render_pages(pdf, tmp_path / name, dpi=DPI)  # the console preview's way
    assert len(pages) == 1
    return Image.open(pages[0]).convert("L")


def _column_pixels(title: str) -> tuple[int, int]:
    """Where column ``title`` is on a page rendered at ``DPI``: (left, right) pixels."""
    left = PAGE_MARGIN
    for name, width in PRINTED_COLUMNS:
        if name == title:
            return int(left * DPI / 72), int((left + width) * DPI / 72) + 1
        left += width
    raise AssertionError(title)


@needs_ghostscript
@pytest.mark.parametrize(("title", "drawn", "without"), [
    ("号码", {}, {"number": ""}),
    ("账号", {}, {"account": ""}),
    ("序号", {}, {"seq": 0}),  # "4711" -> "0": the digits drawn differ
    ("业务/说明", {"description": "前台 Room 8"}, {"description": "前台"}),
    ("业务/说明", {"description": "前台"}, {"description": ""}),  # Ghostscript's CJK font
], ids=["number", "account", "sequence", "latin-in-chinese", "chinese"])
def test_ghostscript_draws_every_character_of_a_record(
        tmp_path: Path, title: str, drawn: dict[str, Any], without: dict[str, Any]) -> None:
    """Two reports that differ in one cell, drawn by Ghostscript: they differ on the page,
    and only in that cell's column (the cell's characters have ink)."""
    full = _page(tmp_path, "full", dataclasses.replace(ROW, **drawn))
    other = _page(tmp_path, "other", dataclasses.replace(ROW, **without))
    below_header = int((PAGE_MARGIN + 14) * DPI / 72)  # the print time may differ above
    box = ImageChops.difference(full, other).crop(
        (0, below_header, full.width, full.height)).getbbox()
    assert box is not None, f"{drawn or ROW} drew nothing: no ink where its text is"
    left, right = _column_pixels(title)
    assert left <= box[0] and box[2] <= right, (box, left, right)
    ink = sum(full.crop((box[0], below_header + box[1], box[2],
                         below_header + box[3])).histogram()[:128])  # dark pixels
    assert ink > 20  # strokes, not a speck


def _gs_text(pdf: Path) -> str:
    program = renderer()
    assert program is not None
    return subprocess.run([program, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE",
                           "-sDEVICE=txtwrite", "-sOutputFile=-", str(pdf)],
                          capture_output=True, text=True, encoding="utf-8", timeout=60,
                          check=True).stdout


def _text_of(pdf: Path) -> str:
    """The characters the report's fonts map back to (their ToUnicode tables, which copy,
    search and text extraction use): Ghostscript's txtwrite gives the Latin runs back, but
    not those of an embedded TrueType subset."""
    data = pdf.read_bytes()
    chars = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            text = zlib.decompress(stream)
        except zlib.error:
            continue
        if b"beginbfchar" in text:
            chars += [chr(int(code, 16)) for code in
                      re.findall(rb"<[0-9A-F]{2}> <([0-9A-F]{4})>", text)]
    return "".join(chars)


@needs_ghostscript
def test_ghostscript_gives_the_digits_and_the_chinese_back(tmp_path: Path) -> None:
    pdf = tmp_path / "r.pdf"
    render_pdf([ROW], None, "话单 2026-11", pdf)
    text = _gs_text(pdf)
    for expected in ("13800138000", "2026-11-05 10:30:00", "4711", "A-17", "Room 8", "0.44",
                     "2026-11"):
        assert expected in text, (expected, text)
    chinese = text if cjk_font() == CJK_CID_FONT else _text_of(pdf)
    for expected in ("合计", "话单", "前台", "出"):
        assert set(expected) <= set(chinese), (expected, chinese)


@needs_ghostscript
def test_money_is_right_aligned(tmp_path: Path) -> None:
    """0.44 and 1.44 differ in their first digit only: right-aligned, that digit is in the
    right half of the 费用 column (left-aligned, it would be at the column's left edge)."""
    full = _page(tmp_path, "full", ROW)
    other = _page(tmp_path, "other", dataclasses.replace(ROW, cost=Decimal("1.44")))
    below_header = int((PAGE_MARGIN + 14) * DPI / 72)
    left, right = _column_pixels("费用")
    box = ImageChops.difference(full, other).crop(  # the column (the totals line differs too)
        (left, below_header, right, full.height)).getbbox()
    assert box is not None
    assert (right - left) / 2 < box[0], (box, left, right)


@needs_ghostscript
def test_the_report_speaks_as_the_xlsx(tmp_path: Path) -> None:
    """出/入 for the call type, 未知号码 for a number without a tariff row, the title."""
    pdf = tmp_path / "r.pdf"
    unknown = dataclasses.replace(ROW, seq=4712, call_type="IN", description="", unknown=True)
    render_pdf([ROW, unknown], None, "话单 2026-11 · 端口 805", pdf)
    text = _gs_text(pdf)
    assert "805" in text and "OUT" not in text and "IN " not in text
    chinese = text if cjk_font() == CJK_CID_FONT else _text_of(pdf)
    for expected in ("出", "入", "未知号码", "端口"):
        assert set(expected) <= set(chinese), (expected, chinese)
