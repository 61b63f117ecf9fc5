"""Fixtures of the CRM dialog tests: the dialogs' own virtual display (:65), a
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

from tests.server.console.console_support import pump_until

DISPLAY_NUMBER = 65


@pytest.fixture(scope="session")
def dialog_xvfb() -> Iterator[str]:
    """Xvfb on :65 for the whole session (started here unless one already runs there).

    It lives until the session ends, not only as long as a module: the console's
    ``tk_root`` keeps every Tk root until the interpreter exits, and Tk ends the whole
    process when the X server of a live root goes away."""
    name = f":{DISPLAY_NUMBER}"
    proc: subprocess.Popen[bytes] | None = None
    socket_path = Path(f"/tmp/.X11-unix/X{DISPLAY_NUMBER}")
    if not socket_path.exists():
        binary = shutil.which("Xvfb")
        if binary is None:
            pytest.skip("no Xvfb binary (apt-get install xvfb): the dialog tests need one")
        proc = subprocess.Popen([binary, name, "-screen", "0", "1024x768x24", "-nolisten",
                                 "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not socket_path.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"Xvfb did not start on {name}")
            time.sleep(0.02)
    yield name
    if proc is not None:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def display(dialog_xvfb: str) -> Iterator[str]:
    """DISPLAY is :65 while this module's tests run (the previous value back after)."""
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = dialog_xvfb
    yield dialog_xvfb
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old


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
