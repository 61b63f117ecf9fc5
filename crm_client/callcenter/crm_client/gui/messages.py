"""内部短信 (C-3, manual 2-3): the messages window and the notice of a new message.

``open_messages(parent, ctx)`` shows the 用户 drop-down (ALL and every account of the hub's
``directory``, online ones first, each with an online mark; an offline agent gets the
message at the next login), the history (``CrmApp.messages``: the hub's and this PC's),
the 内容 box and 发送.  While it is open, messages that arrive (``CrmApp`` listener, queued to
the Tk thread) are added to the history.  Without a connection the window shows the
messages kept on this PC (``CrmStore.messages``) and says that sending needs the server.

``notify_message(parent, ctx, message)`` is the notice the main window shows on a
``message`` update: a small undecorated window in the bottom-right corner of the screen
that never takes the keyboard (an agent typing a number or a note keeps typing), with 查看
(opens this window) and 关闭; it closes by itself after ``NOTICE_SECONDS``.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any, Final

from callcenter.crm_client.gui import messages_model as model
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.dialog_support import DialogWindow, MessageLine

NOTICE_SECONDS: Final = 12
NOTICE_TEXT_LIMIT: Final = 120


class MessagesWindow(DialogWindow):
    """The 内部短信 window (see the module docstring)."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext) -> None:
        super().__init__(parent, ctx, "msg.title", modal=False)
        self.recipients: list[model.Recipient] = [model.Recipient(model.ALL, online=True)]
        self.lines: list[model.HistoryLine] = []
        body = ttk.Frame(self, padding=10)
        body.grid(row=0, column=0, sticky="nsew")
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        body.columnconfigure(1, weight=1)
        body.rowconfigure(2, weight=1)
        self.to_label = ttk.Label(body)
        self.to_label.grid(row=0, column=0, sticky="w")
        self.to = ttk.Combobox(body, state="readonly", width=34)
        self.to.grid(row=0, column=1, sticky="w", padx=(8, 0))
        self.button_refresh = ttk.Button(body, command=self.load)
        self.button_refresh.grid(row=0, column=2, sticky="e")
        self.history_label = ttk.Label(body)
        self.history_label.grid(row=1, column=0, columnspan=3, sticky="w", pady=(8, 2))
        history = ttk.Frame(body)
        history.grid(row=2, column=0, columnspan=3, sticky="nsew")
        history.rowconfigure(0, weight=1)
        history.columnconfigure(0, weight=1)
        self.history = tk.Text(history, height=14, width=64, wrap="word", state="disabled",
                               background="#fbfbfb")
        self.history.tag_configure("heading", foreground="#0d47a1")
        self.history.tag_configure("offline", foreground="#6a1b9a")
        self.history.tag_configure("body", lmargin1=12, lmargin2=12, spacing3=6)
        scroll = ttk.Scrollbar(history, orient="vertical", command=self.history.yview)
        self.history.configure(yscrollcommand=scroll.set)
        self.history.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        self.text_label = ttk.Label(body)
        self.text_label.grid(row=3, column=0, sticky="nw", pady=(8, 0))
        self.text = tk.Text(body, height=3, width=50, wrap="word", undo=True)
        self.text.grid(row=3, column=1, sticky="ew", padx=(8, 0), pady=(8, 0))
        self.text.bind("<Control-Return>", self._send_key)
        self.button_send = ttk.Button(body, command=self.send_message, default="active")
        self.button_send.grid(row=3, column=2, sticky="se", padx=(8, 0), pady=(8, 0))
        self.message = MessageLine(body, wraplength=560)
        self.message.grid(row=4, column=0, columnspan=2, sticky="w", pady=(6, 0))
        self.button_close = ttk.Button(body, command=self.close)
        self.button_close.grid(row=4, column=2, sticky="e", pady=(6, 0))
        self._app: Any = ctx.app
        self._app_listener: Callable[[Any], None] = self._app_update
        if self._app is not None:
            self._app.add_listener(self._app_listener)
        self.loaded = False
        self.relabel()
        self.show()
        self.text.focus_set()
        self.load()

    def relabel(self) -> None:
        text = self.catalogue.text
        self.to_label.configure(text=text("msg.to"))
        self.button_refresh.configure(text=text("msg.refresh"))
        self.history_label.configure(text=text("msg.history"))
        self.text_label.configure(text=text("msg.text"))
        self.button_send.configure(text=text("msg.send"))
        self.button_close.configure(text=text("msg.close"))
        self._fill_recipients()
        self._draw()

    def close(self) -> None:
        if self._app is not None:
            self._app.remove_listener(self._app_listener)
        super().close()

    # ------------------------------------------------------------------ loading
    @property
    def online(self) -> bool:
        return self._app is not None and bool(self._app.online)

    def load(self) -> None:
        """Ask for the accounts and the history (the local history when offline); 刷新 also
        picks up a login made since the window opened."""
        self.loaded = False
        self._follow_app()
        self.message.show_info(self.catalogue.text("msg.loading"))
        app, store = self._app, self.ctx.store
        if not self.online:
            self.ctx.run_in_worker(lambda: store.messages(limit=200) if store else [],
                                   self._history_offline, self._failed)
            return
        self.ctx.run_in_worker(app.directory, self._directory, self._failed)
        self.ctx.run_in_worker(lambda: app.messages(200), self._history, self._failed)

    def _follow_app(self) -> None:
        """Listen to ``ctx.app`` when it changed since the window opened (a login)."""
        if self.ctx.app is self._app:
            return
        if self._app is not None:
            self._app.remove_listener(self._app_listener)
        self._app = self.ctx.app
        if self._app is not None:
            self._app.add_listener(self._app_listener)

    def _directory(self, accounts: list[dict[str, Any]]) -> None:
        if not self.alive():
            return
        me = str(getattr(getattr(self._app, "settings", None), "user", ""))
        self.recipients = model.recipients(accounts, me)
        self._fill_recipients()

    def _fill_recipients(self) -> None:
        chosen = self.chosen_user()
        self.to.configure(values=[r.label(self.catalogue) for r in self.recipients])
        users = [r.user for r in self.recipients]
        self.to.current(users.index(chosen) if chosen in users else 0)

    def chosen_user(self) -> str:
        index = self.to.current()
        recipients = getattr(self, "recipients", [])
        return recipients[index].user if 0 <= index < len(recipients) else ""

    def choose(self, user: str) -> None:
        """Pick the recipient ``user`` (or ALL) in the drop-down."""
        users = [r.user for r in self.recipients]
        self.to.current(users.index(user))

    def _history(self, messages: list[Any]) -> None:
        if not self.alive():
            return
        self.lines = model.merge([model.line(m) for m in messages], self.lines)
        self.loaded = True
        self.message.clear()
        self._draw()

    def _history_offline(self, entries: list[Any]) -> None:
        self._history(entries)
        if self.alive():
            self.message.show_error(self.catalogue.text("msg.not_connected"))

    def _failed(self, exc: BaseException) -> None:
        if self.alive():
            self.loaded = True
            self.message.show_error(self.ctx.error_text(exc))

    def _app_update(self, update: Any) -> None:
        """A CrmApp listener (the link's thread): a new message goes to the Tk thread."""
        if getattr(update, "kind", "") == "message" and update.message is not None:
            message = update.message
            self.ctx.runner.post(lambda: self.add(message))

    def add(self, message: Any) -> None:
        """Add one message (arrived, or sent here) to the history."""
        if self.alive():
            self.lines = model.merge(self.lines, [model.line(message)])
            self._draw()

    def _draw(self) -> None:
        if not hasattr(self, "history"):
            return
        self.history.configure(state="normal")
        self.history.delete("1.0", "end")
        for item in self.lines:
            tags = ("heading", "offline") if item.offline else ("heading",)
            self.history.insert("end", item.heading(self.catalogue) + "\n", tags)
            self.history.insert("end", item.text + "\n", ("body",))
        self.history.configure(state="disabled")
        self.history.see("end")

    def history_text(self) -> str:
        return str(self.history.get("1.0", "end-1c"))

    # ------------------------------------------------------------------ sending
    def _send_key(self, _event: object) -> str:
        self.send_message()
        return "break"

    def send_message(self) -> None:
        if "disabled" in self.button_send.state():
            return
        to, text = self.chosen_user(), self.text.get("1.0", "end-1c")
        problem = model.send_problem(to, text, [r.user for r in self.recipients])
        if problem is not None:
            key, fields = problem
            self.message.show_error(self.catalogue.text(key, **fields))
            return
        self._follow_app()
        if not self.online:
            self.message.show_error(self.catalogue.error("not_connected", ""))
            return
        app = self._app
        self.button_send.state(["disabled"])
        self.message.show_info(self.catalogue.text("common.working"))

        def sent(result: dict[str, Any]) -> None:
            if not self.alive():
                return
            self.button_send.state(["!disabled"])
            self.text.delete("1.0", "end")
            recipient = next((r for r in self.recipients if r.user == to), None)
            if result.get("kept") or (recipient is not None and not recipient.online):
                self.message.show_done(self.catalogue.text("msg.kept", to=to))
            else:
                self.message.show_done(self.catalogue.text(
                    "msg.sent", to=to, delivered=result.get("delivered", 0)))
            self.ctx.run_in_worker(lambda: app.messages(200), self._history, self._failed)

        def failed(exc: BaseException) -> None:
            if self.alive():
                self.button_send.state(["!disabled"])
                self.message.show_error(self.ctx.error_text(exc))
        self.ctx.run_in_worker(lambda: app.send_message(to, text), sent, failed)


class MessageNotice(tk.Toplevel):
    """The new-message notice (see the module docstring): never takes the keyboard."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, message: Any,
                 on_open: Callable[[], object] | None = None) -> None:
        super().__init__(parent, takefocus=0, highlightthickness=2,
                         highlightbackground="#0d47a1", highlightcolor="#0d47a1")
        self.withdraw()
        self.ctx = ctx
        self.overrideredirect(True)  # no window-manager frame: nothing to focus
        self.attributes("-topmost", True)
        self.line = model.line(message)
        text = self.line.text
        if len(text) > NOTICE_TEXT_LIMIT:
            text = text[:NOTICE_TEXT_LIMIT] + "…"
        frame = ttk.Frame(self, padding=10)
        frame.grid(sticky="nsew")
        catalogue = ctx.catalogue
        self.title_label = ttk.Label(frame, text=catalogue.text("msg.notice_title"),
                                     foreground="#0d47a1")
        self.title_label.grid(row=0, column=0, columnspan=2, sticky="w")
        self.text_label = ttk.Label(frame, text=catalogue.text(
            "msg.notice", sender=self.line.sender, text=text), wraplength=300, justify="left")
        self.text_label.grid(row=1, column=0, columnspan=2, sticky="w", pady=(4, 6))
        self.button_open = ttk.Button(frame, text=catalogue.text("msg.notice_open"),
                                      takefocus=0, command=self.open)
        self.button_open.grid(row=2, column=0, sticky="w")
        self.button_close = ttk.Button(frame, text=catalogue.text("msg.notice_close"),
                                       takefocus=0, command=self.dismiss)
        self.button_close.grid(row=2, column=1, sticky="e")
        self._on_open = on_open
        self.update_idletasks()
        x = self.winfo_screenwidth() - self.winfo_reqwidth() - 16
        y = self.winfo_screenheight() - self.winfo_reqheight() - 48
        self.geometry(f"+{max(0, x)}+{max(0, y)}")
        self.deiconify()
        self._timer = self.after(NOTICE_SECONDS * 1000, self.dismiss)

    def open(self) -> None:
        self.dismiss()
        if self._on_open is not None:
            self._on_open()

    def dismiss(self) -> None:
        try:
            self.after_cancel(self._timer)
            self.destroy()
        except tk.TclError:
            pass  # gone already


def open_messages(parent: tk.Misc, ctx: DialogContext) -> MessagesWindow:
    """内部短信 (the contract's entry point): the open window raised, or a new one."""
    window = ctx.extra.get("messages_window")
    if isinstance(window, MessagesWindow) and window.alive():
        window.deiconify()
        window.lift()
        return window
    window = MessagesWindow(parent, ctx)
    ctx.extra["messages_window"] = window
    return window


def notify_message(parent: tk.Misc, ctx: DialogContext, message: Any) -> MessageNotice | None:
    """The notice of a new message (``message``: the app's ``Message``), unless the messages
    window is open (the message shows in its history there) or the message is this agent's
    own.  Replaces an older notice."""
    window = ctx.extra.get("messages_window")
    if isinstance(window, MessagesWindow) and window.alive():
        return None
    me = str(getattr(ctx.settings, "user", "") or "")
    if me and getattr(message, "sender", "") == me:
        return None
    old = ctx.extra.get("message_notice")
    if isinstance(old, MessageNotice):
        old.dismiss()
    notice = MessageNotice(parent, ctx, message, on_open=lambda: open_messages(parent, ctx))
    ctx.extra["message_notice"] = notice
    return notice
