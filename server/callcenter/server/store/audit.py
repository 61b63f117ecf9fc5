"""The audit log (B-4): who changed what, when, from what to what, and with what result.

Every change that matters is one append-only ``audit`` row: PBX parameter writes
(``what="pbx"``; the console, the CLI, prepaid control, a restore), the tariff (``"tariff"``),
settings (``"setting"``), accounts (``"account ..."``), rooms (``"room"``) and re-rating
(``"rerate"``). ``add_entry`` is the one way to write a row; called inside a caller's
transaction it joins it (a savepoint), so the change and its entry commit or fail together.
``entries`` reads the log newest first, filtered and paged, as plain dicts.

Times are kept as naive UTC (see models.py) and given out as ISO 8601 with the ``+00:00``
offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from peewee import fn

from callcenter.server.store.db import database, write_transaction
from callcenter.server.store.models import AuditEntry, utc_now

#: At most this many entries per page.
MAX_LIMIT: Final = 1000


class AuditQueryError(ValueError):
    """A filter or paging value that cannot be used; the text names the field."""


def add_entry(who: str, what: str, key: str, old: str | None, new: str | None,  # noqa: PLR0917
              result: str = "") -> None:
    """Append one audit entry, stamped now.

    ``who`` is the person or part that made the change (``"admin"``, ``"agent:alice"``,
    ``"prepaid"``, ...), ``what`` the kind of change (``"pbx"``, ``"tariff"``, ``"setting"``,
    ``"account"``, ``"room"``), ``key`` what was changed (``"extension.001.number"``),
    ``old``/``new`` the values before and after (None when there was none), ``result`` how it
    ended where that can differ (``"written"``, ``"refused: ..."``; ``""`` when it simply
    happened).
    """
    with write_transaction(database):
        AuditEntry.insert(who=who, what=what, key=key, old=old, new=new, result=result,
                          at=utc_now()).execute()


def _utc(moment: datetime | None, field: str) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AuditQueryError(f"{field}: a time with a UTC offset is needed")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _as_dict(row: AuditEntry) -> dict[str, Any]:
    return {
        "at": row.at.replace(tzinfo=UTC).isoformat(timespec="seconds"),
        "who": row.who,
        "what": row.what,
        "key": row.key,
        "old": row.old,
        "new": row.new,
        "result": row.result,
    }


def entries(*, start: datetime | None = None, end: datetime | None = None,
            who: str | None = None, key: str | None = None, what: str | None = None,
            offset: int = 0, limit: int = 100) -> tuple[int, list[dict[str, Any]]]:
    """The entries matching every given filter, newest first: (how many match, one page).

    ``start``/``end``: aware times, ``start <= at < end``. ``who``, ``key``: exact match.
    ``what``: exact match, or every kind that starts with it and a space (``"account"``
    matches ``"account add"``). ``offset``/``limit``: the page (``limit`` 1-1000).
    Each entry: ``at`` (ISO 8601, UTC), ``who``, ``what``, ``key``, ``old``, ``new``,
    ``result``.
    """
    if offset < 0:
        raise AuditQueryError("offset: must be 0 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise AuditQueryError(f"limit: must be 1-{MAX_LIMIT}")
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if start_utc is not None and end_utc is not None and end_utc <= start_utc:
        raise AuditQueryError("end: must be after start")
    query = AuditEntry.select()
    if start_utc is not None:
        query = query.where(AuditEntry.at >= start_utc)
    if end_utc is not None:
        query = query.where(AuditEntry.at < end_utc)
    if who is not None:
        query = query.where(AuditEntry.who == who)
    if key is not None:
        query = query.where(AuditEntry.key == key)
    if what is not None:
        prefix = what + " "
        query = query.where((AuditEntry.what == what)
                            | (fn.SUBSTR(AuditEntry.what, 1, len(prefix)) == prefix))
    total = query.count()
    page = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)
    return total, [_as_dict(row) for row in page]
