"""The console's page(s) of this module: not built yet (the placeholder says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from callcenter.server.console.pages import PageFactory

PAGES: Final[dict[str, PageFactory]] = {}
