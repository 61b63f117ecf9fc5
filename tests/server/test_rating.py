"""Rating (S-35) against an independent reference model, the manual's sample table, and the CLI.

The reference model below is written differently on purpose: it scans every row for the longest
matching prefix (no dict, no length table) and computes money in integer ten-thousandths of a
yuan, walking the call interval by interval, then rounds half up to fen with integer arithmetic.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from callcenter.server.cli.rate import add_rate_parser, main, run_rate
from callcenter.server.rating import (
    SAMPLE_ROWS,
    SERVICE_TYPES,
    Rating,
    Tariff,
    TariffError,
    TariffRow,
    default_tariff,
    parse_row,
    sample_tariff,
)
from callcenter.server.rating.tariff_io import read_tariff_csv, save_tariff_file

# --- the reference model --------------------------------------------------------------------------


def ref_row(rows: list[TariffRow], number: str) -> TariffRow | None:
    best = None
    for row in rows:
        if number.startswith(row.prefix) and (best is None or len(row.prefix) > len(best.prefix)):
            best = row
    return best


def ten_thousandths(amount: Decimal) -> int:
    sign, digits, exponent = amount.as_tuple()
    assert sign == 0 and isinstance(exponent, int) and exponent >= -4
    return int("".join(map(str, digits))) * int(10 ** (exponent + 4))


def ref_cost_fen(row: TariffRow, seconds: int) -> int:
    total = 0
    if seconds > 0:
        total = ten_thousandths(row.initial_charge)
        covered = row.initial_seconds
        if row.interval_seconds == 0:
            if seconds > covered:
                total += ten_thousandths(row.interval_charge)
        else:
            while covered < seconds:
                covered += row.interval_seconds
                total += ten_thousandths(row.interval_charge)
    return (total + 50) // 100  # half up, to fen


def ref_rate(rows: list[TariffRow], holiday_rows: list[TariffRow], holidays: set[date], *,
             number: str, seconds: int, start: datetime | None, call_type: str,
             answered: bool) -> tuple[Decimal, TariffRow | None, bool]:
    if call_type != "OUT":
        return Decimal("0.00"), None, False
    row = None
    on_holiday = start is not None and start.date() in holidays
    if on_holiday:
        row = ref_row(holiday_rows, number)
    used_holiday = row is not None
    if row is None:
        row = ref_row(rows, number)
    if row is None or not answered:
        return Decimal("0.00"), row, used_holiday
    return Decimal(ref_cost_fen(row, seconds)) / 100, row, used_holiday


# --- strategies -----------------------------------------------------------------------------------

# A small alphabet makes prefixes overlap, which is where longest-prefix rules go wrong.
prefixes = st.text("0129", min_size=1, max_size=5)
numbers = st.text("0129", min_size=0, max_size=8)
durations = st.integers(0, 2000)


@st.composite
def charges(draw: st.DrawFn) -> Decimal:
    places = draw(st.sampled_from([2, 2, 3, 4]))
    return Decimal(draw(st.integers(0, 5000))).scaleb(-places)


@st.composite
def tariff_rows(draw: st.DrawFn, prefix: st.SearchStrategy[str] = prefixes) -> TariffRow:
    return TariffRow(
        prefix=draw(prefix),
        description=draw(st.text(st.characters(categories=["L", "N"]), max_size=10)),
        initial_seconds=draw(st.sampled_from([0, 0, 1, 30, 60, 180])),
        initial_charge=draw(charges()),
        interval_seconds=draw(st.sampled_from([0, 1, 6, 30, 60, 60])),
        interval_charge=draw(charges()),
        service_type=draw(st.sampled_from(sorted(SERVICE_TYPES))),
    )


row_lists = st.lists(tariff_rows(), min_size=0, max_size=12, unique_by=lambda r: r.prefix)
holiday_dates = st.sets(st.dates(date(2025, 1, 1), date(2025, 1, 10)), max_size=4)
zones: st.SearchStrategy[tzinfo | None] = st.one_of(st.none(), st.timezones())
starts: st.SearchStrategy[datetime | None] = st.one_of(
    st.none(), st.datetimes(datetime(2025, 1, 1), datetime(2025, 1, 10, 23, 59),
                            timezones=zones))  # type: ignore[arg-type]


# --- the model ------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(rows=row_lists, holiday_rows=row_lists, holidays=holiday_dates, number=numbers,
       seconds=durations, start=starts, call_type=st.sampled_from(["OUT", "OUT", "IN", "INT"]),
       answered=st.booleans())
def test_rating_equals_the_reference_model(*, rows, holiday_rows, holidays, number, seconds,
                                           start, call_type, answered):
    tariff = Tariff(tuple(rows), tuple(holiday_rows), frozenset(holidays))
    rating = tariff.rate(number, seconds, start=start, call_type=call_type, answered=answered)
    cost, row, used_holiday = ref_rate(rows, holiday_rows, holidays, number=number,
                                       seconds=seconds, start=start, call_type=call_type,
                                       answered=answered)
    assert type(rating.cost) is Decimal
    assert rating.cost == cost
    assert rating.cost.as_tuple().exponent == -2
    assert rating.row == row
    assert rating.holiday is used_holiday
    assert rating.unknown is (call_type == "OUT" and row is None)
    assert rating.tariff_version == tariff.version
    assert isinstance(rating.receipt(), str)


@given(rows=row_lists, number=numbers)
def test_longest_prefix_wins(rows, number):
    row = Tariff(tuple(rows)).row_for(number)
    matching = [r for r in rows if number.startswith(r.prefix)]
    if not matching:
        assert row is None
    else:
        assert row is not None and number.startswith(row.prefix)
        assert all(len(r.prefix) <= len(row.prefix) for r in matching)


@given(rows=st.lists(tariff_rows(), min_size=1, max_size=8, unique_by=lambda r: r.prefix),
       number=numbers, a=durations, b=durations)
def test_cost_never_decreases_with_duration(rows, number, a, b):
    tariff = Tariff(tuple(rows))
    short, long_ = sorted((a, b))
    assert tariff.rate(number, short).cost <= tariff.rate(number, long_).cost


@given(row=tariff_rows(), k=st.integers(1, 20))
@example(row=SAMPLE_ROWS[0], k=2)
def test_exact_boundaries(row, k):
    tariff = Tariff((row,))
    number = row.prefix + "5"

    def cost(seconds: int) -> Decimal:
        return tariff.rate(number, seconds).cost

    def fen(amount: Decimal) -> Decimal:
        return amount.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")

    initial, step = row.initial_seconds, row.interval_seconds
    assert cost(0) == 0
    if initial > 0:
        assert cost(1) == fen(row.initial_charge)
        assert cost(initial) == fen(row.initial_charge)
    if step == 0:
        flat = fen(row.initial_charge + row.interval_charge)
        assert cost(initial + 1) == flat
        assert cost(initial + k * 1000) == flat
    else:
        assert cost(initial + 1) == fen(row.initial_charge + row.interval_charge)
        assert cost(initial + k * step) == fen(row.initial_charge + k * row.interval_charge)
        assert cost(initial + k * step + 1) == fen(row.initial_charge
                                                   + (k + 1) * row.interval_charge)


# --- the rules, by example ------------------------------------------------------------------------

ROW_12315 = SAMPLE_ROWS[0]


@pytest.mark.parametrize(("seconds", "cost", "receipt"), [
    (0, "0.00", "0 s: 0.00"),
    (1, "0.22", "180 s 0.22 = 0.22"),
    (180, "0.22", "180 s 0.22 = 0.22"),
    (181, "0.33", "180 s 0.22 + 1 x 60 s 0.11 = 0.33"),
    (240, "0.33", "180 s 0.22 + 1 x 60 s 0.11 = 0.33"),
    (241, "0.44", "180 s 0.22 + 2 x 60 s 0.11 = 0.44"),
    (300, "0.44", "180 s 0.22 + 2 x 60 s 0.11 = 0.44"),
    (301, "0.55", "180 s 0.22 + 3 x 60 s 0.11 = 0.55"),
])
def test_the_12315_row(seconds, cost, receipt):
    rating = sample_tariff().rate("12315", seconds)
    assert rating.row == ROW_12315
    assert rating.cost == Decimal(cost) and str(rating.cost) == cost
    assert rating.receipt() == receipt


# Every sample row at a few durations, computed by hand from the manual's table.
SAMPLE_COSTS = {
    #  prefix: (1 s, 60 s, 61 s, 180 s, 181 s, 300 s, 3600 s)
    "12315": ("0.22", "0.22", "0.22", "0.22", "0.33", "0.44", "6.49"),
    "12345": ("0.22", "0.22", "0.22", "0.22", "0.33", "0.44", "6.49"),
    "12365": ("0.11", "0.11", "0.11", "0.11", "0.11", "0.11", "0.11"),
    "1251": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "1252": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "1258": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "12": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "163": ("0.02", "0.02", "0.04", "0.06", "0.08", "0.10", "1.20"),
    "180": ("0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
    "19610": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "1961": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "200": ("0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
    "881": ("0.22", "0.22", "0.22", "0.22", "0.33", "0.44", "6.49"),
    "91": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "92": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "96": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "960": ("0.20", "0.20", "0.40", "0.60", "0.80", "1.00", "12.00"),
    "96163": ("0.02", "0.02", "0.04", "0.06", "0.08", "0.10", "1.20"),
}
SAMPLE_DURATIONS = (1, 60, 61, 180, 181, 300, 3600)


def test_sample_tariff_is_the_manuals_table():
    tariff = sample_tariff()
    assert [r.prefix for r in tariff.rows] == list(SAMPLE_COSTS)
    assert tariff.holiday_rows == () and tariff.holidays == frozenset()
    row = tariff.row_for("12365")
    assert row == TariffRow("12365", "网际商务", 0, Decimal("0.00"), 0, Decimal("0.11"), 5)
    assert tariff.row_for("96163") == TariffRow("96163", "网号上网", 0, Decimal("0.00"), 60,
                                                Decimal("0.02"), 3)
    assert tariff.service_type(0).label() == "0-国际长途"
    assert tariff.service_type(1).label() == "1-国内长途"
    assert tariff.service_type(13).label() == "13-移动网"
    assert tariff.service_type(18).label() == "18-报障台"
    assert tariff.service_type(3).name_en == "local"
    assert tariff.service_type(1).scope == "long_distance"
    assert tariff.service_type(42).label() == "42-业务类型42"


@pytest.mark.parametrize("prefix", list(SAMPLE_COSTS))
def test_every_sample_row_by_hand(prefix):
    tariff = sample_tariff()
    # A number that extends the prefix with digits no longer sample prefix continues with.
    number = prefix + "7777"
    for seconds, cost in zip(SAMPLE_DURATIONS, SAMPLE_COSTS[prefix], strict=True):
        rating = tariff.rate(number, seconds)
        assert rating.row is not None and rating.row.prefix == prefix
        assert type(rating.cost) is Decimal
        assert str(rating.cost) == cost, (prefix, seconds)


def test_longest_prefix_in_the_sample():
    tariff = sample_tariff()

    def prefix(number: str) -> str:
        row = tariff.rate(number, 60).row
        assert row is not None, number
        return row.prefix

    assert prefix("12345000") == "12345"
    assert prefix("1234") == "12"
    assert prefix("1961") == "1961"
    assert prefix("19610") == "19610"
    assert tariff.rate("196", 60).unknown
    assert prefix("961630") == "96163"
    assert prefix("96164") == "96"


def test_flat_interval_row_12365():
    tariff = sample_tariff()
    for seconds in (1, 59, 60, 61, 3600, 86400):
        rating = tariff.rate("123650000", seconds)
        assert rating.cost == Decimal("0.11")
        assert rating.receipt() == "0 s 0.00 + flat 0.11 = 0.11"
    assert tariff.rate("123650000", 0).cost == 0


def test_unknown_number_costs_nothing_and_is_flagged():
    rating = sample_tariff().rate("02088886666", 300)
    assert rating.unknown and rating.row is None
    assert rating.cost == Decimal("0.00") and type(rating.cost) is Decimal
    assert rating.receipt() == "no tariff row for this number: 0.00"
    assert sample_tariff().rate("", 10).unknown


@pytest.mark.parametrize(("kwargs", "receipt"), [
    ({"call_type": "IN"}, "incoming call: 0.00"),
    ({"call_type": "INT"}, "internal call: 0.00"),
    ({"answered": False}, "unanswered: 0.00"),
])
def test_free_calls(kwargs, receipt):
    rating = sample_tariff().rate("12315", 300, **kwargs)
    assert rating.cost == Decimal("0.00") and type(rating.cost) is Decimal
    assert not rating.unknown
    assert rating.receipt() == receipt


def test_bad_arguments_to_rate():
    with pytest.raises(ValueError, match="call_type: must be one of OUT, IN, INT"):
        sample_tariff().rate("12315", 30, call_type="out")
    with pytest.raises(ValueError, match="seconds: must be a whole number 0 or more"):
        sample_tariff().rate("12315", -1)


def test_rounding_is_half_up_and_the_receipt_shows_it():
    row = TariffRow("8", "", 0, Decimal("0.0000"), 10, Decimal("0.0025"), 3)
    tariff = Tariff((row,))
    assert tariff.rate("8", 10).cost == Decimal("0.00")  # 0.0025 -> 0.00
    rating = tariff.rate("8", 20)  # 0.0050 -> 0.01, half up
    assert rating.cost == Decimal("0.01")
    assert rating.receipt() == "0 s 0.0000 + 2 x 10 s 0.0025 = 0.0050, rounded 0.01"


# --- holidays ------------------------------------------------------------------------------------

HOLIDAY_ROW = TariffRow("12315", "节假日", 0, Decimal("0.00"), 60, Decimal("0.05"), 3)


def holiday_tariff() -> Tariff:
    return Tariff(SAMPLE_ROWS, (HOLIDAY_ROW,), frozenset({date(2025, 10, 1)}))


def test_holiday_rows_apply_on_a_holiday():
    rating = holiday_tariff().rate("12315", 300, start=datetime(2025, 10, 1, 9, 30))
    assert rating.holiday and rating.row == HOLIDAY_ROW
    assert rating.cost == Decimal("0.25")


def test_normal_rows_on_other_days_and_without_start():
    tariff = holiday_tariff()
    for start in (datetime(2025, 9, 30, 23, 59, 59), datetime(2025, 10, 2), None):
        rating = tariff.rate("12315", 300, start=start)
        assert not rating.holiday and rating.cost == Decimal("0.44")


def test_holiday_falls_back_to_normal_rows():
    rating = holiday_tariff().rate("1251000", 61, start=datetime(2025, 10, 1, 12))
    assert not rating.holiday and rating.row is not None and rating.row.prefix == "1251"
    assert rating.cost == Decimal("0.40")


def test_holiday_is_the_starts_own_local_date():
    tariff = holiday_tariff()
    beijing = timezone(timedelta(hours=8))
    # 2025-10-01 07:00 in Beijing is still 2025-09-30 in UTC: it is the holiday all the same.
    assert tariff.rate("12315", 300, start=datetime(2025, 10, 1, 7, tzinfo=beijing)).holiday
    # A call starting at 23:59 on the holiday, lasting past midnight, is a holiday call.
    assert tariff.rate("12315", 600, start=datetime(2025, 10, 1, 23, 59)).holiday


def test_sample_tariff_has_no_holiday():
    assert not sample_tariff().rate("12315", 300, start=datetime(2025, 10, 1, 9)).holiday


# --- rows, tariffs, versions ------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("prefix", "12a", "prefix: must be 1-20 digits 0-9"),
    ("prefix", "", "prefix: must be 1-20 digits 0-9"),
    ("description", "a\nb", "description: must be text of at most 40 characters"),
    ("initial_seconds", -1, "initial_seconds: must be a whole number 0-86400"),
    ("initial_seconds", 86401, "initial_seconds: must be a whole number 0-86400"),
    ("initial_seconds", True, "initial_seconds: must be a whole number 0-86400"),
    ("initial_charge", 0.22, "initial_charge: must be an amount 0-10000 with at most 4 decimal"),
    ("initial_charge", Decimal("-0.01"), "initial_charge: must be an amount"),
    ("initial_charge", Decimal("0.00001"), "initial_charge: must be an amount"),
    ("initial_charge", Decimal("NaN"), "initial_charge: must be an amount"),
    ("interval_seconds", 1.5, "interval_seconds: must be a whole number 0-86400 (0 = one flat"),
    ("interval_charge", "0.11", "interval_charge: must be an amount"),
    ("service_type", 100, "service_type: must be a whole number 0-99"),
])
def test_a_bad_row_names_the_field(field, value, message):
    fields = {"prefix": "12315", "description": "x", "initial_seconds": 180,
              "initial_charge": Decimal("0.22"), "interval_seconds": 60,
              "interval_charge": Decimal("0.11"), "service_type": 3}
    fields[field] = value
    with pytest.raises(TariffError, match=message.replace("(", r"\(")):
        TariffRow(**fields)  # type: ignore[arg-type]


def test_parse_row_reports_every_bad_field():
    row, problems = parse_row({"prefix": "12x", "description": "ok", "initial_seconds": "3x",
                               "initial_charge": "0.2", "interval_seconds": "60",
                               "interval_charge": "abc", "service_type": ""})
    assert row is None
    assert problems == [
        "prefix: must be 1-20 digits 0-9, got '12x'",
        "initial_seconds: must be a whole number 0-86400, got '3x'",
        "interval_charge: must be an amount 0-10000 with at most 4 decimal places, got 'abc'",
        "service_type: must be a whole number 0-99, got ''",
    ]
    row, problems = parse_row({"prefix": " １２３ ", "description": "全角１",
                               "initial_seconds": 180.0, "initial_charge": "0.2",
                               "interval_seconds": "60", "interval_charge": 0.11,
                               "service_type": "3"})
    assert problems == []
    assert row == TariffRow("123", "全角１", 180, Decimal("0.20"), 60, Decimal("0.11"), 3)


def test_duplicate_prefix_is_an_error():
    with pytest.raises(TariffError, match="row 3: prefix 12315 appears twice"):
        Tariff((SAMPLE_ROWS[0], SAMPLE_ROWS[1], SAMPLE_ROWS[0]))
    with pytest.raises(TariffError, match="holiday row 2: prefix 8 appears twice"):
        Tariff(SAMPLE_ROWS, (HOLIDAY_ROW.__class__("8", "", 0, Decimal(0), 0, Decimal(0), 3),) * 2)


def test_holidays_must_be_dates():
    with pytest.raises(TariffError, match="holidays: must be dates"):
        Tariff(SAMPLE_ROWS, holidays=frozenset({datetime(2025, 10, 1)}))


def test_a_changed_tariff_is_a_new_version():
    base = sample_tariff()
    assert sample_tariff().version == base.version
    assert Tariff(tuple(reversed(SAMPLE_ROWS))).version == base.version  # order does not matter
    changed = base.with_rows((*SAMPLE_ROWS[1:], TariffRow(
        "12315", "南燕齐托办热线", 180, Decimal("0.23"), 60, Decimal("0.11"), 3)))
    assert changed.version != base.version
    assert base.with_rows(holidays={date(2025, 10, 1)}).version != base.version
    assert base.with_rows(holiday_rows=(HOLIDAY_ROW,)).version != base.version
    assert Tariff(SAMPLE_ROWS, version="7").version == "7"
    assert base.rate("12315", 1).tariff_version == base.version
    assert "rows=18" in repr(base)


def test_rating_is_immutable():
    rating = sample_tariff().rate("12315", 300)
    assert isinstance(rating, Rating)
    with pytest.raises(AttributeError):
        rating.cost = Decimal(0)  # type: ignore[misc]


# --- the CLI -------------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="callcenter-server")
    add_rate_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["rate", *argv])


def test_cli_human_output(capsys):
    args = parse(["87654321", "300"])
    assert args.func is run_rate
    assert run_rate(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("87654321 300 s: 0.44 (prefix 8 市话, 2-市话费: "
                          "180 s 0.22 + 2 x 60 s 0.11 = 0.44; tariff ")
    assert out.endswith(f"{default_tariff().version})\n")


def test_cli_unknown_number(capsys):
    assert run_rate(parse(["999", "300"])) == 0
    assert "999 300 s: 0.00 (no tariff row matches: flagged unknown" in (
        capsys.readouterr().out)


def test_cli_json_output(capsys):
    assert run_rate(parse(["13800138000", "61", "--json"])) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["cost"] == "0.40" and obj["prefix"] == "13"
    assert obj["description"] == "移动电话" and obj["service_type"] == 13
    assert obj["service_name"] == "移动网" and obj["service_name_en"] == "mobile network"
    assert obj["receipt"] == "0 s 0.00 + 2 x 60 s 0.20 = 0.40"
    assert obj["unknown"] is False and obj["holiday"] is False
    assert obj["tariff_version"] == default_tariff().version


def test_cli_json_unknown(capsys):
    assert main(["999", "60", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["cost"] == "0.00" and obj["prefix"] is None and obj["unknown"] is True


def test_cli_uses_the_data_directorys_tariff_and_holidays(tmp_path: Path, capsys):
    save_tariff_file(holiday_tariff(), tmp_path / "tariff.json")
    assert main(["12315", "300", "--json", "--data", str(tmp_path),
                 "--at", "2025-10-01T09:30"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["cost"] == "0.25" and obj["holiday"] is True and obj["description"] == "节假日"
    assert obj["tariff_version"] == holiday_tariff().version
    assert main(["12315", "300", "--data", str(tmp_path), "--at", "2025-10-02"]) == 0
    assert ": 0.44 (" in capsys.readouterr().out
    # A data folder without tariff.json (a store only): the built-in tariff applies.
    store_only = tmp_path / "store-only"
    store_only.mkdir()
    (store_only / "callcenter.db").touch()
    assert main(["12315", "300", "--json", "--data", str(store_only)]) == 0
    assert json.loads(capsys.readouterr().out)["tariff_version"] == default_tariff().version


def test_cli_data_without_server_data_exits_1(tmp_path: Path, capsys):
    """A mistyped --data must not silently rate with the built-in tariff."""
    for data in (tmp_path / "typo", tmp_path):
        assert main(["12315", "300", "--data", str(data)]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert f"no server data in {data} (" in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "typo").exists() and list(tmp_path.iterdir()) == []
    # The same through callcenter-server itself.
    from callcenter.server import cli

    assert cli.main(["rate", "12315", "300", "--data", str(tmp_path / "typo")]) == 1
    assert "no server data in" in capsys.readouterr().err


def test_cli_bad_tariff_file_exits_1(tmp_path: Path, capsys):
    (tmp_path / "tariff.json").write_text('{"rows": []}', encoding="utf-8")
    assert main(["12315", "300", "--data", str(tmp_path)]) == 1
    assert "rows: must be a non-empty list" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["12a45", "300"], "NUMBER: must be 1-32 digits 0-9"),
    (["１２３", "300"], "NUMBER: must be 1-32 digits 0-9"),
    (["12345", "-5"], "SECONDS: must be a whole number of seconds 0-9999999, got '-5'"),
    (["12345", "1.5"], "SECONDS: must be a whole number of seconds"),
    (["12345", "abc"], "SECONDS: must be a whole number of seconds"),
    (["12345", "30", "--at", "yesterday"], "--at: must be an ISO date-time"),
])
def test_cli_bad_arguments_exit_2(argv, message, capsys):
    assert run_rate(parse(argv)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and "Traceback" not in captured.err


def test_cli_as_a_program():
    code = "import sys; from callcenter.server.cli.rate import main; sys.exit(main())"
    ok = subprocess.run([sys.executable, "-c", code, "87654321", "300"], capture_output=True,
                        text=True, encoding="utf-8", timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("87654321 300 s: 0.44 (prefix 8 ")
    bad = subprocess.run([sys.executable, "-c", code, "12315888", "-5"], capture_output=True,
                         text=True, encoding="utf-8", timeout=60, check=False)
    assert bad.returncode == 2
    assert "SECONDS: must be a whole number" in bad.stderr and "Traceback" not in bad.stderr


@given(number=st.text("0123456789", min_size=1, max_size=12), seconds=st.integers(0, 100000))
@settings(max_examples=50, deadline=None)
def test_cli_json_agrees_with_rate(number, seconds):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([number, str(seconds), "--json"]) == 0
    obj = json.loads(out.getvalue())
    rating = default_tariff().rate(number, seconds)
    assert obj["cost"] == str(rating.cost)
    assert obj["prefix"] == (rating.row.prefix if rating.row else None)


# --- the built-in tariff -------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "seconds", "cost", "scope"), [
    ("87654321", 60, "0.22", "local"),           # local 8 digits: 0.22 the first 3 minutes
    ("23456789", 241, "0.44", "local"),          # then 0.11 a started minute
    ("13800138000", 60, "0.20", "mobile"),       # mobiles 0.20 a started minute
    ("15912345678", 61, "0.40", "mobile"),
    ("18612345678", 1, "0.20", "mobile"),
    ("02087654321", 60, "0.70", "long_distance"),  # 0.07 per 6 s
    ("0571876543", 7, "0.14", "long_distance"),
    ("0014155550100", 60, "8.00", "international"),  # 0.80 per 6 s, dearer still
])
def test_default_tariff_prices_the_numbers_a_pbx_dials(number, seconds, cost, scope):
    tariff = default_tariff()
    rating = tariff.rate(number, seconds)
    assert str(rating.cost) == cost and not rating.unknown
    assert rating.row is not None and tariff.service_type(rating.row.service_type).scope == scope


@pytest.mark.parametrize("number", ["110", "119", "120", "122", "112", "12315", "12345",
                                    "10000", "10010", "10086"])
def test_default_tariff_emergency_and_service_numbers_are_free(number):
    rating = default_tariff().rate(number, 600)
    assert rating.cost == Decimal("0.00") and not rating.unknown and rating.row is not None
    assert default_tariff().service_type(rating.row.service_type).scope == "service"


def test_default_tariff_long_distance_dearer_than_local_international_dearer_still():
    tariff = default_tariff()
    for seconds in (30, 60, 300, 3600):
        local = tariff.rate("87654321", seconds).cost
        mobile = tariff.rate("13800138000", seconds).cost
        long_distance = tariff.rate("02087654321", seconds).cost
        international = tariff.rate("0014155550100", seconds).cost
        assert 0 < local < long_distance < international, seconds
        assert 0 < mobile < long_distance, seconds


def test_default_tariff_prices_every_number_the_simulator_makes():
    import random

    from callcenter.pbxsim.traffic import outside_number

    rng = random.Random(7)
    tariff = default_tariff()
    for _ in range(2000):
        number = outside_number(rng)
        rating = tariff.rate(number, 60)
        assert not rating.unknown and rating.cost > 0, number


def test_the_manuals_sample_ships_as_an_example_file_to_import():
    example = Path(__file__).parents[2] / "docs" / "examples" / "manual-sample-tariff.csv"
    assert read_tariff_csv(example) == SAMPLE_ROWS == sample_tariff().rows
    assert default_tariff().version != sample_tariff().version


def test_the_example_file_imports_as_the_servers_tariff(tmp_path: Path, capsys) -> None:
    from callcenter.server import cli
    example = Path(__file__).parents[2] / "docs" / "examples" / "manual-sample-tariff.csv"
    assert cli.main(["tariff", "import", str(example), "--data", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["12315888", "300", "--json", "--data", str(tmp_path)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["cost"] == "0.44" and obj["description"] == "南燕齐托办热线"
    assert obj["tariff_version"] == sample_tariff().version
