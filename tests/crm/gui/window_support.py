"""Fixtures of the CRM main-window tests: the session's display, and the
window started unattended on the real server and simulator (tests/crm/conftest.py).

Import them into a test module (``from tests.crm.gui.window_support import ...``);
``tk_root`` and ``pump_until`` come from the console's tests (console_support): a Tk
callback that raises fails the test, waits pump the Tk loop and are bounded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.crm_client.gui.app import CrmWindowApp
from callcenter.crm_client.gui.options import GuiOptions
from tests.crm.conftest import PASSWORD
from tests.server.console.console_support import display, pump_until

MakeWindow = Callable[..., CrmWindowApp]


@pytest.fixture(scope="session")
def window_xvfb(display: str) -> str:
    """The X display of the window tests: the session's one (``console_support.display``:
    the DISPLAY that scripts/test.sh set, else an Xvfb started on a free number for the
    session; Tk ends the whole process when the X server of a live root goes away, so it
    lives until the session ends)."""
    return display


@pytest.fixture
def make_window(tk_root: tk.Tk, hub_address: tuple[str, int], tmp_path: Path,
                agent_account: Callable[..., str]) -> Iterator[MakeWindow]:
    """``make_window(user, port, device="headset", **options)``: the window started
    unattended (--server, --extension, --user, the password from the environment) on a
    fresh data folder, and not yet connected: pump until ``online(app)``."""
    apps: list[CrmWindowApp] = []

    def make(user: str, port: str, device: str = "headset", *, data_dir: Path | None = None,
             language: str = "", confirm: Callable[[str, str], bool] | None = None,
             **extra: Any) -> CrmWindowApp:
        agent_account(user)
        options = GuiOptions(data_dir=data_dir or tmp_path / f"crm-{user}",
                             server_host=hub_address[0], server_port=hub_address[1],
                             extension=port, user=user, device=device, language=language,
                             password=PASSWORD, **extra)
        app = CrmWindowApp(tk_root, options, confirm=confirm or (lambda _t, _x: True))
        app.ctx.extra["modeless"] = True
        apps.append(app)
        app.start()
        return app

    yield make
    for app in apps:
        app.close()


def online(app: CrmWindowApp) -> bool:
    """Connected, the snapshot applied and shown."""
    return bool(app.crm is not None and app.status.online and app.crm.desk.synced)


def wait_online(root: tk.Tk, app: CrmWindowApp) -> None:
    try:
        pump_until(root, lambda: online(app), what="the window online")
    except BaseException:
        print("status:", app.status, "store:", app.store, "notice:",
              app.status_bar.notice.cget("text"))
        raise


def toplevels(root: tk.Misc) -> list[tk.Toplevel]:
    """The Toplevel windows shown now (the pop, dialogs)."""
    return [w for w in root.winfo_children()
            if isinstance(w, tk.Toplevel) and w.winfo_ismapped()]
