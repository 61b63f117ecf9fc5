"""The CRM window program: ``CrmWindowApp`` composes the main window on the use cases.

Theory of operation
-------------------
``CrmWindowApp`` owns the Tk root's main window and its areas, the worker pool
(``TaskRunner``: everything that may take more than a moment -- the store, the hub -- runs
there), the local store (``CrmStore``, opened in a worker at start) and the use cases
(``CrmApp``, which owns the hub link and the phone-state ``Desk``).  ``CrmApp`` reports what
happened (``AppUpdate``: pop, desk, calls, message, status) on the link's thread; the app
only queues them (``TaskRunner.post``) and an ``after()`` loop every ``POLL_MS`` runs them
on the Tk thread, where the views are updated.  A pop is shown the moment its update is
drained; desk changes repaint only the icons and buttons they name; call-log changes ask for
the page again once per burst.

The start: with ``--server``, ``--extension`` and ``--user`` (unattended) nothing is asked:
the store opens and the link connects with the password from the environment, and the
client's own password protection is off for this run.  Otherwise: on the first run (no
server or extension in the settings) the settings dialog opens, then 登录 → 连接服务器 asks the
hub password (later starts ask it at once); with the client's password protection on, a
local user is asked first (login_actions.py), and what that user may not use is greyed out
(permissions.py).  What the call-record and information areas' widgets do is in
log_actions.py and info_actions.py, which pop window a ring goes to in pop_actions.py (mixins of
this class).  In network mode the outbox (writes kept on this PC while the shared folder is
away) is replayed every ~30 s and counted in the status bar (outbox_sync.py).

Errors are words (``DialogContext.error_text``): a call-control failure in the 通话区's line
and the status bar (``needs_offhook`` → 请先摘机), never a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import signal
import sys
import threading
import tkinter as tk
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path
from tkinter import messagebox
from typing import Any

from callcenter.common.tkfonts import apply_cjk_font
from callcenter.crm_client.app.crm_app import AppUpdate, CrmApp, LinkFactory
from callcenter.crm_client.desk import DeskChange
from callcenter.crm_client.gui.call_log_view import CallLogView
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.dial_pad import DialPadView
from callcenter.crm_client.gui.function_area import FunctionArea
from callcenter.crm_client.gui.info_actions import InfoActions
from callcenter.crm_client.gui.info_area import InfoArea, InfoCallbacks
from callcenter.crm_client.gui.log_actions import CallLogActions
from callcenter.crm_client.gui.login_actions import LoginActions
from callcenter.crm_client.gui.login_dialog import (
    HubLoginDialog,
    LocalLoginDialog,
)
from callcenter.crm_client.gui.main_window import MainWindow, MenuActions
from callcenter.crm_client.gui.options import GuiOptions, merged_settings
from callcenter.crm_client.gui.outbox_sync import REPLAY_MS, OutboxSync
from callcenter.crm_client.gui.permissions import PermissionActions
from callcenter.crm_client.gui.pop_actions import PopActions
from callcenter.crm_client.gui.pop_window import PopArea, PopWindow
from callcenter.crm_client.gui.presenters import (
    FunctionState,
    StatusInfo,
    status_texts,
    window_title,
)
from callcenter.crm_client.gui.presenters_log import (
    CallLogPresenter,
    call_back_number,
)
from callcenter.crm_client.gui.presenters_monitor import Icon, LineState, MonitorPresenter
from callcenter.crm_client.gui.status_bar import StatusBar
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.link import LinkStatus
from callcenter.crm_client.settings import CrmSettings, load_settings, save_settings
from callcenter.crm_client.store import CrmStore, PhonebookEntry, ShareUnavailable

log = logging.getLogger(__name__)

POLL_MS = 30
#: Icons shown when the agent has not chosen any yet (the first ports of the snapshot).
DEFAULT_ICONS = 15
JOURNAL_FILE = "open-calls.json"


class CrmWindowApp(PermissionActions, LoginActions, CallLogActions, InfoActions, PopActions):
    """The CRM window on one data folder (see the module docstring)."""

    def __init__(self, root: tk.Tk, options: GuiOptions, *,
                 catalogue: Catalogue | None = None,
                 link_factory: LinkFactory | None = None,
                 should_quit: Callable[[], bool] = lambda: False,
                 confirm: Callable[[str, str], bool] | None = None) -> None:
        self.root = root
        self.options = options
        self.unattended = options.unattended
        self.password = options.password if options.password is not None else ""
        self.settings = merged_settings(load_settings(options.data_dir), options)
        self.catalogue = catalogue or Catalogue(options.language or self.settings.language)
        self.tz: tzinfo = datetime.now().astimezone().tzinfo or UTC
        self.link_factory = link_factory
        self.should_quit = should_quit
        self.confirm = confirm or self._ask_yes_no
        self.closed = False
        self.store: CrmStore | None = None
        self.crm: CrmApp | None = None
        self.status = LinkStatus("closed")
        self.last_pop: Any = None
        self.login_dialog: HubLoginDialog | None = None
        self.local_dialog: LocalLoginDialog | None = None
        self.local_user: Any = None
        self._poll_job = ""
        self.outbox_ms = REPLAY_MS  # how often the outbox is replayed (tests shorten it)
        self.outbox: OutboxSync | None = None
        self._outbox_pending = 0
        self._log_dirty = self._log_loading = self._default_icons = False
        self._phone_rows: list[PhonebookEntry] = []
        self._missed_rows: list[Any] = []
        self.runner = TaskRunner(3, on_error=self.show_exception)
        self.ctx = DialogContext(self.catalogue, self.runner, data_dir=options.data_dir,
                                 settings=self.settings, settings_saved=self._settings_saved,
                                 dial=self.dial_number, root=root, permission=self.may,
                                 writes_kept=self._writes_kept)
        # presenters
        self.log_presenter = CallLogPresenter(self.catalogue, self.tz)
        self.monitor = MonitorPresenter(self.catalogue)
        self.functions = FunctionState()
        # views
        self.window = MainWindow(root, self.catalogue, MenuActions(
            settings=self.open_settings, quit=self.close, connect=self.ask_login,
            disconnect=self.disconnect, messages=self.open_messages,
            customers=self.open_customers, language=self.set_language, about=self.about))
        self.call_log = CallLogView(self.window.log_frame, self.log_presenter,
                                    on_search=self.search_log, on_page=self.log_page,
                                    on_call_back=self.call_back_entry,
                                    on_save=self.save_entry_to_book, on_clear=self.clear_log)
        self.call_log.grid(row=0, column=0, sticky="nsew")
        self.pop_area = PopArea(self.window.pop_frame, self.ctx, on_show=self.show_pop,
                                on_answer=partial(self.call_action, "answer", {}))
        self.pop_area.grid(row=0, column=0, sticky="nsew")
        self.dial_pad = DialPadView(self.window.dial_frame, self.catalogue,
                                    on_dial=self.dial, on_hangup=self.hang_up)
        self.dial_pad.grid(row=0, column=0, sticky="nsew")
        self.dial_pad.take_keys_from(root)
        self.info = InfoArea(self.window.info_frame, self.catalogue, self.monitor,
                             InfoCallbacks(
                                 icon_double=self.icon_double, icon_new=self.new_icon,
                                 icon_properties=self.icon_properties,
                                 icon_delete=self.delete_icon, icon_moved=self.icon_moved,
                                 book_show=self.show_book, book_call=self.call_book_entry,
                                 book_new=self.new_book_entry, book_edit=self.edit_book_entry,
                                 book_delete=self.delete_book_entry,
                                 missed_call_back=self.call_back_missed,
                                 missed_find=self.find_missed, missed_save=self.save_missed,
                                 missed_refresh=self.refresh_missed))
        self.info.grid(row=0, column=0, sticky="nsew")
        self.function_area = FunctionArea(self.window.function_frame, self.catalogue,
                                          self.functions, on_action=self.call_action,
                                          on_transfer_pick=self._transfer_pick,
                                          has_call=self._has_call,
                                          on_page_ask=self.ask_page)
        self.function_area.grid(row=0, column=0, sticky="nsew")
        self.status_bar = StatusBar(self.window.status_frame)
        self.status_bar.grid(row=0, column=0, sticky="ew")
        self._pop_window: PopWindow | None = None  # made once the window is drawn
        self.kept_pops: list[PopWindow] = []  # pops kept open with unsaved edits
        self.catalogue.add_listener(self._relabel)
        root.protocol("WM_DELETE_WINDOW", self.close)
        self._show_status()

    # ------------------------------------------------------------------ start and stop
    def start(self) -> None:
        """Open the store (in a worker) and go on from there; start the loop."""
        self._poll()
        data_dir = self.options.data_dir
        settings = self.settings
        shared_saved = self.options.shared is not None

        def open_store() -> CrmStore:
            data_dir.mkdir(parents=True, exist_ok=True)
            if shared_saved:  # --shared is remembered for the next starts (contract)
                saved = load_settings(data_dir)
                if saved.shared_folder != settings.shared_folder:
                    save_settings(data_dir, dataclasses.replace(
                        saved, shared_folder=settings.shared_folder))
            shared = Path(settings.shared_folder) if settings.shared_folder else None
            return CrmStore.open(data_dir, shared=shared)

        self.runner.submit(open_store, self._store_ready, self._store_failed)

    def _store_ready(self, store: CrmStore) -> None:
        if self.closed:
            store.close()
            return
        self.store = store
        self.ctx.store = store
        self._make_app()
        self.outbox = OutboxSync(self.root, self.runner, store, self._outbox_counted,
                                 interval_ms=self.outbox_ms)
        self.outbox.start()
        if not self.settings.password_protection:  # else after the local login, if it may
            self.refresh_log()
        self.root.after_idle(lambda: self.pop_window)  # ready before the first ring
        self.load_icons()
        self.info.phonebook.reload()
        self.refresh_missed()
        if self.unattended:
            self.connect(self.password)
        elif self.settings.password_protection:
            self._ask_local_user()
        else:
            self._after_local_login()

    def _store_failed(self, exc: BaseException) -> None:
        text = self.ctx.error_text(exc)
        self.status_bar.show_notice(text, ms=600_000)
        if not self.unattended:
            self.ctx.show_error(text)

    def _after_local_login(self) -> None:
        self.apply_permissions()
        if self.local_user is not None:
            self._log_dirty = True  # read now, as the local user may
        if not self.settings.configured:
            self.open_settings(first_run=True)
        else:
            self.ask_login()

    def _make_app(self) -> CrmApp:
        """The use cases on the current settings (a new one when they changed)."""
        assert self.store is not None
        old = self.crm
        if old is not None and old.settings == self.settings:
            return old
        if old is not None:
            old.remove_listener(self._from_link)
            self.runner.submit(old.close)
        factory = {} if self.link_factory is None else {"link_factory": self.link_factory}
        crm = CrmApp(self.store, self.settings, listener=self._from_link,
                     journal=self.options.data_dir / JOURNAL_FILE, **factory)
        self.crm = crm
        self.ctx.app = crm
        return crm

    def close(self) -> None:
        """End everything and leave the main loop (idempotent)."""
        if self.closed:
            return
        self.closed = True
        if self._poll_job:
            self.root.after_cancel(self._poll_job)
            self._poll_job = ""
        self.function_area.stop()
        self.status_bar.stop()
        if self.outbox is not None:
            self.outbox.stop()
        self.runner.close()
        crm, store = self.crm, self.store
        if crm is not None:
            crm.remove_listener(self._from_link)
            crm.close()
        if store is not None:
            store.close()
        self.root.quit()

    def _poll(self) -> None:
        self._poll_job = ""
        if self.closed:
            return
        if self.should_quit():
            self.close()
            return
        self.runner.drain()
        if self._log_dirty and not self._log_loading:
            self.refresh_log()
        self._poll_job = self.root.after(POLL_MS, self._poll)

    # ------------------------------------------------------------------ the link
    def _from_link(self, update: AppUpdate) -> None:
        """On the link's thread: queue the update for the Tk loop."""
        self.runner.post(partial(self._update, update))

    def _update(self, update: AppUpdate) -> None:
        if self.closed:
            return
        if update.kind == "pop" and update.pop is not None:
            self._pop(update.pop)
        elif update.kind == "desk":
            self._desk_changed(update.changes)
        elif update.kind == "calls":
            self._log_dirty = True
        elif update.kind == "outbox" and self.outbox is not None:
            self.outbox.nudge()
        elif update.kind == "status" and update.status is not None:
            self._link_status(update.status)
        elif update.kind == "message" and update.message is not None:
            from callcenter.crm_client.gui import messages  # noqa: PLC0415 - when first used

            messages.notify_message(self.root, self.ctx, update.message)

    def _link_status(self, status: LinkStatus) -> None:
        was_online = self.status.online
        self.status = status
        self._show_status()
        dialog = self.login_dialog
        if status.online:
            if dialog is not None and dialog.alive():
                dialog.destroy()
            self.login_dialog = None
            if not was_online:
                self.refresh_missed()
                self._log_dirty = True
        elif status.state == "failed" and dialog is not None and dialog.alive():
            dialog.show_error(self._status_detail(status))

    # ------------------------------------------------------------------ the desk
    def _desk_changed(self, changes: tuple[DeskChange, ...]) -> None:
        crm = self.crm
        if crm is None:
            return
        desk = crm.desk
        kinds = {change.kind for change in changes}
        if "all" in kinds:
            extensions = dict(desk.extensions)
            self.monitor.set_all_lines({
                port: LineState(view.number, view.name, view.state, view.peer)
                for port, view in extensions.items()})
            if self._default_icons or not self.monitor.icons:
                self._default_icons = True
                self.monitor.set_icons([Icon(port) for port in sorted(extensions)
                                        [:DEFAULT_ICONS]])
            for slot, parked in dict(desk.park_slots).items():
                self.functions.set_park(slot, parked.occupied)
            self._my_line_changed()
            self._ringing_changed()
        for change in changes:
            if change.kind == "extension":
                view = desk.extensions.get(change.key)
                if view is not None:
                    self.monitor.set_line(change.key, LineState(view.number, view.name,
                                                                view.state, view.peer))
                if change.key == desk.my_port:
                    self._my_line_changed()
            elif change.kind == "park_slot":
                slot = int(change.key)
                view_slot = desk.park_slots.get(slot)
                if view_slot is not None:
                    self.functions.set_park(slot, view_slot.occupied)
            elif change.kind == "my_call":
                self._my_line_changed()
                self._ringing_changed()
                if desk.my_call is None:  # a call ended: the hub's missed calls may have grown
                    self.refresh_missed()
        self.info.monitor.redraw(self.monitor.take_changed())
        self.function_area.refresh()
        if kinds & {"all", "link", "connection", "my_call", "extension"}:
            self._show_status()

    def _my_line_changed(self) -> None:
        crm = self.crm
        if crm is None:
            return
        mine = crm.desk.my_extension
        call = crm.desk.my_call
        live = f"{crm.desk.my_port}/{call.call_id}/" if call is not None else ""
        state = call.state if call is not None else ""
        presenter = self.log_presenter
        if (live, state) != (presenter.live_prefix, presenter.live_state):
            presenter.live_prefix, presenter.live_state = live, state
            self.call_log.show()
        self.functions.holding = bool(mine is not None and mine.state == "held") or bool(
            call is not None and call.state == "held")
        if mine is not None:
            self.functions.forward_on = bool(mine.forward)
            self.functions.forward_number = mine.forward
            self.functions.dnd_on = mine.dnd

    def _has_call(self) -> bool:
        return self.crm is not None and self.crm.desk.my_call is not None

    # ------------------------------------------------------------------ call control
    def call_action(self, action: str, params: dict[str, Any]) -> None:
        """A hub call-control action, in a worker; a failure in words in the dial area."""
        if not self.allowed("call_control"):
            return
        crm = self.crm
        if crm is None:
            self._action_failed(action, None)
            return
        method = getattr(crm, action)
        self.runner.submit(lambda: method(**params), None,
                           partial(self._action_failed, action))

    def _action_failed(self, action: str, exc: BaseException | None) -> None:
        text = (self.catalogue.text("error.not_connected") if exc is None
                else self.ctx.error_text(exc))
        self.dial_pad.say(text, error=True)
        self.status_bar.show_notice(text)

    def dial(self, number: str) -> None:
        self.call_action("dial", {"number": number})

    def hang_up(self) -> None:
        self.call_action("hangup", {})

    def dial_number(self, number: str) -> None:
        """Call ``number`` as a customer record or a list holds it (an outside number gets
        this PC's 外线字冠, ``settings.outside_prefix``; an extension number of the snapshot
        none): into the entry, then dial (the forms' 呼叫, 回叫, 回拨)."""
        try:
            dial = call_back_number(number, self._internal_numbers(),
                                    self.settings.outside_prefix)
        except ValueError as exc:
            self.dial_pad.say(self.catalogue.text(str(exc)), error=True)
            return
        self.dial_pad.set_number(dial)
        self.dial_pad.dial()

    def _internal_numbers(self) -> list[str]:
        crm = self.crm
        if crm is None:
            return []
        return [view.number for view in dict(crm.desk.extensions).values()]

    def ask_page(self) -> None:
        """传呼: ask the target (empty: every extension), then page."""
        if not self.allowed("call_control"):
            return
        from callcenter.crm_client.gui.page_dialog import PageDialog  # noqa: PLC0415

        dialog = self.ctx.extra.get("page_dialog")
        if dialog is not None and dialog.alive():
            dialog.lift()
            return
        self.ctx.extra["page_dialog"] = PageDialog(
            self.root, self.ctx, ports_by_number=self._ports_by_number,
            on_page=lambda target: self.call_action("page", {"target": target}))

    def _ports_by_number(self) -> dict[str, str]:
        crm = self.crm
        if crm is None:
            return {}
        return {view.number: port for port, view in dict(crm.desk.extensions).items()
                if view.number}

    def _transfer_pick(self, on: bool) -> None:
        if on:
            self.status_bar.show_notice(self.catalogue.text("fn.transfer_pick"))

    def icon_double(self, port: str) -> None:
        """A double-click on a monitor icon: 转接 to it when armed, else call it."""
        if self.functions.picking_transfer:
            self.functions.picking_transfer = False
            self.function_area.refresh()
            self.call_action("transfer", {"target": port})
            return
        number = self.monitor.number_of(port)
        if number:
            self.dial_pad.set_number(number)
            self.dial_pad.dial()

    # ------------------------------------------------------------------ menus and dialogs
    def open_settings(self, first_run: bool = False) -> None:
        if not first_run and not self.allowed("settings"):
            return
        from callcenter.crm_client.gui import settings_dialog  # noqa: PLC0415 - when first used

        settings_dialog.open_settings(self.root, self.ctx, first_run)

    def _settings_saved(self, settings: Any) -> None:
        if not isinstance(settings, CrmSettings):
            return
        old, self.settings = self.settings, settings
        self.ctx.settings = settings
        self.pop_window.on_top = settings.pop_on_top
        self.pop_window.detail_first = settings.show_detail_on_pop
        if settings.language != self.catalogue.language:
            self.catalogue.set_language(settings.language)
        link_fields = ("server_host", "server_port", "tls", "trust", "extension", "device",
                       "user")
        changed = any(getattr(old, name) != getattr(settings, name) for name in link_fields)
        self._show_status()
        if self.store is not None and (changed or not self.status.online) \
                and settings.configured:
            self.ask_login()

    def open_messages(self) -> None:
        if not self.allowed("messages"):
            return
        from callcenter.crm_client.gui import messages  # noqa: PLC0415 - when first used

        messages.open_messages(self.root, self.ctx)

    def open_customers(self) -> None:
        if not self.allowed("customers"):
            return
        if self.store is not None:
            # the dialogs (and openpyxl behind 客户资料's import/export) are imported when
            # first opened: the window is usable sooner (issue 9: start ≤ 1 s)
            from callcenter.crm_client.gui import customers  # noqa: PLC0415

            customers.open_customers(self.root, self.ctx)

    def set_language(self, language: str) -> None:
        """语言: relabel everything, and remember it on this PC."""
        self.catalogue.set_language(language)
        if self.settings.language != language:
            self.settings = dataclasses.replace(self.settings, language=language)
            self.ctx.settings = self.settings
            data_dir = self.options.data_dir

            def remember() -> None:
                saved = load_settings(data_dir)
                save_settings(data_dir, dataclasses.replace(saved, language=language))
            self.runner.submit(remember)

    def about(self) -> None:
        messagebox.showinfo(self.catalogue.text("menu.about"), self.catalogue.text(
            "help.about_text", server=self._server_text(),
            extension=self.settings.extension or "—", user=self.settings.user or "—",
            data_dir=str(self.options.data_dir)), parent=self.root)

    # ------------------------------------------------------------------ texts
    def _relabel(self) -> None:
        self.window.relabel()
        self.call_log.relabel()
        self.pop_area.relabel()
        self.dial_pad.relabel()
        self.info.relabel()
        self.function_area.relabel()
        self._show_status()

    def _server_text(self) -> str:
        host = self.settings.server_host
        if not host:
            return "—"
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{self.settings.server_port}"

    def _status_detail(self, status: LinkStatus) -> str:
        if status.state == "failed":
            return self.catalogue.error(status.code or "failed", status.message)
        if status.state == "password_change":
            return self.catalogue.text("error.password_change_required")
        if status.state == "retrying":
            return status.message
        return ""

    def _show_status(self) -> None:
        status = self.status
        link = {"online": "up", "connecting": "connecting", "retrying": "down",
                "failed": "down", "password_change": "down"}.get(status.state, "off")
        crm = self.crm
        phone = ""
        pbx_up = True
        if crm is not None:
            mine = crm.desk.my_extension
            phone = mine.state if mine is not None and status.online else ""
            pbx_up = crm.desk.pbx_link != "down"
        info = StatusInfo(link=link, server=self._server_text(),
                          extension=self.settings.extension, user=self.settings.user,
                          phone_state=phone, pbx_up=pbx_up,
                          detail=self._status_detail(status))
        self.status_bar.set_texts(status_texts(self.catalogue, info))
        self._show_outbox()
        self.window.set_title(window_title(self.catalogue, self.settings.extension,
                                           self.settings.user))

    # ------------------------------------------------------------------ errors
    def show_exception(self, exc: BaseException) -> None:
        """A worker's failure nobody else handles: in words, in the status bar."""
        self.status_bar.show_notice(self.ctx.error_text(exc))
        if isinstance(exc, ShareUnavailable) and self.outbox is not None:
            self.outbox.nudge()  # a write may have been kept: count it now

    def _writes_kept(self) -> None:
        """A dialog's write was kept in the outbox: count the waiting writes now."""
        if self.outbox is not None:
            self.outbox.nudge()

    def _outbox_counted(self, waiting: int) -> None:
        """The writes waiting for the shared folder, in the status bar; when some went out
        the call log is read again."""
        if waiting < self._outbox_pending:
            self._log_dirty = True
        self._outbox_pending = waiting
        self._show_outbox()

    def _show_outbox(self) -> None:
        waiting = self._outbox_pending
        self.status_bar.set_outbox(self.catalogue.text("status.outbox", count=waiting)
                                   if waiting > 0 else "")

    def _ask_yes_no(self, title: str, text: str) -> bool:
        return bool(messagebox.askyesno(title, text, parent=self.root))


def run(options: GuiOptions) -> int:
    """Run the window to its end; the exit status.  SIGINT and SIGTERM close it as the
    window's close button does (the link closed, the store closed), within one poll."""
    try:
        root = tk.Tk(className="callcenter-crm")
    except tk.TclError as exc:
        print(f"callcenter-crm: no display for the window ({exc})", file=sys.stderr)
        return 2
    apply_cjk_font(root)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _n, _f: stop.set())

    def report(exc: type[BaseException], value: BaseException, tb: Any) -> None:
        log.error("a window callback failed", exc_info=(exc, value, tb))
        with contextlib.suppress(Exception):
            app.status_bar.show_notice(app.catalogue.error("failed", str(value)))

    root.report_callback_exception = report
    app = CrmWindowApp(root, options, should_quit=stop.is_set)
    app.start()
    try:
        root.mainloop()
    finally:
        app.close()
        with contextlib.suppress(tk.TclError):
            root.destroy()
        gc.collect()
    return 0
