"""The printed report's print time (打印 ...) is in the site's zone (setting ``timezone``),
the zone its calls are shown in, not this computer's (issue 11, item 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter.server.query.pdf import render_pdf
from callcenter.server.store.db import database, open_store
from callcenter.server.store.settings import set_setting, site_zone
from tests.server.query.test_pdf import ROW, _gs_text, needs_ghostscript


def test_the_site_zone_is_the_timezone_setting(tmp_path: Path) -> None:
    open_store(tmp_path)
    try:
        set_setting("timezone", "Pacific/Kiritimati", "test")
        assert site_zone() == ZoneInfo("Pacific/Kiritimati")
    finally:
        database.close()


@needs_ghostscript
def test_the_print_time_is_in_the_site_zone(tmp_path: Path) -> None:
    open_store(tmp_path)
    try:
        set_setting("timezone", "Pacific/Kiritimati", "test")  # UTC+14: never the PC's
        zone = ZoneInfo("Pacific/Kiritimati")
        before = datetime.now(UTC).astimezone(zone)
        pdf = tmp_path / "r.pdf"
        render_pdf([ROW], None, "话单 2026-11", pdf)
        after = datetime.now(UTC).astimezone(zone)
    finally:
        database.close()
    text = _gs_text(pdf)
    minutes = {f"{before + timedelta(minutes=m):%Y-%m-%d %H:%M}"
               for m in range(int((after - before).total_seconds() // 60) + 2)}
    assert any(f"打印 {m}" in text or m in text for m in minutes), (minutes, text)
