"""``pbx monitor``'s JSON times (``event_to_json``) in one zone, the site's when given,
with the offset; a record's PBX-local ``start`` also as ``start_time`` with its offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.cli.format import event_to_json
from callcenter.server.cli.pbx_service import monitor_line


def test_event_times_in_the_given_zone_with_offsets() -> None:
    record = CallRecord(sequence=7, start="20261203184100", duration=65, port="001",
                        extension="8001", trunk="01", number="13800138000", call_type="OUT",
                        utc_offset_minutes=480)
    now = datetime(2026, 12, 3, 10, 42, 5, tzinfo=UTC)
    data = event_to_json(record, now=now, zone=ZoneInfo("Asia/Shanghai"))
    assert data is not None
    assert data["time"] == "2026-12-03T18:42:05+08:00"
    assert data["start_time"] == "2026-12-03T18:41:00+08:00"
    assert data["start"] == "20261203184100"  # the record as the PBX sent it, unchanged
    data = event_to_json(record, now=now, zone=ZoneInfo("Europe/Berlin"))
    assert data is not None
    assert (data["time"], data["start_time"]) == ("2026-12-03T11:42:05+01:00",
                                                 "2026-12-03T11:41:00+01:00")


def test_monitor_lines_through_the_service_in_the_given_zone() -> None:
    """``pbx monitor`` through the running service: the hub's event times (UTC) and a
    stored record's start in the site's zone, as on the port."""
    zone = ZoneInfo("Asia/Shanghai")
    ring = monitor_line({"event": "extension_state", "time": "2026-12-03T10:42:05.123+00:00",
                         "port": "002", "state": "ringing"}, zone=zone)
    assert ring is not None and ring["time"] == "2026-12-03T18:42:05+08:00"
    record = monitor_line({"event": "record_stored", "time": "2026-12-03T10:42:06+00:00",
                           "sequence": 3, "start": "2026-12-03T18:41:00+08:00",
                           "duration": 60}, zone=ZoneInfo("Asia/Tokyo"))
    assert record is not None
    assert record["time"] == "2026-12-03T19:42:06+09:00"
    assert (record["start"], record["utc_offset_minutes"]) == ("20261203184100", 480)
    assert record["start_time"] == "2026-12-03T19:41:00+09:00"
    odd = monitor_line({"event": "link", "state": "down", "time": "not a time"}, zone=zone)
    assert odd is not None and odd["time"] == "not a time"
