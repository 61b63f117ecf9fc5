"""The login and change-password dialogs (S-2, S-41): thin views.

Built like IDLE's ``query.Query``: the entry checks are pure functions
(``credentials``); the dialog never blocks by itself -- its OK button hands the entries to
``on_submit`` (which sends them off the Tk thread) and the answer comes back as
``show_error`` or ``destroy``.  With ``_utest=True`` it is not made modal, so tests fill the
entries and ``invoke()`` the buttons.

``grab_when_shown`` makes a window modal without waiting for it to appear: the console's
windows never run a loop of their own (``wait_visibility``, ``wait_window``), so a stop asked
by a signal is seen by the main loop at any moment (``ConsoleApp.close``).
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from callcenter.server.console.credentials import login_problem, new_password_problem
from callcenter.server.console.strings import Catalogue


def grab_when_shown(window: tk.Toplevel) -> None:
    """Grab the pointer and keyboard for ``window`` as soon as it is mapped (modal), without
    a nested wait for it; a window closed before it was shown is simply not grabbed."""
    grabbed = False

    def grab(_event: object = None) -> None:
        nonlocal grabbed
        if grabbed or not window.winfo_exists() or not window.winfo_viewable():
            return
        grabbed = True
        with contextlib.suppress(tk.TclError):  # another window holds a global grab:
            window.grab_set()  # stay non-modal
    window.bind("<Map>", grab, add="+")
    window.after_idle(grab)


class _Dialog(tk.Toplevel):
    """A small modal form: a message, labelled entries, an error line, OK and Cancel."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, *, title_key: str,
                 message: str, fields: list[tuple[str, str, bool]], ok_key: str,
                 cancel_key: str, on_cancel: Callable[[], None], _utest: bool = False) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.withdraw()
        self.title(catalogue.text(title_key))
        self.resizable(False, False)
        self.protocol("WM_DELETE_WINDOW", on_cancel)
        self._on_cancel = on_cancel
        frame = ttk.Frame(self, padding=16)
        frame.grid(sticky="nsew")
        row = 0
        if message:
            ttk.Label(frame, text=message, wraplength=360, justify="left").grid(
                row=row, column=0, columnspan=2, sticky="w", pady=(0, 10))
            row += 1
        self.entries: dict[str, ttk.Entry] = {}
        for name, label_key, secret in fields:
            ttk.Label(frame, text=catalogue.text(label_key)).grid(row=row, column=0,
                                                                  sticky="w", pady=3)
            entry = ttk.Entry(frame, width=28, show="•" if secret else "")
            entry.grid(row=row, column=1, sticky="ew", padx=(10, 0), pady=3)
            self.entries[name] = entry
            row += 1
        self.error_label = ttk.Label(frame, text="", foreground="#c62828", wraplength=360,
                                     justify="left")
        self.error_label.grid(row=row, column=0, columnspan=2, sticky="w", pady=(8, 0))
        row += 1
        buttons = ttk.Frame(frame)
        buttons.grid(row=row, column=0, columnspan=2, sticky="e", pady=(12, 0))
        self.button_ok = ttk.Button(buttons, text=catalogue.text(ok_key), default="active",
                                    command=self.ok)
        self.button_ok.grid(row=0, column=0, padx=(0, 6))
        self.button_cancel = ttk.Button(buttons, text=catalogue.text(cancel_key),
                                        command=on_cancel)
        self.button_cancel.grid(row=0, column=1)
        self.bind("<Return>", lambda _e: self.ok())
        self.bind("<KP_Enter>", lambda _e: self.ok())
        self.bind("<Escape>", lambda _e: on_cancel())
        self.transient(parent.winfo_toplevel())
        self._place(parent)
        self.deiconify()
        if not _utest:
            grab_when_shown(self)
        first = next(iter(self.entries.values()))
        first.focus_set()

    def _place(self, parent: tk.Misc) -> None:
        self.update_idletasks()
        top = parent.winfo_toplevel()
        x = top.winfo_rootx() + max(0, (top.winfo_width() - self.winfo_reqwidth()) // 2)
        y = top.winfo_rooty() + max(0, (top.winfo_height() - self.winfo_reqheight()) // 3)
        self.geometry(f"+{x}+{y}")

    def value(self, name: str) -> str:
        return self.entries[name].get()

    def set_value(self, name: str, text: str) -> None:
        entry = self.entries[name]
        entry.delete(0, "end")
        entry.insert(0, text)

    def show_error(self, text: str) -> None:
        """Show why the last try failed and let the person try again."""
        self.error_label.configure(text=text, foreground="#c62828")
        self.busy(False)

    def busy(self, working: bool, text: str = "") -> None:
        """While the service is asked: OK disabled, a line saying what happens."""
        self.button_ok.state(["disabled"] if working else ["!disabled"])
        if working:
            self.error_label.configure(text=text, foreground="#555555")

    def ok(self) -> None:
        raise NotImplementedError


class LoginDialog(_Dialog):
    """User name and password; ``on_submit(user, password)`` sends them."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, address: str,
                 on_submit: Callable[[str, str], None], on_cancel: Callable[[], None], *,
                 user: str = "", _utest: bool = False) -> None:
        self.on_submit = on_submit
        super().__init__(parent, catalogue, title_key="login.title",
                         message=catalogue.text("login.server", address=address),
                         fields=[("user", "login.user", False),
                                 ("password", "login.password", True)],
                         ok_key="login.ok", cancel_key="login.cancel", on_cancel=on_cancel,
                         _utest=_utest)
        if user:
            self.set_value("user", user)
            self.entries["password"].focus_set()

    def ok(self) -> None:
        if "disabled" in self.button_ok.state():
            return
        user = self.value("user").strip()
        problem = login_problem(user)
        if problem is not None:
            self.show_error(self.catalogue.text(problem))
            return
        self.busy(True, self.catalogue.text("login.working"))
        self.on_submit(user, self.value("password"))


class PasswordDialog(_Dialog):
    """Old, new and repeated password; ``on_submit(old, new)`` sends them."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue,
                 on_submit: Callable[[str, str], None], on_cancel: Callable[[], None], *,
                 old: str = "", _utest: bool = False) -> None:
        self.on_submit = on_submit
        super().__init__(parent, catalogue, title_key="password.title",
                         message=catalogue.text("password.must_change"),
                         fields=[("old", "password.old", True), ("new", "password.new", True),
                                 ("repeat", "password.repeat", True)],
                         ok_key="password.ok", cancel_key="login.cancel", on_cancel=on_cancel,
                         _utest=_utest)
        if old:
            self.set_value("old", old)
            self.entries["new"].focus_set()

    def ok(self) -> None:
        if "disabled" in self.button_ok.state():
            return
        old, new = self.value("old"), self.value("new")
        problem = new_password_problem(old, new, self.value("repeat"))
        if problem is not None:
            self.show_error(self.catalogue.text(problem))
            return
        self.busy(True, self.catalogue.text("password.working"))
        self.on_submit(old, new)
