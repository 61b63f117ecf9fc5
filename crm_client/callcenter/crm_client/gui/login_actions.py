"""The main window's login actions: the client's own password protection at start (a local
user, and a new password for one that must change it), 登录 → 连接服务器 (the hub password),
connecting and disconnecting the link -- the checks and the saving in a worker.

A mixin of ``CrmWindowApp`` (gui/app.py): it uses the app's settings, worker, use cases and
views, declared below.
"""

from __future__ import annotations

import dataclasses
import tkinter as tk
from typing import Any

from callcenter.crm_client.app.crm_app import CrmApp
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.login_dialog import (
    HubLoginDialog,
    LocalLoginDialog,
    LocalPasswordDialog,
)
from callcenter.crm_client.gui.options import GuiOptions
from callcenter.crm_client.gui.status_bar import StatusBar
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.link import LinkStatus
from callcenter.crm_client.settings import CrmSettings, load_settings, save_settings
from callcenter.crm_client.store import CrmStore


class LoginActions:
    """Logging in (see the module docstring)."""

    root: tk.Tk
    catalogue: Catalogue
    ctx: DialogContext
    runner: TaskRunner
    options: GuiOptions
    settings: CrmSettings
    store: CrmStore | None
    crm: CrmApp | None
    status: LinkStatus
    status_bar: StatusBar
    password: str
    local_user: Any
    local_dialog: LocalLoginDialog | None
    login_dialog: HubLoginDialog | None

    def close(self) -> None:
        raise NotImplementedError  # CrmWindowApp's

    def _after_local_login(self) -> None:
        raise NotImplementedError  # CrmWindowApp's

    def _make_app(self) -> CrmApp:
        raise NotImplementedError  # CrmWindowApp's

    def _show_status(self) -> None:
        raise NotImplementedError  # CrmWindowApp's

    def _server_text(self) -> str:
        raise NotImplementedError  # CrmWindowApp's

    def _ask_local_user(self) -> None:
        typed: list[str] = []

        def check(user: str, password: str) -> None:
            settings = self.settings
            typed[:] = [password]
            self.runner.submit(lambda: settings.authenticate(user, password), checked)

        def checked(user: Any) -> None:
            dialog = self.local_dialog
            if user is None:
                if dialog is not None and dialog.alive():
                    dialog.refused()
                return
            if dialog is not None and dialog.alive():
                dialog.destroy()
            self.local_dialog = None
            if user.must_change:  # the initial admin/admin: a new password first
                self._change_local_password(user, typed[0] if typed else "")
                return
            self.local_user = user
            self._after_local_login()

        self.local_dialog = LocalLoginDialog(self.root, self.catalogue, on_login=check,
                                             on_quit=self.close)

    def _change_local_password(self, user: Any, old: str) -> None:
        data_dir = self.options.data_dir

        def changed(new: str) -> None:
            settings = self.settings.with_local_user(user.name, new, must_change=False)

            def save() -> CrmSettings:
                saved = load_settings(data_dir)  # this start's flags are not written
                save_settings(data_dir, saved.with_local_user(user.name, new,
                                                              must_change=False))
                return settings

            self.runner.submit(save, done)

        def done(settings: CrmSettings) -> None:
            dialog.destroy()
            self.settings = settings
            self.ctx.settings = settings
            self.local_user = settings.local_user(user.name)
            self._after_local_login()

        dialog = LocalPasswordDialog(self.root, self.catalogue, user=user.name, old=old,
                                     on_changed=changed, on_quit=self.close)
        self.local_dialog = None

    def ask_login(self) -> None:
        """登录 → 连接服务器: the hub password (the settings name the server and port)."""
        if not self.settings.configured:
            self.ctx.show_error(self.catalogue.text("login.need_server"))
            return
        if self.login_dialog is not None and self.login_dialog.alive():
            self.login_dialog.lift()
            return
        self.login_dialog = HubLoginDialog(
            self.root, self.catalogue, server=self._server_text(),
            extension=self.settings.extension, user=self.settings.user,
            on_login=self._login)

    def _login(self, user: str, password: str) -> None:
        if user != self.settings.user:
            self.settings = dataclasses.replace(self.settings, user=user)
            self.ctx.settings = self.settings
            data_dir, settings = self.options.data_dir, self.settings
            self.runner.submit(lambda: save_settings(data_dir, settings))
        self.password = password
        self.connect(password)

    def connect(self, password: str) -> None:
        """Start the link (closing an older one) in a worker."""
        if self.store is None:
            return
        crm = self._make_app()
        self.status = LinkStatus("connecting")
        self._show_status()
        self.runner.submit(lambda: crm.connect(password), None, self._connect_failed)

    def _connect_failed(self, exc: BaseException) -> None:
        text = self.ctx.error_text(exc)
        self.status_bar.show_notice(text)
        if self.login_dialog is not None and self.login_dialog.alive():
            self.login_dialog.show_error(text)

    def disconnect(self) -> None:
        crm = self.crm
        if crm is not None:
            self.runner.submit(crm.disconnect)
