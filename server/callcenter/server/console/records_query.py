"""话单查询's combined query (综合查询) without Tk: the dialog's typed text -> the filters of
``records_query`` (docs/agent-protocol.md section 11.6), or an error text naming the field in words.

``check_query(form, catalogue)`` is the dialog's whole validation: dates ``yyyy-mm-dd`` (the
date pickers' pattern) with optional ``HH:MM`` times, one archived month (月话单库) instead of
a date range, extension, trunk, a number matched exactly, as a prefix or contained, the call
type, cost and duration ranges.  The service checks the filters again; this catches typing
mistakes before a request is sent and names the field the person sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

from callcenter.server.console.strings import Catalogue, add_texts

NUMBER_MATCHES: Final = ("exact", "prefix", "contains")
CALL_TYPES: Final = ("", "OUT", "IN", "INT")
MAX_DURATION: Final = 10_000_000

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DIGITS = re.compile(r"^[0-9*#]+$")
_MONEY = re.compile(r"^\d+(\.\d{1,2})?$")

add_texts({
    "records.field.from": ("开始日期", "From"),
    "records.field.from_time": ("开始时间", "From time"),
    "records.field.to": ("结束日期", "To"),
    "records.field.to_time": ("结束时间", "To time"),
    "records.field.month": ("月话单库", "Archived month"),
    "records.field.extension": ("分机号", "Extension"),
    "records.field.trunk": ("外线", "Trunk"),
    "records.field.number": ("号码", "Number"),
    "records.field.call_type": ("呼叫类型", "Call type"),
    "records.field.cost_min": ("最低话费", "Lowest cost"),
    "records.field.cost_max": ("最高话费", "Highest cost"),
    "records.field.duration_min": ("最短时长", "Shortest duration"),
    "records.field.duration_max": ("最长时长", "Longest duration"),
    "records.check.error": ("{field}：{detail}", "{field}: {detail}"),
    "records.check.date": ("“{value}”不是日期，应为 yyyy-mm-dd，如 2024-06-01",
                           "'{value}' is not a date: yyyy-mm-dd, such as 2024-06-01"),
    "records.check.time": ("“{value}”不是时间，应为 HH:MM，如 08:30",
                           "'{value}' is not a time: HH:MM, such as 08:30"),
    "records.check.order": ("结束不能早于开始", "must not be before the start"),
    "records.check.month": ("“{value}”不是月份，应为 yyyy-mm", "'{value}' is not a month: yyyy-mm"),
    "records.check.month_and_dates": ("选了月话单库就不能再选日期范围",
                                      "choose either an archived month or a date range"),
    "records.check.text": ("不能含控制字符，最多 32 个字符",
                           "no control characters, at most 32 characters"),
    "records.check.digits": ("“{value}”只能含数字 0-9、* 和 #",
                             "'{value}': only digits 0-9, * and #"),
    "records.check.star": ("精确匹配时 * 不能在开头或末尾（请选“开头是”或“包含”）",
                           "an exact number cannot begin or end with * (choose 'begins "
                           "with' or 'contains')"),
    "records.check.money": ("“{value}”不是金额，应为元，最多两位小数，如 0.44",
                            "'{value}' is not an amount: yuan with at most two decimal "
                            "places, such as 0.44"),
    "records.check.seconds": ("“{value}”不是秒数，应为 0-10000000 的整数",
                              "'{value}' is not a number of seconds: a whole number "
                              "0-10000000"),
    "records.check.range": ("不能小于下限", "must not be below the lower limit"),
    "records.check.call_type": ("只能是 打出、打入 或 内部", "only outgoing, incoming or "
                                "internal"),
})


@dataclass
class QueryForm:
    """What the query dialog's fields hold, as typed (all text, so tests need no Tk)."""

    use_from: bool = False
    from_date: str = ""
    from_time: str = ""
    use_to: bool = False
    to_date: str = ""
    to_time: str = ""
    month: str = ""
    extension: str = ""
    trunk: str = ""
    number: str = ""
    number_match: str = "exact"
    call_type: str = ""
    cost_min: str = ""
    cost_max: str = ""
    duration_min: str = ""
    duration_max: str = ""

    @classmethod
    def from_filters(cls, filters: dict[str, str]) -> QueryForm:
        """The form that gives ``filters`` back (to reopen the dialog on the current query)."""
        form = cls()
        for side in ("from", "to"):
            value = filters.get(side, "")
            if value:
                day, _, clock = value.partition(" ")
                setattr(form, f"use_{side}", True)
                setattr(form, f"{side}_date", day)
                setattr(form, f"{side}_time", clock)
        for name in ("month", "extension", "trunk", "call_type", "cost_min", "cost_max",
                     "duration_min", "duration_max"):
            setattr(form, name, filters.get(name, ""))
        for key, match in (("number", "exact"), ("number_prefix", "prefix"),
                           ("number_contains", "contains")):
            if filters.get(key):
                form.number, form.number_match = filters[key], match
        return form


@dataclass
class QueryCheck:
    """The outcome: ``filters`` for the API, or ``error`` (the text to show) and ``field``."""

    filters: dict[str, str] = field(default_factory=dict)
    error: str = ""
    field: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class _Refused(Exception):
    def __init__(self, name: str, detail_key: str, **fields: str) -> None:
        super().__init__(name)
        self.name, self.detail_key, self.fields = name, detail_key, fields


def _moment(day: str, clock: str, day_field: str, time_field: str) -> tuple[str, datetime]:
    day, clock = day.strip(), clock.strip()
    try:
        when = date.fromisoformat(day)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise ValueError(day)
    except ValueError:
        raise _Refused(day_field, "records.check.date", value=day) from None
    if not clock:
        return day, datetime(when.year, when.month, when.day)
    match = _TIME.match(clock)
    if match is None:
        raise _Refused(time_field, "records.check.time", value=clock)
    hour, minute = int(match.group(1)), int(match.group(2))
    return f"{day} {hour:02d}:{minute:02d}", datetime(when.year, when.month, when.day, hour,
                                                      minute)


def _plain(text: str, name: str) -> str:
    text = text.strip()
    if len(text) > 32 or not text.isprintable():
        raise _Refused(name, "records.check.text")
    return text


def _money(text: str, name: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    if not _MONEY.match(text):
        raise _Refused(name, "records.check.money", value=text)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise _Refused(name, "records.check.money", value=text) from None


def _seconds(text: str, name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_DURATION:
        raise _Refused(name, "records.check.seconds", value=text)
    return int(text)


def _check(form: QueryForm) -> dict[str, str]:
    filters: dict[str, str] = {}
    start = end = None
    if form.use_from:
        filters["from"], start = _moment(form.from_date, form.from_time, "from", "from_time")
    if form.use_to:
        text, end = _moment(form.to_date, form.to_time, "to", "to_time")
        filters["to"] = text
        if start is not None and end < start:
            raise _Refused("to", "records.check.order")
    month = form.month.strip()
    if month:
        if not _MONTH.match(month):
            raise _Refused("month", "records.check.month", value=month)
        if form.use_from or form.use_to:
            raise _Refused("month", "records.check.month_and_dates")
        filters["month"] = month
    for name in ("extension", "trunk"):
        value = _plain(getattr(form, name), name)
        if value:
            filters[name] = value
    number = form.number.strip()
    if number:
        if not _DIGITS.match(number):
            raise _Refused("number", "records.check.digits", value=number)
        match = form.number_match if form.number_match in NUMBER_MATCHES else "exact"
        if match == "exact":
            if number.startswith("*") or number.endswith("*"):
                raise _Refused("number", "records.check.star")
            filters["number"] = number
        else:
            filters[f"number_{match}"] = number
    call_type = form.call_type.strip().upper()
    if call_type not in CALL_TYPES:
        raise _Refused("call_type", "records.check.call_type")
    if call_type:
        filters["call_type"] = call_type
    low, high = _money(form.cost_min, "cost_min"), _money(form.cost_max, "cost_max")
    if low is not None and high is not None and high < low:
        raise _Refused("cost_max", "records.check.range")
    for name, amount in (("cost_min", low), ("cost_max", high)):
        if amount is not None:
            filters[name] = f"{amount:.2f}"
    shortest = _seconds(form.duration_min, "duration_min")
    longest = _seconds(form.duration_max, "duration_max")
    if shortest is not None and longest is not None and longest < shortest:
        raise _Refused("duration_max", "records.check.range")
    for name, seconds in (("duration_min", shortest), ("duration_max", longest)):
        if seconds is not None:
            filters[name] = str(seconds)
    return filters


def check_query(form: QueryForm, catalogue: Catalogue) -> QueryCheck:
    """The filters of ``form``, or the first mistake as a text naming its field."""
    try:
        return QueryCheck(filters=_check(form))
    except _Refused as refused:
        detail = catalogue.text(refused.detail_key, **refused.fields)
        return QueryCheck(error=catalogue.text(
            "records.check.error", field=catalogue.text(f"records.field.{refused.name}"),
            detail=detail), field=refused.name)
