"""The CRM window's second round (issue 9) under Xvfb, on the real server, simulator and
SQLite files: the outbox replayed on a timer with its count in the status bar, the pop kept
while it is being edited, the outside-line prefix of call-backs, the local users' greyed-out
areas and the page with a target."""

from __future__ import annotations

import dataclasses
import logging
import os
import tkinter as tk
from datetime import UTC, datetime
from pathlib import Path

import pytest

from callcenter.crm_client.gui.app import CrmWindowApp
from callcenter.crm_client.gui.options import GuiOptions
from callcenter.crm_client.gui.page_dialog import PageDialog
from callcenter.crm_client.gui.settings_dialog import SettingsDialog
from callcenter.crm_client.settings import (
    AREAS,
    CrmSettings,
    LocalUser,
    hash_password,
    load_settings,
    save_settings,
)
from callcenter.crm_client.store import CallEntry, CrmStore
from tests.crm.conftest import Pbx
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


def test_calls_logged_while_the_share_is_away_wait_in_the_outbox_and_are_replayed(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="callcenter.crm_client")
    share = tmp_path / "share"
    share.mkdir()
    app = make_window("pol-outbox", "001", shared=share)
    app.outbox_ms = 200  # the replay timer (30 s in use), short for the test
    wait_online(tk_root, app)
    assert app.status_bar.text("outbox") == ""
    os.rename(share, tmp_path / "share-away")  # the shared folder goes away
    pbx.ring("001", "13911112222")
    pump_until(tk_root, lambda: app.pop_window.showing, what="the pop (without a record)")
    pbx.answer("001")
    pump_until(tk_root, lambda: app.status_bar.text("phone") == "话机：通话", what="talking")
    pbx.hangup("001")
    crm = app.crm
    assert crm is not None

    def all_kept() -> bool:  # the call over, its entries written (kept), and counted
        sync = app.outbox
        return bool(crm.desk.my_call is None and crm.flush(0.05) and sync is not None
                    and sync.pending >= 2  # logged at the ring, again at the end
                    and app.status_bar.text("outbox") == f"{sync.pending} 条待同步")
    pump_until(tk_root, all_kept, what="the call's entries waiting, counted")
    assert app.outbox is not None
    form = app.pop_window.form  # a customer saved from the pop waits too
    form.set_value("name", "离线客户")
    form.save()
    before = app.outbox.pending
    pump_until(tk_root, lambda: app.outbox is not None and app.outbox.pending == before + 1
               and form.message.text.startswith("共享文件夹暂时无法访问"), what="the save kept")
    waiting = app.outbox.pending
    assert app.status_bar.outbox.winfo_ismapped()
    kept = [r for r in caplog.records if "kept in the outbox" in r.getMessage()]
    assert kept and all(r.levelno == logging.WARNING and r.exc_info is None for r in kept)
    assert not [r for r in caplog.records if r.name.endswith("log_writer")
                and r.levelno >= logging.ERROR]
    os.rename(tmp_path / "share-away", share)  # back: the timer replays the outbox
    pump_until(tk_root, lambda: app.status_bar.text("outbox") == "", what="the outbox emptied")
    assert app.outbox is not None and app.outbox.replayed == waiting
    assert app.outbox.pending == 0
    assert not app.status_bar.outbox.winfo_ismapped()
    other = CrmStore.open(tmp_path / "other-pc", share)
    try:
        [entry] = other.calls()
        assert (entry.number, entry.answered, entry.extension) == ("13911112222", True, "001")
        customer = other.find_by_number("13911112222")
        assert customer is not None and customer.name == "离线客户"
    finally:
        other.close()
    pump_until(tk_root, lambda: any(row[1] == "13911112222"
                                    for row in app.call_log.row_values()),
               what="the replayed call in the record area")


def test_a_ring_while_the_pop_is_being_edited_keeps_the_edits_in_their_own_window(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx) -> None:
    app = make_window("pol-pop", "002")
    wait_online(tk_root, app)
    app._settings_saved(dataclasses.replace(app.settings, show_detail_on_pop=True))
    pbx.ring("002", "13922223333")
    pump_until(tk_root, lambda: app.pop_window.showing, what="the first pop")
    first = app.pop_window
    form = first.form
    # show_detail_on_pop on (off by default): the pop opens on 详细信息
    assert first.shown_tab() == "detail"
    pump_until(tk_root, lambda: first.answer_enabled()
               and app.pop_area.answer_button.instate(["!disabled"]), what="接听 while it rings")
    form.set_value("name", "张未存")
    form.set_value("notes", "客户要求回电")
    pbx.answer("002")
    pump_until(tk_root, lambda: not first.answer_enabled()
               and app.pop_area.answer_button.instate(["disabled"]), what="接听 off once answered")
    pbx.hangup("002")
    pbx.ring("002", "02066667777")  # the next caller while the first pop is being edited
    pump_until(tk_root, lambda: app.pop_window is not first and app.pop_window.showing,
               what="a new pop window for the new caller")
    second = app.pop_window
    assert second.title() == "02066667777"
    assert first.showing and first.kept and app.kept_pops == [first]
    assert first.title() == "13922223333"
    assert (form.values()["name"], form.values()["notes"]) == ("张未存", "客户要求回电")
    assert not first.answer_enabled() and second.answer_enabled()
    form.save()  # the kept window still saves its caller's record ...
    pump_until(tk_root, lambda: not form.changed and form.loaded.id > 0, what="saved")
    assert first.title() == "13922223333 张未存"
    assert app.last_pop.caller == "02066667777"  # ... without touching the new caller's pop
    first.close_button.invoke()  # a kept window is closed for good
    assert not first.winfo_exists() and app.kept_pops == []
    # not edited: the next ring reuses the window; show_detail_on_pop off: 基本信息
    app._settings_saved(dataclasses.replace(app.settings, show_detail_on_pop=False))
    pbx.hangup("002")
    pbx.ring("002", "02088889999")
    pump_until(tk_root, lambda: second.title() == "02088889999", what="the third caller")
    assert app.pop_window is second
    assert second.shown_tab() == "basic"


def test_call_backs_use_the_outside_line_prefix_of_the_settings_and_none_for_extensions(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx) -> None:
    app = make_window("pol-prefix", "003")
    wait_online(tk_root, app)
    app.open_settings()
    pump_until(tk_root, lambda: any(isinstance(w, SettingsDialog) for w in toplevels(tk_root)),
               what="系统设置")
    dialog = next(w for w in toplevels(tk_root) if isinstance(w, SettingsDialog))
    assert dialog.labels["outside_prefix"].cget("text") == "外线字冠"
    assert dialog.entries["outside_prefix"].get() == "9"
    dialog.set_entry("outside_prefix", "99999")
    dialog.button_save.invoke()
    assert dialog.message.cget("text").startswith("外线字冠：“99999”")
    assert app.settings.outside_prefix == "9"  # nothing changed
    dialog.set_entry("outside_prefix", "")
    dialog.button_save.invoke()
    pump_until(tk_root, lambda: app.settings.outside_prefix == "", what="the prefix saved")
    assert load_settings(app.options.data_dir).outside_prefix == ""
    dialog.close()
    # an outside caller and an extension ring this PC and hang up: two missed calls
    pbx.ring("003", "13933334444")
    pump_until(tk_root, lambda: app.pop_window.showing, what="the outside caller's pop")
    pbx.hangup("003")
    assert app.crm is not None
    internal = app.crm.desk.extensions["004"].number
    pbx.dial("004", app.crm.desk.extensions["003"].number)
    pump_until(tk_root, lambda: app.pop_window.title() == internal, what="the extension's pop")
    pbx.hangup("004")
    pump_until(tk_root, lambda: [row[1] for row in app.call_log.row_values()][:2] == [
        internal, "13933334444"], what="both in the record area")
    app.call_back_entry(1)  # 回叫 the outside number: no prefix now
    assert app.dial_pad.number() == "13933334444"
    app.hang_up()
    app._settings_saved(dataclasses.replace(app.settings, outside_prefix="0"))
    app.call_back_entry(1)
    assert app.dial_pad.number() == "013933334444"
    app.hang_up()
    app.call_back_entry(0)  # an extension number of the snapshot: never a prefix
    assert app.dial_pad.number() == internal
    app.hang_up()
    assert app.ctx.dial is not None
    app.ctx.dial("010-82895782")  # the customers' and the forms' 呼叫 go the same way
    assert app.dial_pad.number() == "0010-82895782"


def test_a_local_user_sees_the_areas_it_may_not_use_greyed_out(
        tk_root: tk.Tk, hub_address: tuple[str, int], tmp_path: Path) -> None:
    data = tmp_path / "protected"
    clerk = LocalUser("clerk", hash_password("clerk-pw"), frozenset({"customers", "messages"}))
    admin = LocalUser("admin", hash_password("admin-pw"), frozenset(AREAS))
    save_settings(data, CrmSettings(server_host=hub_address[0], server_port=hub_address[1],
                                    extension="005", user="pol-local", device="headset",
                                    password_protection=True, local_users=(admin, clerk)))
    store = CrmStore.open(data)
    store.log_call(CallEntry(key="old/1", time=datetime.now(UTC), number="13955556666"))
    store.close()
    app = CrmWindowApp(tk_root, GuiOptions(data_dir=data), confirm=lambda _t, _x: True)
    app.ctx.extra["modeless"] = True
    try:
        app.start()
        pump_until(tk_root, lambda: app.local_dialog is not None, what="the local login")
        dialog = app.local_dialog
        assert dialog is not None
        dialog.user.insert(0, "clerk")
        dialog.password.insert(0, "clerk-pw")
        dialog.ok.invoke()
        pump_until(tk_root, lambda: app.local_user is not None, what="clerk logged in")
        window = app.window
        assert window.entry_state("客户资料") == "normal"
        assert window.entry_state("内部短信") == "normal"
        assert window.entry_state("系统设置", "系统设置…") == "disabled"
        for button in (app.dial_pad.call_button, app.dial_pad.hangup_button,
                       app.pop_area.answer_button, app.call_log.search_button,
                       app.call_log.clear_button, app.info.phonebook.new_button,
                       app.info.phonebook.call_button):
            assert button.instate(["disabled"]), button
        for tk_button in (*app.function_area.buttons.values(), app.function_area.dnd_button,
                          *app.function_area.park.values()):
            assert str(tk_button.cget("state")) == "disabled", tk_button
        assert not app.pop_window.answer_enabled()
        assert app.pop_window.call_button.instate(["disabled"])
        # the call log (call_log) is not shown, and 回叫 is refused in words
        for _ in range(20):
            tk_root.update()
        assert app.call_log.row_values() == []
        app.call_back_entry(0)
        assert "clerk" in app.status_bar.notice.cget("text")
        # 客户资料 opens, its 导入 / 导出 (import_export) greyed out and refused
        window.invoke_menu("客户资料")
        pump_until(tk_root, lambda: "customers_window" in app.ctx.extra, what="客户资料")
        customers = app.ctx.extra["customers_window"]
        assert customers.buttons["import"].instate(["disabled"])
        assert customers.buttons["export"].instate(["disabled"])
        assert customers.buttons["new"].instate(["!disabled"])
        assert customers.import_file() is None
        assert customers.message.cget("text") == "本机用户 clerk 没有“导入导出”的权限"
        customers.close()
        # the admin may use everything: the same window after its login greys out nothing
        app.local_user = admin
        app.apply_permissions()
        assert window.entry_state("系统设置", "系统设置…") == "normal"
        assert app.dial_pad.call_button.instate(["!disabled"])
        assert app.call_log.search_button.instate(["!disabled"])
        assert str(app.function_area.dnd_button.cget("state")) == "normal"
        app._log_dirty = True  # the call log the clerk was not shown
        pump_until(tk_root, lambda: [row[1] for row in app.call_log.row_values()] == [
            "13955556666"], what="the admin sees the call log")
    finally:
        app.close()


def test_page_asks_its_target_pages_one_extension_or_all(
        tk_root: tk.Tk, make_window: MakeWindow, pbx: Pbx) -> None:
    app = make_window("pol-page", "006")
    wait_online(tk_root, app)
    assert app.crm is not None
    number_007 = app.crm.desk.extensions["007"].number

    def ask() -> PageDialog:
        app.function_area.buttons["page"].invoke()
        dialog = app.ctx.extra["page_dialog"]
        assert isinstance(dialog, PageDialog) and dialog.alive()
        return dialog

    dialog = ask()
    assert dialog.label.cget("text") == "传呼分机（端口或号码）："
    dialog.entry.insert(0, "12ab")
    dialog.button_ok.invoke()
    assert dialog.alive() and dialog.message.text.startswith("传呼分机：“12ab”")
    dialog.entry.delete(0, "end")
    dialog.entry.insert(0, number_007)  # the extension's number: paged by its port
    dialog.button_ok.invoke()
    assert not dialog.alive()
    pump_until(tk_root, lambda: pbx.extension("007")["call_id"] != 0, what="007 paged")
    assert pbx.extension("008")["call_id"] == 0  # only the target
    app.hang_up()
    pump_until(tk_root, lambda: pbx.extension("007")["call_id"] == 0, what="the page over")
    dialog = ask()
    dialog.button_ok.invoke()  # empty: every extension that may be paged
    pump_until(tk_root, lambda: pbx.extension("008")["call_id"] != 0
               and pbx.extension("007")["call_id"] != 0, what="everyone paged")
    app.hang_up()
