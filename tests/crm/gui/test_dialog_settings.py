"""系统设置 (C-2) under Xvfb: filled from the settings, a bad field named and nothing written,
a good form written to settings.json through a worker, password protection with admin/admin
and 权限设置 (local users and their areas)."""

from __future__ import annotations

import json
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.settings_dialog import SettingsDialog, open_settings
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.settings import CrmSettings, load_settings, save_settings
from tests.crm.gui.dialog_fixtures import Answers, dialog_xvfb, display, pump
from tests.server.console.console_support import collect_in_this_thread, tk_root

__all__ = ["collect_in_this_thread", "dialog_xvfb", "display", "tk_root"]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[DialogContext]:
    runner = TaskRunner(2)
    saved: list[CrmSettings] = []
    context = DialogContext(Catalogue("zh"), runner, data_dir=tmp_path / "data",
                            settings=CrmSettings(server_host="192.168.1.122", extension="001"),
                            settings_saved=saved.append)
    context.extra["saved"] = saved
    Answers().install(context.extra)
    yield context
    runner.close()


def type_into(entry: tk.Misc, text: str) -> None:
    entry.delete(0, "end")  # type: ignore[attr-defined]
    entry.insert(0, text)  # type: ignore[attr-defined]


def test_settings_dialog_shows_the_settings_and_the_first_run_note(
        tk_root: tk.Tk, ctx: DialogContext) -> None:
    dialog = open_settings(tk_root, ctx, first_run=True)
    pump(tk_root, ctx, dialog.winfo_ismapped, what="the dialog")
    assert dialog.title() == "系统设置"
    assert dialog.entries["server_host"].get() == "192.168.1.122"
    assert dialog.entries["extension"].get() == "001"
    assert dialog.entries["server_port"].get() == "7600"
    assert dialog.choices["device"].get() == "normal"
    assert dialog.intro.winfo_ismapped() and "第一次运行" in dialog.intro.cget("text")
    assert str(dialog.device_buttons["headset"].cget("text")) == "头戴耳机"
    # the network mode's folder is off in standalone mode
    assert "disabled" in dialog.entries["shared_folder"].state()
    assert "disabled" in dialog.button_permissions.state()


def test_a_bad_field_is_named_and_nothing_is_written(tk_root: tk.Tk,
                                                     ctx: DialogContext) -> None:
    dialog = open_settings(tk_root, ctx)
    type_into(dialog.entries["extension"], "12")
    type_into(dialog.entries["server_port"], "99999")
    dialog.button_save.invoke()
    pump(tk_root, ctx, lambda: dialog.message.text, what="the problem")
    assert "分机端口：“12”" in dialog.message.text
    assert "端口：“99999”不是端口号" in dialog.message.text
    assert not (ctx.data_dir / "settings.json").exists()
    assert ctx.extra["saved"] == []
    # network mode without a folder: named too
    type_into(dialog.entries["extension"], "012")
    type_into(dialog.entries["server_port"], "7600")
    dialog.mode_buttons["network"].invoke()
    assert "disabled" not in dialog.entries["shared_folder"].state()
    dialog.button_save.invoke()
    assert "共享文件夹" in dialog.message.text
    assert not (ctx.data_dir / "settings.json").exists()


def test_save_writes_settings_json_and_tells_the_main_window(
        tk_root: tk.Tk, ctx: DialogContext, tmp_path: Path) -> None:
    shared = tmp_path / "share"
    shared.mkdir()
    ctx.extra["ask_folder"] = lambda _parent, _title: str(shared)
    dialog = open_settings(tk_root, ctx)
    type_into(dialog.entries["extension"], "018")
    type_into(dialog.entries["server_host"], "pbx.example.com")
    type_into(dialog.entries["server_port"], "7601")
    type_into(dialog.entries["user"], "alice")
    dialog.device_buttons["headset"].invoke()
    dialog.show_detail.invoke()
    dialog.mode_buttons["network"].invoke()
    dialog.button_folder.invoke()
    assert dialog.entries["shared_folder"].get() == str(shared)
    dialog.button_save.invoke()
    pump(tk_root, ctx, lambda: ctx.extra["saved"], what="the settings saved")
    saved = load_settings(ctx.data_dir)
    assert (saved.extension, saved.server_host, saved.server_port, saved.user) == (
        "018", "pbx.example.com", 7601, "alice")
    assert saved.device == "headset"
    assert saved.show_detail_on_pop is True  # off by default, ticked above
    assert saved.shared_folder == str(shared)
    assert ctx.extra["saved"] == [saved]
    assert ctx.settings == saved
    assert dialog.message.text == "设置已保存。单机版/网络版的改变在下次启动程序时生效。"
    assert (ctx.data_dir / "settings.json").stat().st_mode & 0o777 == 0o600


def test_english_chosen_switches_the_catalogue(tk_root: tk.Tk, ctx: DialogContext) -> None:
    dialog = open_settings(tk_root, ctx)
    dialog.language.current(1)
    dialog.button_save.invoke()
    pump(tk_root, ctx, lambda: ctx.extra["saved"], what="the settings saved")
    assert ctx.catalogue.language == "en"
    assert dialog.title() == "Settings"
    assert dialog.button_save.cget("text") == "Save"
    assert json.loads((ctx.data_dir / "settings.json").read_text())["language"] == "en"


def test_password_protection_starts_with_admin_admin_that_must_change(
        tk_root: tk.Tk, ctx: DialogContext) -> None:
    dialog: SettingsDialog = open_settings(tk_root, ctx)
    dialog.protection.invoke()
    assert "disabled" not in dialog.button_permissions.state()
    assert [u.name for u in dialog.settings.local_users] == ["admin"]
    assert dialog.settings.authenticate("admin", "admin") is not None
    perms = dialog.open_permissions()
    pump(tk_root, ctx, perms.winfo_ismapped, what="权限设置")
    assert perms.users.get(0) == "admin （须修改初始密码）"
    # keeping the initial password is refused, naming the field
    perms.users.selection_set(0)
    perms.users.event_generate("<<ListboxSelect>>")
    pump(tk_root, ctx, lambda: perms.entries["name"].get() == "admin", what="admin selected")
    type_into(perms.entries["password"], "admin")
    type_into(perms.entries["repeat"], "admin")
    perms.button_apply.invoke()
    assert perms.message.text.startswith("密码：")
    type_into(perms.entries["password"], "s3cret-admin")
    type_into(perms.entries["repeat"], "s3cret-other")
    perms.button_apply.invoke()
    assert perms.message.text.startswith("确认密码：")
    type_into(perms.entries["repeat"], "s3cret-admin")
    perms.button_apply.invoke()
    assert perms.users.get(0) == "admin"
    # a clerk who may use customers and messages only
    perms.button_new.invoke()
    type_into(perms.entries["name"], "clerk")
    type_into(perms.entries["password"], "clerk-pw")
    type_into(perms.entries["repeat"], "clerk-pw")
    for area, var in perms.area_vars.items():
        var.set(area in ("customers", "messages"))
    perms.button_apply.invoke()
    assert list(perms.users.get(0, "end")) == ["admin", "clerk"]
    perms.close()
    dialog.button_save.invoke()
    pump(tk_root, ctx, lambda: ctx.extra["saved"], what="the settings saved")
    saved = load_settings(ctx.data_dir)
    assert saved.password_protection
    admin, clerk = saved.local_users
    assert saved.authenticate("admin", "s3cret-admin") == admin and not admin.must_change
    assert clerk.areas == {"customers", "messages"}
    assert "s3cret" not in (ctx.data_dir / "settings.json").read_text()


def test_the_last_user_allowed_settings_cannot_be_deleted(tk_root: tk.Tk,
                                                          ctx: DialogContext) -> None:
    save_settings(ctx.data_dir, CrmSettings())
    dialog = open_settings(tk_root, ctx)
    dialog.protection.invoke()
    perms = dialog.open_permissions()
    perms.users.selection_set(0)
    perms.button_delete.invoke()
    assert perms.message.text.startswith("不能删除 admin")
    assert [u.name for u in dialog.settings.local_users] == ["admin"]


def test_a_certificate_chosen_turns_tls_on_and_a_deleted_user_is_asked_first(
        tk_root: tk.Tk, ctx: DialogContext, tmp_path: Path) -> None:
    pem = tmp_path / "hub.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    ctx.extra["ask_open_file"] = lambda _parent, _title, _types: str(pem)
    dialog = open_settings(tk_root, ctx)
    assert not dialog.flags["tls"].get()
    dialog.button_trust.invoke()
    assert dialog.entries["trust"].get() == str(pem) and dialog.flags["tls"].get()
    dialog.protection.invoke()
    perms = dialog.open_permissions()
    perms.button_new.invoke()
    for name, text in (("name", "clerk"), ("password", "clerk-pw"), ("repeat", "clerk-pw")):
        type_into(perms.entries[name], text)
    perms.button_apply.invoke()
    perms.users.selection_clear(0, "end")
    perms.users.selection_set(1)
    asked: list[str] = []

    def say_no(_parent: object, _title: str, text: str) -> bool:
        asked.append(text)
        return False
    ctx.extra["confirm"] = say_no
    perms.button_delete.invoke()
    assert asked == ["删除本机用户 clerk 吗？"]
    assert [u.name for u in dialog.settings.local_users] == ["admin", "clerk"]
    ctx.extra["confirm"] = lambda _parent, _title, _text: True
    perms.button_delete.invoke()
    assert [u.name for u in dialog.settings.local_users] == ["admin"]
    dialog.button_save.invoke()
    pump(tk_root, ctx, lambda: ctx.extra["saved"], what="the settings saved")
    saved = load_settings(ctx.data_dir)
    assert saved.tls and saved.trust == str(pem)


def test_modal_settings_get_the_grab_back_after_permissions(tk_root: tk.Tk,
                                                            ctx: DialogContext) -> None:
    ctx.extra["modeless"] = False  # as in the program: modal dialogs with a grab
    dialog = open_settings(tk_root, ctx)
    assert tk_root.grab_current() is dialog
    dialog.protection.invoke()
    perms = dialog.open_permissions()
    assert tk_root.grab_current() is perms
    perms.button_close.invoke()
    assert tk_root.grab_current() is dialog
    dialog.button_close.invoke()
    assert tk_root.grab_current() is None
