"""More of the CRM main window under Xvfb on the real server and simulator: the
client's own password protection at start and a local user's areas, the call-record area's
right-click save to a phone book, a message notice that leaves the keyboard alone, and a
monitor icon following another extension's state."""

from __future__ import annotations

import socket
import tkinter as tk
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from callcenter.common.agent.client import HubClient
from callcenter.crm_client.gui.app import CrmWindowApp
from callcenter.crm_client.gui.login_dialog import LocalLoginDialog, LocalPasswordDialog
from callcenter.crm_client.gui.monitor_icon_dialog import IconDialog
from callcenter.crm_client.gui.options import GuiOptions
from callcenter.crm_client.gui.presenters import state_colour
from callcenter.crm_client.settings import CrmSettings, load_settings, save_settings
from callcenter.crm_client.store import CallEntry
from tests.crm.conftest import PASSWORD, Pbx
from tests.crm.gui.window_support import (
    MakeWindow,
    display,
    make_window,
    toplevels,
    wait_online,
    window_xvfb,
)
from tests.server.console.console_support import collect_in_this_thread, pump_until, tk_root

__all__ = ["collect_in_this_thread", "display", "make_window", "tk_root", "window_xvfb"]


def test_password_protection_asks_a_local_user_and_keeps_to_its_areas(
        tk_root: tk.Tk, hub_address: tuple[str, int], agent_account: Callable[..., str],
        tmp_path: Path) -> None:
    user = agent_account("area-lee")
    settings = CrmSettings(server_host=hub_address[0], server_port=hub_address[1],
                           extension="024", user=user, device="headset")
    settings = settings.with_password_protection(True).with_local_user(
        "clerk", "clerk-pw", areas=("call_log",))
    save_settings(tmp_path, settings)
    app = CrmWindowApp(tk_root, GuiOptions(data_dir=tmp_path), confirm=lambda _t, _x: True)
    try:
        app.start()
        pump_until(tk_root, lambda: isinstance(app.local_dialog, LocalLoginDialog)
                   and app.local_dialog.winfo_ismapped(), what="the local user asked")
        local = app.local_dialog
        assert local is not None and app.login_dialog is None  # nothing else before it
        local.user.insert(0, "clerk")
        local.password.insert(0, "wrong")
        local.ok.invoke()
        pump_until(tk_root, lambda: local.error.cget("text") == "用户名或密码错误",
                   what="the refusal")
        local.password.insert(0, "clerk-pw")
        local.ok.invoke()
        pump_until(tk_root, lambda: app.login_dialog is not None and app.login_dialog.alive(),
                   what="then the hub password asked")
        assert not local.alive() and app.local_user is not None
        app.open_customers()  # 客户资料 is not one of clerk's areas
        assert app.status_bar.notice.cget("text") == "本机用户 clerk 没有“客户资料”的权限"
        assert not [w for w in toplevels(tk_root) if w is not app.login_dialog]
        app.dial_pad.set_number("8001")
        app.dial_pad.dial()
        assert "话务操作" in app.status_bar.notice.cget("text")
    finally:
        app.close()


def test_saving_a_call_to_a_phone_book_from_the_right_click_menu(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx) -> None:
    app = make_window("area-may", "005")
    wait_online(tk_root, app)
    pbx.ring("005", "02087654321")
    pump_until(tk_root, lambda: app.pop_window.showing, what="the pop")
    pbx.hangup("005")
    pump_until(tk_root, lambda: app.call_log.row_values()
               and app.call_log.row_values()[0][1] == "02087654321", what="the call logged")
    app.call_log.table.selection_set("0")
    labels = [app.call_log.menu.entrycget(i, "label") for i in range(7)
              if app.call_log.menu.type(i) == "command"]
    assert labels == ["回叫", "保存到常用电话", "保存到公司电话", "保存到客户电话", "清除记录区"]
    menu = app.call_log.menu
    menu.invoke(next(i for i in range(7) if menu.type(i) == "command"
                     and menu.entrycget(i, "label") == "保存到公司电话"))
    app.info.phonebook.choose("company")
    pump_until(tk_root, lambda: ("", "02087654321", "", "") in app.info.phonebook.row_values(),
               what="the number in 公司电话")
    pump_until(tk_root, lambda: app.call_log.row_values()[0][3] == "保存到公司电话",
               what="the description of the call")


def test_a_message_shows_a_notice_and_the_agent_keeps_typing(
        tk_root: tk.Tk, make_window: MakeWindow, hub_address: tuple[str, int],
        agent_account: Callable[..., str]) -> None:
    app = make_window("area-ned", "007")
    wait_online(tk_root, app)
    sender = agent_account("area-oz")
    entry = app.dial_pad.entry
    entry.focus_force()
    pump_until(tk_root, lambda: tk_root.focus_get() is entry, what="typing in the entry")
    with HubClient(*hub_address, timeout=5) as client:
        client.login(sender, PASSWORD, extension="008")
        client.request("send_message", to="area-ned", text="3号会议室的客户到了")
    pump_until(tk_root, lambda: bool(app.ctx.extra.get("message_notice")), what="a notice")
    notice = app.ctx.extra["message_notice"]
    pump_until(tk_root, notice.winfo_ismapped, what="the notice shown")
    assert "3号会议室的客户到了" in notice.text_label.cget("text")
    entry.event_generate("<KeyPress>", keysym="7")
    pump_until(tk_root, lambda: entry.get() == "7", what="typing goes on in the entry")
    assert tk_root.focus_get() is entry


def test_a_monitor_icon_follows_its_extension(tk_root: tk.Tk, make_window: MakeWindow,
                                              pbx: Pbx) -> None:
    app = make_window("area-pat", "009")
    wait_online(tk_root, app)
    panel = app.info.monitor
    pump_until(tk_root, lambda: panel.icon_fill("010") == state_colour("idle"),
               what="010 drawn idle")
    pbx.ring("010", "13800138000")
    pump_until(tk_root, lambda: panel.icon_fill("010") == state_colour("ringing"),
               what="010 ringing")
    pbx.answer("010")
    pump_until(tk_root, lambda: panel.icon_fill("010") == state_colour("talking"),
               what="010 talking")
    assert panel.icon_texts("010") == ("010 8010", "通话", "13800138000")
    pbx.hangup("010")
    pump_until(tk_root, lambda: panel.icon_fill("010") == state_colour("idle"),
               what="010 idle again")


def test_a_shared_folder_given_at_start_is_used_and_remembered(
        tk_root: tk.Tk, make_window: MakeWindow, tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    data = tmp_path / "pc-data"
    app = make_window("area-quinn", "011", data_dir=data, shared=share)
    wait_online(tk_root, app)
    assert app.store is not None and app.store.mode == "network"
    assert (share / "crm-shared.db").exists()
    pump_until(tk_root, lambda: load_settings(data).shared_folder == str(share),
               what="--shared saved for the next starts")


def test_the_initial_admin_must_change_its_password_before_the_window_is_used(
        tk_root: tk.Tk, hub_address: tuple[str, int], agent_account: Callable[..., str],
        tmp_path: Path) -> None:
    user = agent_account("area-rex")
    save_settings(tmp_path, CrmSettings(
        server_host=hub_address[0], server_port=hub_address[1], extension="012", user=user,
        device="headset").with_password_protection(True))  # admin/admin, must change
    app = CrmWindowApp(tk_root, GuiOptions(data_dir=tmp_path), confirm=lambda _t, _x: True)
    try:
        app.start()
        pump_until(tk_root, lambda: app.local_dialog is not None, what="the local user asked")
        local = app.local_dialog
        assert local is not None
        local.user.insert(0, "admin")
        local.password.insert(0, "admin")
        local.ok.invoke()
        pump_until(tk_root, lambda: any(isinstance(w, LocalPasswordDialog)
                                        for w in toplevels(tk_root)),
                   what="a new password asked")
        change = next(w for w in toplevels(tk_root) if isinstance(w, LocalPasswordDialog))
        assert app.login_dialog is None and app.local_user is None
        change.new.insert(0, "admin")
        change.repeat.insert(0, "admin")
        change.ok.invoke()
        assert change.error.cget("text") == "新密码不能与原密码相同"
        change.new.delete(0, "end")
        change.repeat.delete(0, "end")
        change.new.insert(0, "b0ss-pw")
        change.repeat.insert(0, "b0ss-pw")
        change.ok.invoke()
        pump_until(tk_root, lambda: app.login_dialog is not None and app.login_dialog.alive(),
                   what="then the hub password asked")
        saved = load_settings(tmp_path).local_user("admin")
        assert saved is not None and not saved.must_change
        assert load_settings(tmp_path).authenticate("admin", "b0ss-pw") is not None
    finally:
        app.close()


def test_hold_retrieve_dnd_and_forward_buttons_follow_the_hub(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx) -> None:
    app = make_window("area-sam", "013")
    wait_online(tk_root, app)
    area = app.function_area
    pbx.ring("013", "13600001111")
    pump_until(tk_root, lambda: app.pop_window.showing, what="the pop")
    app.pop_window.answer_button.invoke()
    pump_until(tk_root, lambda: app.status_bar.text("phone") == "话机：通话", what="talking")
    area.buttons["hold"].invoke()
    pump_until(tk_root, lambda: area.buttons["hold"].cget("text") == "取回", what="held")
    assert area.buttons["hold"].cget("relief") == "sunken"
    area.buttons["hold"].invoke()
    pump_until(tk_root, lambda: area.buttons["hold"].cget("text") == "保留",
               what="retrieved")
    pump_until(tk_root, lambda: app.status_bar.text("phone") == "话机：通话", what="talking")
    area.dnd_button.invoke()  # the PBX's factory default: no DND mode for 013
    pump_until(tk_root, lambda: app.dial_pad.message.cget("text").startswith("交换机拒绝："),
               what="the PBX's refusal in words")
    assert area.dnd_button.cget("relief") == "raised"
    pbx.ask({"cmd": "set", "key": "extension.013.dnd_mode", "value": "all"})
    area.dnd_button.invoke()
    pump_until(tk_root, lambda: area.dnd_button.cget("relief") == "sunken", what="DND on")
    area.dnd_button.invoke()
    pump_until(tk_root, lambda: area.dnd_button.cget("relief") == "raised", what="DND off")
    area.forward_button.invoke()  # no number: the hub's refusal in words
    pump_until(tk_root, lambda: app.dial_pad.message.cget("text").startswith("输入有误"),
               what="the missing number said")
    area.forward_entry.insert(0, "8014")
    area.forward_button.invoke()
    pump_until(tk_root, lambda: area.forward_button.cget("text") == "取消呼叫转移",
               what="forwarding on")
    area.forward_button.invoke()
    pump_until(tk_root, lambda: area.forward_button.cget("text") == "呼叫转移",
               what="forwarding off")


def test_a_new_monitor_icon_from_the_right_click_menu_is_kept_on_this_pc(
        tk_root: tk.Tk, make_window: MakeWindow, tmp_path: Path) -> None:
    data = tmp_path / "icons"
    app = make_window("area-tia", "014", data_dir=data)
    wait_online(tk_root, app)
    panel = app.info.monitor
    pump_until(tk_root, lambda: panel.icon_fill("001") is not None, what="the first icons")
    panel.canvas.event_generate("<Button-3>", x=5, y=5, rootx=10, rooty=10)
    menu = panel.menu
    assert menu.entrycget(0, "label") == "新建" and menu.index("end") == 0  # blank: 新建 only
    menu.unpost()
    menu.invoke(0)
    pump_until(tk_root, lambda: any(isinstance(w, IconDialog) for w in toplevels(tk_root)),
               what="the 新建 dialog")
    dialog = next(w for w in toplevels(tk_root) if isinstance(w, IconDialog))
    dialog.entries["port"].insert(0, "020")
    dialog.entries["label"].insert(0, "前台")
    dialog.button_ok.invoke()
    pump_until(tk_root, lambda: panel.icon_texts("020") is not None, what="the new icon")
    texts = panel.icon_texts("020")
    assert texts is not None and texts[0] == "020 前台"
    store = app.store
    assert store is not None
    pump_until(tk_root, lambda: "020" in [i.port for i in store.monitor_icons()],
               what="the icons saved")


def test_without_the_server_the_window_works_offline_and_says_so(
        tk_root: tk.Tk, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path / "offline"
    app = CrmWindowApp(tk_root, GuiOptions(data_dir=data, server_host="127.0.0.1",
                                           server_port=port, extension="017",
                                           user="nobody", password="x"),
                       confirm=lambda _t, _x: True)
    try:
        app.start()
        pump_until(tk_root, lambda: app.status_bar.text("link").startswith(
            f"未连接 127.0.0.1:{port}"), what="not connected, said")
        assert app.store is not None  # the local data is there all the same
        app.store.log_call(CallEntry(key="offline/1", time=datetime.now(UTC),
                                     number="01082895782", extension="017"))
        app.call_log.search.insert(0, "0108289")
        app.call_log.search_button.invoke()
        pump_until(tk_root, lambda: [row[1] for row in app.call_log.row_values()]
                   == ["01082895782"], what="the call log searched offline")
        app.dial_pad.set_number("8001")
        app.dial_pad.call_button.invoke()
        pump_until(tk_root, lambda: app.dial_pad.message.cget("text").startswith(
            "无法连接服务器"), what="dialling refused in words")
    finally:
        app.close()
