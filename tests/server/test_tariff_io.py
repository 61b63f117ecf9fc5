"""Tariff files: CSV and XLSX round trips, Chinese titles, every bad row reported, JSON file."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.server.rating import SAMPLE_ROWS, Tariff, TariffRow, default_tariff
from callcenter.server.rating.tariff_io import (
    TariffImportError,
    format_tariff_csv,
    import_tariff,
    load_data_tariff,
    load_tariff_file,
    parse_tariff_csv,
    read_tariff_csv,
    read_tariff_rows,
    read_tariff_xlsx,
    save_tariff_file,
    tariff_from_json,
    tariff_to_json,
    write_tariff_csv,
    write_tariff_rows,
)

HEADER = "prefix,description,initial_seconds,initial_charge,interval_seconds,interval_charge," \
         "service_type"
HEADER_ZH = "字头,字头说明,起步时间,起步费率,计费间隔,计费费率,业务类型"

# --- CSV ------------------------------------------------------------------------------------------


def test_csv_round_trip_of_the_sample(tmp_path: Path):
    path = tmp_path / "tariff.csv"
    write_tariff_csv(SAMPLE_ROWS, path)
    data = path.read_bytes()
    assert data.startswith(HEADER.encode() + b"\r\n")  # English names, no byte-order mark
    assert b"12315,\xe5\x8d\x97" in data and b",0.22,60,0.11,3\r\n" in data
    assert read_tariff_csv(path) == SAMPLE_ROWS
    assert read_tariff_rows(path) == SAMPLE_ROWS


rows_strategy = st.lists(
    st.builds(
        TariffRow,
        prefix=st.text("0123456789", min_size=1, max_size=20),
        description=st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=40)
        .map(str.strip),
        initial_seconds=st.integers(0, 86400),
        initial_charge=st.integers(0, 10_000_000).map(lambda n: Decimal(n).scaleb(-4)),
        interval_seconds=st.integers(0, 86400),
        interval_charge=st.integers(0, 1_000_000).map(lambda n: Decimal(n).scaleb(-2)),
        service_type=st.integers(0, 99),
    ),
    min_size=1, max_size=10, unique_by=lambda r: r.prefix,
)


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy)
def test_csv_round_trip_of_any_rows(rows):
    back = parse_tariff_csv(format_tariff_csv(rows).encode())
    assert back == tuple(rows)
    assert all(type(r.initial_charge) is Decimal and type(r.interval_charge) is Decimal
               for r in back)


def test_csv_with_the_manuals_chinese_titles_in_any_order():
    text = ("\ufeff业务类型,字头,字头说明,起步时间,起步费率,计费间隔,计费费率,业务名称\r\n"
            "3,12315,南燕齐托办热线,180,0.22,60,0.11,3-市话费\r\n"
            "\r\n"
            "5,12365,网际商务,0,0,0,.11,5-市话费\r\n")
    rows = parse_tariff_csv(text.encode())
    assert rows == (SAMPLE_ROWS[0], SAMPLE_ROWS[2])


def test_csv_saved_by_chinese_excel_in_gb18030():
    text = HEADER_ZH + "\r\n12315,南燕齐托办热线,180,0.22,60,0.11,3\r\n"
    assert parse_tariff_csv(text.encode("gb18030")) == (SAMPLE_ROWS[0],)


def test_csv_reports_every_bad_row_and_returns_nothing():
    text = "\n".join([
        HEADER,
        "12315,ok,180,0.22,60,0.11,3",         # row 2: fine
        "12a,bad prefix,180,0.22,60,0.11,3",    # row 3
        "555,two bad,-1,0.22,60,0.111111,3",    # row 4: two fields
        "12315,again,0,0,60,0.20,3",            # row 5: duplicate of row 2
        "777,float,0,0,60,0.20,3,extra",        # row 6: too many cells
        "888,short,0,0",                        # row 7: missing cells
        "999,type,0,0,60,0.20,100",             # row 8
    ])
    with pytest.raises(TariffImportError) as caught:
        parse_tariff_csv(text.encode(), "t.csv")
    problems = caught.value.problems
    assert problems == [
        "row 3: prefix: must be 1-20 digits 0-9, got '12a'",
        "row 4: initial_seconds: must be a whole number 0-86400, got '-1'",
        "row 4: interval_charge: must be an amount 0-10000 with at most 4 decimal places, "
        "got '0.111111'",
        "row 5: prefix: 12315 is already on row 2 (each prefix once)",
        "row 6: 8 cells, but the header has 7 columns",
        "row 7: interval_seconds: must be a whole number 0-86400 (0 = one flat charge), got ''",
        "row 7: interval_charge: must be an amount 0-10000 with at most 4 decimal places, got ''",
        "row 7: service_type: must be a whole number 0-99, got ''",
        "row 8: service_type: must be a whole number 0-99, got '100'",
    ]
    assert str(caught.value).startswith("t.csv: 9 problems, nothing imported\n  row 3: ")


@pytest.mark.parametrize(("text", "problem"), [
    ("", "the file is empty: expected a header row with prefix, description"),
    ("\n\n", "the file is empty"),
    (HEADER + "\n", "no tariff rows after the header"),
    ("prefix,description,initial_seconds,initial_charge,interval_seconds,interval_charge\n"
     "1,x,0,0,0,0\n", "row 1: missing column service_type (业务类型)"),
    (HEADER + ",rate\n", "row 1: unknown column 'rate'; the columns are prefix, description"),
    (HEADER + ",字头\n", "row 1: column '字头' (prefix) appears twice"),
])
def test_csv_structure_problems(text, problem):
    with pytest.raises(TariffImportError) as caught:
        parse_tariff_csv(text.encode())
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_csv_not_text():
    with pytest.raises(TariffImportError, match="not UTF-8 text"):
        parse_tariff_csv(b"\xff\xfe\x00\x81\x00")


def test_missing_file_is_reported(tmp_path: Path):
    with pytest.raises(TariffImportError, match="cannot read the file"):
        read_tariff_csv(tmp_path / "nope.csv")
    with pytest.raises(TariffImportError, match=r"must end in \.csv or \.xlsx"):
        read_tariff_rows(tmp_path / "tariff.txt")


# --- XLSX -----------------------------------------------------------------------------------------


def test_xlsx_round_trip_with_chinese_titles(tmp_path: Path):
    path = tmp_path / "tariff.xlsx"
    rows = (*SAMPLE_ROWS, TariffRow("0086", "前导零", 0, Decimal("1.2345"), 6, Decimal("0.05"), 0))
    write_tariff_rows(rows, path)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["字头", "字头说明", "起步时间", "起步费率", "计费间隔",
                                          "计费费率", "业务类型", "业务名称"]
    assert [c.value for c in sheet[2]][:2] == ["12315", "南燕齐托办热线"]
    assert sheet.cell(2, 8).value == "3-市话费"
    assert sheet.cell(len(rows) + 1, 1).value == "0086"
    book.close()
    assert read_tariff_xlsx(path) == rows
    assert read_tariff_rows(path) == rows


def test_xlsx_typed_by_hand_with_numbers(tmp_path: Path):
    """A sheet where someone typed prefixes and charges as numbers (floats in the file)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER_ZH.split(","))
    sheet.append([12315, "南燕齐托办热线", 180, 0.22, 60, 0.11, 3])
    sheet.append([None, None, None])
    sheet.append([96163, "网号上网", 0, 0, 60, 0.02, 3.0])
    path = tmp_path / "typed.xlsx"
    book.save(path)
    assert read_tariff_xlsx(path) == (SAMPLE_ROWS[0], SAMPLE_ROWS[-1])


def test_xlsx_reports_every_bad_row(tmp_path: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["12315", "ok", 180, 0.22, 60, 0.11, 3])
    sheet.append(["12x", "bad", 180, 0.22, 60, 0.11, 3])
    sheet.append(["555", "bad", 180, -0.5, 60, 0.11, 3])
    sheet.append(["12315", "dup", 180, 0.22, 60, 0.11, 3])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(TariffImportError) as caught:
        read_tariff_xlsx(path)
    assert [p.split(":")[0] + ":" + p.split(":")[1] for p in caught.value.problems] == [
        "row 3: prefix", "row 4: initial_charge", "row 5: prefix"]


def test_not_a_workbook(tmp_path: Path):
    path = tmp_path / "fake.xlsx"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(TariffImportError, match="not a readable XLSX workbook"):
        read_tariff_xlsx(path)


# --- import replaces nothing on error ------------------------------------------------------------


def test_a_bad_file_changes_nothing(tmp_path: Path):
    tariff = default_tariff()
    before = (tariff.version, tariff.rows)
    path = tmp_path / "new.csv"
    path.write_text(HEADER + "\n8,ok,0,0,60,0.10,3\n9,bad,0,0,60,x,3\n", encoding="utf-8")
    with pytest.raises(TariffImportError):
        tariff = import_tariff(tariff, path)
    assert (tariff.version, tariff.rows) == before


def test_import_makes_a_new_version(tmp_path: Path):
    base = Tariff(SAMPLE_ROWS, holidays=frozenset({date(2025, 10, 1)}))
    path = tmp_path / "new.csv"
    path.write_text(HEADER + "\n8,ok,0,0,60,0.10,3\n", encoding="utf-8")
    new = import_tariff(base, path)
    assert new.rows == (TariffRow("8", "ok", 0, Decimal("0.00"), 60, Decimal("0.10"), 3),)
    assert new.holidays == base.holidays and new.version != base.version
    holiday = import_tariff(base, path, holiday=True)
    assert holiday.rows == SAMPLE_ROWS and holiday.holiday_rows == new.rows
    assert holiday.rate("8", 60).cost == 0 and holiday.rate("8", 60).unknown


def test_export_replaces_an_existing_file(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o640)
    write_tariff_csv(SAMPLE_ROWS[:1], path)
    assert read_tariff_csv(path) == SAMPLE_ROWS[:1]
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


# --- the JSON tariff file -------------------------------------------------------------------------

HOLIDAY_ROW = TariffRow("12315", "节假日", 0, Decimal("0.00"), 60, Decimal("0.05"), 3)


def test_json_round_trip(tmp_path: Path):
    tariff = Tariff(SAMPLE_ROWS, (HOLIDAY_ROW,), frozenset({date(2025, 10, 1), date(2026, 1, 1)}))
    path = tmp_path / "tariff.json"
    save_tariff_file(tariff, path)
    obj = json.loads(path.read_text(encoding="utf-8"))
    assert obj["version"] == tariff.version
    assert obj["rows"][0] == {"prefix": "12315", "description": "南燕齐托办热线",
                              "initial_seconds": 180, "initial_charge": "0.22",
                              "interval_seconds": 60, "interval_charge": "0.11",
                              "service_type": 3}
    assert obj["holidays"] == ["2025-10-01", "2026-01-01"]
    loaded = load_tariff_file(path)
    assert (loaded.rows, loaded.holiday_rows, loaded.holidays, loaded.version) == (
        tariff.rows, tariff.holiday_rows, tariff.holidays, tariff.version)
    assert loaded.service_type(13).label() == "13-移动网"
    assert load_data_tariff(tmp_path).version == tariff.version


def test_json_edited_by_hand_is_a_new_version():
    obj = tariff_to_json(default_tariff())
    obj["rows"][0]["initial_charge"] = 0.25  # a JSON number is fine too
    obj["service_types"] = [{"code": 3, "name_zh": "本地", "name_en": "local"}]
    tariff = tariff_from_json(json.loads(json.dumps(obj)))
    assert tariff.rows[0].initial_charge == Decimal("0.25")
    assert tariff.version != obj["version"]
    assert tariff.service_type(3).label() == "3-本地"


def test_json_reports_every_problem():
    obj = {
        "format": "something-else",
        "rows": [{"prefix": "1a", "description": "x", "initial_seconds": 0,
                  "initial_charge": "0", "interval_seconds": 60, "interval_charge": "0.1",
                  "service_type": 3, "colour": "red"},
                 "not a row"],
        "holiday_rows": {},
        "holidays": ["2025-13-01"],
        "service_types": [{"code": "3"}],
        "extra": 1,
    }
    with pytest.raises(TariffImportError) as caught:
        tariff_from_json(obj, "t.json")
    assert caught.value.problems == [
        "format: must be 'callcenter-tariff/1', got 'something-else'",
        "extra: unknown key",
        "rows[0]: colour: unknown field",
        "rows[0]: prefix: must be 1-20 digits 0-9, got '1a'",
        "rows[1]: must be an object with prefix, description, initial_seconds, initial_charge, "
        "interval_seconds, interval_charge, service_type",
        "holiday_rows: must be a list of rows, each an object with prefix, description, "
        "initial_seconds, initial_charge, interval_seconds, interval_charge, service_type",
        "holidays[0]: must be a date YYYY-MM-DD, got '2025-13-01'",
        "service_types[0]: must be an object with code (a whole number 0-99), name_zh, name_en "
        "and scope",
    ]


def test_json_file_that_is_not_json(tmp_path: Path):
    path = tmp_path / "tariff.json"
    path.write_text("{rows:", encoding="utf-8")
    with pytest.raises(TariffImportError, match="not a JSON file"):
        load_tariff_file(path)


def test_data_directory_without_a_tariff_file(tmp_path: Path):
    assert load_data_tariff(None).version == default_tariff().version
    assert load_data_tariff(tmp_path).version == default_tariff().version
