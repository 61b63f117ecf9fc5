"""传呼 (page, C-9) with a target: the small dialog the function area's 传呼 opens.

The hub's ``page`` takes an optional ``target`` (an extension port; without it every pageable
extension is paged: docs/agent-protocol.md).  The dialog asks for it: empty pages all, an
extension port (``005``) or an extension's number from the snapshot (``8005``) pages that one.
``page_target`` (no Tk) decides; a text that is neither is refused in words naming what is
allowed, and nothing is sent.
"""

from __future__ import annotations

import re
import tkinter as tk
from collections.abc import Callable, Mapping
from tkinter import ttk
from typing import Final

from callcenter.crm_client.gui import strings
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.dialog_support import DialogWindow, MessageLine

strings.add_texts({
    "page.title": ("传呼", "Page"),
    "page.target": ("传呼分机（端口或号码）：", "Extension to page (port or number):"),
    "page.hint": ("留空：传呼全部分机", "Empty: page every extension"),
    "page.ok": ("传呼", "Page"),
    "page.cancel": ("取消", "Cancel"),
    "page.bad_target": ("传呼分机：“{value}”不是分机端口（3 位数字，如 005）或已知的分机号码；"
                        "留空传呼全部",
                        "Extension to page: “{value}” is neither an extension port (three "
                        "digits, as 005) nor a known extension number; leave it empty to page "
                        "every extension"),
})

_PORT: Final = re.compile(r"(?!000)[0-9]{3}")


def page_target(text: str, ports_by_number: Mapping[str, str]) -> str:
    """The hub's ``target`` for what was typed: "" (all), an extension port, or the port of
    a known extension number.  ValueError (the catalogue key ``page.bad_target``) else."""
    value = text.strip()
    if not value:
        return ""
    if _PORT.fullmatch(value):
        return value
    found = ports_by_number.get(value, "")
    if found:
        return found
    raise ValueError("page.bad_target")


class PageDialog(DialogWindow):
    """Asks 传呼's target; ``on_page(target)`` ("" all) once it is usable."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, *,
                 ports_by_number: Callable[[], Mapping[str, str]],
                 on_page: Callable[[str], None]) -> None:
        super().__init__(parent, ctx, "page.title")
        self.ports_by_number = ports_by_number
        self.on_page = on_page
        body = ttk.Frame(self, padding=12)
        body.grid(sticky="nsew")
        self.label = ttk.Label(body)
        self.label.grid(row=0, column=0, sticky="w")
        self.entry = ttk.Entry(body, width=12)
        self.entry.grid(row=0, column=1, sticky="w", padx=(8, 0))
        self.hint = ttk.Label(body, foreground="#555555")
        self.hint.grid(row=1, column=0, columnspan=2, sticky="w", pady=(4, 0))
        self.message = MessageLine(body, wraplength=360)
        self.message.grid(row=2, column=0, columnspan=2, sticky="w", pady=(6, 0))
        buttons = ttk.Frame(body)
        buttons.grid(row=3, column=0, columnspan=2, sticky="e", pady=(8, 0))
        self.button_ok = ttk.Button(buttons, command=self.submit, default="active")
        self.button_ok.grid(row=0, column=0, padx=(0, 6))
        self.button_cancel = ttk.Button(buttons, command=self.close)
        self.button_cancel.grid(row=0, column=1)
        self.bind("<Return>", lambda _e: self.submit())
        self.relabel()
        self.show()
        self.entry.focus_set()

    def relabel(self) -> None:
        text = self.catalogue.text
        self.label.configure(text=text("page.target"))
        self.hint.configure(text=text("page.hint"))
        self.button_ok.configure(text=text("page.ok"))
        self.button_cancel.configure(text=text("page.cancel"))

    def submit(self) -> None:
        typed = self.entry.get()
        try:
            target = page_target(typed, self.ports_by_number())
        except ValueError as exc:
            self.message.show_error(self.catalogue.text(str(exc), value=typed.strip()))
            self.entry.focus_set()
            return
        self.close()
        self.on_page(target)
