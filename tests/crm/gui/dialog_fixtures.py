"""Fixtures of the CRM dialog tests: the session's display, a
``DialogContext`` on a real ``TaskRunner`` whose results the test drains while it pumps the
Tk loop, and answers to the questions a dialog asks (yes/no, files) set in ``ctx.extra``.

Import the fixtures into a test module (``from tests.crm.gui.dialog_fixtures import ...``);
``tk_root`` and ``pump_until`` come from the console's tests (console_support)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.console.console_support import display, pump_until


@pytest.fixture(scope="session")
def dialog_xvfb(display: str) -> str:
    """The X display of the dialog tests: the session's one (``console_support.display``:
    the DISPLAY that scripts/test.sh set, else an Xvfb started on a free number for the
    session; Tk ends the whole process when the X server of a live root goes away, so it
    lives until the session ends)."""
    return display


class Answers:
    """What the dialog's questions get: ``confirm`` answers, files to open/save, a folder;
    every question asked is recorded in ``asked``."""

    def __init__(self) -> None:
        self.confirm = True
        self.open_file = ""
        self.save_file = ""
        self.folder = ""
        self.asked: list[tuple[str, str]] = []

    def install(self, extra: dict[str, Any]) -> None:
        def confirm(_parent: object, title: str, text: str) -> bool:
            self.asked.append((title, text))
            return self.confirm

        def open_file(_parent: object, title: str, _types: object) -> str:
            self.asked.append((title, "open"))
            return self.open_file

        def save_file(_parent: object, title: str, _types: object) -> str:
            self.asked.append((title, "save"))
            return self.save_file

        def folder(_parent: object, title: str) -> str:
            self.asked.append((title, "folder"))
            return self.folder
        extra.update(confirm=confirm, ask_open_file=open_file, ask_save_file=save_file,
                     ask_folder=folder, modeless=True)


def pump(root: Any, ctx: Any, condition: Callable[[], object], timeout: float = 15.0,
         what: str = "condition") -> None:
    """``pump_until`` that also runs the context's finished work (``runner.drain``)."""
    def drained() -> object:
        ctx.runner.drain()
        return condition()
    pump_until(root, drained, timeout, what)
