"""Shared constants of the hub tests (a module of its own: ``conftest`` is not a unique
module name across test folders)."""

from __future__ import annotations

from callcenter.server.hub import HubOptions

#: Quick timers for tests; the protocol's defaults are tested where they matter.
TEST_OPTIONS = HubOptions(failure_delay=0.05, close_grace=0.5)
