"""Record filters (S-38): one frozen, validated value for the CLI, the console and the export.

``Filters`` holds what a user may restrict a record query to; every field left at ``None``
matches everything. ``parse_filters()`` builds one from text as typed (command line, console
fields) and raises ``FilterError`` naming the filter and what is allowed. Times are aware
datetimes: a time typed without an offset is in the store's ``timezone`` setting.
``Filters.where()`` turns it into SQL for one table, with the placeholder of its database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from callcenter.common.pbx.messages import CALL_TYPES
from callcenter.server.rating.tariff import MAX_SERVICE_TYPE
from callcenter.server.store.models import to_fen


class FilterError(ValueError):
    """A filter value that is not allowed; the text names the filter and what is allowed.

    ``field`` is the filter's name as ``FILTER_ARGUMENTS`` (and the admin API) spell it
    (``"number_prefix"``; ``"sort"``, ``"by"``, ``"limit"``, ``"offset"`` for the query's
    other inputs; ``""`` when the message is about no one filter), ``detail`` what is wrong
    with it; the text is the filter's name in words followed by ``detail``. A command line
    shows ``detail`` after its own name for the field (its flag).
    """

    def __init__(self, field: str, detail: str) -> None:
        label = field_label(field)
        super().__init__(f"{label} {detail}" if label else detail)
        self.field = field
        self.detail = detail


def field_label(field: str) -> str:
    """A filter's name in words: ``"number_prefix"`` -> ``"number prefix"``."""
    return field.replace("_", " ")


#: Sortable columns: name as typed (``--sort``) -> SQL column of ``call_record``.
SORT_COLUMNS: Final[Mapping[str, str]] = {
    "seq": "sequence", "start": "start", "port": "port", "extension": "extension_number",
    "trunk": "trunk", "number": "number", "duration": "duration", "cost": "cost_fen",
    "call_type": "call_type", "caller": "caller", "account": "account",
    "service_type": "service_type", "unknown": "unknown", "pbx": "pbx_id", "id": "id",
}
TEXT_COLUMNS: Final = frozenset({"port", "extension_number", "trunk", "number", "call_type",
                                 "caller", "account", "pbx_id"})

NUMBER_MODES: Final = ("exact", "prefix", "contains")

#: The filter each time field of ``Filters`` comes from.
_FIELD_OF: Final = {"start_from": "from", "start_before": "to"}

_DATETIME_FORMS: Final = ("YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]", "YYYY-MM-DDTHH:MM[:SS]",
                          "ISO 8601 with an offset such as 2026-11-05T08:00+08:00")


@dataclass(frozen=True)
class Filters:
    """What to select; ``None`` (or empty) fields match everything.

    ``start_from`` is inclusive and ``start_before`` exclusive, both aware. ``number`` is
    matched per ``number_mode`` (exact, prefix or contains). Ranges are inclusive. Cost is in
    yuan (``Decimal``) with at most two places.
    """

    start_from: datetime | None = None
    start_before: datetime | None = None
    port: str | None = None
    extension: str | None = None
    trunk: str | None = None
    number: str | None = None
    number_mode: str = "exact"
    duration_min: int | None = None
    duration_max: int | None = None
    cost_min: Decimal | None = None
    cost_max: Decimal | None = None
    service_type: int | None = None
    call_type: str | None = None
    account: str | None = None
    unknown: bool | None = None
    pbx: str | None = None

    def __post_init__(self) -> None:
        for name in ("start_from", "start_before"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise FilterError(_FIELD_OF[name], "must be a time with a time zone")
        if (self.start_from is not None and self.start_before is not None
                and self.start_before <= self.start_from):
            raise FilterError("to", f"({self.start_before.isoformat()}) must be after from "
                              f"({self.start_from.isoformat()})")
        if self.number_mode not in NUMBER_MODES:
            raise FilterError("number_mode", f"{self.number_mode!r}: allowed: "
                              + ", ".join(NUMBER_MODES))
        for lo, hi in (("duration_min", "duration_max"), ("cost_min", "cost_max")):
            low, high = getattr(self, lo), getattr(self, hi)
            if low is not None and high is not None and high < low:
                raise FilterError(hi, f"({high}) must not be below {field_label(lo)} ({low})")
        for name in ("cost_min", "cost_max"):
            value = getattr(self, name)
            if value is not None:
                try:
                    to_fen(value)
                except (ValueError, InvalidOperation):
                    raise FilterError(name, f"{value} has more than two decimal places; "
                                      "allowed: yuan such as 0.44") from None
        if self.call_type is not None and self.call_type not in CALL_TYPES:
            raise FilterError("call_type", f"{self.call_type!r}: allowed: "
                              + ", ".join(CALL_TYPES))

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return all(getattr(self, f.name) is None for f in fields(self) if f.name != "number_mode")

    def start_range_utc(self) -> tuple[datetime | None, datetime | None]:
        """The start range as the store keeps times: naive UTC."""
        return (_naive_utc(self.start_from), _naive_utc(self.start_before))

    def where(self, param: str, sqlite: bool) -> tuple[str, list[Any]]:
        """``(sql, params)``: a condition on the columns of ``call_record`` ("1=1" if none)."""
        parts: list[str] = []
        params: list[Any] = []

        def add(sql: str, *values: Any) -> None:
            parts.append(sql.replace("?", param))
            params.extend(values)

        lo, hi = self.start_range_utc()
        if lo is not None:
            add("start >= ?", db_time(lo, sqlite))
        if hi is not None:
            add("start < ?", db_time(hi, sqlite))
        for column, value in (("port", self.port), ("extension_number", self.extension),
                              ("trunk", self.trunk), ("call_type", self.call_type),
                              ("account", self.account), ("pbx_id", self.pbx),
                              ("service_type", self.service_type)):
            if value is not None:
                add(f"{column} = ?", value)
        if self.number is not None:
            if self.number_mode == "exact":
                add("number = ?", self.number)
            else:
                pattern = _like_escape(self.number) + "%"
                if self.number_mode == "contains":
                    pattern = "%" + pattern
                # LIKE is case-insensitive for ASCII letters on SQLite only; numbers are digits
                # (and * #), where both databases agree.
                add("number LIKE ? ESCAPE '\\'", pattern)
        if self.duration_min is not None:
            add("duration >= ?", self.duration_min)
        if self.duration_max is not None:
            add("duration <= ?", self.duration_max)
        if self.cost_min is not None:
            add("cost_fen >= ?", to_fen(self.cost_min))
        if self.cost_max is not None:
            add("cost_fen <= ?", to_fen(self.cost_max))
        if self.unknown is not None:
            add("unknown = ?", self.unknown)
        return (" AND ".join(parts) or "1=1"), params

    def describe(self) -> str:
        """A short human-readable account of the filters (report titles)."""
        shown = []
        if self.start_from is not None:
            shown.append(f"from {self.start_from.isoformat(' ', 'minutes')}")
        if self.start_before is not None:
            shown.append(f"before {self.start_before.isoformat(' ', 'minutes')}")
        for f in fields(self):
            if f.name in ("start_from", "start_before", "number_mode"):
                continue
            value = getattr(self, f.name)
            if value is not None:
                suffix = f" ({self.number_mode})" if f.name == "number" else ""
                shown.append(f"{f.name}={value}{suffix}")
        return ", ".join(shown) or "all records"


def _naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def db_time(value: datetime, sqlite: bool) -> Any:
    """A naive UTC datetime as a query parameter: text on SQLite (as peewee stores it)."""
    return value.isoformat(" ") if sqlite else value


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------------- parsing text


def parse_datetime(text: str, tz: tzinfo, name: str, *, end: bool = False) -> datetime:
    """An aware datetime from typed text; a date alone is midnight, or with ``end`` the
    midnight after it (so the filter ``to`` 2026-11-30 includes the 30th)."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(), tz)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FilterError(name, f"{text!r}: not a date/time; allowed: "
                          + "; ".join(_DATETIME_FORMS)) from None
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=tz)


def parse_month(text: str, tz: tzinfo, name: str = "month") -> tuple[datetime, datetime]:
    """``YYYY-MM`` -> (first moment of the month, first moment of the next), in ``tz``."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise FilterError(name, f"{text!r}: allowed: a month as YYYY-MM such as 2026-11")
    year, month = int(match[1]), int(match[2])
    first = datetime(year, month, 1, tzinfo=tz)
    after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return first, after


def _whole(text: str, name: str, hi: int) -> int:
    value = text.strip()
    if not value.isdigit() or int(value) > hi:
        raise FilterError(name, f"{text!r}: allowed: a whole number 0-{hi}")
    return int(value)


#: The largest amount a money filter takes (its fen fit a 64-bit integer with room to spare).
MAX_AMOUNT: Final = Decimal("999999999999.99")


def _money(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text.strip())
        # quantize raises InvalidOperation past the context's precision (1e999)
        exact = value.is_finite() and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        value, exact = Decimal("NaN"), False
    if not exact or value < 0:
        raise FilterError(name, f"{text!r}: allowed: an amount in yuan with at most two "
                          "decimal places, such as 0.44")
    if value > MAX_AMOUNT:  # fen must fit the store's 64-bit integers
        raise FilterError(name, f"{text!r}: allowed: at most {MAX_AMOUNT} yuan")
    return value


def _plain(text: str, name: str) -> str:
    value = text.strip()
    if not value or not value.isprintable():
        raise FilterError(name, f"{text!r}: allowed: non-empty printable text")
    return value


#: The characters of a number as keyed on a phone (and as the PBX records them).
NUMBER_CHARACTERS: Final = frozenset("0123456789*#")


def parse_number(text: str, mode: str | None = None, name: str = "number") -> tuple[str, str]:
    """(digits, mode) from the ``number`` filter: ``138*`` is a prefix, ``*888*`` contains,
    anything else exact unless ``mode`` says otherwise (the filters ``number_prefix`` and
    ``number_contains``, named by ``name`` in errors). Digits are 0-9, ``*`` and ``#`` as
    keyed on a phone."""
    value = text.strip()
    if mode is None:
        if len(value) > 2 and value.startswith("*") and value.endswith("*"):
            value, mode = value[1:-1], "contains"
        elif len(value) > 1 and value.endswith("*"):
            value, mode = value[:-1], "prefix"
        else:
            mode = "exact"
    if (not value or not set(value) <= NUMBER_CHARACTERS
            or ("*" in value.strip("*") and mode != "exact")):
        if name == "number":
            allowed = ("digits (exact), DIGITS* (prefix) or *DIGITS* (contains), DIGITS "
                       "being 0-9, * and #")
        else:
            allowed = "digits 0-9, * and # (a * only at either end)"
        raise FilterError(name, f"{text!r}: allowed: {allowed}")
    return value, mode


_BOOL: Final = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}

#: Filter names as typed -> Filters fields (the CLI's flags are ``--`` + the name with
#: dashes, the admin API's parameters the names themselves).
FILTER_ARGUMENTS: Final[Mapping[str, str]] = {
    "from": "start_from", "to": "start_before", "month": "month", "port": "port",
    "extension": "extension", "trunk": "trunk", "number": "number",
    "number_prefix": "number", "number_contains": "number", "duration_min": "duration_min",
    "duration_max": "duration_max", "cost_min": "cost_min", "cost_max": "cost_max",
    "service_type": "service_type", "call_type": "call_type", "account": "account",
    "unknown": "unknown", "pbx": "pbx",
}


def parse_filters(values: Mapping[str, str | None], tz: tzinfo) -> Filters:
    """``Filters`` from typed text keyed by the names of ``FILTER_ARGUMENTS`` (``None`` or
    missing: not filtered). Raises FilterError naming the filter and what is allowed."""
    given = {k: v for k, v in values.items() if v is not None}
    unknown_names = set(given) - set(FILTER_ARGUMENTS)
    if unknown_names:
        raise FilterError("", f"unknown filter(s) {', '.join(sorted(unknown_names))}; "
                          "allowed: " + ", ".join(FILTER_ARGUMENTS))
    out: dict[str, Any] = {}
    if "month" in given:
        if "from" in given or "to" in given:
            raise FilterError("month", "cannot be combined with from or to")
        out["start_from"], out["start_before"] = parse_month(given["month"], tz)
    if "from" in given:
        out["start_from"] = parse_datetime(given["from"], tz, "from")
    if "to" in given:
        out["start_before"] = parse_datetime(given["to"], tz, "to", end=True)
    numbers = [k for k in ("number", "number_prefix", "number_contains") if k in given]
    if len(numbers) > 1:
        raise FilterError(numbers[0], "cannot be combined with "
                          + " or ".join(field_label(n) for n in numbers[1:])
                          + ": use only one of number, number prefix, number contains")
    if numbers:
        chosen = numbers[0]
        mode = {"number": None, "number_prefix": "prefix",
                "number_contains": "contains"}[chosen]
        out["number"], out["number_mode"] = parse_number(given[chosen], mode, chosen)
    for key in ("port", "extension", "trunk", "account", "pbx"):
        if key in given:
            out[key] = _plain(given[key], key)
    for key, hi in (("duration_min", 10**7), ("duration_max", 10**7)):
        if key in given:
            out[key] = _whole(given[key], key, hi)
    for key in ("cost_min", "cost_max"):
        if key in given:
            out[key] = _money(given[key], key)
    if "service_type" in given:
        out["service_type"] = _whole(given["service_type"], "service_type", MAX_SERVICE_TYPE)
    if "call_type" in given:
        value = given["call_type"].strip().upper()
        if value not in CALL_TYPES:
            raise FilterError("call_type", f"{given['call_type']!r}: allowed: "
                              + ", ".join(CALL_TYPES))
        out["call_type"] = value
    if "unknown" in given:
        flag = _BOOL.get(given["unknown"].strip().lower())
        if flag is None:
            raise FilterError("unknown", f"{given['unknown']!r}: allowed: yes or no")
        out["unknown"] = flag
    return Filters(**out)
