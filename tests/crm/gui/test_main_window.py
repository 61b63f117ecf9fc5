"""The CRM main window under Xvfb (:64), on the real server and simulator, driven through
its widgets: the unattended start, the pop window, the call log, dialling from the pad, the
park buttons and the language switch."""

from __future__ import annotations

import tkinter as tk

from callcenter.crm_client.gui.app import CrmWindowApp
from tests.crm.gui.window_support import (
    MakeWindow,
    display,
    make_window,
    online,
    toplevels,
    wait_online,
)
from tests.server.console.console_support import collect_in_this_thread, pump_until, tk_root

__all__ = ["collect_in_this_thread", "display", "make_window", "tk_root"]


def test_unattended_start_connects_without_any_dialog(tk_root: tk.Tk,
                                                      make_window: MakeWindow) -> None:
    app: CrmWindowApp = make_window("win-alice", "011")
    wait_online(tk_root, app)
    assert toplevels(tk_root) == []  # nothing asked, no pop, no dialog
    assert tk_root.title().startswith("CRM")
    assert "011" in tk_root.title() and "win-alice" in tk_root.title()
    assert app.window.menu_labels() == ["系统设置", "登录", "内部短信", "客户资料", "语言", "帮助"]
    assert app.status_bar.text("link").startswith("已连接")
    assert app.status_bar.text("extension") == "分机：011"
    assert app.status_bar.text("user") == "座席：win-alice"
    assert online(app)
