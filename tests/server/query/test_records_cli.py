"""``records list|summary|export|verify|archive``: exact CSV, XLSX, PDF, exit statuses."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from callcenter.common.pbx.messages import CallRecord
from callcenter.server import cli
from callcenter.server.cli.records import add_records_parser, run_records
from callcenter.server.rating import Tariff, TariffRow
from callcenter.server.store.db import database, open_store
from callcenter.server.store.rerate import rerate
from callcenter.server.store.settings import set_setting
from tests.server.query.query_support import (
    TARIFF,
    Ref,
    head_one_line,
    make_records,
    store_records,
)


def run(target: Any, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="callcenter-server")
    add_records_parser(parser.add_subparsers(dest="command"))
    action, *rest = argv
    extra = ["--db", target.url] if target.url else []
    args = parser.parse_args(["records", action, "--data", str(target.data_dir), *extra, *rest])
    code = run_records(args)
    target.open()  # run_records closes the store; reopen for the test's own checks
    return code


KNOWN = [
    CallRecord(1, "20261105103000", 300, "805", "8123", "1", "12315888", "OUT", caller="8123"),
    CallRecord(2, "20261105110000", 0, "806", "8124", "2", "13800138000", "IN"),
    CallRecord(3, "20261106093005", 61, "805", "8123", "1", "5550123", "OUT", account="A17"),
]
HEADER = ("seq,start,port,extension,trunk,number,duration,cost,call_type,caller,account,"
          "service_type,description,unknown,pbx,tariff_version,receipt\r\n")
V = TARIFF.version
EXPECTED_CSV = (
    HEADER
    + "1,2026-11-05T10:30:00+08:00,805,8123,1,12315888,300,0.44,OUT,8123,,3,南燕齐托办热线,"
      f"no,pbx-a,{V},180 s 0.22 + 2 x 60 s 0.11 = 0.44\r\n"
    + "2,2026-11-05T11:00:00+08:00,806,8124,2,13800138000,0,0.00,IN,,,,,no,pbx-a,"
      f"{V},incoming call: 0.00\r\n"
    + "3,2026-11-06T09:30:05+08:00,805,8123,1,5550123,61,0.00,OUT,,A17,,,yes,pbx-a,"
      f"{V},no tariff row for this number: 0.00\r\n")


def test_csv_export_is_exact(store_db: Any, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    store_records(KNOWN)
    assert run(store_db, "export") == 0
    out = capfdbinary.readouterr().out
    assert out == EXPECTED_CSV.encode("utf-8")
    assert run(store_db, "export", "--excel") == 0
    assert capfdbinary.readouterr().out == b"\xef\xbb\xbf" + EXPECTED_CSV.encode("utf-8")
    target = store_db.data_dir / "out.csv"
    assert run(store_db, "export", "--out", str(target), "--port", "805") == 0
    assert target.read_bytes() == (HEADER + "".join(
        EXPECTED_CSV.splitlines(keepends=True)[i] for i in (1, 3))).encode("utf-8")


def test_list_formats(store_db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    store_records(KNOWN)
    assert run(store_db, "list", "--format", "json", "--sort", "cost", "--desc") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seq"] for r in rows] == [1, 3, 2] and rows[0]["cost"] == "0.44"
    assert rows[0]["tariff_version"] == TARIFF.version
    assert rows[0]["receipt"] == "180 s 0.22 + 2 x 60 s 0.11 = 0.44"
    assert run(store_db, "list", "--number", "138*") == 0
    text = capsys.readouterr().out
    assert "13800138000" in text and "12315888" not in text and "(1 of 1 record(s)" in text
    assert run(store_db, "list", "--format", "csv", "--limit", "1", "--offset", "1") == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("2,")


def test_summary_command(store_db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    store_records(KNOWN)
    assert run(store_db, "summary", "--by", "extension", "--format", "csv") == 0
    assert capsys.readouterr().out == ("extension,count,duration,cost\r\n8123,2,361,0.44\r\n"
                                       "8124,1,0,0.00\r\ntotal,3,361,0.44\r\n")
    assert run(store_db, "summary", "--by", "service_type", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert {g["label"] for g in data["groups"]} == {"3-市话费", "(none)"}
    assert run(store_db, "summary") == 0
    assert "total" in capsys.readouterr().out


def test_xlsx_has_chinese_titles_and_totals(store_db: Any) -> None:
    from openpyxl import load_workbook

    store_records(KNOWN)
    target = store_db.data_dir / "calls.xlsx"
    assert run(store_db, "export", "--format", "xlsx", "--out", str(target)) == 0
    sheet = load_workbook(target).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1][:8] == ["序号", "开始时间", "端口", "分机号", "外线", "号码", "时长", "费用"]
    assert rows[1][-2:] == ["费率版本", "计费明细"]
    assert rows[2][0] == 1 and str(rows[2][7]) == "0.44"
    assert rows[2][-2:] == [TARIFF.version, "180 s 0.22 + 2 x 60 s 0.11 = 0.44"]
    assert rows[-2][0] == "合计" and rows[-2][6] == 361 and str(rows[-2][7]) == "0.44"


def test_pdf_has_a_chinese_font_and_a_title_in_words(store_db: Any) -> None:
    store_records(KNOWN)
    target = store_db.data_dir / "calls.pdf"
    assert run(store_db, "export", "--format", "pdf", "--out", str(target), "--by",
               "extension") == 0
    data = target.read_bytes()
    assert data.startswith(b"%PDF")  # the embedded TrueType font, else STSong-Light
    assert b"/FontFile2" in data or b"STSong-Light" in data
    assert rb"/Title (\376\377\213\335SU\000 Qh" in data  # 话单 全部记录


def test_render_pdf_for_the_console(tmp_path: Path) -> None:
    from callcenter.server.query import render_pdf

    buffer = io.BytesIO()
    totals = render_pdf([], None, "话单 空", buffer)
    assert totals.count == 0 and buffer.getvalue().startswith(b"%PDF")


def test_empty_store(store_db: Any, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    assert run(store_db, "export") == 0
    assert capfdbinary.readouterr().out == HEADER.encode()
    assert run(store_db, "list") == 0
    assert run(store_db, "summary", "--by", "trunk") == 0
    assert run(store_db, "archive") == 0
    assert run(store_db, "verify") == 0
    assert b"chain intact: 0 records" in capfdbinary.readouterr().out
    for fmt in ("xlsx", "pdf"):
        assert run(store_db, "export", "--format", fmt, "--out",
                   str(store_db.data_dir / f"e.{fmt}")) == 0


@pytest.mark.parametrize(("argv", "named"), [
    (("list", "--from", "2026-02-30"), "--from"),
    (("export", "--cost-min", "1.234"), "--cost-min"),
    (("summary", "--call-type", "X"), "--call-type"),
    (("export", "--format", "xlsx"), "--out"),
    (("list", "--number-prefix", "abc"), "--number-prefix"),
    (("export", "--number-contains", "12a"), "--number-contains"),
    (("summary", "--number-prefix", "１３８"), "--number-prefix"),  # full-width digits
    (("list", "--number", "13x*"), "--number"),
])
def test_bad_arguments_exit_2_naming_themselves(
        store_db: Any, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
        named: str) -> None:
    assert run(store_db, *argv) == 2
    err = capsys.readouterr().err
    assert named in err


def test_bad_choice_is_an_argparse_usage_error(store_db: Any) -> None:
    with pytest.raises(SystemExit) as info:
        run(store_db, "list", "--sort", "colour")
    assert info.value.code == 2


def test_archive_verify_and_full_export_through_the_cli(
        filled: tuple[Any, list[Ref]], capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    target, refs = filled
    set_setting("retention_days", "30", "test")
    assert run(target, "archive") == 0  # "now" is long after 2026-06: everything moves
    assert b"2026-01:" in capfdbinary.readouterr().out
    assert database.execute_sql("SELECT COUNT(*) FROM call_record").fetchone()[0] == 0
    assert run(target, "verify") == 0
    assert capfdbinary.readouterr().out == f"chain intact: {len(refs)} records\n".encode()
    assert run(target, "export") == 0
    lines = capfdbinary.readouterr().out.decode().splitlines()
    assert len(lines) == len(refs) + 1
    starts = [datetime.fromisoformat(line.split(",")[1]) for line in lines[1:]]
    assert starts == sorted(starts)
    assert run(target, "export", "--month", "2026-02") == 0
    feb = capfdbinary.readouterr().out.decode().splitlines()[1:]
    assert feb and all(",2026-02-" in line for line in feb)


def test_verify_reports_problems_and_exits_1(
        filled: tuple[Any, list[Ref]], capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    target, _refs = filled
    database.execute_sql("UPDATE call_record SET duration = duration + 1 WHERE id = "
                         "(SELECT MIN(id) FROM call_record)")
    assert run(target, "verify") == 1
    assert b"no longer match the raw record" in capfdbinary.readouterr().out


def test_number_filters_take_star_and_hash(store_db: Any,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    store_records([*KNOWN, CallRecord(4, "20261107080000", 10, "805", "8123", "1", "*57#8",
                                      "OUT")])
    assert run(store_db, "list", "--number-prefix", "*57", "--format", "json") == 0
    assert [r["seq"] for r in json.loads(capsys.readouterr().out)] == [4]
    assert run(store_db, "list", "--number-contains", "#", "--format", "json") == 0
    assert [r["seq"] for r in json.loads(capsys.readouterr().out)] == [4]
    assert run(store_db, "list", "--number-prefix", "abc") == 2
    err = capsys.readouterr().err
    assert "--number-prefix 'abc'" in err and "0-9, * and #" in err


def test_receipt_columns_show_the_current_rating(store_db: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    store_records(KNOWN)
    dearer = Tariff((TariffRow("12315", "热线", 60, Decimal("0.50"), 60, Decimal("0.50"), 3),))
    zone = timezone(timedelta(hours=8))
    rerate(dearer, datetime(2026, 11, 5, tzinfo=zone), datetime(2026, 11, 6, tzinfo=zone),
           "test")
    assert run(store_db, "list", "--format", "json", "--sort", "seq") == 0
    rows = json.loads(capsys.readouterr().out)
    assert (rows[0]["cost"], rows[0]["tariff_version"], rows[0]["receipt"]) == \
        ("2.50", dearer.version, "60 s 0.50 + 4 x 60 s 0.50 = 2.50")
    assert rows[2]["tariff_version"] == TARIFF.version  # the 6th was not re-rated
    assert run(store_db, "list", "--format", "csv", "--sort", "seq", "--limit", "1") == 0
    assert capsys.readouterr().out.splitlines()[1].endswith(
        f",{dearer.version},60 s 0.50 + 4 x 60 s 0.50 = 2.50")


def plain(data: Path, *argv: str) -> int:
    """``records ...`` with ``--data data`` and no ``--db``."""
    parser = argparse.ArgumentParser(prog="callcenter-server")
    add_records_parser(parser.add_subparsers(dest="command"))
    action, *rest = argv
    return run_records(parser.parse_args(["records", action, "--data", str(data), *rest]))


@pytest.mark.parametrize("action", ["list", "summary", "export", "verify", "archive"])
def test_no_server_data_exits_1_and_creates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str) -> None:
    missing, empty = tmp_path / "typo", tmp_path / "empty"
    empty.mkdir()
    for data in (missing, empty):
        assert plain(data, action) == 1
        captured = capsys.readouterr()
        assert f"records {action}: no server data in {data} (" in captured.err
        assert captured.out == ""
    assert not missing.exists() and list(empty.iterdir()) == []


def test_a_store_made_by_another_command_is_server_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "a"
    assert cli.main(["settings", "set", "retention_days=60", "--data", str(data)]) == 0
    assert plain(data, "list") == 0
    assert "(0 of 0 record(s)" in capsys.readouterr().out
    # a room's money needs the service's data folder: a mistyped one is refused, not made
    # (issue 10 item 6)
    assert cli.main(["rooms", "topup", "001", "5", "--data", str(tmp_path / "b")]) == 1
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("argv", [
    ("export",), ("list", "--format", "csv", "--limit", "2000"),
    ("list", "--format", "json", "--limit", "2000"), ("list", "--limit", "2000"),
])
def test_a_closed_pipe_ends_quietly(tmp_path: Path, argv: tuple[str, ...]) -> None:
    """``records export | head -1``: no "Broken pipe" message, no traceback."""
    data = tmp_path / "data"
    open_store(data)
    store_records(make_records(1500))  # well over a pipe's 64 KiB buffer in every format
    database.close()
    head_one_line(["records", argv[0], "--data", str(data), *argv[1:]])


def test_list_says_its_order_and_how_to_page(store_db: Any,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11 item 8: the line under a page says the order and how to page or reverse."""
    store_records(KNOWN)
    assert run(store_db, "list", "--limit", "2") == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "(2 of 3 record(s) from 1, oldest first; next page: --offset 2; newest first: --desc)")
    assert run(store_db, "list", "--offset", "2", "--desc") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "(1 of 3 record(s) from 3, newest first)"
    assert run(store_db, "list", "--sort", "cost", "--limit", "1") == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "(1 of 3 record(s) from 1, ascending by cost; next page: --offset 1)")
