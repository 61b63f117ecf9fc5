"""Admin API (protocol 1.1): the PBX link (state, port and line settings, serial ports, clock)
and the parameters (schema, image with each key's state, batch writes with progress and
cancel, renumbering, verification).

See ``admin_core`` for how admin actions are declared and run.
"""

from __future__ import annotations

from typing import Final

from callcenter.common.agent.spec import ActionSpec, EventSpec

ACTIONS: Final[tuple[ActionSpec, ...]] = ()

EVENTS: Final[tuple[EventSpec, ...]] = ()
