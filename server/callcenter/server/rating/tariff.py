"""Tariff rows and service types: the data a call is rated by (S-35, manual section 1-3-36).

A ``TariffRow`` is one line of the PBX software's 计费设置 table. Every field is checked when a row
is made, so a ``Tariff`` never holds a row that cannot be rated; text from files and forms goes
through ``parse_row``, which reports every bad field at once, each naming the field and what is
allowed. Money is ``decimal.Decimal`` throughout, never ``float``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

_DIGITS: Final = frozenset("0123456789")
# A Chinese input method types full-width digits; accept them as ASCII in text input.
_FULL_WIDTH: Final = str.maketrans("０１２３４５６７８９．", "0123456789.")

MAX_PREFIX_DIGITS: Final = 20
MAX_DESCRIPTION_CHARS: Final = 40
MAX_SECONDS: Final = 86400
MAX_CHARGE: Final = Decimal("10000")
MAX_CHARGE_PLACES: Final = 4
MAX_SERVICE_TYPE: Final = 99

FIELDS: Final = ("prefix", "description", "initial_seconds", "initial_charge",
                 "interval_seconds", "interval_charge", "service_type")
"""Field names in table order; also the English CSV column names."""

FIELD_TITLES_ZH: Final = {
    "prefix": "字头", "description": "字头说明", "initial_seconds": "起步时间",
    "initial_charge": "起步费率", "interval_seconds": "计费间隔", "interval_charge": "计费费率",
    "service_type": "业务类型",
}
"""The manual's column titles (section 1-3-36), used in XLSX files and accepted in CSV."""

ALLOWED: Final = {
    "prefix": f"1-{MAX_PREFIX_DIGITS} digits 0-9",
    "description": f"text of at most {MAX_DESCRIPTION_CHARS} characters without line breaks "
                   "or control characters",
    "initial_seconds": f"a whole number 0-{MAX_SECONDS}",
    "initial_charge": f"an amount 0-{MAX_CHARGE} with at most {MAX_CHARGE_PLACES} decimal places",
    "interval_seconds": f"a whole number 0-{MAX_SECONDS} (0 = one flat charge)",
    "interval_charge": f"an amount 0-{MAX_CHARGE} with at most {MAX_CHARGE_PLACES} decimal places",
    "service_type": f"a whole number 0-{MAX_SERVICE_TYPE}",
}
"""What each field allows, in the words every error message uses."""


class TariffError(ValueError):
    """A tariff row or a whole tariff is not valid; the message names the field."""


@dataclass(frozen=True)
class ServiceType:
    """A 业务类型 code with its names; ``scope`` groups codes for summaries and the English UI."""

    code: int
    name_zh: str
    name_en: str
    scope: str  # "international", "long_distance", "local", "mobile" or "service"

    def label(self) -> str:
        """The manual's 业务名称 form, e.g. ``"0-国际长途"``."""
        return f"{self.code}-{self.name_zh}"


SERVICE_TYPES: Final[Mapping[int, ServiceType]] = {
    st.code: st for st in (
        ServiceType(0, "国际长途", "international long distance", "international"),
        ServiceType(1, "国内长途", "domestic long distance", "long_distance"),
        ServiceType(2, "市话费", "local", "local"),
        ServiceType(3, "市话费", "local", "local"),
        ServiceType(4, "市话费", "local", "local"),
        ServiceType(5, "市话费", "local", "local"),
        ServiceType(6, "市话费", "local", "local"),
        ServiceType(13, "移动网", "mobile network", "mobile"),
        ServiceType(18, "报障台", "fault reporting", "service"),
        ServiceType(19, "特服号码", "emergency and service numbers", "service"),
    )
}
"""The manual's 业务名称 column: service-type code -> names."""


def service_type(code: int, names: Mapping[int, ServiceType] = SERVICE_TYPES) -> ServiceType:
    """The names of ``code``; a code without names gets a neutral one rather than an error."""
    known = names.get(code)
    if known is not None:
        return known
    return ServiceType(code, f"业务类型{code}", f"service type {code}", "other")


@dataclass(frozen=True, slots=True)
class TariffRow:
    """One tariff row: calls to numbers starting with ``prefix`` cost ``initial_charge`` for the
    first ``initial_seconds`` and ``interval_charge`` for each started ``interval_seconds`` after
    that; ``interval_seconds == 0`` means ``interval_charge`` once for any call longer than the
    initial period."""

    prefix: str
    description: str
    initial_seconds: int
    initial_charge: Decimal
    interval_seconds: int
    interval_charge: Decimal
    service_type: int

    def __post_init__(self) -> None:
        problems = row_problems(self)
        if problems:
            raise TariffError("; ".join(f"{field}: must be {ALLOWED[field]}, "
                                        f"got {getattr(self, field)!r}" for field in problems))


def _is_whole(value: object, top: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top


def _is_charge(value: object) -> bool:
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    exponent = value.as_tuple().exponent
    return (Decimal(0) <= value <= MAX_CHARGE and isinstance(exponent, int)
            and -exponent <= MAX_CHARGE_PLACES)


_CHECKS: Final[Mapping[str, Callable[[object], bool]]] = {
    "prefix": lambda v: (isinstance(v, str) and 1 <= len(v) <= MAX_PREFIX_DIGITS
                         and set(v) <= _DIGITS),
    "description": lambda v: (isinstance(v, str) and len(v) <= MAX_DESCRIPTION_CHARS
                              and not any(unicodedata.category(c)[0] == "C"
                                          or unicodedata.category(c) in ("Zl", "Zp")
                                          for c in v)),
    "initial_seconds": lambda v: _is_whole(v, MAX_SECONDS),
    "initial_charge": _is_charge,
    "interval_seconds": lambda v: _is_whole(v, MAX_SECONDS),
    "interval_charge": _is_charge,
    "service_type": lambda v: _is_whole(v, MAX_SERVICE_TYPE),
}


def row_problems(row: TariffRow) -> list[str]:
    """The names of the fields of ``row`` that are not valid, in table order."""
    return [field for field in FIELDS if not _CHECKS[field](getattr(row, field))]


# --- text input -------------------------------------------------------------------------------

def _text(value: object) -> str:
    """A cell or JSON value as text; whole floats (a spreadsheet's 180.0) lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).translate(_FULL_WIDTH).strip()


def _whole(text: str) -> int | str:
    if not text or len(text) > 9 or not set(text) <= _DIGITS:
        return text
    return int(text)


def _amount(text: str) -> Decimal | str:
    if not text or len(text) > 20:
        return text
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    # "0.2" and "0.20" are the same charge; keep what was written unless it has fewer than two
    # places, so that receipts show money as money ("1" -> "1.00").
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return value


def parse_row(values: Mapping[str, object]) -> tuple[TariffRow | None, list[str]]:
    """Build a row from text (or spreadsheet cells) keyed by field name.

    Returns ``(row, [])`` or ``(None, problems)``, one problem per bad field, each of the form
    ``"initial_seconds: must be a whole number 0-86400, got '3x'"``.
    """
    text = {field: _text(values.get(field)) for field in FIELDS}
    description = values.get("description")  # as written: no full-width translation
    text["description"] = "" if description is None else str(description).strip()
    parsed: dict[str, object] = {
        "prefix": text["prefix"], "description": text["description"],
        "initial_seconds": _whole(text["initial_seconds"]),
        "initial_charge": _amount(text["initial_charge"]),
        "interval_seconds": _whole(text["interval_seconds"]),
        "interval_charge": _amount(text["interval_charge"]),
        "service_type": _whole(text["service_type"]),
    }
    problems = [f"{field}: must be {ALLOWED[field]}, got {text[field]!r}"
                for field in FIELDS if not _CHECKS[field](parsed[field])]
    if problems:
        return None, problems
    return TariffRow(**parsed), []  # type: ignore[arg-type]  # each field checked just above


# --- the manual's sample table ----------------------------------------------------------------

def _rows(table: Iterable[tuple[str, str, int, str, int, str, int]]) -> tuple[TariffRow, ...]:
    """Tariff rows written as (prefix, description, initial s, initial charge, interval s,
    interval charge, service type), the charges as decimal text."""
    return tuple(TariffRow(prefix, description, initial_s, Decimal(initial_c), interval_s,
                           Decimal(interval_c), kind)
                 for prefix, description, initial_s, initial_c, interval_s, interval_c, kind
                 in table)


SAMPLE_ROWS: Final = _rows((
    ("12315", "南燕齐托办热线", 180, "0.22", 60, "0.11", 3),
    ("12345", "国际长途电话", 180, "0.22", 60, "0.11", 3),
    ("12365", "网际商务", 0, "0.00", 0, "0.11", 5),
    ("1251", "固定电话", 0, "0.00", 60, "0.20", 3),
    ("1252", "移动电话", 0, "0.00", 60, "0.20", 3),
    ("1258", "广市话费", 0, "0.00", 60, "0.20", 3),
    ("12", "移动电话", 0, "0.00", 60, "0.20", 13),
    ("163", "网号上网", 0, "0.00", 60, "0.02", 3),
    ("180", "电话业务投诉热线", 0, "0.00", 60, "0.00", 0),
    ("19610", "移动业务投诉", 0, "0.00", 60, "0.20", 3),
    ("1961", "移动业务投诉", 0, "0.00", 60, "0.20", 3),
    ("200", "200卡", 0, "0.00", 60, "0.00", 5),
    ("881", "区话", 180, "0.22", 60, "0.11", 3),
    ("91", "移动电话", 0, "0.00", 60, "0.20", 13),
    ("92", "移动电话", 0, "0.00", 60, "0.20", 13),
    ("96", "网号", 0, "0.00", 60, "0.20", 5),
    ("960", "网号", 0, "0.00", 60, "0.20", 5),
    ("96163", "网号上网", 0, "0.00", 60, "0.02", 3),
))
"""The manual's sample 计费设置 table (section 1-3-36), row for row as printed (18 rows).

Its prefixes are the manual's illustration, not numbers a PBX dials (none matches a local,
mobile or long-distance number); it is kept as an example file to import
(docs/examples/manual-sample-tariff.csv) and for the tests of the file formats."""

DEFAULT_ROWS: Final = _rows((
    # international: 00 + country code, billed per 6 s (8.00 a minute)
    ("00", "国际长途", 0, "0.00", 6, "0.80", 0),
    # domestic long distance: 0 + area code + number, per 6 s (0.70 a minute)
    ("0", "国内长途", 0, "0.00", 6, "0.07", 1),
    # local 8-digit numbers (first digit 2-8): 0.22 the first 3 minutes, 0.11 a minute after
    *((str(d), "市话", 180, "0.22", 60, "0.11", 2) for d in range(2, 9)),
    ("95", "服务热线", 180, "0.22", 60, "0.11", 2),
    ("96", "服务热线", 180, "0.22", 60, "0.11", 2),
    # mobiles 13x-19x: 0.20 a started minute
    *((f"1{d}", "移动电话", 0, "0.00", 60, "0.20", 13) for d in range(3, 10)),
    # emergency and service numbers: free
    ("110", "匪警", 0, "0.00", 0, "0.00", 19),
    ("112", "紧急呼叫", 0, "0.00", 0, "0.00", 19),
    ("119", "火警", 0, "0.00", 0, "0.00", 19),
    ("120", "急救中心", 0, "0.00", 0, "0.00", 19),
    ("122", "交通事故报警", 0, "0.00", 0, "0.00", 19),
    ("12315", "消费者投诉热线", 0, "0.00", 0, "0.00", 19),
    ("12345", "政务服务热线", 0, "0.00", 0, "0.00", 19),
    ("10000", "中国电信客服", 0, "0.00", 0, "0.00", 19),
    ("10010", "中国联通客服", 0, "0.00", 0, "0.00", 19),
    ("10086", "中国移动客服", 0, "0.00", 0, "0.00", 19),
))
"""The built-in tariff, in yuan as Chinese carriers bill a fixed line: local numbers 0.22 for the
first 3 minutes then 0.11 a minute, mobiles 0.20 a minute, domestic long distance 0.07 and
international 0.80 per 6 s, emergency and service numbers (110, 119, 120, 12315, 10086 ...)
free. A site replaces it with its carrier's rates (``tariff import``)."""
