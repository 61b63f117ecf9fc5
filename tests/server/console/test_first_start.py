"""The first start (S-2): called directly as the app will call it, under Xvfb, on the real
embedded service and simulator."""

from __future__ import annotations

import socket
import tkinter as tk
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.first_start import FirstStart, VerifyDialog, maybe_offer
from callcenter.server.console.pages import PageContext
from tests.server.console.console_support import PASSWORD, pump_until

if TYPE_CHECKING:
    from callcenter.pbxsim.app import Simulator
    from callcenter.server.console.connection import ServiceAddress
    from callcenter.server.runtime import ServerRuntime


@pytest.fixture
def app(tk_root: tk.Tk, address: ServiceAddress,
        account: Callable[..., str]) -> Iterator[ConsoleApp]:
    tk_root.geometry("1024x720")
    console = ConsoleApp(tk_root, address, embedded=True, user=account("first-admin"),
                         password=PASSWORD, _utest=True)
    console.start()
    pump_until(tk_root, lambda: console.whoami.get("role") == "admin", what="the session")
    yield console
    console.close()


def context(app: ConsoleApp, answers: list[bool], asked: list[str]) -> PageContext:
    def confirm(title: str, text: str) -> bool:
        asked.append(text)
        return answers.pop(0)
    return PageContext(app.window.pages, app.root, app.connection, app.catalogue,
                       app.report_error, confirm, app.whoami)


def toplevels(root: tk.Tk) -> list[tk.Toplevel]:
    return [w for w in root.winfo_children() if isinstance(w, tk.Toplevel)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])



def _fail(code: str, message: str) -> None:
    pytest.fail(f"the service answered {code}: {message}")

def test_unattended_nothing_is_asked(tk_root: tk.Tk, app: ConsoleApp) -> None:
    asked: list[str] = []
    assert maybe_offer(context(app, [], asked), unattended=True, _utest=True) is None
    tk_root.update()
    assert asked == [] and toplevels(tk_root) == []


def test_verification_done_and_link_up_asks_nothing_and_only_once(
        tk_root: tk.Tk, app: ConsoleApp) -> None:
    asked: list[str] = []
    first = maybe_offer(context(app, [], asked), unattended=False, _utest=True)
    assert first is not None
    pump_until(tk_root, lambda: first.finished, what="link_state")
    assert first.link_state["up"] and asked == [] and toplevels(tk_root) == []
    # a reconnection calls it again: nothing more
    assert maybe_offer(context(app, [], asked), unattended=False, _utest=True) is None


def test_verification_never_run_is_offered_with_a_progress_bar(
        tk_root: tk.Tk, app: ConsoleApp) -> None:
    asked: list[str] = []
    first = FirstStart(context(app, [True], asked), _utest=True)
    first.role = "admin"
    first._link_state({"up": True, "url": "x", "verification": {"state": "never"}})
    assert first.asked == ["verify"] and "数据校验" in asked[0]
    dialog = first.verify_dialog
    assert isinstance(dialog, VerifyDialog)
    assert dialog.button.cget("text") == "取消"
    pump_until(tk_root, lambda: dialog.outcome == "done", timeout=30, what="verification")
    assert "数据校验完成" in dialog.text.cget("text")
    assert float(dialog.bar.cget("value")) == float(dialog.bar.cget("maximum"))
    assert app.connection.on_event == app._event  # the event tap is gone
    dialog.button.invoke()  # now "close"
    assert not dialog.winfo_exists()


def test_verification_cancelled_at_once_stops(tk_root: tk.Tk, app: ConsoleApp) -> None:
    """取消 pressed before any progress came: the request's handle stops it (not sent, or
    stopped by the service) -- no job id needs to be learnt from an event first."""
    dialog = VerifyDialog(tk_root, app.connection, app.catalogue, force=True, _utest=True)
    dialog.button.invoke()
    assert dialog.button.instate(["disabled"]) and dialog.request.cancel_asked
    pump_until(tk_root, lambda: dialog.outcome, timeout=30, what="the verification's end")
    assert dialog.outcome == "cancelled" and dialog.text.cget("text") == "数据校验已取消"
    dialog.button.invoke()  # now "close"
    assert not dialog.winfo_exists()


def test_link_failure_asks_then_the_port_dialog_reconnects_to_the_simulator(
        tk_root: tk.Tk, app: ConsoleApp, runtime: ServerRuntime, sim: Simulator) -> None:
    dead = f"socket://127.0.0.1:{closed_port()}"
    states: list[dict[str, Any]] = []
    app.connection.request("link_configure", states.append, _fail, url=dead)
    pump_until(tk_root, lambda: states, what="the port changed")

    def link_down() -> bool:
        answer: list[dict[str, Any]] = []
        app.connection.request("link_state", answer.append, _fail)
        pump_until(tk_root, lambda: answer, what="link_state")
        return not answer[0]["up"]
    pump_until(tk_root, link_down, what="the link down")
    try:
        asked: list[str] = []
        first = FirstStart(context(app, [False], asked), _utest=True)
        first.start()
        pump_until(tk_root, lambda: first.finished, what="the question")
        assert first.asked == ["link"] and asked[0].startswith("与交换机通讯失败是否继续？")
        dialog = first.port_dialog
        assert dialog is not None and dialog.winfo_exists()
        form = dialog.form
        pump_until(tk_root, lambda: form.port.get() == dead, what="the form filled")
        assert form.baud.get() == "9600" and form.parity.get() == "N"
        form.port.set(sim.url)
        form.button_test.invoke()
        pump_until(tk_root, lambda: "交换机已连接" in form.state_label.cget("text"),
                   timeout=30, what="the link up on the simulator")
        assert sim.url in form.state_label.cget("text")
        assert runtime.service.link.url == sim.url
        dialog.button_close.invoke()
    finally:
        if runtime.service.link.url != sim.url:
            app.connection.request("link_configure", lambda a: None, lambda c, m: None,
                                   url=sim.url)
            pump_until(tk_root, lambda: runtime.service.link.url == sim.url, what="put back")


def test_link_failure_answered_yes_goes_on_offline(tk_root: tk.Tk, app: ConsoleApp) -> None:
    asked: list[str] = []
    first = FirstStart(context(app, [True], asked), _utest=True)
    first._link_state({"up": False, "url": "COM9", "last_error": "no answer"})
    assert first.asked == ["link"] and "no answer" in asked[0]
    assert first.port_dialog is None and toplevels(tk_root) == []


def test_an_operator_without_system_is_asked_nothing(
        tk_root: tk.Tk, address: ServiceAddress, account: Callable[..., str]) -> None:
    console = ConsoleApp(tk_root, address, embedded=True, user=account("first-op", "operator"),
                         password=PASSWORD, _utest=True)
    console.start()
    try:
        pump_until(tk_root, lambda: console.whoami.get("role") == "operator",
                   what="the session")
        asked: list[str] = []
        first = maybe_offer(context(console, [], asked), unattended=False, _utest=True)
        assert first is not None
        pump_until(tk_root, lambda: first.finished, what="link_state refused")
        assert asked == [] and toplevels(tk_root) == []
    finally:
        console.close()
