"""The console's window under Xvfb, on the real embedded service and simulator, driven
through its widgets."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterator
from datetime import datetime
from tkinter import ttk
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.pbxsim.app import Simulator
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.console.monitor_model import (
    EXTENSION_COLOURS,
    TRUNK_COLOURS,
    MonitorModel,
)
from callcenter.server.console.monitor_view import MonitorView
from callcenter.server.console.strings import Catalogue
from callcenter.server.runtime import ServerRuntime
from callcenter.server.store.settings import get_setting
from tests.server.console.console_support import PASSWORD, ask, pump_until
from tests.server.console.test_models import snapshot

ALL_MODULES = ["系统设置", "参数设置", "实时监控", "话单查询", "话务管理", "资料备份"]
OPERATOR_MODULES = ["实时监控", "话单查询", "话务管理"]

MakeApp = Callable[..., ConsoleApp]


@pytest.fixture
def make_app(tk_root: tk.Tk, address: ServiceAddress) -> Iterator[MakeApp]:
    apps: list[ConsoleApp] = []

    def make(user: str = "", password: str | None = None, **options: Any) -> ConsoleApp:
        tk_root.geometry("1024x720")
        app = ConsoleApp(tk_root, address, embedded=options.pop("embedded", True), user=user,
                         password=password, _utest=True, **options)
        apps.append(app)
        app.start()
        return app

    yield make
    for app in apps:
        app.close()


def ready(app: ConsoleApp) -> bool:
    return bool(app.window.modules) and app.monitor.have_snapshot


def toplevels(root: tk.Tk) -> list[tk.Toplevel]:
    return [w for w in root.winfo_children() if isinstance(w, tk.Toplevel)]


def test_unattended_start_shows_the_modules_in_chinese(
        tk_root: tk.Tk, make_app: MakeApp, account: Callable[..., str]) -> None:
    app = make_app(account("boss"), PASSWORD)
    pump_until(tk_root, lambda: ready(app), what="modules and the snapshot")
    assert tk_root.title().startswith("CALLCENTER")
    assert app.window.menu_labels() == [*ALL_MODULES, "帮助"]
    assert app.window.toolbar_labels() == ALL_MODULES
    assert toplevels(tk_root) == []  # nothing asked, nothing covers the main window
    assert app.window.current_page == "monitor"
    assert app.monitor_view.winfo_ismapped()


def test_an_operator_sees_only_its_modules(tk_root: tk.Tk, make_app: MakeApp,
                                           account: Callable[..., str]) -> None:
    app = make_app(account("wang", "operator"), PASSWORD)
    pump_until(tk_root, lambda: ready(app), what="modules")
    assert app.window.menu_labels() == [*OPERATOR_MODULES, "帮助"]
    assert app.window.toolbar_labels() == OPERATOR_MODULES
    # link_state is a 系统设置 action: refused to this operator, the bar goes on from events
    pump_until(tk_root, lambda: "已连接" in app.window.status["link"].cget("text"),
               what="the link shown up")


def test_the_status_bar_shows_the_link_user_and_clients(
        tk_root: tk.Tk, make_app: MakeApp, account: Callable[..., str],
        runtime: ServerRuntime) -> None:
    app = make_app(account("boss"), PASSWORD)
    url = runtime.service.link.url
    pump_until(tk_root, lambda: url in app.window.status["link"].cget("text"),
               what="the PBX port in the status bar")
    assert app.window.status["link"].cget("text") == f"交换机：已连接 {url}"
    assert app.window.status["user"].cget("text") == "用户：boss"
    assert app.window.status["clients"].cget("text") == "CRM客户端：0"
    pump_until(tk_root, lambda: app.window.status["verification"].cget("text")
               == "数据校验：完成", what="the verification shown done")
    # the clock in the site's time zone (whoami's timezone), not this computer's
    site = str(get_setting("timezone"))
    pump_until(tk_root, lambda: app.window.site_zone == site, what="the site's zone")
    shown = datetime.strptime(app.window.status["clock"].cget("text"), "%Y-%m-%d %H:%M:%S")
    now = datetime.now(ZoneInfo(site)).replace(tzinfo=None)
    assert abs((shown - now).total_seconds()) < 5, (shown, now)


def test_a_call_turns_the_extension_icon_to_the_talking_colour(
        tk_root: tk.Tk, make_app: MakeApp, account: Callable[..., str],
        sim: Simulator) -> None:
    app = make_app(account("boss"), PASSWORD)
    pump_until(tk_root, lambda: ready(app), what="the monitor")
    view = app.monitor_view
    pump_until(tk_root, lambda: view.icon_fill("ext:005") == EXTENSION_COLOURS["idle"],
               what="extension 005 drawn idle")
    ask(sim, {"cmd": "ring", "extension": "005", "caller": "13800138000"})
    try:
        pump_until(tk_root, lambda: view.icon_fill("ext:005") == EXTENSION_COLOURS["ringing"],
                   what="005 ringing")
        ask(sim, {"cmd": "offhook", "extension": "005"})  # lifting the handset answers
        pump_until(tk_root, lambda: view.icon_fill("ext:005") == EXTENSION_COLOURS["talking"],
                   what="005 talking")
        assert view.icon_text("ext:005") == ("005 8005", "13800138000")
        trunk = app.monitor.extensions["005"].trunk
        assert view.icon_fill(f"trunk:{trunk}") == TRUNK_COLOURS["talking"]
        assert "通话 1" in view.counts.cget("text")
    finally:
        ask(sim, {"cmd": "hangup", "extension": "005"})
    pump_until(tk_root, lambda: view.icon_fill("ext:005") == EXTENSION_COLOURS["idle"],
               what="005 idle again")


def test_the_initial_admin_must_change_its_password(tk_root: tk.Tk,
                                                     make_app: MakeApp) -> None:
    app = make_app()  # no --user: the login dialog asks
    dialog = app.login_dialog
    assert dialog is not None and dialog.winfo_exists()
    assert app.window.modules == ()
    dialog.set_value("user", "admin")
    dialog.set_value("password", "wrong-one")
    dialog.button_ok.invoke()
    pump_until(tk_root, lambda: "错误" in dialog.error_label.cget("text"),
               what="the refusal in the dialog")
    assert dialog.error_label.cget("text") == "用户名或密码错误"
    dialog.set_value("password", "admin")
    dialog.button_ok.invoke()
    pump_until(tk_root, lambda: app.password_dialog is not None, what="the password dialog")
    assert app.login_dialog is None
    changing = app.password_dialog
    assert changing is not None
    changing.set_value("new", "new-admin-pw")
    changing.set_value("repeat", "other")
    changing.button_ok.invoke()
    assert changing.error_label.cget("text") == "两次输入的新密码不一致"
    changing.set_value("repeat", "new-admin-pw")
    changing.button_ok.invoke()
    pump_until(tk_root, lambda: ready(app), what="the main window after the change")
    assert app.password_dialog is None and toplevels(tk_root) == []
    assert app.window.menu_labels() == [*ALL_MODULES, "帮助"]


def test_an_agent_account_cannot_use_the_console(tk_root: tk.Tk, make_app: MakeApp,
                                                 account: Callable[..., str]) -> None:
    app = make_app(account("agent-li", "agent"), PASSWORD)
    pump_until(tk_root, lambda: app.login_dialog is not None
               and "坐席" in app.login_dialog.error_label.cget("text"),
               what="the refusal")
    assert app.window.modules == ()
    assert not app.connection.logged_in


def test_closing_an_embedded_console_asks_first(tk_root: tk.Tk, make_app: MakeApp,
                                                account: Callable[..., str]) -> None:
    app = make_app(account("boss"), PASSWORD)
    pump_until(tk_root, lambda: ready(app), what="the main window")
    questions: list[str] = []

    def answer_no(title: str, text: str) -> bool:
        questions.append(text)
        return False
    app.confirm = answer_no
    app.request_close()
    assert len(questions) == 1 and not app.closed
    assert "话单安全地保存在交换机中" in questions[0] and "弹屏将停止" in questions[0]
    app.confirm = lambda title, text: True
    app.request_close()
    assert app.closed


def test_an_attached_console_closes_without_asking(tk_root: tk.Tk, make_app: MakeApp,
                                                   account: Callable[..., str]) -> None:
    app = make_app(account("boss"), PASSWORD, embedded=False)
    pump_until(tk_root, lambda: ready(app), what="the main window")
    assert tk_root.title().startswith("CALLCENTER") and "127.0.0.1:" in tk_root.title()
    def never(title: str, text: str) -> bool:
        pytest.fail(f"asked: {text}")
    app.confirm = never
    app.request_close()
    assert app.closed


def test_english_at_run_time_from_the_help_menu(tk_root: tk.Tk, make_app: MakeApp,
                                               account: Callable[..., str]) -> None:
    app = make_app(account("boss"), PASSWORD)
    pump_until(tk_root, lambda: ready(app), what="the main window")
    menubar = app.window.menubar
    last = menubar.index("end")
    assert last is not None
    help_menu = tk_root.nametowidget(menubar.entrycget(last, "menu"))
    help_menu.invoke(help_menu.index("English (英文)"))
    assert app.window.menu_labels() == ["System settings", "Parameters", "Live monitor",
                                        "Call records", "Room management", "Backup", "Help"]
    assert app.window.status["user"].cget("text") == "User: boss"
    assert tk_root.title().startswith("CALLCENTER")
    help_menu = tk_root.nametowidget(menubar.entrycget(last, "menu"))
    help_menu.invoke(help_menu.index("中文*"))
    assert app.window.menu_labels()[0] == "系统设置"


def test_the_toolbar_raises_a_module_page_and_the_monitor_again(tk_root: tk.Tk, make_app: MakeApp,
                                       account: Callable[..., str]) -> None:
    app = make_app(account("boss"), PASSWORD)
    pump_until(tk_root, lambda: ready(app), what="the main window")
    button = app.window.toolbar_button("backup")
    assert isinstance(button, ttk.Button)
    button.invoke()
    assert app.window.current_page == "backup"
    tk_root.update()
    assert not app.monitor_view.winfo_ismapped()
    button = app.window.toolbar_button("monitor")
    assert isinstance(button, ttk.Button)
    button.invoke()
    assert app.window.current_page == "monitor"


def test_300_extensions_draw_only_the_visible_icons(tk_root: tk.Tk) -> None:
    model = MonitorModel()
    view = MonitorView(tk_root, model, Catalogue())
    view.pack(fill="both", expand=True)
    tk_root.geometry("1024x720")
    view.refresh(model.apply(snapshot(200, 0, part=1, parts=2)) or set())
    view.refresh(model.apply(snapshot(100, 16, part=2, parts=2, first=201)))
    pump_until(tk_root, lambda: view.icon_fill("ext:001") is not None, what="first icons")
    assert 0 < view.drawn_count() < 200
    assert view.icon_fill("ext:300") is None
    view.scroll_to("ext:300")
    pump_until(tk_root, lambda: view.icon_fill("ext:300") is not None, what="the last drawn")
    assert view.icon_fill("ext:001") is None
    view.refresh(model.apply({"event": "extension_state", "port": "300", "state": "held"}))
    assert view.icon_fill("ext:300") == EXTENSION_COLOURS["held"]
