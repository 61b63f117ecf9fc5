"""A stop asked by a signal ends the console at any moment (issue 8): before its window is
ready, with the login dialog open, with a message box or a first-start dialog open; and
``callcenter-server --demo`` with its console stops on SIGINT while the login dialog is open,
the service with it.

``should_quit`` is what ``callcenter-server`` hands the console (the SIGINT/SIGTERM event's
``is_set``); the in-process tests give it directly.  A guard ends a console that did not stop
(so a broken stop fails the test instead of hanging it)."""

from __future__ import annotations

import re
import signal
import socket
import tkinter as tk
from pathlib import Path
from tkinter import messagebox

from callcenter.server.console.app import run_console
from callcenter.server.console.connection import ServiceAddress
from tests.server.console.console_support import wait_for
from tests.server.console.test_console_cli import processes, windows
from tests.server.test_server_cli import ENV, Lines

__all__ = ["processes"]

#: The guard's bound: a console that did not stop by then failed.
GUARD_MS = 20_000
MESSAGE_BOX = ".__tk__messagebox"


def guard(root: tk.Tk) -> list[str]:
    """After GUARD_MS: note the failure, destroy every other window (a message box's wait
    ends with it) and leave the main loop.  The list the note goes to."""
    fired: list[str] = []

    def stop_it() -> None:
        fired.append("the console did not stop")
        for path in root.tk.splitlist(root.tk.call("winfo", "children", ".")):
            if str(root.tk.call("winfo", "toplevel", path)) == str(path):
                root.tk.call("destroy", path)
        root.quit()
    root.after(GUARD_MS, stop_it)
    return fired


def test_a_stop_asked_before_the_window_is_ready_ends_the_console(
        tk_root: tk.Tk, address: ServiceAddress) -> None:
    # the signal came while the service was starting: the first poll sees it, before the
    # login dialog and the main loop (whose start forgot a quit() asked before it)
    fired = guard(tk_root)
    assert run_console(tk_root, address, embedded=True, should_quit=lambda: True) == 0
    assert fired == []


def test_a_stop_with_the_login_dialog_open_ends_the_console(
        tk_root: tk.Tk, address: ServiceAddress) -> None:
    fired = guard(tk_root)
    seen: list[str] = []

    def login_dialog_shown() -> bool:
        for child in tk_root.winfo_children():
            if isinstance(child, tk.Toplevel) and child.winfo_viewable():
                seen.append(child.title())
                return True
        return False
    assert run_console(tk_root, address, embedded=True, should_quit=login_dialog_shown) == 0
    assert fired == []
    assert seen[:1] == ["登录系统"]


def test_a_stop_with_a_message_box_waiting_ends_the_console(
        tk_root: tk.Tk, address: ServiceAddress) -> None:
    # a message box (an error, the first start's question) waits in a loop of Tk's own
    fired = guard(tk_root)
    answers: list[str] = []

    def ask() -> None:
        answers.append(str(messagebox.askyesno("?", "first start?", parent=tk_root)))
    tk_root.after(100, ask)

    def box_open() -> bool:
        return bool(int(tk_root.tk.call("winfo", "exists", MESSAGE_BOX)))
    assert run_console(tk_root, address, embedded=True, should_quit=box_open) == 0
    assert fired == []
    assert answers == ["False"]  # the box was closed unanswered


def test_a_stop_with_a_first_start_dialog_open_ends_the_console(
        tk_root: tk.Tk, address: ServiceAddress) -> None:
    """The first start's serial-port dialog (a window of the console's own, modal once
    shown) open: the stop closes it with the console."""
    from callcenter.server.console.connection import ServiceConnection
    from callcenter.server.console.first_start import SerialPortDialog
    from callcenter.server.console.strings import Catalogue

    fired = guard(tk_root)
    side = ServiceConnection(address)
    opened: list[SerialPortDialog] = []
    tk_root.after(100, lambda: opened.append(SerialPortDialog(tk_root, side, Catalogue())))
    try:
        assert run_console(tk_root, address, embedded=True,
                           should_quit=lambda: bool(opened) and opened[0].winfo_viewable()
                           ) == 0
    finally:
        side.close()
    assert fired == [] and len(opened) == 1


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("", port))
        except OSError:
            return False
    return True


def test_sigint_with_the_login_dialog_open_stops_the_demo_and_its_service(
        display: str, tmp_path: Path, processes: list[Lines]) -> None:
    """``callcenter-server --demo`` (embedded console): SIGINT right after the data
    verification, the login dialog open, stops the console and the service."""
    env = {**ENV, "DISPLAY": display, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    demo = Lines("--demo", "--traffic", "0", "--data", str(tmp_path / "data"),
                 "--agent-port", "0", env=env)
    processes.append(demo)
    wait_for(lambda: demo.proc.poll() is not None or demo.has("data verification done"),
             60, "the demo's data verification")
    assert demo.proc.poll() is None, "".join(demo._stderr)
    if windows(display):  # with xwininfo: the login dialog is seen open first
        wait_for(lambda: "登录系统" in windows(display), 30, "the login dialog")
    err = "".join(demo._stderr)
    found = re.search(r"agent hub listening on [^ ]+:(\d+)", err)
    assert found, err
    hub = int(found.group(1))
    code, err = demo.stop(signal.SIGINT, timeout=60)  # a bound, not a timing check
    assert code == 0, err  # as the headless service
    assert "Traceback" not in err
    assert "agent hub stopped" in err and "service stopped" in err
    assert port_is_free(hub)


def test_sigterm_while_the_window_opens_stops_the_demo(
        display: str, tmp_path: Path, processes: list[Lines]) -> None:
    """SIGTERM as soon as the console starts opening its window (whatever it is doing at
    that moment: building the window, showing the login dialog) stops the program too."""
    env = {**ENV, "DISPLAY": display, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    demo = Lines("--demo", "--traffic", "0", "--data", str(tmp_path / "data"),
                 "--agent-port", "0", env=env)
    processes.append(demo)
    wait_for(lambda: demo.proc.poll() is not None
             or "console: opening the window" in "".join(demo._stderr), 60,
             "the console opening")
    assert demo.proc.poll() is None, "".join(demo._stderr)
    code, err = demo.stop(signal.SIGTERM, timeout=60)  # a bound, not a timing check
    assert code == 0, err
    assert "Traceback" not in err and "service stopped" in err
