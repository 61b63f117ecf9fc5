"""Alerts for the console (sequence gaps, malformed records, unknown numbers, an unreachable
store, ...): list them newest first, resolve one. Plain dicts out; times ISO 8601 (UTC)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

from callcenter.server.store.db import database, write_transaction
from callcenter.server.store.models import Alert, utc_now

MAX_LIMIT: Final = 1000


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat(timespec="seconds")


def alert_data(row: Alert) -> dict[str, Any]:
    """One alert as plain data: id, kind, pbx_id, text, detail (an object), created_at,
    resolved, resolved_at (None while open)."""
    try:
        detail = json.loads(str(row.detail or "{}"))
    except ValueError:
        detail = {"text": str(row.detail)}
    return {"id": int(row.id), "kind": str(row.kind), "pbx_id": str(row.pbx_id or ""),
            "text": str(row.text), "detail": detail if isinstance(detail, dict) else
            {"value": detail}, "created_at": _time(row.created_at),
            "resolved": bool(row.resolved), "resolved_at": _time(row.resolved_at)}


def list_alerts(*, unresolved_only: bool = False, offset: int = 0,
                limit: int = 100) -> tuple[int, list[dict[str, Any]]]:
    """(how many match, one page newest first)."""
    if offset < 0:
        raise ValueError("offset: must be 0 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: must be 1-{MAX_LIMIT}")
    query = Alert.select()
    if unresolved_only:
        query = query.where(Alert.resolved == False)  # noqa: E712 - SQL
    total = query.count()
    page = query.order_by(Alert.id.desc()).offset(offset).limit(limit)
    return total, [alert_data(row) for row in page]


def resolve_alert(alert_id: int) -> dict[str, Any] | None:
    """Mark the alert resolved (kept as it was when it is already); the alert, or None when
    there is no such alert."""
    with write_transaction(database):
        row = Alert.get_or_none(Alert.id == alert_id)
        if row is None:
            return None
        if not row.resolved:
            now = utc_now()
            Alert.update(resolved=True, resolved_at=now).where(Alert.id == alert_id).execute()
            row.resolved, row.resolved_at = True, now
    return alert_data(row)
