"""The console's screenshots for docs/console.md, made under Xvfb on the real embedded
service and simulator (1024x768, as the issue asks the console to fit).

    .venv/bin/python -m tests.server.console.make_screenshots [OUT_DIR]

(default docs/images).  Needs Xvfb (or a DISPLAY) and ImageMagick's ``import``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path

from callcenter.common.tkfonts import apply_cjk_font
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.runtime import ServerRuntime
from tests.server.console.console_support import ask, start_xvfb

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "shots-pw-1"


def pump(root: tk.Tk, condition: Callable[[], object], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not get there")
        root.update()
        time.sleep(0.01)


def settle(root: tk.Tk, seconds: float = 0.6) -> None:
    """Let the window draw (events drained, idle tasks run) before a picture."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        root.update()
        time.sleep(0.01)


def shoot(root: tk.Tk, path: Path) -> None:
    settle(root)
    subprocess.run(["import", "-window", "root", str(path)], check=True,
                   env={**os.environ})
    print(path)


@contextlib.contextmanager
def screenshot_service(seed: int = 3) -> Iterator[tuple[Simulator, ServiceAddress]]:
    """A virtual display, the simulator and the embedded service with the accounts the
    shots log in as (zhang, admin; wang, operator), and a configuration folder of their
    own (a language a shot switches to is remembered there, not in this user's
    preferences, and every shot starts in Chinese); everything stopped afterwards."""
    xvfb, display = start_xvfb()
    os.environ["DISPLAY"] = display
    try:
        with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as config, \
                Simulator(SimulatorConfig(seed=seed)) as sim:
            os.environ["XDG_CONFIG_HOME"] = os.environ["APPDATA"] = config
            runtime = ServerRuntime.embed(sim.url, Path(data), agent_port=0,
                                          agent_host="127.0.0.1", sync_clock=False)
            try:
                runtime.service.wait_ready(20)
                add_account("zhang", "admin", PASSWORD)
                add_account("wang", "operator", PASSWORD)
                yield sim, ServiceAddress(*runtime.hub_address)
            finally:
                runtime.stop()
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with screenshot_service() as (sim, address):
        shots(sim, address, out)
    return 0


def new_root() -> tk.Tk:
    root = tk.Tk(className="callcenter")
    apply_cjk_font(root)
    root.geometry("1024x730+0+0")  # + the menu bar: the whole 1024x768 screen
    return root


def shots(sim: Simulator, address: ServiceAddress, out: Path) -> None:
    # 1. the login dialog, then the forced change of the initial admin/admin
    root = new_root()
    app = ConsoleApp(root, address, embedded=True, _utest=True)
    app.start()
    dialog = app.login_dialog
    assert dialog is not None
    dialog.set_value("user", "admin")
    shoot(root, out / "console-login.png")
    dialog.set_value("password", "admin")
    dialog.button_ok.invoke()
    pump(root, lambda: app.password_dialog is not None)
    shoot(root, out / "console-change-password.png")
    app.close()
    root.destroy()

    # 2. the monitor with calls going on, in Chinese then English
    for port, caller in (("002", "13800138000"), ("005", "02087654321"),
                         ("009", "075512345678")):
        ask(sim, {"cmd": "ring", "extension": port, "caller": caller})
    ask(sim, {"cmd": "offhook", "extension": "002"})
    ask(sim, {"cmd": "offhook", "extension": "005"})
    ask(sim, {"cmd": "offhook", "extension": "014"})
    root = new_root()
    app = ConsoleApp(root, address, embedded=True, user="zhang", password=PASSWORD,
                     _utest=True)
    app.start()
    pump(root, lambda: app.window.modules and app.monitor.have_snapshot
         and "已连接" in app.window.status["link"].cget("text"))
    name_ports(root, app)
    shoot(root, out / "console-monitor.png")
    app.show_page("monitor")
    app.set_language("en")
    shoot(root, out / "console-monitor-en.png")
    app.close()
    root.destroy()

    # 3. an operator: only the modules an admin allowed
    root = new_root()
    app = ConsoleApp(root, address, embedded=False, user="wang", password=PASSWORD,
                     _utest=True)
    app.start()
    pump(root, lambda: app.window.modules and app.monitor.have_snapshot)
    shoot(root, out / "console-operator.png")
    app.close()
    root.destroy()
    for port in ("002", "005", "009", "014"):
        ask(sim, {"cmd": "hangup", "extension": port})


#: Names an admin gave some ports (protocol 1.2): the monitor shows them under the number.
PORT_NAMES = {"001": "前台", "002": "销售一", "003": "销售二", "005": "财务室",
              "009": "经理", "014": "Room 14"}


def name_ports(root: tk.Tk, app: ConsoleApp) -> None:
    """Give ``PORT_NAMES`` through the admin API (``extension_names_set``), as an admin does,
    and wait for the snapshot that brings them to the monitor."""
    failed: list[str] = []
    app.connection.request("extension_names_set", lambda _result: None,
                           lambda code, message: failed.append(f"{code}: {message}"),
                           names=PORT_NAMES)
    pump(root, lambda: failed or all(app.monitor.name_line(f"ext:{port}") == name
                                     for port, name in PORT_NAMES.items()))
    if failed:
        raise RuntimeError(f"extension_names_set: {failed[0]}")


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"))
