"""The outbox's sync in the window: network mode's writes kept on this PC while the shared
folder is away are replayed every ``REPLAY_MS`` (about 30 s), and counted for the status bar.

Nothing in the store replays its outbox on a timer (docs/crm-store.md): the store replays it
before each write, and ``OutboxSync`` does the rest.  A tick runs in a worker (never the Tk
thread): it counts the writes waiting (``CrmStore.pending_writes``, a local read), and when
there are some it replays them (``replay_outbox``; ShareUnavailable while the share is still
away is no error: they go on waiting) and counts again.  ``on_count(n)`` then runs on the Tk
thread: the status bar shows "N 条待同步" while ``n > 0``.  ``nudge()`` counts at once
without replaying (a write was just kept in the outbox: the agent sees it now, not in 30 s).
Standalone mode has no outbox: nothing is scheduled.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from typing import Final

from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.store import CrmStore, ShareUnavailable

log = logging.getLogger(__name__)

#: How often the outbox is counted and, while it holds writes, replayed.
REPLAY_MS: Final = 30_000


class OutboxSync:
    """Counts and replays one store's outbox on a timer (module docstring)."""

    def __init__(self, root: tk.Misc, runner: TaskRunner, store: CrmStore,
                 on_count: Callable[[int], None], *, interval_ms: int = REPLAY_MS) -> None:
        self.root = root
        self.runner = runner
        self.store = store
        self.on_count = on_count
        self.interval_ms = interval_ms
        self.pending = 0
        self.replayed = 0   # writes this window replayed so far (tests, the log)
        self._job = ""
        self._busy = False
        self._stopped = False

    @property
    def active(self) -> bool:
        return self.store.mode == "network" and not self._stopped

    def start(self) -> None:
        """Count now (a previous run may have left writes waiting), then every interval."""
        if self.active:
            self._tick()

    def stop(self) -> None:
        self._stopped = True
        if self._job:
            self.root.after_cancel(self._job)
            self._job = ""

    def nudge(self) -> None:
        """Count the waiting writes now (no replay): a write was just kept."""
        if not self.active:
            return
        store = self.store
        self.runner.submit(store.pending_writes, self._counted, self._failed)

    def _tick(self) -> None:
        self._job = ""
        if not self.active:
            return
        if not self._busy:
            self._busy = True
            self.runner.submit(self._replay, self._replayed, self._failed)
        self._job = self.root.after(self.interval_ms, self._tick)

    def _replay(self) -> tuple[int, int]:
        """In a worker: (replayed now, waiting after)."""
        store = self.store
        done = 0
        if store.pending_writes() > 0:
            try:
                done = store.replay_outbox()
            except ShareUnavailable as exc:
                log.info("outbox: the shared folder is still away (%s)", exc)
        return done, store.pending_writes()

    def _replayed(self, result: tuple[int, int]) -> None:
        self._busy = False
        done, waiting = result
        if done:
            self.replayed += done
            log.info("outbox: %d writes replayed to the shared folder", done)
        self._counted(waiting)

    def _counted(self, waiting: int) -> None:
        if self._stopped:
            return
        self.pending = waiting
        self.on_count(waiting)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        log.warning("outbox: could not be counted or replayed: %s", exc)
