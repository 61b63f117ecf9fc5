"""The archived months (S-40) as plain data: month, location, records, updated_at."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from callcenter.server.store.archive_models import ArchiveMonth


def archive_list() -> list[dict[str, Any]]:
    """Every archived month, oldest first."""
    return [{"month": str(row.month), "location": str(row.location),
             "records": int(row.records),
             "updated_at": row.updated_at.replace(tzinfo=UTC).isoformat(timespec="seconds")}
            for row in ArchiveMonth.select().order_by(ArchiveMonth.month)]
