"""Reading the first sheet of an XLSX workbook as rows of texts, fast.

openpyxl's read-only mode takes about 30 s for 100 k rows of eight columns on the benchmark
machine (a Python object per cell), more than the whole import may take (issue 9: 100 k
customers in 20 s). The importer only needs the cells' texts, so it reads the sheet's XML
itself with ``xml.etree.ElementTree`` (the C parser), a block of whole rows at a time (no
Python call per XML event): the workbook and its relationships name the first sheet,
``sharedStrings.xml`` holds the shared texts. openpyxl still
writes the exports (``exporter``) and reads what this reader does not (a workbook in the old
binary .xls format is refused with a message by both).
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final
from xml.etree.ElementTree import Element, ParseError, fromstring, iterparse

__all__ = ["XlsxError", "xlsx_rows"]

_MAIN: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL: Final = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COLUMN: Final = re.compile(r"[A-Z]+")


class XlsxError(ValueError):
    """Not a workbook this reader can read; the text says why."""


_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    """0-based column of a cell reference such as ``AB12``."""
    letters = ref.rstrip("0123456789")
    n = _COLUMNS.get(letters)
    if n is None:
        if not letters or not _COLUMN.fullmatch(letters):
            raise XlsxError(f"bad cell reference {ref!r}")
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        n -= 1
        _COLUMNS[letters] = n
    return n


def _first_sheet(book: zipfile.ZipFile) -> str:
    names = set(book.namelist())
    try:
        rid = None
        for _, elem in iterparse(book.open("xl/workbook.xml")):
            if elem.tag == _MAIN + "sheet":
                rid = elem.get(_REL + "id")
                break
        if rid is not None and "xl/_rels/workbook.xml.rels" in names:
            for _, elem in iterparse(book.open("xl/_rels/workbook.xml.rels")):
                if elem.tag == _PKG_REL + "Relationship" and elem.get("Id") == rid:
                    target = elem.get("Target", "")
                    path = target.lstrip("/") if target.startswith("/") else "xl/" + target
                    if path in names:
                        return path
    except (KeyError, ParseError) as exc:
        raise XlsxError(f"no readable workbook part ({exc})") from None
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    raise XlsxError("no worksheet in it")


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    strings: list[str] = []
    for _, elem in iterparse(book.open("xl/sharedStrings.xml")):
        if elem.tag == _MAIN + "si":
            strings.append("".join(t.text or "" for t in elem.iter(_MAIN + "t")))
            elem.clear()
    return strings


def _number(text: str) -> str:
    """A numeric cell as typed: 13800138000 (not 1.38E10), 83988807 (not 83988807.0)."""
    try:
        value = float(text)
    except ValueError:
        return text
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return text


#: Decompressed characters parsed at a time (whole rows: a block ends after a row's end tag).
_BLOCK: Final = 1 << 20
_SHEET_DATA: Final = re.compile(r"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>")
_DECLARATION: Final = re.compile(r"^\s*<\?xml[^>]*\?>")


def _row_blocks(stream: IO[bytes]) -> Iterator[Element]:
    """The sheet's ``row`` elements, parsed a block of rows at a time by the C parser (an
    element tree per block: memory bounded, no Python call per XML event)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    text = ""
    head: str | None = None
    prefix = ""
    while True:
        data = stream.read(_BLOCK)
        text += decoder.decode(data, final=not data)
        if head is None:
            found = _SHEET_DATA.search(text)
            if found is None:
                if not data:
                    raise XlsxError("no sheetData in the sheet")
                continue
            prefix = found.group(1)
            if found.group(2):  # <sheetData/>: no rows
                return
            head = _DECLARATION.sub("", text[:found.end()])
            text = text[found.end():]
        close_rows = text.rfind(f"</{prefix}row>")
        if not data:
            cut = text.find(f"</{prefix}sheetData>")
            block, text = (text[:cut] if cut >= 0 else text), ""
        elif close_rows < 0:
            continue
        else:
            cut = close_rows + len(prefix) + 6
            block, text = text[:cut], text[cut:]
        if block.strip():
            root_name = head[head.index("<") + 1:].split(None, 1)[0].rstrip(">")
            tree = fromstring(f"{head}{block}</{prefix}sheetData></{root_name}>")
            yield from tree.iter(_MAIN + "row")
        if not data:
            return


def xlsx_rows(path: Path) -> Iterator[list[str]]:
    """The first sheet's rows as lists of stripped texts (empty cells ""), in order; rows the
    file leaves out (all empty) come as empty lists so row numbers stay the spreadsheet's."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxError(f"not an XLSX workbook ({exc})") from None
    with book:
        sheet = _first_sheet(book)
        shared = _shared_strings(book)
        expected_row = 1
        v_tag, t_tag, c_tag = _MAIN + "v", _MAIN + "t", _MAIN + "c"
        is_t = f"{_MAIN}is/{_MAIN}t"
        try:
            for row in _row_blocks(book.open(sheet)):
                number = int(row.get("r", expected_row))
                while expected_row < number:
                    yield []
                    expected_row += 1
                cells: list[str] = []
                for c in row:
                    if c.tag != c_tag:
                        continue
                    ref = c.get("r")
                    index = _column(ref) if ref else len(cells)
                    kind = c.get("t", "n")
                    if kind == "inlineStr":
                        text = c.findtext(is_t)  # plain text; rich text has runs
                        if text is None:
                            text = "".join(t.text or "" for t in c.iter(t_tag))
                    else:
                        raw = c.findtext(v_tag) or ""
                        if kind == "s":
                            text = shared[int(raw)] if raw else ""
                        elif kind == "b":
                            text = "是" if raw == "1" else ""
                        elif kind in ("str", "e"):
                            text = raw
                        else:
                            text = _number(raw)
                    if index >= len(cells):
                        cells.extend([""] * (index - len(cells) + 1))
                    cells[index] = text.strip()
                yield cells
                expected_row = number + 1
        except (ParseError, KeyError, ValueError, IndexError, UnicodeDecodeError) as exc:
            raise XlsxError(f"its sheet cannot be read ({exc})") from None
