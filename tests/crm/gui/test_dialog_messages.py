"""内部短信 under Xvfb against the real hub and simulator: the drop-down lists ALL and every
account (offline ones marked), a message sent reaches the other agent's open window, one to
an offline agent is kept, bad input is named, the window works offline from the local log,
and the new-message notice never takes the keyboard."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from callcenter.crm_client.app import CrmApp
from callcenter.crm_client.app.messages import Message
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.messages import (
    MessageNotice,
    MessagesWindow,
    notify_message,
    open_messages,
)
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.store import CrmStore, MessageEntry
from tests.crm.conftest import Updates
from tests.crm.gui.dialog_fixtures import Answers, dialog_xvfb, display, pump
from tests.server.console.console_support import collect_in_this_thread, tk_root

__all__ = ["collect_in_this_thread", "dialog_xvfb", "display", "tk_root"]

AppFactory = Callable[..., tuple[CrmApp, Updates]]


@pytest.fixture
def contexts() -> Iterator[Callable[..., DialogContext]]:
    made: list[DialogContext] = []

    def make(app: CrmApp | None, store: CrmStore) -> DialogContext:
        context = DialogContext(Catalogue("zh"), TaskRunner(2), store=store, app=app,
                                settings=app.settings if app else None)
        Answers().install(context.extra)
        made.append(context)
        return context
    yield make
    for context in made:
        context.runner.close()


@pytest.fixture
def other_store(tmp_path: Path) -> Iterator[CrmStore]:
    store = CrmStore.open(tmp_path / "other-pc")
    yield store
    store.close()


def open_loaded(root: tk.Tk, ctx: DialogContext) -> MessagesWindow:
    window = open_messages(root, ctx)
    pump(root, ctx, lambda: (window.loaded and len(window.recipients) > 1)
         or (window.loaded and not window.online), what="the messages window loaded")
    return window


def test_a_message_goes_to_the_other_agents_open_window(
        tk_root: tk.Tk, crm_app: AppFactory, other_store: CrmStore,
        agent_account: Callable[..., str], contexts: Callable[..., DialogContext]) -> None:
    agent_account("gui-msg-off")
    ann, _ = crm_app("gui-msg-ann", "016")
    bob, _ = crm_app("gui-msg-bob", "017", store=other_store)
    ann_ctx, bob_ctx = contexts(ann, ann.store), contexts(bob, other_store)
    mine = open_loaded(tk_root, ann_ctx)
    theirs = MessagesWindow(tk_root, bob_ctx)
    pump(tk_root, bob_ctx, lambda: theirs.loaded, what="bob's window")
    labels = list(mine.to.cget("values"))
    assert labels[0] == "ALL（所有用户）"
    assert "gui-msg-bob  ● 在线" in labels
    assert "gui-msg-off  ○ 离线" in labels
    assert not any(label.startswith("gui-msg-ann") for label in labels)  # not oneself
    mine.choose("gui-msg-bob")
    mine.text.insert("1.0", "客户张先生回电了吗？")
    mine.button_send.invoke()
    pump(tk_root, ann_ctx, lambda: mine.message.text.startswith("已发送给 gui-msg-bob"),
         what="sent")
    assert mine.text.get("1.0", "end-1c") == ""
    pump(tk_root, bob_ctx, lambda: "客户张先生回电了吗？" in theirs.history_text(),
         what="the message in bob's window")
    assert "gui-msg-ann → gui-msg-bob" in theirs.history_text()
    pump(tk_root, ann_ctx, lambda: "客户张先生回电了吗？" in mine.history_text(),
         what="the message in ann's history")
    assert mine.history_text().count("客户张先生回电了吗？") == 1
    # to an offline agent: kept by the hub, and the window says so
    mine.choose("gui-msg-off")
    mine.text.insert("1.0", "请回电 13800138000")
    mine.button_send.invoke()
    pump(tk_root, ann_ctx, lambda: mine.message.text.startswith("gui-msg-off 不在线"),
         what="kept")
    # bad input is named, nothing is sent
    mine.choose("ALL")
    mine.text.insert("1.0", "   ")
    mine.button_send.invoke()
    assert mine.message.text == "内容：请输入短信内容"
    mine.close()
    theirs.close()


def test_offline_the_window_shows_the_local_log_and_refuses_to_send(
        tk_root: tk.Tk, crm_store: CrmStore, contexts: Callable[..., DialogContext]) -> None:
    crm_store.log_message(MessageEntry("hub:9", datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
                                       "bob", "ann", "午饭到了"))
    ctx = contexts(None, crm_store)
    window = open_loaded(tk_root, ctx)
    assert "午饭到了" in window.history_text()
    assert window.message.text == "未连接服务器：只能查看本机保存的短信"
    window.text.insert("1.0", "hello")
    window.button_send.invoke()
    assert window.message.text == "未连接服务器"
    ctx.catalogue.set_language("en")
    assert window.title() == "Messages" and window.button_send.cget("text") == "Send"


def test_a_login_after_the_window_opened_is_picked_up_by_refresh(
        tk_root: tk.Tk, crm_app: AppFactory, contexts: Callable[..., DialogContext]) -> None:
    cy, _ = crm_app("gui-msg-cy", "018")
    ctx = contexts(None, cy.store)
    window = open_loaded(tk_root, ctx)
    assert len(window.recipients) == 1 and window.message.text.startswith("未连接服务器")
    ctx.app = cy  # the main window logged in meanwhile
    window.button_refresh.invoke()
    pump(tk_root, ctx, lambda: window.loaded and len(window.recipients) > 1,
         what="the accounts after 刷新")
    assert window.online and window.message.text == ""
    window.close()


def test_the_notice_does_not_take_the_keyboard(tk_root: tk.Tk, crm_store: CrmStore,
                                               contexts: Callable[..., DialogContext]) -> None:
    ctx = contexts(None, crm_store)
    tk_root.geometry("600x300+0+0")
    note = tk.Entry(tk_root)
    note.pack()
    tk_root.deiconify()
    note.focus_force()
    pump(tk_root, ctx, lambda: tk_root.focus_get() is note, what="the agent typing")
    message = Message("hub:77", datetime.now(UTC), "bob", "ann", "客户在线等，请接 3 号线")
    notice = notify_message(tk_root, ctx, message)
    assert isinstance(notice, MessageNotice)
    pump(tk_root, ctx, notice.winfo_ismapped, what="the notice")
    note.event_generate("<KeyPress>", keysym="1")  # the agent goes on typing
    pump(tk_root, ctx, lambda: "1" in note.get(), what="the typing")
    assert tk_root.focus_get() is note
    assert notice.text_label.cget("text") == "bob：客户在线等，请接 3 号线"
    assert notice.wm_overrideredirect()
    assert notice.winfo_rootx() > 600  # in the screen's corner, not over the typing
    # a second message replaces it; 查看 opens the messages window
    second = notify_message(tk_root, ctx, Message("hub:78", datetime.now(UTC), "bob", "ann",
                                                  "x" * 300))
    assert second is not None and not notice.winfo_exists()
    assert second.text_label.cget("text").endswith("…")
    second.button_open.invoke()
    window = ctx.extra["messages_window"]
    assert isinstance(window, MessagesWindow) and window.alive()
    assert not second.winfo_exists()
    # while the messages window is open no notice is shown (the history has it)
    assert notify_message(tk_root, ctx, message) is None
    window.close()
