"""The hotel bill line (S-43) and the bill file HotelBill.TXT.

Every stored call record becomes one fixed-width line, the kind Chinese hotel software reads
with "read a text file". The columns are documented in docs/hotel-link.md; widths are counted
in display columns, which for GBK/GB18030 (the default) are exactly bytes: an ASCII character
is one byte and one column, a Chinese character two of each.

The file is appended to by ``append_bytes`` (open, write, fsync, close: the hotel software may
open, read, empty or delete the file between two appends, and on Windows it may hold it locked,
which shows up as ``PermissionError`` and is retried by the caller). ``resume_point`` tells how
much of a batch the end of the file already holds, so that a batch written just before a crash
is not written again (see queue.py).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.rating import service_type
from callcenter.server.store.models import from_fen

FILE_NAME: Final = "HotelBill.TXT"
EOL: Final = "\r\n"


@dataclass(frozen=True)
class Column:
    name: str
    width: int
    align: str  # "<" left (space-padded on the right) or ">" right
    what: str


#: The line's columns in order; one space between two columns; CR LF after the last.
COLUMNS: Final[tuple[Column, ...]] = (
    Column("start", 14, "<", "call start, PBX local time, YYYYMMDDhhmmss"),
    Column("duration", 6, "<", "talk time hhmmss (99:59:59 at most)"),
    Column("caller", 20, "<", "calling number: the extension number of an outgoing or "
                              "internal call, the caller ID of an incoming call"),
    Column("extension", 8, "<", "the extension (room) number at the time of the call"),
    Column("called", 24, "<", "called number: the number dialled (without the trunk access "
                              "digit), or the extension number of an incoming call"),
    Column("type", 1, "<", "call-type code (see CALL_TYPES)"),
    Column("type_name", 8, "<", "call-type name in Chinese"),
    Column("charge", 9, ">", "charge in yuan with 2 decimals, e.g. 0.44"),
)
LINE_WIDTH: Final = sum(c.width for c in COLUMNS) + len(COLUMNS) - 1  # 97 (+ CR LF)

#: call-type code -> Chinese name.
CALL_TYPES: Final[dict[str, str]] = {
    "0": "内线",      # internal call
    "1": "市话",      # local
    "2": "国内长途",  # domestic long distance
    "3": "国际长途",  # international
    "4": "移动",      # mobile network
    "5": "特服",      # special service numbers
    "8": "来电",      # incoming
    "9": "其他",      # no tariff row matched, or a service type without a scope
}
_SCOPE_CODES: Final = {"local": "1", "long_distance": "2", "international": "3",
                       "mobile": "4", "service": "5"}


def display_width(text: str) -> int:
    """Columns ``text`` takes: 2 for a wide (Chinese) character, else 1."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def fit(text: str, width: int, align: str = "<") -> str:
    """``text`` cut to ``width`` columns (keeping its start) and padded with spaces to it."""
    out, used = [], 0
    for char in text:
        w = display_width(char)
        if used + w > width:
            break
        out.append(char)
        used += w
    pad = " " * (width - used)
    return "".join(out) + pad if align == "<" else pad + "".join(out)


def call_type_code(call_type: str, service: int | None, unknown: bool) -> str:
    if call_type == "INT":
        return "0"
    if call_type == "IN":
        return "8"
    if unknown or service is None:
        return "9"
    return _SCOPE_CODES.get(service_type(service).scope, "9")


def hhmmss(seconds: int) -> str:
    seconds = max(0, min(seconds, 99 * 3600 + 59 * 60 + 59))
    return f"{seconds // 3600:02d}{seconds // 60 % 60:02d}{seconds % 60:02d}"


def format_line(record: CallRecord, cost_fen: int, service: int | None,
                unknown: bool) -> str:
    """The bill line of a rated record, without the CR LF."""
    incoming = record.call_type == "IN"
    caller = record.number if incoming else (record.caller or record.extension)
    called = record.extension if incoming else record.number
    code = call_type_code(record.call_type, service, unknown)
    values = {"start": record.start, "duration": hhmmss(record.duration), "caller": caller,
              "extension": record.extension, "called": called, "type": code,
              "type_name": CALL_TYPES[code], "charge": str(from_fen(cost_fen))}
    return " ".join(fit(values[c.name], c.width, c.align) for c in COLUMNS)


def encode_line(line: str, encoding: str) -> bytes:
    """The line as the file and the serial port carry it: encoded, CR LF at the end."""
    return (line + EOL).encode(encoding, errors="replace")


def resume_point(tail: bytes, lines: Sequence[bytes]) -> tuple[int, int]:
    """How much of ``lines`` (in order) the file's ``tail`` already holds.

    Returns ``(n, partial)``: the first ``n`` lines are there whole; ``partial`` bytes of
    line ``n`` follow them and end the tail (a write cut short), or ``partial == -1`` when
    something else follows (bytes that are not ours).
    """
    pos = n = 0
    for line in lines:
        if tail.startswith(line, pos):
            pos += len(line)
            n += 1
            continue
        rest = tail[pos:]
        if rest and line.startswith(rest):
            return n, len(rest)
        break
    return (n, 0) if pos == len(tail) else (n, -1)


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def read_range(path: Path, offset: int, count: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(count)


def append_bytes(path: Path, data: bytes) -> int:
    """Append ``data``, fsync, close; returns the file's size afterwards.

    Raises OSError when the file cannot be opened or written (folder missing, locked by the
    hotel software, disk full): the caller retries later.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0),
                 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        return os.fstat(fd).st_size
    finally:
        os.close(fd)
