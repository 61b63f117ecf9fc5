"""Rating a call: which tariff row applies and what the call costs (S-35).

Theory of operation
-------------------
``Tariff`` is immutable. Building one checks the rows (no duplicate prefix), computes the version
(a fingerprint of everything that decides a cost, unless the caller supplies a label) and
precomputes, per row set, a dict ``prefix -> row`` and the prefix lengths present, longest first.
``rate()`` then probes ``number[:n]`` for those lengths only: the first hit is the longest matching
prefix, in at most as many dict look-ups as there are distinct prefix lengths (a handful), however
many rows the tariff has.

The cost of an answered outgoing call of ``s > 0`` seconds on row ``r``::

    s <= r.initial_seconds        r.initial_charge
    r.interval_seconds == 0       r.initial_charge + r.interval_charge          (one flat charge)
    otherwise                     r.initial_charge + ceil((s - r.initial_seconds)
                                                          / r.interval_seconds) * r.interval_charge

quantized to 0.01 with ROUND_HALF_UP. A call of 0 s, an unanswered call, an incoming ("IN") and an
internal ("INT") call cost 0; so does a number that no row matches, which is flagged ``unknown``.
``Rating`` keeps what is needed to explain the cost; the receipt text is only formatted when
asked for, since the intake path rates every record and formats receipts only when storing them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final

from callcenter.server.rating.tariff import (
    DEFAULT_ROWS,
    SAMPLE_ROWS,
    SERVICE_TYPES,
    ServiceType,
    TariffError,
    TariffRow,
    service_type,
)

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
# Rating arithmetic runs in its own context, so a caller's decimal settings cannot change a cost.
# 28 digits hold any product of a charge (<= 10000, 4 places) and an interval count exactly.
_MONEY: Final = Context(prec=28, rounding=ROUND_HALF_UP)

CALL_TYPES: Final = frozenset({"OUT", "IN", "INT"})
"""Outgoing, incoming and internal calls; only outgoing calls are charged."""

# Why a call costs nothing; the receipt says it in these words.
FREE_UNANSWERED: Final = "unanswered"
FREE_INCOMING: Final = "incoming call"
FREE_INTERNAL: Final = "internal call"
FREE_ZERO: Final = "0 s"
FREE_UNKNOWN: Final = "no tariff row for this number"
_FREE_BY_TYPE: Final = {"IN": FREE_INCOMING, "INT": FREE_INTERNAL}


def _money(value: Decimal) -> str:
    """A charge as printed on a receipt: at least two places, more only if the tariff has them."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        return str(value.quantize(CENT))
    return str(value)


@dataclass(frozen=True, slots=True)
class Rating:
    """The cost of one call and the rule that produced it.

    ``row`` is the matched tariff row (``None`` for an unknown number and for incoming and
    internal calls); ``holiday`` is true when the holiday rows rated the call; ``unknown`` flags
    a number no row matches (the call is kept, at cost 0). ``free`` says why a call costs
    nothing by rule (``None`` when it was charged by ``row``).
    """

    cost: Decimal
    row: TariffRow | None
    tariff_version: str
    holiday: bool
    unknown: bool
    seconds: int
    free: str | None = None

    def receipt(self) -> str:
        """The arithmetic, e.g. ``"180 s 0.22 + 2 x 60 s 0.11 = 0.44"``."""
        if self.free is not None:
            return f"{self.free}: {self.cost}"
        row = self.row
        assert row is not None, "a charged rating has a row"
        parts = [f"{row.initial_seconds} s {_money(row.initial_charge)}"]
        exact = row.initial_charge
        if self.seconds > row.initial_seconds:
            if row.interval_seconds == 0:
                parts.append(f"flat {_money(row.interval_charge)}")
                exact = _MONEY.add(exact, row.interval_charge)
            else:
                count = -(-(self.seconds - row.initial_seconds) // row.interval_seconds)
                parts.append(f"{count} x {row.interval_seconds} s {_money(row.interval_charge)}")
                exact = _MONEY.add(exact, _MONEY.multiply(count, row.interval_charge))
        text = " + ".join(parts)
        if exact != self.cost:
            return f"{text} = {exact}, rounded {self.cost}"
        return f"{text} = {self.cost}"


class _RowTable:
    """Rows indexed for longest-prefix look-up."""

    __slots__ = ("by_prefix", "lengths", "rows")

    def __init__(self, rows: Iterable[TariffRow], what: str) -> None:
        self.rows: tuple[TariffRow, ...] = tuple(rows)
        self.by_prefix: dict[str, TariffRow] = {}
        for index, row in enumerate(self.rows, start=1):
            if not isinstance(row, TariffRow):
                raise TariffError(f"{what} {index}: must be a TariffRow, got {type(row).__name__}")
            if row.prefix in self.by_prefix:
                raise TariffError(f"{what} {index}: prefix {row.prefix} appears twice")
            self.by_prefix[row.prefix] = row
        self.lengths: tuple[int, ...] = tuple(sorted({len(p) for p in self.by_prefix},
                                                     reverse=True))

    def match(self, number: str) -> TariffRow | None:
        table = self.by_prefix
        size = len(number)
        for length in self.lengths:
            if length <= size:
                row = table.get(number[:length])
                if row is not None:
                    return row
        return None


def fingerprint(rows: Iterable[TariffRow], holiday_rows: Iterable[TariffRow] = (),
                holidays: Iterable[date] = ()) -> str:
    """A short hash of everything that decides a cost: rows, holiday rows and holiday dates.

    The same content gives the same version, whatever the order of rows; any change that can
    change a cost gives a new one.
    """
    def canon(items: Iterable[TariffRow]) -> list[list[object]]:
        return sorted([r.prefix, r.description, r.initial_seconds, str(r.initial_charge),
                       r.interval_seconds, str(r.interval_charge), r.service_type]
                      for r in items)
    days = sorted(day.isoformat() for day in holidays)
    content = json.dumps([canon(rows), canon(holiday_rows), days], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()[:12]


@dataclass(frozen=True, eq=False)
class Tariff:
    """A tariff: rows, optional holiday rows used on the holiday dates, and service-type names.

    ``version`` identifies the content (see ``fingerprint``); a store that numbers its tariffs
    may pass its own label instead. Tariffs are immutable: changing one makes a new ``Tariff``.
    """

    rows: tuple[TariffRow, ...]
    holiday_rows: tuple[TariffRow, ...] = ()
    holidays: frozenset[date] = frozenset()
    service_types: Mapping[int, ServiceType] = field(default_factory=lambda: SERVICE_TYPES)
    version: str = ""
    _normal: _RowTable = field(init=False, repr=False)
    _holiday: _RowTable = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: fields are normalised once, here
        set_(self, "rows", tuple(self.rows))
        set_(self, "holiday_rows", tuple(self.holiday_rows))
        for day in self.holidays:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise TariffError(f"holidays: must be dates, got {day!r}")
        set_(self, "holidays", frozenset(self.holidays))
        set_(self, "_normal", _RowTable(self.rows, "row"))
        set_(self, "_holiday", _RowTable(self.holiday_rows, "holiday row"))
        if not self.version:
            set_(self, "version", fingerprint(self.rows, self.holiday_rows, self.holidays))

    def __repr__(self) -> str:
        return (f"Tariff(version={self.version!r}, rows={len(self.rows)}, "
                f"holiday_rows={len(self.holiday_rows)}, holidays={len(self.holidays)})")

    def row_for(self, number: str, *, holiday: bool = False) -> TariffRow | None:
        """The row with the longest prefix of ``number`` (holiday rows only if ``holiday``)."""
        return (self._holiday if holiday else self._normal).match(number)

    def service_type(self, code: int) -> ServiceType:
        """The names of a service-type code in this tariff."""
        return service_type(code, self.service_types)

    def rate(self, number: str, seconds: int, *, start: datetime | None = None,
             call_type: str = "OUT", answered: bool = True) -> Rating:
        """Rate a call to ``number`` (the digits after the access code) lasting ``seconds``.

        ``start`` selects the holiday rows when its own (local) date is a holiday and a holiday
        row matches; without ``start`` the normal rows apply. ``call_type`` is "OUT", "IN" or
        "INT"; only answered outgoing calls of more than 0 s are charged.
        """
        if call_type != "OUT":
            if call_type not in CALL_TYPES:
                raise ValueError(f"call_type: must be one of OUT, IN, INT, got {call_type!r}")
            return Rating(ZERO, None, self.version, False, False, seconds,
                          _FREE_BY_TYPE[call_type])
        if seconds < 0:
            raise ValueError(f"seconds: must be a whole number 0 or more, got {seconds!r}")
        holiday = False
        row = None
        if start is not None and self.holidays and start.date() in self.holidays:
            row = self._holiday.match(number)
            holiday = row is not None
        if row is None:
            row = self._normal.match(number)
            if row is None:
                return Rating(ZERO, None, self.version, False, True, seconds, FREE_UNKNOWN)
        if not answered:
            return Rating(ZERO, row, self.version, holiday, False, seconds, FREE_UNANSWERED)
        if seconds == 0:
            return Rating(ZERO, row, self.version, holiday, False, seconds, FREE_ZERO)
        cost = row.initial_charge
        over = seconds - row.initial_seconds
        if over > 0:
            step = row.interval_seconds
            if step == 0:
                cost = _MONEY.add(cost, row.interval_charge)
            else:
                cost = _MONEY.add(cost, _MONEY.multiply(-(-over // step), row.interval_charge))
        return Rating(cost.quantize(CENT, context=_MONEY), row, self.version, holiday, False,
                      seconds)

    def with_rows(self, rows: Iterable[TariffRow] | None = None, *,
                  holiday_rows: Iterable[TariffRow] | None = None,
                  holidays: Iterable[date] | None = None) -> Tariff:
        """A new tariff (a new version) with some parts replaced and the rest kept."""
        return Tariff(tuple(self.rows if rows is None else rows),
                      tuple(self.holiday_rows if holiday_rows is None else holiday_rows),
                      frozenset(self.holidays if holidays is None else holidays),
                      self.service_types)


def default_tariff() -> Tariff:
    """The built-in tariff (``DEFAULT_ROWS``: local, mobile, long distance, international,
    free emergency and service numbers) with the service-type names; no holidays."""
    return Tariff(DEFAULT_ROWS, service_types=SERVICE_TYPES)


def sample_tariff() -> Tariff:
    """The manual's sample table (section 1-3-36, ``SAMPLE_ROWS``); an example, not a default."""
    return Tariff(SAMPLE_ROWS, service_types=SERVICE_TYPES)
