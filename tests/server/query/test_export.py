"""The XLSX export for people (``query/export.write_xlsx``): real date-times, a money format,
numbers as numbers, the printed report's words (出/入/内, 未知号码), column widths, the title
rows frozen; the CSV for programs unchanged; ``report_title`` wording the filters."""

from __future__ import annotations

import dataclasses
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from callcenter.server.query.export import (
    CSV_HEADER,
    XLSX_DATE_FORMAT,
    XLSX_MONEY_FORMAT,
    ZH_TITLES,
    report_title,
    write_csv,
    write_xlsx,
)
from callcenter.server.query.filters import parse_filters
from callcenter.server.query.search import RecordView

ROW = RecordView(
    id=1, pbx="pbx-a", seq=4711, start=datetime(2026, 11, 5, 18, 42, 54, tzinfo=timezone(
        timedelta(hours=8))), port="805", extension="8123", trunk="1", number="13800138000",
    duration=185, cost=Decimal("1234.5"), call_type="OUT", caller="8123", account="A17",
    service_type=3, description="移动电话", unknown=False, source="live",
    tariff_version="09d6befa31bf", receipt="180 s 0.22 + 2 x 60 s 0.11 = 0.44")
UNKNOWN = dataclasses.replace(ROW, seq=4712, call_type="IN", number="5550123", cost=Decimal(0),
                              service_type=None, description="", unknown=True)
INTERNAL = dataclasses.replace(ROW, seq=4713, call_type="INT", number="8124",
                               cost=Decimal("0.00"), service_type=None, description="")


def test_xlsx_opens_well(tmp_path: Path) -> None:
    target = tmp_path / "calls.xlsx"
    totals = write_xlsx([ROW, UNKNOWN, INTERNAL], target, "话单 2026-11 · 端口 805")
    assert totals.count == 3
    sheet = load_workbook(target).active
    assert sheet.freeze_panes == "A3"  # the title and the column titles stay put
    assert sheet["A1"].value == "话单 2026-11 · 端口 805" and sheet["A1"].font.b
    assert [c.value for c in sheet[2]] == list(ZH_TITLES) and sheet["B2"].font.b
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABFHMQ"}
    assert widths["B"] >= 19 and widths["F"] >= 13 and widths["M"] >= 20 and widths["Q"] >= 30
    out, unknown, internal = sheet[3], sheet[4], sheet[5]
    assert out[0].value == 4711 and out[6].value == 185 and out[11].value == 3
    assert out[1].value == datetime(2026, 11, 5, 18, 42, 54)  # a date-time, PBX-local
    assert out[1].is_date and out[1].number_format == XLSX_DATE_FORMAT
    assert out[7].value == 1234.5 and out[7].number_format == XLSX_MONEY_FORMAT
    assert (out[8].value, unknown[8].value, internal[8].value) == ("出", "入", "内")
    assert (out[12].value, out[13].value) == ("移动电话", None)
    assert (unknown[12].value, unknown[13].value) == ("未知号码", "是")  # marked, not blank
    assert unknown[11].value is None and internal[12].value is None
    assert out[15].value == "09d6befa31bf" and out[16].value.endswith("= 0.44")
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    total = sheet.cell(row=len(rows) - 1, column=8)
    assert rows[-2][:2] == ["合计", "3 条"] and rows[-2][6] == 555
    assert total.value == 1234.5 and total.number_format == XLSX_MONEY_FORMAT
    assert rows[-1][6] == "0:09:15"


def test_an_empty_xlsx_has_its_titles(tmp_path: Path) -> None:
    target = tmp_path / "empty.xlsx"
    assert write_xlsx([], target, "话单 全部记录").count == 0
    sheet = load_workbook(target).active
    assert sheet["A1"].value == "话单 全部记录" and sheet["A2"].value == "序号"
    assert sheet.freeze_panes == "A3"


def test_csv_keeps_its_names_and_plain_money() -> None:
    text = io.StringIO(newline="")
    write_csv([ROW, UNKNOWN], text)
    lines = text.getvalue().split("\r\n")
    assert lines[0] == ",".join(CSV_HEADER)
    assert lines[1].startswith("4711,2026-11-05T18:42:54+08:00,805,8123,1,13800138000,185,"
                               "1234.50,OUT,8123,A17,3,移动电话,no,pbx-a,")
    assert ",0.00,IN,8123,A17,,,yes," in lines[2]


@pytest.mark.parametrize(("given", "title"), [
    ({}, "话单 全部记录"),
    ({"month": "2026-11", "port": "805"}, "话单 2026-11 · 端口 805"),
    ({"cost_min": "0.5"}, "话单 费用 0.50 元以上"),
    ({"from": "2026-11-05", "to": "2026-11-05"}, "话单 2026-11-05"),
    ({"from": "2026-11-05", "to": "2026-11-07", "number": "138*", "call_type": "out",
      "unknown": "yes"}, "话单 2026-11-05 至 2026-11-07 · 号码 138* · 呼出 · 未知号码"),
    ({"from": "2026-11-05 10:30"}, "话单 2026-11-05 10:30 起"),
    ({"duration_min": "60", "duration_max": "120", "extension": "8123"},
     "话单 分机 8123 · 时长 60-120 秒"),
    ({"cost_max": "2", "account": "D03"}, "话单 账号 D03 · 费用 2.00 元以下"),
])
def test_report_title_words_the_filters(given: dict[str, str], title: str) -> None:
    assert report_title(parse_filters(given, ZoneInfo("Asia/Shanghai"))) == title
