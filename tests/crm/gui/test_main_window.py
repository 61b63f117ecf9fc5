"""The CRM main window under Xvfb, on the real server and simulator, driven through
its widgets: the unattended start, the pop window, the call log, dialling from the pad, the
park buttons and the language switch."""

from __future__ import annotations

import subprocess
import sys
import tkinter as tk
from collections.abc import Callable
from pathlib import Path

from callcenter.crm_client.gui.app import CrmWindowApp
from callcenter.crm_client.gui.options import GuiOptions
from callcenter.crm_client.gui.presenters import PARK_FLASH, state_colour
from callcenter.crm_client.gui.settings_dialog import SettingsDialog
from callcenter.crm_client.settings import CrmSettings, load_settings, save_settings
from tests.crm.conftest import PASSWORD, Pbx
from tests.crm.gui.window_support import (
    MakeWindow,
    display,
    make_window,
    online,
    toplevels,
    wait_online,
    window_xvfb,
)
from tests.server.console.console_support import collect_in_this_thread, pump_until, tk_root

__all__ = ["collect_in_this_thread", "display", "make_window", "tk_root", "window_xvfb"]


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


def crm_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``callcenter-crm ARGS`` as an agent's PC runs it (a process of its own)."""
    return subprocess.run([sys.executable, "-c",
                           "import sys; from callcenter.crm_client.cli import main; "
                           "sys.exit(main())", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_ring_opens_the_pop_window_titled_with_the_number_and_the_imported_name(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx, tmp_path: Path) -> None:
    # the "Done when": customers imported with the CLI, the window unattended ...
    data = tmp_path / "crm-data"
    customers = tmp_path / "customers.csv"
    customers.write_text("姓名,电话,公司,VIP\n王建国,+86 138-0013-8000,赛格科技,是\n"
                         "李小红,010-82895782,唐信科技,否\n", encoding="utf-8")
    imported = crm_cli("customers", "import", str(customers), "--data", str(data))
    assert imported.returncode == 0, imported.stderr
    app = make_window("win-bob", "012", data_dir=data)
    wait_online(tk_root, app)
    app.dial_pad.entry.focus_force()  # the agent is typing a number
    pump_until(tk_root, lambda: tk_root.focus_get() is app.dial_pad.entry,
               what="the dial entry focused")
    # ... a ring from the simulator at its extension: the pop window, titled number + name
    pbx.ring("012", "013800138000")
    pop = app.pop_window
    pump_until(tk_root, lambda: pop.showing, timeout=5, what="the pop window mapped")
    assert pop.title() == "013800138000 王建国"
    assert pop.form.values()["name"] == "王建国"
    assert pop.vip_label.winfo_ismapped() and pop.vip_label.cget("text") == "重要客户"
    # the keyboard stays with the agent: what it types goes on into the number
    pump_until(tk_root, lambda: tk_root.focus_get() is app.dial_pad.entry,
               what="the focus with the dial entry")
    tk_root.focus_get().event_generate("<KeyPress>", keysym="5")  # type: ignore[union-attr]
    pump_until(tk_root, lambda: app.dial_pad.number() == "5", what="typed on")
    assert "王建国" in app.pop_area.caller.cget("text")
    # answered and hung up: the call is in the record area and in `calls export`
    pbx.answer("012")
    pump_until(tk_root, lambda: app.status_bar.text("phone") == "话机：通话", what="talking")
    pump_until(tk_root, lambda: [row[3] for row in app.call_log.row_values()] == ["通话中"],
               what="the record area's row reads 通话中 once answered")
    pbx.hangup("012")
    pump_until(tk_root, lambda: any(row[1] == "013800138000" and row[2] == "王建国"
                                    for row in app.call_log.row_values()),
               what="the call in the record area")
    row = app.call_log.row_values()[0]
    assert (row[0], row[4]) == ("001", "012")  # 序号 001, 座席 012
    assert app.call_log.today.cget("text") == "今日来电：01"
    exported = crm_cli("calls", "export", "--data", str(data))
    assert exported.returncode == 0, exported.stderr
    assert "013800138000" in exported.stdout and "王建国" in exported.stdout


def test_an_unknown_caller_opens_a_new_record_with_the_number(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx) -> None:
    app = make_window("win-carol", "013")
    wait_online(tk_root, app)
    pbx.ring("013", "02087654321")
    pump_until(tk_root, lambda: app.pop_window.showing, timeout=5, what="the pop")
    assert app.pop_window.title() == "02087654321"
    values = app.pop_window.form.values()
    assert values["name"] == "" and "02087654321" in str(values["phones"])
    assert not app.pop_window.vip_label.winfo_ismapped()


def test_dialling_from_the_pad_reaches_the_simulator(tk_root: tk.Tk, make_window: MakeWindow,
                                                     pbx: Pbx) -> None:
    app = make_window("win-dave", "014")
    wait_online(tk_root, app)
    assert app.crm is not None
    called = app.crm.desk.extensions["015"].number  # the hub's snapshot: "8015"
    for key in called:
        app.dial_pad.pad[key].invoke()
    assert app.dial_pad.number() == called
    app.dial_pad.call_button.invoke()
    pump_until(tk_root, lambda: pbx.extension("015")["state"] == "ringing",
               what=f"{called} ringing at the simulator")
    app.dial_pad.hangup_button.invoke()
    pump_until(tk_root, lambda: pbx.extension("015")["state"] == "idle", what="015 idle")
    assert app.dial_pad.number() == ""


def test_the_keyboard_dials_and_a_normal_phone_is_told_to_lift_the_handset(
        tk_root: tk.Tk, make_window: MakeWindow) -> None:
    app = make_window("win-erin", "016", device="normal")
    wait_online(tk_root, app)
    entry = app.dial_pad.entry
    entry.focus_force()
    pump_until(tk_root, lambda: tk_root.focus_get() is entry, what="the entry focused")
    for key in ("8", "0", "1", "7", "x"):
        entry.event_generate("<KeyPress>", keysym=key)
    entry.event_generate("<KeyPress>", keysym="BackSpace")
    pump_until(tk_root, lambda: entry.get() == "801", what="typed 801")
    entry.event_generate("<KeyPress>", keysym="7")
    entry.event_generate("<Return>")
    pump_until(tk_root, lambda: app.dial_pad.message.cget("text") == "请先摘机",
               what="the hub's needs_offhook in words")
    assert "请先摘机" in app.status_bar.notice.cget("text")


def test_a_park_button_flashes_while_its_slot_is_taken(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx) -> None:
    app = make_window("win-fay", "017")
    wait_online(tk_root, app)
    area = app.function_area
    normal = area.park_background(2)
    pbx.ring("017", "13900001111")
    pump_until(tk_root, lambda: app.pop_window.showing, what="the pop")
    app.pop_window.answer_button.invoke()  # a headset: the hub answers for the agent
    pump_until(tk_root, lambda: app.status_bar.text("phone") == "话机：通话", what="talking")
    area.park[2].invoke()
    pump_until(tk_root, lambda: area.park_background(2) == PARK_FLASH[0],
               what="slot 2 lit")
    pump_until(tk_root, lambda: area.park_background(2) == PARK_FLASH[1],
               what="slot 2 flashing")
    assert area.park_background(1) == normal  # only the taken slot
    area.park[2].invoke()  # taken: the button takes the call back (unpark)
    pump_until(tk_root, lambda: area.park_background(2) == normal, what="slot 2 free")
    pump_until(tk_root, lambda: app.status_bar.text("phone") == "话机：通话",
               what="talking again")


def test_switching_to_english_relabels_the_window(tk_root: tk.Tk,
                                                  make_window: MakeWindow) -> None:
    app = make_window("win-gus", "018")
    wait_online(tk_root, app)
    assert app.dial_pad.call_button.cget("text") == "通话"
    app.window.invoke_menu("语言", "English (英文)")
    assert app.window.menu_labels() == ["Settings", "Log in", "Messages", "Customers",
                                        "Language", "Help"]
    assert tk_root.title() == "CRM customer desk - extension 018 - win-gus"
    assert app.dial_pad.call_button.cget("text") == "Call"
    assert app.function_area.buttons["transfer"].cget("text") == "Transfer"
    assert app.info.tab_texts() == ["Extensions", "Phone book", "Missed calls"]
    assert app.call_log.table.heading("number", "text") == "Number"
    assert app.status_bar.text("extension") == "Extension: 018"
    assert app.status_bar.text("link").startswith("Connected")
    pump_until(tk_root, lambda: load_settings(app.options.data_dir).language == "en",
               what="the language remembered on this PC")


def test_the_first_run_asks_the_settings_then_the_password_and_connects(
        tk_root: tk.Tk, hub_address: tuple[str, int], agent_account: Callable[..., str],
        tmp_path: Path) -> None:
    user = agent_account("win-hal")
    app = CrmWindowApp(tk_root, GuiOptions(data_dir=tmp_path / "first"),
                       confirm=lambda _t, _x: True)
    app.ctx.extra["modeless"] = True
    try:
        app.start()
        pump_until(tk_root, lambda: any(isinstance(w, SettingsDialog)
                                        for w in toplevels(tk_root)),
                   what="the settings dialog of the first run")
        assert app.crm is None or not app.status.online  # nothing connected before it
        dialog = next(w for w in toplevels(tk_root) if isinstance(w, SettingsDialog))
        for name, value in (("extension", "019"), ("server_host", hub_address[0]),
                            ("server_port", str(hub_address[1])), ("user", user)):
            dialog.set_entry(name, value)
        dialog.choices["device"].set("headset")
        dialog.button_save.invoke()
        pump_until(tk_root, lambda: app.login_dialog is not None and app.login_dialog.alive(),
                   what="登录 → 连接服务器 asked")
        login = app.login_dialog
        assert login is not None and login.user.get() == user
        login.password.insert(0, PASSWORD)
        login.ok.invoke()
        wait_online(tk_root, app)
        assert not login.alive()
        assert load_settings(tmp_path / "first").extension == "019"  # remembered
        assert app.status_bar.text("extension") == "分机：019"
    finally:
        app.close()


def test_a_wrong_password_is_said_in_words_in_the_login_dialog(
        tk_root: tk.Tk, hub_address: tuple[str, int], agent_account: Callable[..., str],
        tmp_path: Path) -> None:
    user = agent_account("win-ivy")
    data = tmp_path / "configured"
    data.mkdir()
    save_settings(data, CrmSettings(server_host=hub_address[0], server_port=hub_address[1],
                                    extension="020", user=user, device="headset"))
    app = CrmWindowApp(tk_root, GuiOptions(data_dir=data), confirm=lambda _t, _x: True)
    try:
        app.start()
        pump_until(tk_root, lambda: app.login_dialog is not None and app.login_dialog.alive(),
                   what="the password asked")
        login = app.login_dialog
        assert login is not None
        login.password.insert(0, "not-the-password")
        login.ok.invoke()
        pump_until(tk_root, lambda: login.error.cget("text") == "用户名或密码错误",
                   what="the refusal in words")
        assert "用户名或密码错误" in app.status_bar.text("link")
    finally:
        app.close()


def test_transfer_then_a_double_click_on_a_monitor_icon_moves_the_call(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx) -> None:
    app = make_window("win-jay", "021")
    wait_online(tk_root, app)
    panel = app.info.monitor
    pump_until(tk_root, lambda: panel.icon_fill("002") == state_colour("idle"),
               what="002's icon drawn idle")
    pbx.ring("021", "13700001234")
    pump_until(tk_root, lambda: app.pop_window.showing, what="the pop")
    app.pop_window.answer_button.invoke()
    pump_until(tk_root, lambda: app.status_bar.text("phone") == "话机：通话", what="talking")
    app.function_area.buttons["transfer"].invoke()
    assert app.functions.picking_transfer
    assert app.function_area.buttons["transfer"].cget("relief") == "sunken"
    x, y = panel.icon_centre("002")
    for _click in range(2):  # a double-click: two clicks at once on the icon
        panel.canvas.event_generate("<ButtonPress-1>", x=x, y=y, time=1000 + 50 * _click)
        panel.canvas.event_generate("<ButtonRelease-1>", x=x, y=y, time=1010 + 50 * _click)
    pump_until(tk_root, lambda: panel.icon_fill("002") == state_colour("ringing"),
               what="the call ringing at 002, its icon orange")
    assert panel.icon_texts("002") == ("002 8002", "振铃", "13700001234")
    pump_until(tk_root, lambda: app.status_bar.text("phone") == "话机：空闲",
               what="this desk out of the call")
    assert not app.functions.picking_transfer


def test_every_area_fits_the_window_of_a_1024x768_screen(tk_root: tk.Tk,
                                                         make_window: MakeWindow) -> None:
    app = make_window("win-kai", "022")
    wait_online(tk_root, app)
    pump_until(tk_root, lambda: tk_root.winfo_height() > 1, what="the window drawn")
    width, height = tk_root.winfo_width(), tk_root.winfo_height()
    assert (width, height) == (1016, 690)  # with a frame, a title and a menu bar: < 768
    last_of_each = (app.call_log.clear_button, app.pop_area.answer_button,
                    app.dial_pad.hangup_button, app.info, app.function_area.dnd_button,
                    app.status_bar.clock)
    for widget in last_of_each:
        assert widget.winfo_ismapped(), widget
        right = widget.winfo_rootx() - tk_root.winfo_rootx() + widget.winfo_width()
        bottom = widget.winfo_rooty() - tk_root.winfo_rooty() + widget.winfo_height()
        assert right <= width and bottom <= height, (widget, right, bottom)


def test_digits_typed_anywhere_in_the_window_go_to_the_number(
        tk_root: tk.Tk, make_window: MakeWindow) -> None:
    app = make_window("win-lou", "023")
    wait_online(tk_root, app)
    button = app.function_area.buttons["conference"]
    button.focus_force()
    pump_until(tk_root, lambda: tk_root.focus_get() is button, what="a button focused")
    for key in ("8", "0", "0", "2", "a"):
        tk_root.focus_get().event_generate("<KeyPress>", keysym=key)  # type: ignore[union-attr]
    pump_until(tk_root, lambda: app.dial_pad.number() == "8002", what="8002 in the entry")
    assert tk_root.focus_get() is app.dial_pad.entry
