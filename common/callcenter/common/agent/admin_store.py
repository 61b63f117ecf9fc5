"""Admin API (protocol 1.1): call records (query, summaries, export, verify, archives), the
tariff, rooms (the 话务管理 table and every rooms action), accounts, settings, the audit log and
alerts.

See ``admin_core`` for how admin actions are declared and run.
"""

from __future__ import annotations

from typing import Final

from callcenter.common.agent.spec import ActionSpec, EventSpec

ACTIONS: Final[tuple[ActionSpec, ...]] = ()

EVENTS: Final[tuple[EventSpec, ...]] = ()
