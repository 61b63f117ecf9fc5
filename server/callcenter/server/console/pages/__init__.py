"""The console's module pages beyond the monitor, one module per subject.

Each page module exports ``PAGES``: page id -> factory.  A factory takes the
``PageContext`` (the page's parent frame, the service connection, the catalogue, and how to
report an error or ask a question) and returns a ``Page``: its ``frame``, ``relabel()`` for a
language switch, ``on_event(event)`` for the service's events (called in the Tk thread, for
every event: ignore what does not concern the page), and ``shown()`` when it is raised (to
fetch fresh data).  Page ids are the main window's: ``records``, ``rooms``, ``backup``,
``system``, ``parameters.extension``, ``parameters.trunk``, ``parameters.switches``,
``parameters.other``.  A page module adds its texts to the one catalogue with
``strings.add_texts`` when it is imported.

Pages are thin views: what they show and decide lives in models tested without Tk; every
request goes through ``ServiceConnection.request`` (off the Tk thread, results through the
queue ``after()`` drains), with a progress bar and a cancel button for long jobs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import ttk
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import tkinter as tk

    from callcenter.server.console.connection import ServiceConnection
    from callcenter.server.console.strings import Catalogue

#: The page modules, in this package; each exports ``PAGES``.
PAGE_MODULES = ("records", "rooms", "parameters", "backup", "system")


@dataclass
class PageContext:
    """What a page is built with."""

    parent: ttk.Frame
    root: tk.Tk
    connection: ServiceConnection
    catalogue: Catalogue
    report_error: Callable[[str], None]
    confirm: Callable[[str, str], bool]
    #: The session's ``whoami`` answer (user, role, modules ...).
    whoami: dict[str, Any]


class Page(Protocol):
    frame: ttk.Frame

    def relabel(self) -> None: ...

    def on_event(self, event: dict[str, Any]) -> None: ...

    def shown(self) -> None: ...


PageFactory = Callable[[PageContext], Page]


def page_factories() -> dict[str, PageFactory]:
    """Every page id a page module builds (a page nobody builds yet shows a placeholder)."""
    found: dict[str, PageFactory] = {}
    for name in PAGE_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        pages: dict[str, PageFactory] = getattr(module, "PAGES", {})
        overlap = set(found) & set(pages)
        if overlap:
            raise RuntimeError(f"console pages built twice: {sorted(overlap)}")
        found.update(pages)
    return found
