"""The console program: the main window on one service connection, the login first.

``ConsoleApp`` is the composition of the console (the presenter of its main window): it owns
the ``ServiceConnection``, the models (``StatusModel``, ``MonitorModel``), the main window
and its pages, and the login flow -- the login dialog (or ``--user`` with the password from
the environment, then nothing is asked), the change of an initial or reset password, then
``whoami`` for the modules this session may use.  An ``after()`` loop drains the
connection's queue every ``POLL_MS``; the models take the events of a batch and the views are
refreshed once per batch, so a burst of state events costs one redraw.

``run_console`` runs it to the end (the window closed, or ``should_quit`` true).  A stop
(``should_quit``: SIGINT or SIGTERM to ``callcenter-server``) is seen by the ``after()`` loop
at any moment -- the login dialog open, a first-start dialog or a message box waiting, the
main window -- because no console window runs a loop of its own except Tk's message and file
boxes, which ``close()`` destroys (that ends their wait).
"""

from __future__ import annotations

import gc
import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import messagebox, ttk
from typing import Any

from callcenter.server.console import first_start, preferences
from callcenter.server.console.connection import ServiceAddress, ServiceConnection
from callcenter.server.console.dialogs import LoginDialog, PasswordDialog
from callcenter.server.console.main_window import MainWindow
from callcenter.server.console.monitor_model import MonitorModel
from callcenter.server.console.monitor_view import MonitorView
from callcenter.server.console.pages import Page, PageContext, page_factories
from callcenter.server.console.status_model import StatusModel
from callcenter.server.console.strings import Catalogue

log = logging.getLogger(__name__)

POLL_MS = 30
#: Events after which the port and verification shown are asked for again.
LINK_EVENTS = frozenset({"snapshot", "link", "verification_done"})


class ConsoleApp:
    """The console on one service (see the module docstring)."""

    def __init__(self, root: tk.Tk, address: ServiceAddress, *, embedded: bool,
                 user: str = "", password: str | None = None,
                 catalogue: Catalogue | None = None,
                 should_quit: Callable[[], bool] = lambda: False,
                 timeout: float = 10.0, _utest: bool = False) -> None:
        self.root = root
        self.address = address
        self.embedded = embedded
        self.user = user
        self.password = password
        #: ``--user`` with the password from the environment: nothing may be asked.
        self.unattended = bool(user) and password is not None
        # the language chosen at the last run on this PC (preferences.py), else Chinese
        self.catalogue = catalogue or Catalogue(preferences.saved_language() or "zh")
        self.should_quit = should_quit
        self._utest = _utest
        self.closed = False
        self.whoami: dict[str, Any] = {}
        self.status = StatusModel()
        self.monitor = MonitorModel()
        self.login_dialog: LoginDialog | None = None
        self.password_dialog: PasswordDialog | None = None
        self._changed_icons: set[str] = set()
        self._status_dirty = True
        self._link_state_pending = False
        self._poll_job = ""
        self._placeholders: dict[str, tuple[ttk.Label, str]] = {}
        self._factories = page_factories()
        self.pages: dict[str, Page] = {}  # built pages, by page id
        #: Asks yes/no (title, text); tests replace it to answer without a real box.
        self.confirm: Callable[[str, str], bool] = self._ask_yes_no
        self.connection = ServiceConnection(address, timeout=timeout)
        self.connection.on_event = self._event
        self.connection.on_lost = self._lost
        self.connection.on_restored = self._restored
        self.window = MainWindow(root, self.catalogue,
                                 title_host="" if embedded else str(address),
                                 on_page=self.show_page, on_language=self.set_language,
                                 on_about=self.about)
        self.monitor_view = MonitorView(self.window.pages, self.monitor, self.catalogue)
        self.window.add_page("monitor", self.monitor_view)
        self.catalogue.add_listener(self._relabel)
        root.protocol("WM_DELETE_WINDOW", self.request_close)

    # ------------------------------------------------------------------ start and stop
    def start(self) -> None:
        """Log in (without a dialog when a password was given) and start the loop."""
        self.status.connection = "connecting"
        self._refresh_status()
        self._poll()
        if self.closed:  # asked to stop before the window was ready
            return
        if self.user and self.password is not None:
            self._login(self.user, self.password)
        else:
            self._ask_login()

    def request_close(self) -> None:
        """The window's close button: for an embedded service, ask first (the service
        stops with the window)."""
        if self.embedded and not self.confirm(self.catalogue.text("close.title"),
                                              self.catalogue.text("close.question")):
            return
        self.close()

    def close(self) -> None:
        """End the session and leave the main loop (idempotent); the caller destroys the
        root."""
        if self.closed:
            return
        self.closed = True
        if self._poll_job:
            self.root.after_cancel(self._poll_job)
            self._poll_job = ""
        self.login_dialog = self.password_dialog = None
        self._close_other_windows()
        self.window.close()
        self.connection.close()
        self.root.quit()

    def _close_other_windows(self) -> None:
        """Destroy every window but the main one: the console's dialogs, and Tk's message
        and file boxes (Tcl windows Python does not know), whose own wait then ends."""
        tk_ = self.root.tk
        pending = list(tk_.splitlist(tk_.call("winfo", "children", ".")))
        windows = []
        for _ in range(100_000):  # bounded: a walk over the widget tree
            if not pending:
                break
            path = str(pending.pop())
            if str(tk_.call("winfo", "toplevel", path)) == path:
                windows.append(path)
            else:
                pending.extend(tk_.splitlist(tk_.call("winfo", "children", path)))
        for path in windows:
            try:
                self.root.nametowidget(path).destroy()
            except KeyError:  # a Tcl-only window (tk_messageBox, tk_getOpenFile)
                tk_.call("destroy", path)
            except tk.TclError:  # destroyed with an earlier one
                pass

    def _poll(self) -> None:
        self._poll_job = ""
        if self.closed:
            return
        if self.should_quit():
            self.close()
            return
        self.connection.drain()
        if self._changed_icons:
            changed, self._changed_icons = self._changed_icons, set()
            self.monitor_view.refresh(changed)
        if self._status_dirty:
            self._refresh_status()
        self._poll_job = self.root.after(POLL_MS, self._poll)

    # ------------------------------------------------------------------ login
    def _ask_login(self, error: str = "", user: str = "") -> None:
        if self.login_dialog is not None and self.login_dialog.winfo_exists():
            self.login_dialog.show_error(error)
            return
        self.login_dialog = LoginDialog(self.root, self.catalogue, str(self.address),
                                        self._login, self.close, user=user or self.user,
                                        _utest=self._utest)
        if error:
            self.login_dialog.show_error(error)

    def _login(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.connection.login(user, password, self._logged_in, self._login_failed)

    def _login_failed(self, code: str, message: str) -> None:
        if code == "bad_request" and "'extension' is required" in message:
            # an agent account: it needs its phone's port, a console has none
            self._ask_login(self.catalogue.text("login.agent_refused"), self.user)
            return
        self._ask_login(self.catalogue.error(code, message), self.user)

    def _logged_in(self, answer: dict[str, Any]) -> None:
        if answer.get("role") not in ("operator", "admin"):
            self.connection.logout()
            self._ask_login(self.catalogue.text("login.agent_refused"), self.user)
            return
        self._close_login_dialog()
        if answer.get("must_change_password"):
            self.password_dialog = PasswordDialog(self.root, self.catalogue,
                                                  self._change_password, self.close,
                                                  old=self.password or "", _utest=self._utest)
            return
        self._session_ready()

    def _change_password(self, old: str, new: str) -> None:
        def done(_answer: dict[str, Any]) -> None:
            self.password = new
            if self.password_dialog is not None:
                self.password_dialog.destroy()
                self.password_dialog = None
            self._session_ready()

        def failed(code: str, message: str) -> None:
            if self.password_dialog is not None:
                self.password_dialog.show_error(self.catalogue.error(code, message))
        self.connection.change_password(old, new, done, failed)

    def _close_login_dialog(self) -> None:
        if self.login_dialog is not None:
            self.login_dialog.destroy()
            self.login_dialog = None

    def _session_ready(self) -> None:
        self.status.user = str(self.connection.login_info.get("user", self.user))
        self.status.connection = "connected"
        self._status_dirty = True
        self.connection.request("whoami", self._whoami, self._request_failed)
        self._ask_link_state()
        # S-2: offer data verification, or ask about a failed link (not unattended; once
        # per connection, so a reconnection asks nothing again)
        first_start.maybe_offer(self._page_context(), unattended=self.unattended,
                                _utest=self._utest)

    def _whoami(self, answer: dict[str, Any]) -> None:
        self.whoami = answer
        if answer.get("timezone"):
            self.window.set_site_zone(str(answer["timezone"]))
        modules = [str(m) for m in answer.get("modules") or ()]
        self.window.set_modules(modules)
        if not self.window.current_page or \
                self.window.current_page.partition(".")[0] not in modules:
            self.show_page("monitor" if "monitor" in modules else
                           next(iter(self.window.modules), "monitor"))

    # ------------------------------------------------------------------ events
    def _event(self, event: dict[str, Any]) -> None:
        for page in list(self.pages.values()):
            try:
                page.on_event(event)
            except Exception:  # one page's bug must not stop the monitor and the others
                log.exception("console: a page failed on %s", event.get("event"))
        self._changed_icons |= self.monitor.apply(event)
        if self.status.apply(event):
            self._status_dirty = True
        if event.get("event") in LINK_EVENTS:
            self._ask_link_state()

    def _ask_link_state(self) -> None:
        if self._link_state_pending:
            return
        self._link_state_pending = True

        def done(answer: dict[str, Any]) -> None:
            self._link_state_pending = False
            self.status.apply_link_state(answer)
            self._status_dirty = True

        def failed(code: str, message: str) -> None:
            # unknown_action (an older service) or forbidden (an operator without 系统设置):
            # the status bar then shows what the events say, without the port.
            self._link_state_pending = False
            if code not in ("unknown_action", "forbidden", "unavailable"):
                log.info("console: link_state failed: %s %s", code, message)
        self.connection.request("link_state", done, failed)

    def _lost(self, reason: str) -> None:
        self.status.connection = "lost"
        self._status_dirty = True

    def _restored(self) -> None:
        self._session_ready()

    def _request_failed(self, code: str, message: str) -> None:
        self.report_error(self.catalogue.error(code, message))

    def _refresh_status(self) -> None:
        self._status_dirty = False
        self.window.set_status(self.status.texts(self.catalogue))

    # ------------------------------------------------------------------ pages and menus
    def show_page(self, page: str) -> None:
        """Show a module's page, building it the first time (one not built yet says so)."""
        if not self.window.has_page(page):
            factory = self._factories.get(page)
            if factory is None:
                self.window.add_page(page, self._placeholder(page))
            else:
                built = factory(self._page_context())
                self.pages[page] = built
                self.window.add_page(page, built.frame)
        self.window.show_page(page)
        if page in self.pages:
            self.pages[page].shown()

    def _page_context(self) -> PageContext:
        return PageContext(self.window.pages, self.root, self.connection, self.catalogue,
                           self.report_error, self._confirm_now, self.whoami)

    def _confirm_now(self, title: str, text: str) -> bool:
        """``confirm`` as it is when asked (tests replace it after the pages were built)."""
        return self.confirm(title, text)

    def _placeholder(self, page: str) -> ttk.Frame:
        frame = ttk.Frame(self.window.pages, padding=40)
        key = f"parameters.{page.partition('.')[2]}" if page.startswith("parameters.") \
            else f"module.{page}"
        label = ttk.Label(frame)
        label.grid(sticky="nw")
        self._placeholders[page] = (label, key)
        self._label_placeholder(page)
        return frame

    def _label_placeholder(self, page: str) -> None:
        label, key = self._placeholders[page]
        label.configure(text=self.catalogue.text("page.not_built",
                                                 module=self.catalogue.text(key)))

    def set_language(self, language: str) -> None:
        """The 帮助 menu's language choice: switch, and remember it for the next start."""
        self.catalogue.set_language(language)
        preferences.save_language(self.catalogue.language)

    def _relabel(self) -> None:
        self.window.relabel()
        self.monitor_view.relabel()
        for page in self._placeholders:
            self._label_placeholder(page)
        for built in self.pages.values():
            built.relabel()
        self._refresh_status()

    def about(self) -> None:
        hello = self.connection.hello
        messagebox.showinfo(self.catalogue.text("help.about"), self.catalogue.text(
            "help.about_text", server=hello.get("server", "—"),
            protocol=self.whoami.get("protocol", "—"),
            data_dir=self.whoami.get("data_dir", "—")), parent=self.root)

    def report_error(self, text: str) -> None:
        """Tell the person what failed (never a traceback)."""
        messagebox.showerror(self.catalogue.text("error.title"), text, parent=self.root)

    def _ask_yes_no(self, title: str, text: str) -> bool:
        return bool(messagebox.askyesno(title, text, icon="warning", parent=self.root))


def run_console(root: tk.Tk, address: ServiceAddress, *, embedded: bool, user: str = "",
                password: str | None = None,
                should_quit: Callable[[], bool] = lambda: False) -> int:
    """Run the console on ``root`` until its window is closed; 0."""
    root.geometry("1024x720")
    app = ConsoleApp(root, address, embedded=embedded, user=user, password=password,
                     should_quit=should_quit)
    app.start()
    try:
        if not app.closed:  # closed already (a stop asked while starting): quit() was
            root.mainloop()  # called before the loop, which would not see it
    finally:
        app.close()
        root.destroy()
        # Free the Tk objects here, in the Tk thread: a garbage collection in another
        # thread (the service's, still running) must never be the one to free them, or
        # Tcl aborts the process.
        del app, root
        gc.collect()
    return 0
