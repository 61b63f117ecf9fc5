"""The pop window (C-6) under Xvfb (:64) on the real server and simulator: a blacklisted
caller's marks, a quick edit saved from the pop (the title follows), and a number on the
record written otherwise than the caller ID."""

from __future__ import annotations

import tkinter as tk
from pathlib import Path

from callcenter.crm_client.store import CrmStore, Customer
from tests.crm.conftest import Pbx
from tests.crm.gui.window_support import (
    MakeWindow,
    display,
    make_window,
    wait_online,
    window_xvfb,
)
from tests.server.console.console_support import collect_in_this_thread, pump_until, tk_root

__all__ = ["collect_in_this_thread", "display", "make_window", "tk_root", "window_xvfb"]


def customers_in(data: Path, *customers: Customer) -> None:
    store = CrmStore.open(data)
    try:
        for customer in customers:
            store.save_customer(customer)
    finally:
        store.close()


def test_a_blacklisted_caller_pops_with_the_mark_and_the_reason(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx, tmp_path: Path) -> None:
    data = tmp_path / "data"
    customers_in(data, Customer(name="陈强", phones=("0755-8888 1234",), blacklist=True,
                                blacklist_reason="多次恶意来电"))
    app = make_window("pop-ann", "015", data_dir=data)
    wait_online(tk_root, app)
    pbx.ring("015", "075588881234")
    pop = app.pop_window
    pump_until(tk_root, lambda: pop.showing, what="the pop")
    assert pop.title() == "075588881234 陈强"
    assert pop.blacklist_label.winfo_ismapped()
    assert pop.blacklist_label.cget("text") == "黑名单：多次恶意来电"
    assert not pop.vip_label.winfo_ismapped()
    assert "黑名单：多次恶意来电" in app.pop_area.marks.cget("text")


def test_a_quick_edit_saved_from_the_pop_renames_its_title(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx, tmp_path: Path) -> None:
    app = make_window("pop-ben", "016")
    wait_online(tk_root, app)
    pbx.ring("016", "13688889999")
    pop = app.pop_window
    pump_until(tk_root, lambda: pop.showing, what="the pop of an unknown number")
    assert pop.title() == "13688889999"
    pop.form.set_value("name", "赵敏")
    pop.form.set_value("vip", True)
    pop.save_button.invoke()
    pump_until(tk_root, lambda: pop.title() == "13688889999 赵敏", what="the title renamed")
    assert pop.vip_label.winfo_ismapped()
    assert "赵敏" in app.pop_area.caller.cget("text")
    store = app.store
    assert store is not None
    found = store.find_by_number("13688889999")
    assert found is not None and found.name == "赵敏" and found.vip
    pop.close_button.invoke()
    pump_until(tk_root, lambda: not pop.showing, what="the pop closed")
    app.pop_area.show_button.invoke()  # 显示弹屏: the last pop again, as saved
    pump_until(tk_root, lambda: pop.showing, what="the pop shown again")
    assert pop.title() == "13688889999 赵敏" and pop.form.values()["name"] == "赵敏"
