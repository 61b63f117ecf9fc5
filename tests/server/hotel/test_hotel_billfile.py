"""The bill line: exact bytes (GBK, CR LF, column widths) and the resume check."""

from __future__ import annotations

from pathlib import Path

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.hotel.billfile import (
    COLUMNS,
    LINE_WIDTH,
    append_bytes,
    display_width,
    encode_line,
    fit,
    format_line,
    resume_point,
)

OUT = CallRecord(17, "20261105103000", 3725, "001", "8001", "01", "02088886666", "OUT", "8001")
IN = CallRecord(18, "20261105235959", 59, "002", "8002", "02", "13912345678", "IN")
INT = CallRecord(19, "20261106000001", 7, "003", "8003", "", "8004", "INT", "8003")


def test_known_records_give_these_exact_bytes() -> None:
    out = encode_line(format_line(OUT, 300, 1, False), "gbk")
    assert out == (b"20261105103000 010205 8001                 8001     "
                   b"02088886666              2 \xb9\xfa\xc4\xda\xb3\xa4\xcd\xbe      3.00\r\n")
    incoming = encode_line(format_line(IN, 0, None, False), "gbk")
    assert incoming == (b"20261105235959 000059 13912345678          8002     "
                        b"8002                     8 \xc0\xb4\xb5\xe7          0.00\r\n")
    internal = encode_line(format_line(INT, 0, None, False), "gbk")
    assert internal == (b"20261106000001 000007 8003                 8003     "
                        b"8004                     0 \xc4\xda\xcf\xdf          0.00\r\n")
    for line in (out, incoming, internal):
        assert len(line) == LINE_WIDTH + 2 == 99


def test_columns_sit_at_fixed_byte_offsets() -> None:
    line = encode_line(format_line(OUT, 123456, 13, False), "gbk")
    at = 0
    fields = []
    for column in COLUMNS:
        fields.append(line[at:at + column.width])
        at += column.width + 1
    assert fields == [b"20261105103000", b"010205", b"8001".ljust(20), b"8001".ljust(8),
                      b"02088886666".ljust(24), b"4", "移动".encode("gbk").ljust(8),
                      b"  1234.56"]
    assert line[at - 1:] == b"\r\n"


def test_codes_long_values_and_other_encodings() -> None:
    assert format_line(OUT, 5, None, True)[77] == "9"  # no tariff row: 其他
    assert format_line(OUT, 5, 2, False)[77] == "1"  # local
    assert format_line(OUT, 5, 0, False)[77] == "3"  # international
    long_call = CallRecord(1, "20261105103000", 400_000, "001", "8001", "01", "9" * 30, "OUT")
    text = format_line(long_call, 0, 2, False)
    assert text[15:21] == "995959" and display_width(text) == LINE_WIDTH
    assert text[52:76] == "9" * 24  # cut to its column, never shifting the next ones
    assert encode_line(format_line(IN, 0, None, False), "utf-8").endswith(
        "来电".encode() + b"          0.00\r\n")
    assert fit("国内长途x", 8) == "国内长途" and fit("ab", 4, ">") == "  ab"


def test_resume_point_finds_lines_a_crash_left_behind() -> None:
    lines = [b"one\r\n", b"two\r\n", b"three\r\n"]
    assert resume_point(b"", lines) == (0, 0)
    assert resume_point(b"one\r\ntwo\r\n", lines) == (2, 0)
    assert resume_point(b"one\r\ntw", lines) == (1, 2)
    assert resume_point(b"one\r\ntwo\r\nthree\r\n", lines) == (3, 0)
    assert resume_point(b"zzz\r\n", lines) == (0, -1)
    assert resume_point(b"one\r\nxyz", lines) == (1, -1)


def test_append_is_durable_and_returns_the_size(tmp_path: Path) -> None:
    path = tmp_path / "HotelBill.TXT"
    assert append_bytes(path, b"a\r\n") == 3
    assert append_bytes(path, b"b\r\n") == 6
    assert path.read_bytes() == b"a\r\nb\r\n"
