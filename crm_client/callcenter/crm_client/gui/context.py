"""What a dialog gets from the main window: ``DialogContext``.

Every dialog entry point takes ``(parent, ctx)``.  The context carries the one string
catalogue, ``run_in_worker`` (blocking work -- the store, the hub -- off the Tk thread,
results back on it), the use cases (``CrmApp``; ``None`` before the first login), the local
store (``CrmStore``), the data folder and the per-PC settings, and a few hooks into the main
window (dial a number, settings saved, show an error).  ``error_text`` turns any failure
into words: the hub's error codes through the catalogue, a store's refusal by its message
(which names the field), never a traceback.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tkinter import messagebox
from typing import Any, TypeVar

from callcenter.common.agent.client import HubUnavailable, RequestFailed
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner

log = logging.getLogger(__name__)

T = TypeVar("T")
OnError = Callable[[BaseException], None]


def _no_settings_hook(settings: Any) -> None:
    """Default ``settings_saved``: nothing to re-apply."""


@dataclass(eq=False)
class DialogContext:
    """The main window's services for dialogs (see the module docstring).

    ``app`` is the ``callcenter.crm_client.app.CrmApp`` and ``store`` the
    ``callcenter.crm_client.store.CrmStore`` (typed loosely: those layers are built beside
    this one).  Call them only inside ``run_in_worker``'s ``fn``, never on the Tk thread.
    """

    catalogue: Catalogue
    runner: TaskRunner
    store: Any = None
    app: Any = None
    data_dir: Path = Path(".")
    settings: Any = None
    #: the main window re-applies saved settings (language, server, device ...)
    settings_saved: Callable[[Any], None] = _no_settings_hook
    #: dial ``number`` from the main window's phone area (the 呼叫 buttons use it)
    dial: Callable[[str], None] | None = None
    #: the window errors are shown over when a dialog passes no parent
    root: tk.Misc | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: whether the local user (password protection) may use an area of ``settings.AREAS``
    permission: Callable[[str], bool] | None = None
    #: a write was kept in network mode's outbox (the share away): the window counts it now
    writes_kept: Callable[[], None] = lambda: None

    def may(self, area: str) -> bool:
        """Whether the local user may use ``area`` (everything without protection)."""
        return self.permission is None or self.permission(area)

    def text(self, key: str, **fields: object) -> str:
        """Shorthand for ``catalogue.text``."""
        return self.catalogue.text(key, **fields)

    def run_in_worker(self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None,
                      on_error: OnError | None = None) -> None:
        """Run ``fn()`` off the Tk thread; ``on_done(result)`` / ``on_error(exc)`` on it.

        Without ``on_error`` a failure is shown in a message box (``error_text``).
        """
        self.runner.submit(fn, on_done, on_error or self.show_exception)

    def error_text(self, exc: BaseException) -> str:
        """A failure in words for the agent (never a traceback)."""
        if isinstance(exc, RequestFailed):
            return self.catalogue.error(exc.code, exc.message)
        if isinstance(exc, HubUnavailable):
            return self.catalogue.error("unavailable", str(exc) or "—")
        if _is_store_error(exc) or isinstance(exc, ValueError):
            return str(exc)
        log.error("unexpected failure", exc_info=exc)
        return self.catalogue.error("failed", str(exc) or type(exc).__name__)

    def show_error(self, text: str, parent: tk.Misc | None = None) -> None:
        """An error box over ``parent`` (or the main window)."""
        owner = parent or self.root
        if owner is None:
            messagebox.showerror(self.text("error.title"), text)
        else:
            messagebox.showerror(self.text("error.title"), text, parent=owner)

    def show_exception(self, exc: BaseException) -> None:
        """``show_error(error_text(exc))``: the default ``on_error``."""
        self.show_error(self.error_text(exc))


def _is_store_error(exc: BaseException) -> bool:
    """A ``CrmStore`` refusal (StoreError and its kinds); its message names the field."""
    return any(kind.__name__ == "StoreError" for kind in type(exc).__mro__)
