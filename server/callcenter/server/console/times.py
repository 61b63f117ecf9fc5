"""Times as the console shows them: in the site's time zone (the ``timezone`` setting, which
``whoami`` names), whatever zone this computer runs in. Pure (no Tk)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def site_zone(timezone: str) -> ZoneInfo:
    """The site's time zone (the ``timezone`` setting); UTC when it names none known."""
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(stamp: str, timezone: str) -> str:
    """An ISO 8601 time from the service (UTC when it names no zone) as ``yyyy-mm-dd
    hh:mm:ss`` in the site's time zone; a text that is no time is shown as it is."""
    try:
        moment = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return stamp.replace("T", " ")[:19]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(site_zone(timezone)).strftime("%Y-%m-%d %H:%M:%S")


def clock_text(now: datetime, timezone: str | None) -> str:
    """The status bar's clock: ``now`` (aware) in the site's zone once it is known, else in
    this computer's."""
    moment = now.astimezone(site_zone(timezone)) if timezone else now.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")
