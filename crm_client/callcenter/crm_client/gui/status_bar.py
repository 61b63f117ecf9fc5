"""The status bar, the view: the hub link, this PC's extension, the agent, the phone's state,
the writes waiting for the shared folder (network mode; shown only while some wait), and a
clock.  Its texts come from ``presenters.status_texts``; a notice (a new message, a
call saved) may stand in the middle for a while.
"""

from __future__ import annotations

import time
import tkinter as tk
from tkinter import ttk
from typing import Final

FIELDS: Final = ("link", "extension", "user", "phone")
NOTICE_MS = 8000


class StatusBar(ttk.Frame):
    """The status bar (see the module docstring)."""

    def __init__(self, parent: tk.Misc) -> None:
        super().__init__(parent, padding=(4, 2), relief="sunken")
        self.labels: dict[str, ttk.Label] = {}
        for column, name in enumerate(FIELDS):
            label = ttk.Label(self, text="", anchor="w")
            label.grid(row=0, column=2 * column, sticky="w", padx=(2, 6))
            ttk.Separator(self, orient="vertical").grid(row=0, column=2 * column + 1,
                                                        sticky="ns", padx=4)
            self.labels[name] = label
        self.outbox = ttk.Label(self, text="", anchor="w", foreground="#e65100")
        self.notice = ttk.Label(self, text="", anchor="w", foreground="#1565c0")
        self.notice.grid(row=0, column=2 * len(FIELDS) + 1, sticky="ew", padx=4)
        self.clock = ttk.Label(self, text="", anchor="e")
        self.clock.grid(row=0, column=2 * len(FIELDS) + 2, sticky="e", padx=(6, 2))
        self.columnconfigure(2 * len(FIELDS) + 1, weight=1)
        self._clock_job = ""
        self._notice_job = ""
        self._tick()

    def set_texts(self, texts: dict[str, str]) -> None:
        for name, text in texts.items():
            if name in self.labels and self.labels[name].cget("text") != text:
                self.labels[name].configure(text=text)

    def text(self, name: str) -> str:
        if name == "outbox":
            return str(self.outbox.cget("text"))
        return str(self.labels[name].cget("text"))

    def set_outbox(self, text: str) -> None:
        """The writes waiting for the shared folder ("" hides the field)."""
        self.outbox.configure(text=text)
        if text:
            self.outbox.grid(row=0, column=2 * len(FIELDS), sticky="w", padx=(2, 6))
        else:
            self.outbox.grid_remove()

    def show_notice(self, text: str, ms: int = NOTICE_MS) -> None:
        """A passing notice (no window, no focus taken)."""
        if self._notice_job:
            self.after_cancel(self._notice_job)
        self.notice.configure(text=text)
        self._notice_job = self.after(ms, self._clear_notice)

    def _clear_notice(self) -> None:
        self._notice_job = ""
        self.notice.configure(text="")

    def _tick(self) -> None:
        self.clock.configure(text=time.strftime("%Y-%m-%d %H:%M:%S"))
        self._clock_job = self.after(1000 - int(time.time() * 1000) % 1000, self._tick)

    def stop(self) -> None:
        """Stop the timers (before the root is destroyed)."""
        for job in (self._clock_job, self._notice_job):
            if job:
                self.after_cancel(job)
        self._clock_job = self._notice_job = ""
