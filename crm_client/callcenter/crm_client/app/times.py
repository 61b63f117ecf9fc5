"""Times of hub events for the use cases: the hub's ISO 8601 text to an aware datetime."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def event_time(event: dict[str, Any], name: str = "time") -> datetime:
    """The event's ``name`` field as an aware datetime; now (UTC) when it is missing or not a
    time (the protocol always sends one; a client must accept ``Z`` and no fractions)."""
    return parse_time(event.get(name))


def parse_time(value: object) -> datetime:
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)
