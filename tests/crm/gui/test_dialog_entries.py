"""The information area's small dialogs under Xvfb: a phone-book entry (new in a chosen book,
edited, a bad number named and nothing saved; a real SQLite store) and a monitor icon's
新建/属性 (port and label, a port another icon shows refused)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator

import pytest

from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.monitor_icon_dialog import open_icon_properties
from callcenter.crm_client.gui.phonebook import open_phonebook_entry
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.store import CrmStore, MonitorIcon, PhonebookEntry
from tests.crm.gui.dialog_fixtures import Answers, dialog_xvfb, display, pump
from tests.server.console.console_support import collect_in_this_thread, tk_root

__all__ = ["collect_in_this_thread", "dialog_xvfb", "display", "tk_root"]


@pytest.fixture
def ctx(crm_store: CrmStore) -> Iterator[DialogContext]:
    context = DialogContext(Catalogue("zh"), TaskRunner(2), store=crm_store)
    Answers().install(context.extra)
    yield context
    context.runner.close()


def type_into(entry: tk.Entry | tk.Misc, text: str) -> None:
    entry.delete(0, "end")  # type: ignore[union-attr]
    entry.insert(0, text)  # type: ignore[union-attr]


def test_a_new_phonebook_entry_is_saved_in_its_book(tk_root: tk.Tk, ctx: DialogContext,
                                                    crm_store: CrmStore) -> None:
    saved: list[PhonebookEntry] = []
    dialog = open_phonebook_entry(tk_root, ctx, PhonebookEntry(book="company",
                                                               number="01082895782"),
                                  on_saved=saved.append)
    pump(tk_root, ctx, dialog.winfo_ismapped, what="the dialog")
    assert dialog.title() == "新建电话"
    assert dialog.book.get() == "公司电话"
    assert dialog.entries["number"].get() == "01082895782"
    type_into(dialog.entries["number"], "abc")
    dialog.button_save.invoke()
    assert dialog.message.text.startswith("号码：“abc”不是电话号码")
    assert crm_store.phonebook("company") == []
    type_into(dialog.entries["number"], "010-82895782")
    type_into(dialog.entries["name"], "国威售后")
    dialog.book.current(0)  # 常用电话
    dialog.button_save.invoke()
    pump(tk_root, ctx, lambda: saved, what="the save")
    assert not dialog.alive()
    (entry,) = crm_store.phonebook("common")
    assert (entry.name, entry.number) == ("国威售后", "010-82895782") and entry == saved[0]
    # edit it
    editor = open_phonebook_entry(tk_root, ctx, entry, on_saved=saved.append)
    assert editor.title() == "编辑电话"
    type_into(editor.entries["notes"], "工作日 9-18 点")
    editor.button_save.invoke()
    pump(tk_root, ctx, lambda: len(saved) == 2, what="the edit")
    assert crm_store.phonebook("common")[0].notes == "工作日 9-18 点"


def test_monitor_icon_new_and_properties(tk_root: tk.Tk, ctx: DialogContext) -> None:
    made: list[MonitorIcon] = []
    dialog = open_icon_properties(tk_root, ctx, None, on_saved=made.append,
                                  taken=["003", "004"])
    pump(tk_root, ctx, dialog.winfo_ismapped, what="新建")
    assert dialog.title() == "新建分机监控"
    assert dialog.labels["port"].cget("text") == "分机端口"
    type_into(dialog.entries["port"], "3")
    dialog.button_ok.invoke()
    assert dialog.message.text.startswith("分机端口：“3”不是分机端口")
    type_into(dialog.entries["port"], "004")
    dialog.button_ok.invoke()
    assert dialog.message.text == "分机端口：分机 004 已有监控图标"
    type_into(dialog.entries["port"], "005")
    type_into(dialog.entries["label"], "前台")
    dialog.button_ok.invoke()
    assert made == [MonitorIcon("005", "前台", 0, 0)] and not dialog.alive()
    properties = open_icon_properties(tk_root, ctx, MonitorIcon("003", "财务", 120, 40),
                                      on_saved=made.append, taken=["003", "004"])
    assert properties.title() == "分机监控属性"
    assert properties.entries["label"].get() == "财务"
    type_into(properties.entries["label"], "财务室")
    properties.entries["label"].focus_force()  # no window manager gives it the focus here
    pump(tk_root, ctx, lambda: properties.winfo_ismapped()
         and properties.focus_get() is properties.entries["label"], what="属性 with the focus")
    properties.entries["label"].event_generate("<Return>")  # Enter is 确定
    assert made[-1] == MonitorIcon("003", "财务室", 120, 40)
    cancelled = open_icon_properties(tk_root, ctx, MonitorIcon("003"), on_saved=made.append)
    cancelled.button_cancel.invoke()
    assert len(made) == 2 and not cancelled.alive()
