"""Admin API handlers: see ``callcenter.common.agent.admin_backup`` for the actions and
``hub.admin`` for how handlers are written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from callcenter.server.hub.admin import AdminHandler
    from callcenter.server.pbx.events import ServiceEvent

HANDLERS: Final[Mapping[str, AdminHandler]] = {}


def service_events(event: ServiceEvent) -> list[tuple[str, dict[str, Any]]]:
    """The admin events a service event means (called in the service's event thread)."""
    return []
