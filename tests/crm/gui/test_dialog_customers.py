"""客户资料 under Xvfb on real SQLite stores: the customer form (both tabs, named problems, a
save, another PC's save meanwhile: reload or overwrite), the manager (search, pages that
hold one page only, 新增/编辑/删除/呼叫), import with its report and a cancel, export."""

from __future__ import annotations

import csv
import dataclasses
import os
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.crm_client.gui import customers_model
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.customer_form import CustomerDialog, CustomerForm
from callcenter.crm_client.gui.customers import CustomersWindow, ImportWindow, open_customers
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.store import CrmStore, Customer
from tests.crm.gui.dialog_fixtures import Answers, dialog_xvfb, display, pump
from tests.server.console.console_support import collect_in_this_thread, tk_root

__all__ = ["collect_in_this_thread", "dialog_xvfb", "display", "tk_root"]


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def dialed() -> list[str]:
    return []


def make_ctx(store: CrmStore, answers: Answers, dialed: list[str]) -> DialogContext:
    context = DialogContext(Catalogue("zh"), TaskRunner(2), store=store, dial=dialed.append)
    answers.install(context.extra)
    return context


@pytest.fixture
def ctx(crm_store: CrmStore, answers: Answers, dialed: list[str]) -> Iterator[DialogContext]:
    context = make_ctx(crm_store, answers, dialed)
    yield context
    context.runner.close()


@pytest.fixture
def two_pcs(tmp_path: Path) -> Iterator[tuple[CrmStore, CrmStore]]:
    """Two PCs in network mode on one shared folder."""
    shared = tmp_path / "share"
    shared.mkdir()
    first = CrmStore.open(tmp_path / "pc1", shared=shared)
    second = CrmStore.open(tmp_path / "pc2", shared=shared)
    yield first, second
    first.close()
    second.close()


# ---------------------------------------------------------------------- the form
def test_the_form_has_both_tabs_and_saves_a_new_customer(
        tk_root: tk.Tk, ctx: DialogContext, crm_store: CrmStore, dialed: list[str]) -> None:
    saved: list[Customer] = []
    form = CustomerForm(tk_root, ctx, Customer(phones=("01082895782",)), on_saved=saved.append)
    form.pack()
    pump(tk_root, ctx, form.winfo_ismapped, what="the form")
    tabs = [form.notebook.tab(t, "text") for t in form.notebook.tabs()]
    assert tabs == ["基本信息", "详细信息"]
    assert form.entries["phones"].get() == "01082895782"
    assert form.labels["handler"].cget("text") == "受理报告"
    assert "disabled" in form.entries["blacklist_reason"].state()
    form.set_value("name", "杨庆丰")
    form.set_value("email", "yangqf@")
    form.button_save.invoke()
    assert form.message.text.startswith("邮箱：“yangqf@”")
    assert form.notebook.select() == str(form.tabs["detail"])
    assert crm_store.count_customers() == 0
    form.set_value("email", "yangqf@cesllr.com")
    form.checks["blacklist"].invoke()
    assert "disabled" not in form.entries["blacklist_reason"].state()
    form.set_value("blacklist_reason", "恶意骚扰")
    form.checks["vip"].invoke()
    form.set_value("notes", "软件确认内容\n第二行")
    form.button_save.invoke()
    pump(tk_root, ctx, lambda: saved, what="the save")
    customer = crm_store.find_by_number("010-82895782")
    assert customer is not None and customer == saved[0] == form.loaded
    assert (customer.name, customer.email, customer.vip, customer.blacklist_reason) == (
        "杨庆丰", "yangqf@cesllr.com", True, "恶意骚扰")
    assert customer.notes == "软件确认内容\n第二行"
    assert form.message.text == "客户“杨庆丰”已保存"
    form.button_call.invoke()  # 呼叫: the first number, through the main window's dial area
    assert dialed == ["01082895782"]


def test_another_pcs_save_meanwhile_offers_reload_or_overwrite(
        tk_root: tk.Tk, two_pcs: tuple[CrmStore, CrmStore], answers: Answers,
        dialed: list[str]) -> None:
    mine, theirs = two_pcs
    ctx = make_ctx(mine, answers, dialed)
    original = mine.save_customer(Customer(name="张三", phones=("13800138000",)))
    form = CustomerForm(tk_root, ctx, original)
    form.pack()
    # the other PC changes the company while this one edits the notes
    theirs.save_customer(dataclasses.replace(original, company="唐信"))
    form.set_value("notes", "这台电脑的备注")
    form.button_save.invoke()
    pump(tk_root, ctx, lambda: form.in_conflict and form.conflict.winfo_ismapped(),
         what="the conflict")
    assert "另一台电脑修改了这个客户（张三）" in form.conflict_label.cget("text")
    form.button_reload.invoke()
    assert not form.in_conflict
    assert form.entries["company"].get() == "唐信" and form.values()["notes"] == ""
    # again, and this time overwrite: this PC's entries win, on top of their version
    current = mine.customer(original.id)
    assert current is not None
    theirs.save_customer(dataclasses.replace(current, department="技术部"))
    form.set_value("notes", "覆盖")
    form.button_save.invoke()
    pump(tk_root, ctx, lambda: form.in_conflict, what="the second conflict")
    form.button_overwrite.invoke()
    pump(tk_root, ctx, lambda: not form.in_conflict and "已保存" in form.message.text,
         what="the overwrite")
    now = theirs.customer(original.id)
    assert now is not None and now.notes == "覆盖" and now.department == ""
    assert now.company == "唐信"  # what this PC had reloaded
    ctx.runner.close()


def test_a_customer_deleted_meanwhile_is_saved_again_as_new(
        tk_root: tk.Tk, two_pcs: tuple[CrmStore, CrmStore], answers: Answers,
        dialed: list[str]) -> None:
    mine, theirs = two_pcs
    ctx = make_ctx(mine, answers, dialed)
    original = mine.save_customer(Customer(name="李四", phones=("0755-26515007",)))
    form = CustomerForm(tk_root, ctx, original)
    form.pack()
    theirs.delete_customer(original.id, original.version)
    form.set_value("company", "赛格")
    form.button_save.invoke()
    pump(tk_root, ctx, lambda: form.in_conflict, what="the conflict")
    assert "另一台电脑删除了这个客户" in form.conflict_label.cget("text")
    assert "disabled" in form.button_reload.state()
    form.button_overwrite.invoke()
    pump(tk_root, ctx, lambda: "已保存" in form.message.text, what="saved as new")
    again = theirs.find_by_number("075526515007")
    assert again is not None and again.id != original.id and again.company == "赛格"
    ctx.runner.close()


def test_a_save_while_the_share_is_away_waits_in_the_outbox(
        tk_root: tk.Tk, two_pcs: tuple[CrmStore, CrmStore], answers: Answers,
        dialed: list[str], tmp_path: Path) -> None:
    mine, theirs = two_pcs
    ctx = make_ctx(mine, answers, dialed)
    original = mine.save_customer(Customer(name="赵六", phones=("13700000000",)))
    form = CustomerForm(tk_root, ctx, original)
    form.pack()
    os.rename(tmp_path / "share", tmp_path / "share-away")  # the shared folder goes away
    form.set_value("notes", "离线时写的")
    form.button_save.invoke()
    pump(tk_root, ctx, lambda: "共享文件夹暂时无法访问" in form.message.text,
         what="the queued save")
    assert mine.pending_writes() == 1
    os.rename(tmp_path / "share-away", tmp_path / "share")  # back
    assert mine.replay_outbox() == 1
    now = theirs.customer(original.id)
    assert now is not None and now.notes == "离线时写的"
    ctx.runner.close()


# ---------------------------------------------------------------------- the manager
def fill(store: CrmStore, count: int) -> None:
    for n in range(count):
        store.save_customer(Customer(name=f"客户{n:03d}", company="赛格科技" if n % 2 else "唐信",
                                     phones=(f"0755{n:07d}",), mobile=f"139{n:08d}",
                                     vip=n == 3, blacklist=n == 4, blacklist_reason="欠费"))


def open_window(tk_root: tk.Tk, ctx: DialogContext) -> CustomersWindow:
    window = open_customers(tk_root, ctx)
    pump(tk_root, ctx, lambda: not window.loading and window.winfo_ismapped(),
         what="the first page")
    return window


def test_the_manager_lists_one_page_and_searches(tk_root: tk.Tk, ctx: DialogContext,
                                                crm_store: CrmStore) -> None:
    fill(crm_store, 120)
    window = open_window(tk_root, ctx)
    assert window.title() == "客户资料"
    assert len(window.tree.get_children()) == customers_model.PAGE_SIZE
    assert window.page_label.cget("text") == "第 1/3 页，共 120 条"
    assert "disabled" in window.button_previous.state()
    window.button_next.invoke()
    window.button_next.invoke()
    pump(tk_root, ctx, lambda: window.page.page == 2 and not window.loading, what="page 3")
    assert len(window.tree.get_children()) == 20
    assert "disabled" in window.button_next.state()
    assert open_customers(tk_root, ctx) is window  # one manager at a time
    # typing searches (after a pause): by company, then by a number written differently
    window.search.focus_force()  # key events go where the focus is (no window manager here)
    pump(tk_root, ctx, lambda: window.focus_get() is window.search, what="the search's focus")
    window.search.insert(0, "唐信")
    window.search.event_generate("<KeyRelease>")
    pump(tk_root, ctx, lambda: window.page.text == "唐信" and not window.loading,
         what="the search")
    assert window.page.total == 60 and window.page.page == 0
    window.search.delete(0, "end")
    window.search.insert(0, "+86 755 0000004")
    window.search.event_generate("<Return>")
    pump(tk_root, ctx, lambda: window.page.total == 1 and not window.loading,
         what="the number search")
    (row,) = window.tree.get_children()
    assert window.tree.item(row, "values")[0] == "客户004"
    assert window.tree.item(row, "values")[5] == "黑名单"
    assert "blacklist" in window.tree.item(row, "tags")


def test_new_edit_call_and_delete(tk_root: tk.Tk, ctx: DialogContext, crm_store: CrmStore,
                                  answers: Answers, dialed: list[str]) -> None:
    fill(crm_store, 3)
    window = open_window(tk_root, ctx)
    dialog = window.nametowidget(window.buttons["new"].invoke())
    assert isinstance(dialog, CustomerDialog) and dialog.title() == "新增客户"
    assert [b.cget("text") for b in (dialog.button_call, dialog.button_modify,
                                     dialog.button_back)] == ["呼叫", "修改", "返回"]
    dialog.form.set_value("name", "新客户")
    dialog.form.set_value("phones", "021-12345678, 13912345678")
    dialog.button_modify.invoke()
    pump(tk_root, ctx, lambda: window.page.total == 4 and not window.loading,
         what="the list after 新增")
    assert dialog.title() == "客户资料 - 新客户"
    dialog.close()
    # 编辑 the selected row (a double-click does the same)
    new = crm_store.find_by_number("02112345678")
    assert new is not None
    window.select(new.id)
    editor = window.nametowidget(window.buttons["edit"].invoke())
    assert isinstance(editor, CustomerDialog)
    assert editor.form.entries["name"].get() == "新客户"
    editor.form.set_value("company", "赛纳科技")
    editor.button_modify.invoke()
    pump(tk_root, ctx, lambda: any("赛纳科技" in window.tree.item(i, "values")[1]
                                   for i in window.tree.get_children()), what="the edit")
    editor.button_call.invoke()
    window.buttons["call"].invoke()
    assert dialed == ["021-12345678", "021-12345678"]
    # 删除 asks first: no leaves it, yes deletes it
    answers.confirm = False
    window.buttons["delete"].invoke()
    assert answers.asked[-1][1] == "删除客户“新客户”吗？此操作不能撤消。"
    assert crm_store.count_customers() == 4
    answers.confirm = True
    window.buttons["delete"].invoke()
    pump(tk_root, ctx, lambda: window.page.total == 3 and not window.loading,
         what="the list after 删除")
    assert crm_store.customer(new.id) is None


def test_import_shows_progress_and_the_refused_rows(tk_root: tk.Tk, ctx: DialogContext,
                                                    crm_store: CrmStore, answers: Answers,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "客户.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "手机", "公司", "黑名单"])
        writer.writerows([[f"客户{n}", f"139{n:08d}", "赛格", ""] for n in range(40)])
        writer.writerow(["坏号码", "call me", "", ""])
    window = open_window(tk_root, ctx)
    answers.open_file = str(path)
    importer = window.nametowidget(window.buttons["import"].invoke())
    assert isinstance(importer, ImportWindow)
    pump(tk_root, ctx, lambda: importer.finished, what="the import")
    assert importer.message.text == "导入 40 个客户，拒绝 1 行"
    assert importer.report.get("1.0", "end-1c").startswith("第 42 行：")
    assert importer.button.cget("text") == "关闭"
    pump(tk_root, ctx, lambda: window.page.total == 40 and not window.loading,
         what="the list after the import")
    importer.button.invoke()
    assert not importer.alive()
    answers.open_file = str(tmp_path / "notes.txt")
    assert window.buttons["import"].invoke() == "None"  # nothing opened
    assert window.message.text.startswith("文件：只能导入或导出 .csv 或 .xlsx 文件")


def test_a_cancelled_import_leaves_nothing(tk_root: tk.Tk, ctx: DialogContext,
                                           crm_store: CrmStore, answers: Answers,
                                           tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone"])
        writer.writerows([[f"c{n}", f"138{n:08d}"] for n in range(3000)])
    window = open_window(tk_root, ctx)
    answers.open_file = str(path)
    importer = window.nametowidget(window.buttons["import"].invoke())
    assert isinstance(importer, ImportWindow)
    importer.button.invoke()  # 取消 at once
    pump(tk_root, ctx, lambda: importer.finished, what="the cancelled import")
    assert importer.message.text == "导入已取消，没有导入任何客户"
    assert crm_store.count_customers() == 0


def test_export_writes_the_chosen_file(tk_root: tk.Tk, ctx: DialogContext,
                                       crm_store: CrmStore, answers: Answers,
                                       tmp_path: Path) -> None:
    fill(crm_store, 5)
    window = open_window(tk_root, ctx)
    answers.save_file = str(tmp_path / "out.xlsx")
    window.buttons["export"].invoke()
    pump(tk_root, ctx, lambda: "已导出" in window.message.text, what="the export")
    assert window.message.text == f"已导出 5 个客户到 {tmp_path / 'out.xlsx'}"
    assert (tmp_path / "out.xlsx").stat().st_size > 0


def test_english_relabels_the_manager(tk_root: tk.Tk, ctx: DialogContext,
                                      crm_store: CrmStore) -> None:
    fill(crm_store, 2)
    window = open_window(tk_root, ctx)
    ctx.catalogue.set_language("en")
    assert window.title() == "Customers"
    assert window.buttons["new"].cget("text") == "New"
    assert window.tree.heading("name", "text") == "Name"
    assert window.page_label.cget("text") == "Page 1 of 1, 2 customers"
    window.select(window.page.rows[0].id)
    editor = window.nametowidget(window.buttons["edit"].invoke())
    assert isinstance(editor, CustomerDialog)
    assert editor.title() == f"Customer - {window.page.rows[0].name}"
    assert editor.button_modify.cget("text") == "Save"
    form = editor.form
    assert [form.notebook.tab(t, "text") for t in form.notebook.tabs()] == [
        "Basic", "Details"]
    ctx.catalogue.set_language("zh")
    assert form.labels["phones"].cget("text") == "电话号码(多个号码用逗号分隔)"
