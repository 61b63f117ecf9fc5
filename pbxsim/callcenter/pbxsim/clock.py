"""The simulated PBX's real-time clock, set from the PC the way the exchange does it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone


class PbxClock:
    """The PBX's real-time clock: real UTC time plus an offset, shown in PBX local time.

    ``schedule`` sets it the way the PBX does (manual 1-3-32): the new time takes effect
    at the start of the next minute of the PBX clock.
    """

    def __init__(self, utc_now: Callable[[], datetime] | None = None,
                 utc_offset_minutes: int = 480) -> None:
        self._utc_now = utc_now or (lambda: datetime.now(UTC))
        self._offset = timedelta(0)
        self._tz = timezone(timedelta(minutes=utc_offset_minutes))
        self._pending: tuple[datetime, timedelta, timezone] | None = None

    def now(self) -> datetime:
        """The PBX's local time (an aware datetime)."""
        real = self._utc_now()
        if self._pending is not None and real >= self._pending[0]:
            _, self._offset, self._tz = self._pending
            self._pending = None
        return (real + self._offset).astimezone(self._tz)

    def schedule(self, local_time: str, utc_offset_minutes: int) -> str:
        """Set the clock to ``local_time`` (YYYYMMDDhhmm) at the next minute; returns that
        minute (YYYYMMDDhhmm, as the PBX clock read before the change).  ValueError if invalid.
        """
        tz = timezone(timedelta(minutes=utc_offset_minutes))
        target = datetime.strptime(local_time, "%Y%m%d%H%M").replace(tzinfo=tz)
        current = self.now()
        boundary = current.replace(second=0, microsecond=0) + timedelta(minutes=1)
        real_at = boundary - self._offset  # the real instant the PBX clock reaches the boundary
        self._pending = (real_at, target - real_at, tz)
        return boundary.strftime("%Y%m%d%H%M")
