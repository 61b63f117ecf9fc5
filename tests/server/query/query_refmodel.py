"""An independent reference of the record filters, sort order and summaries, in Python."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

from callcenter.server.query.filters import Filters
from tests.server.query.query_support import Ref


def matches(ref: Ref, f: Filters) -> bool:
    checks = []
    if f.start_from is not None:
        checks.append(ref.start >= f.start_from.astimezone(UTC).replace(tzinfo=None))
    if f.start_before is not None:
        checks.append(ref.start < f.start_before.astimezone(UTC).replace(tzinfo=None))
    for attr, value in (("port", f.port), ("extension", f.extension), ("trunk", f.trunk),
                        ("call_type", f.call_type), ("account", f.account), ("pbx", f.pbx),
                        ("service_type", f.service_type), ("unknown", f.unknown)):
        if value is not None:
            checks.append(getattr(ref, attr) == value)
    if f.number is not None:
        checks.append({"exact": ref.number == f.number,
                       "prefix": ref.number.startswith(f.number),
                       "contains": f.number in ref.number}[f.number_mode])
    if f.duration_min is not None:
        checks.append(ref.duration >= f.duration_min)
    if f.duration_max is not None:
        checks.append(ref.duration <= f.duration_max)
    if f.cost_min is not None:
        checks.append(ref.cost >= f.cost_min)
    if f.cost_max is not None:
        checks.append(ref.cost <= f.cost_max)
    return all(checks)


SORT_ATTR = {"seq": "seq", "start": "start", "port": "port", "extension": "extension",
             "trunk": "trunk", "number": "number", "duration": "duration", "cost": "cost",
             "call_type": "call_type", "caller": "caller", "account": "account",
             "service_type": "service_type", "unknown": "unknown", "pbx": "pbx", "id": "id"}


def sort_key(sort: str) -> Any:
    attr = SORT_ATTR[sort]

    def key(ref: Ref) -> tuple[Any, int]:
        value = getattr(ref, attr)
        if attr == "service_type" and value is None:
            value = -1
        return (value, ref.id)
    return key


def group_key(ref: Ref, by: str | None) -> str:
    if by is None:
        return ""
    if by == "day":
        s = ref.local_start
        return f"{s[:4]}-{s[4:6]}-{s[6:8]}"
    if by == "hour":
        return ref.local_start[8:10]
    if by == "month":
        return f"{ref.local_start[:4]}-{ref.local_start[4:6]}"
    value = {"extension": ref.extension, "port": ref.port, "trunk": ref.trunk,
             "service_type": ref.service_type, "call_type": ref.call_type,
             "account": ref.account, "pbx": ref.pbx}[by]
    return "" if value is None else str(value)


def summary(refs: list[Ref], by: str | None) -> dict[str, tuple[int, int, Decimal]]:
    out: dict[str, tuple[int, int, Decimal]] = {}
    for ref in refs:
        key = group_key(ref, by)
        count, duration, cost = out.get(key, (0, 0, Decimal("0.00")))
        out[key] = (count + 1, duration + ref.duration, cost + ref.cost)
    return out
