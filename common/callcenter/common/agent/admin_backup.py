"""Admin API (protocol 1.1): backup of the four parameter groups to
DIR/backups/B<yyyymmddhhmm>, restore with a per-group comparison, and file transfer
(download of backups and exports, upload of files to restore or import).

See ``admin_core`` for how admin actions are declared and run.
"""

from __future__ import annotations

from typing import Final

from callcenter.common.agent.spec import ActionSpec, EventSpec

ACTIONS: Final[tuple[ActionSpec, ...]] = ()

EVENTS: Final[tuple[EventSpec, ...]] = ()
