"""The local users' permissions in the main window (C-2 权限设置, password protection on).

With the client's own password protection on, the local user who logged in may use only the
areas of ``settings.AREAS`` the admin gave it.  What it may not use is greyed out -- the menu
items, the buttons, the record area's menu entries -- and refused with a status-bar message if
reached another way (a key, a double-click): ``allowed(area)``.  ``may(area)`` asks without
saying anything (the dialogs ask it through ``DialogContext.may``: 客户资料's 导入/导出).

Which widgets belong to which area:

- ``customers``: the menu bar's 客户资料; ``messages``: 内部短信; ``settings``: 系统设置;
- ``call_control``: 通话 and 挂机 of the 通话区, every button of the 功能操作区, 接听 (pop window
  and 弹屏区), the pop's 呼叫 and the missed calls' 回拨;
- ``call_log``: the record area's rows (not read), search, pages and its menu's 回叫 / 保存到;
  ``clear_calls``: 清除记录区 (button and menu);
- ``phonebooks``: the phone book's 呼叫 / 新建 / 修改 / 删除, and the record area's 保存到 … 电话;
- ``import_export``: 客户资料's 导入 and 导出 (gui/customers.py).

Without protection (or in an unattended start) ``local_user`` is None: everything is allowed.

A mixin of ``CrmWindowApp`` (gui/app.py), which owns the widgets named above.
"""

from __future__ import annotations

from collections.abc import Iterable
from tkinter import ttk
from typing import Any

from callcenter.crm_client.gui.call_log_view import CallLogView
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.dial_pad import DialPadView
from callcenter.crm_client.gui.function_area import FunctionArea
from callcenter.crm_client.gui.info_area import InfoArea
from callcenter.crm_client.gui.main_window import MainWindow
from callcenter.crm_client.gui.pop_window import PopArea, PopWindow
from callcenter.crm_client.gui.status_bar import StatusBar
from callcenter.crm_client.gui.strings import Catalogue


def set_enabled(widgets: Iterable[Any], on: bool) -> None:
    """Grey out (or back) ttk and classic Tk widgets alike."""
    for widget in widgets:
        if isinstance(widget, ttk.Widget):
            widget.state(["!disabled"] if on else ["disabled"])
        else:
            widget.configure(state="normal" if on else "disabled")


class PermissionActions:
    """The local user's areas in the main window (see the module docstring)."""

    local_user: Any
    catalogue: Catalogue
    ctx: DialogContext
    status_bar: StatusBar
    window: MainWindow
    dial_pad: DialPadView
    function_area: FunctionArea
    call_log: CallLogView
    info: InfoArea
    pop_area: PopArea
    kept_pops: list[PopWindow]
    _pop_window: PopWindow | None

    def may(self, area: str) -> bool:
        """Whether the local user may use ``area`` (everything without protection)."""
        user = self.local_user
        return user is None or bool(user.may(area))

    def allowed(self, area: str) -> bool:
        """``may(area)``; a refusal is said in the status bar."""
        if self.may(area):
            return True
        user = self.local_user
        self.status_bar.show_notice(self.catalogue.text(
            "local.not_allowed", user=user.name, area=self.catalogue.text(f"area.{area}")))
        return False

    def apply_permissions(self) -> None:
        """Grey out what the local user may not use (after a local login)."""
        may = self.may
        if self.local_user is not None:  # the dialogs name the user in a refusal
            self.ctx.extra["local_user"] = self.local_user.name
        self.window.set_allowed({area: may(area) for area in ("customers", "messages",
                                                               "settings")})
        control = may("call_control")
        area = self.function_area
        set_enabled((self.dial_pad.call_button, self.dial_pad.hangup_button,
                     self.info.missed.call_back, *area.buttons.values(),
                     *area.park.values(), area.forward_button, area.dnd_button), control)
        self.pop_area.may_answer = control
        for window in (self._pop_window, *self.kept_pops):
            if window is not None:
                self.allow_pop(window)
        log = self.call_log
        log.allow(read=may("call_log"), clear=may("clear_calls"),
                  save=may("call_log") and may("phonebooks"))
        book = self.info.phonebook
        set_enabled((book.call_button, book.new_button, book.edit_button, book.delete_button),
                    may("phonebooks"))

    def allow_pop(self, window: PopWindow) -> None:
        """A pop window's 接听 and 呼叫 as the local user may use them."""
        control = self.may("call_control")
        window.may_answer = control
        set_enabled((window.call_button,), control)
        if not control:
            window.set_ringing(False)
