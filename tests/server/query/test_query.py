"""Filters, sorting, paging and summaries against the Python reference, on both databases."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import tests.server.query.query_refmodel as refmodel
from callcenter.server.query import (
    FilterError,
    Filters,
    count_records,
    iter_records,
    parse_filters,
    search,
    search_after,
    summarize,
)
from callcenter.server.query.filters import SORT_COLUMNS
from callcenter.server.query.summary import GROUPS
from callcenter.server.store.db import database
from tests.server.query.query_support import Ref

TZ = ZoneInfo("Asia/Shanghai")

#: Each filter alone (as typed), then combinations.
FILTER_CASES: list[dict[str, str]] = [
    {},
    {"from": "2026-03-01"},
    {"to": "2026-02-28"},
    {"from": "2026-02-01 12:00", "to": "2026-04-15 08:30"},
    {"from": "2026-02-01T00:00+00:00", "to": "2026-02-01T16:00:00+00:00"},
    {"month": "2026-03"},
    {"port": "803"},
    {"extension": "8031"},
    {"trunk": "2"},
    {"number": "12315888"},
    {"number": "138*"},
    {"number": "*888*"},
    {"number_prefix": "12"},
    {"number_contains": "00"},
    {"duration_min": "60"},
    {"duration_max": "59"},
    {"duration_min": "60", "duration_max": "181"},
    {"cost_min": "0.01"},
    {"cost_max": "0.44"},
    {"cost_min": "0.20", "cost_max": "1.00"},
    {"service_type": "3"},
    {"service_type": "13"},
    {"call_type": "in"},
    {"account": "A17"},
    {"unknown": "yes"},
    {"unknown": "no"},
    {"pbx": "pbx-b"},
    {"month": "2026-02", "port": "801", "call_type": "OUT"},
    {"from": "2026-01-15", "number": "1*", "duration_min": "1", "cost_min": "0.1"},
    {"extension": "8020", "trunk": "3", "account": "B2"},
    {"service_type": "3", "unknown": "no", "pbx": "pbx-a", "to": "2026-05-31"},
]


def ids(rows: Any) -> list[int]:
    return [r.id for r in rows]


def expected(refs: list[Ref], f: Filters, sort: str = "start", desc: bool = False) -> list[Ref]:
    chosen = [r for r in refs if refmodel.matches(r, f)]
    return sorted(chosen, key=refmodel.sort_key(sort), reverse=desc)


@pytest.mark.parametrize("case", FILTER_CASES, ids=lambda c: ",".join(c) or "none")
def test_each_filter_alone_and_combined_matches_the_reference(
        filled: tuple[Any, list[Ref]], case: dict[str, str]) -> None:
    _target, refs = filled
    f = parse_filters(case, TZ)
    want = expected(refs, f)
    assert ids(search(database, f, limit=1000)) == ids(want)
    assert count_records(database, f) == len(want)
    assert ids(iter_records(database, f, page=7)) == ids(want)
    if case:
        assert 0 < len(want) < len(refs), "each case should select some but not all records"


def test_views_carry_the_stored_fields(filled: tuple[Any, list[Ref]]) -> None:
    _target, refs = filled
    by_id = {r.id: r for r in refs}
    for view in search(database, Filters(), limit=1000):
        ref = by_id[view.id]
        assert (view.seq, view.port, view.extension, view.trunk, view.number, view.duration,
                view.cost, view.call_type, view.account, view.service_type, view.unknown,
                view.description, view.pbx) == (
            ref.seq, ref.port, ref.extension, ref.trunk, ref.number, ref.duration, ref.cost,
            ref.call_type, ref.account, ref.service_type, ref.unknown, ref.description,
            ref.pbx)
        assert view.start.strftime("%Y%m%d%H%M%S") == ref.local_start
        assert view.start.utcoffset() is not None
        assert view.start.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


@pytest.mark.parametrize("desc", [False, True])
def test_sort_by_each_column(filled: tuple[Any, list[Ref]], desc: bool) -> None:
    _target, refs = filled
    f = Filters()
    for sort in SORT_COLUMNS:
        got = search(database, f, sort=sort, desc=desc, limit=1000)
        assert ids(got) == ids(expected(refs, f, sort, desc)), sort


def test_offset_paging_has_no_duplicates_or_gaps(filled: tuple[Any, list[Ref]]) -> None:
    _target, refs = filled
    f = parse_filters({"call_type": "OUT"}, TZ)
    want = ids(expected(refs, f, "number", True))
    pages: list[int] = []
    for offset in range(0, len(want) + 40, 40):
        pages += ids(search(database, f, sort="number", desc=True, limit=40, offset=offset))
    assert pages == want


@pytest.mark.parametrize("desc", [False, True])
def test_keyset_paging_has_no_duplicates_or_gaps(filled: tuple[Any, list[Ref]],
                                                 desc: bool) -> None:
    _target, refs = filled
    f = parse_filters({"from": "2026-02-01"}, TZ)
    want = ids(expected(refs, f, "start", desc))
    got: list[int] = []
    after = None
    while True:
        page = search_after(database, f, after, limit=33, desc=desc)
        got += ids(page.rows)
        if page.next_after is None:
            break
        after = page.next_after
    assert got == want


@pytest.mark.parametrize("by", [None, *GROUPS])
def test_summaries_equal_the_reference_sums(filled: tuple[Any, list[Ref]],
                                            by: str | None) -> None:
    _target, refs = filled
    for case in ({}, {"month": "2026-03", "call_type": "OUT"}, {"port": "999"}):
        f = parse_filters(case, TZ)
        chosen = [r for r in refs if refmodel.matches(r, f)]
        want = refmodel.summary(chosen, by)
        got = summarize(database, f, by)
        if by is not None:
            assert {r.key: (r.count, r.duration, r.cost) for r in got.rows} == want
        total = (sum(c for c, _d, _m in want.values()), sum(d for _c, d, _m in want.values()),
                 sum((m for _c, _d, m in want.values()), Decimal("0.00")))
        assert (got.total.count, got.total.duration, got.total.cost) == total
        assert isinstance(got.total.cost, Decimal)


def test_service_type_labels_and_day_keys(filled: tuple[Any, list[Ref]]) -> None:
    labels = {r.key: r.label for r in summarize(database, Filters(), "service_type").rows}
    assert labels["3"] == "3-市话费" and labels["13"] == "13-移动网"
    days = [r.key for r in summarize(database, Filters(), "day").rows]
    assert days == sorted(days) and all(len(d) == 10 and d[4] == "-" for d in days)


def test_hour_keys_are_the_local_hour_of_day(filled: tuple[Any, list[Ref]]) -> None:
    _target, refs = filled
    rows = summarize(database, Filters(), "hour").rows
    hours = [r.key for r in rows]
    assert hours == sorted(hours) and all(len(h) == 2 and 0 <= int(h) <= 23 for h in hours)
    assert [r.label for r in rows] == hours
    # the PBX-local hour (+08:00), not the UTC one: the calls at local midnight count in "00"
    midnight = [r for r in refs if r.local_start[8:14] == "000000"]
    assert midnight and all(r.start.hour == 16 for r in midnight)
    by_hour = {r.key: r.count for r in rows}
    assert by_hour["00"] == sum(1 for r in refs if r.local_start[8:10] == "00")
    assert sum(by_hour.values()) == len(refs)


def test_empty_store_gives_empty_results(store_db: Any) -> None:
    f = Filters()
    assert search(database, f) == [] and count_records(database, f) == 0
    assert list(iter_records(database, f)) == []
    page = search_after(database, f)
    assert page.rows == [] and page.next_after is None
    result = summarize(database, f, "extension")
    assert result.rows == [] and (result.total.count, result.total.cost) == (0, Decimal("0"))


@pytest.mark.parametrize(("case", "named"), [
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-13-01"}, "to"),
    ({"month": "2026-13"}, "month"),
    ({"month": "2026-01", "from": "2026-01-02"}, "month"),
    ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
    ({"duration_min": "-1"}, "duration_min"),
    ({"duration_min": "9", "duration_max": "3"}, "duration_max"),
    ({"cost_min": "0.444"}, "cost_min"),
    ({"cost_max": "abc"}, "cost_max"),
    ({"service_type": "100"}, "service_type"),
    ({"call_type": "OUTGOING"}, "call_type"),
    ({"unknown": "maybe"}, "unknown"),
    ({"number": "1*2*"}, "number"),
    ({"number": "138*", "number_prefix": "1"}, "number"),
    ({"port": " "}, "port"),
])
def test_bad_filters_name_themselves_and_what_is_allowed(case: dict[str, str],
                                                         named: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_filters(case, TZ)
    # Named in the domain's words (the message is shown in windows too), never by a flag.
    assert info.value.field == named
    assert str(info.value).startswith(named.replace("_", " ") + " ")
    assert "--" not in str(info.value)
    assert "allowed" in str(info.value) or "must" in str(info.value) or "only" in str(
        info.value) or "cannot" in str(info.value)


def test_naive_times_are_in_the_given_zone_and_dates_end_at_midnight() -> None:
    f = parse_filters({"from": "2026-03-01 08:00", "to": "2026-03-01"}, TZ)
    assert f.start_from == datetime(2026, 3, 1, 8, 0, tzinfo=TZ)
    assert f.start_before == datetime(2026, 3, 2, tzinfo=TZ)
    assert parse_filters({"number": "*888*"}, TZ).number_mode == "contains"
    assert parse_filters({"number": "138*"}, TZ).number == "138"
    with pytest.raises(FilterError):
        Filters(start_from=datetime(2026, 1, 1))  # naive
