"""登录 → 连接服务器, and the client's own password protection at start: two small dialogs.

``HubLoginDialog`` asks the agent's user name and hub password (the server and extension
shown, from the settings) and hands them to ``on_login``; the app connects and tells the
dialog the outcome (``show_error``, or it closes).  ``LocalLoginDialog`` asks a local user
of the client's own protection (C-2 使用密码保护) before the window may be used; the check
itself (scrypt) is the app's, in a worker.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from callcenter.crm_client.gui.strings import Catalogue, add_texts

add_texts({
    "local.title": ("CRM 登录", "CRM log in"),
    "local.intro": ("本机已启用密码保护，请输入本机用户名和密码。",
                    "Password protection is on for this PC: enter a local user and password."),
    "local.wrong": ("用户名或密码错误", "Wrong user name or password"),
    "local.quit": ("退出", "Quit"),
    "local.ok": ("登录", "Log in"),
    "local.change_title": ("修改本机密码", "Change the local password"),
    "local.change_intro": ("用户 {user} 的密码是初始密码，请先修改。",
                           "The password of {user} is the initial one: change it first."),
    "local.new": ("新密码", "New password"),
    "local.repeat": ("确认新密码", "Repeat it"),
    "local.mismatch": ("两次输入的新密码不一致", "The two passwords differ"),
    "local.same": ("新密码不能与原密码相同", "The new password must differ from the old one"),
    "local.too_short": ("新密码至少 4 个字符", "At least 4 characters"),
    "login.working": ("正在连接…", "Connecting…"),
    "local.not_allowed": ("本机用户 {user} 没有“{area}”的权限",
                          "Local user {user} may not use {area}"),
    "area.customers": ("客户资料", "customers"),
    "area.import_export": ("导入导出", "import and export"),
    "area.call_log": ("来电记录", "the call log"),
    "area.clear_calls": ("清除记录区", "clearing the call log"),
    "area.phonebooks": ("电话簿", "the phone books"),
    "area.messages": ("内部短信", "messages"),
    "area.call_control": ("话务操作", "call control"),
    "area.settings": ("系统设置", "settings"),
})


class _LoginBase(tk.Toplevel):
    def __init__(self, parent: tk.Misc, catalogue: Catalogue, title_key: str) -> None:
        super().__init__(parent)
        self.withdraw()
        self.catalogue = catalogue
        self.title(catalogue.text(title_key))
        self.resizable(False, False)
        self.body = ttk.Frame(self, padding=14)
        self.body.grid(sticky="nsew")
        self.error = ttk.Label(self.body, foreground="#c62828", wraplength=320)

    def _place(self, parent: tk.Misc) -> None:
        self.update_idletasks()
        top = parent.winfo_toplevel()
        x = top.winfo_rootx() + max(0, (top.winfo_width() - self.winfo_reqwidth()) // 2)
        y = top.winfo_rooty() + max(0, (top.winfo_height() - self.winfo_reqheight()) // 3)
        self.geometry(f"+{x}+{y}")
        self.deiconify()
        self.transient(top)

    def _credentials(self, row: int, ok_text: str, cancel_text: str,
                     cancel: Callable[[], None]) -> ttk.Button:
        """The user and password fields from grid ``row`` on, the error line and the two
        buttons (``self.ok`` runs ``submit``); the second button, which runs ``cancel``."""
        text = self.catalogue.text
        ttk.Label(self.body, text=text("login.user")).grid(row=row, column=0, sticky="w")
        self.user = ttk.Entry(self.body, width=24)
        self.user.grid(row=row, column=1, sticky="ew", padx=(8, 0), pady=2)
        ttk.Label(self.body, text=text("login.password")).grid(row=row + 1, column=0,
                                                               sticky="w")
        self.password = ttk.Entry(self.body, width=24, show="•")
        self.password.grid(row=row + 1, column=1, sticky="ew", padx=(8, 0), pady=2)
        self.error.grid(row=row + 2, column=0, columnspan=2, sticky="w", pady=(6, 0))
        buttons = ttk.Frame(self.body)
        buttons.grid(row=row + 3, column=0, columnspan=2, sticky="e", pady=(8, 0))
        self.ok = ttk.Button(buttons, text=ok_text, command=self.submit)
        self.ok.grid(row=0, column=0, padx=(0, 6))
        second = ttk.Button(buttons, text=cancel_text, command=cancel)
        second.grid(row=0, column=1)
        self.bind("<Return>", lambda _e: self.submit())
        return second

    def submit(self) -> None:
        raise NotImplementedError

    def show_error(self, text: str) -> None:
        self.error.configure(text=text)

    def alive(self) -> bool:
        try:
            return bool(self.winfo_exists())
        except tk.TclError:
            return False


class HubLoginDialog(_LoginBase):
    """登录 → 连接服务器: user name and password for the hub."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, *, server: str, extension: str,
                 user: str, on_login: Callable[[str, str], None],
                 on_cancel: Callable[[], None] | None = None) -> None:
        super().__init__(parent, catalogue, "login.title")
        text = catalogue.text
        self.on_login = on_login
        self.on_cancel = on_cancel
        ttk.Label(self.body, text=text("login.server", server=server)).grid(
            row=0, column=0, columnspan=2, sticky="w")
        ttk.Label(self.body, text=text("login.extension", extension=extension)).grid(
            row=1, column=0, columnspan=2, sticky="w", pady=(0, 8))
        self.cancel = self._credentials(2, text("login.ok"), text("login.cancel"), self.dismiss)
        self.user.insert(0, user)
        self.bind("<Escape>", lambda _e: self.dismiss())
        self.protocol("WM_DELETE_WINDOW", self.dismiss)
        self._place(parent)
        (self.password if user else self.user).focus_set()

    def submit(self) -> None:
        user = self.user.get().strip()
        if not user:
            self.show_error(self.catalogue.text("login.need_user"))
            return
        self.show_error(self.catalogue.text("login.working"))
        self.on_login(user, self.password.get())

    def dismiss(self) -> None:
        self.destroy()
        if self.on_cancel is not None:
            self.on_cancel()


class LocalLoginDialog(_LoginBase):
    """The client's own password protection: a local user before the window is used."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, *,
                 on_login: Callable[[str, str], None], on_quit: Callable[[], None]) -> None:
        super().__init__(parent, catalogue, "local.title")
        text = catalogue.text
        self.on_login = on_login
        self.on_quit = on_quit
        ttk.Label(self.body, text=text("local.intro"), wraplength=320).grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, 8))
        self.quit_button = self._credentials(1, text("local.ok"), text("local.quit"),
                                             self.on_quit)
        self.protocol("WM_DELETE_WINDOW", self.on_quit)
        self._place(parent)
        self.user.focus_set()

    def submit(self) -> None:
        user = self.user.get().strip()
        if not user:
            self.show_error(self.catalogue.text("login.need_user"))
            return
        self.ok.state(["disabled"])
        self.on_login(user, self.password.get())

    def refused(self) -> None:
        self.ok.state(["!disabled"])
        self.password.delete(0, "end")
        self.show_error(self.catalogue.text("local.wrong"))


class LocalPasswordDialog(_LoginBase):
    """A local user whose password must be changed (the initial admin/admin) sets a new one
    before the window may be used; ``on_changed(new)`` gets it (the app saves it)."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, *, user: str, old: str,
                 on_changed: Callable[[str], None], on_quit: Callable[[], None]) -> None:
        super().__init__(parent, catalogue, "local.change_title")
        text = catalogue.text
        self.old = old
        self.on_changed = on_changed
        ttk.Label(self.body, text=text("local.change_intro", user=user), wraplength=320).grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, 8))
        ttk.Label(self.body, text=text("local.new")).grid(row=1, column=0, sticky="w")
        self.new = ttk.Entry(self.body, width=24, show="•")
        self.new.grid(row=1, column=1, sticky="ew", padx=(8, 0), pady=2)
        ttk.Label(self.body, text=text("local.repeat")).grid(row=2, column=0, sticky="w")
        self.repeat = ttk.Entry(self.body, width=24, show="•")
        self.repeat.grid(row=2, column=1, sticky="ew", padx=(8, 0), pady=2)
        self.error.grid(row=3, column=0, columnspan=2, sticky="w", pady=(6, 0))
        buttons = ttk.Frame(self.body)
        buttons.grid(row=4, column=0, columnspan=2, sticky="e", pady=(8, 0))
        self.ok = ttk.Button(buttons, text=text("common.ok"), command=self.submit)
        self.ok.grid(row=0, column=0, padx=(0, 6))
        ttk.Button(buttons, text=text("local.quit"), command=on_quit).grid(row=0, column=1)
        self.bind("<Return>", lambda _e: self.submit())
        self.protocol("WM_DELETE_WINDOW", on_quit)
        self._place(parent)
        self.new.focus_set()

    def submit(self) -> None:
        new = self.new.get()
        if len(new) < 4:
            self.show_error(self.catalogue.text("local.too_short"))
        elif new != self.repeat.get():
            self.show_error(self.catalogue.text("local.mismatch"))
        elif new == self.old:
            self.show_error(self.catalogue.text("local.same"))
        else:
            self.ok.state(["disabled"])
            self.on_changed(new)
