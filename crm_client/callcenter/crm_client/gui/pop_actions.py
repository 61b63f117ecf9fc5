"""The pop windows (弹屏, C-6) of the main window: which window a ring's pop goes to, 接听
enabled only while the pop's call rings here, and a saved record followed by the 弹屏区.

One pop window is reused from ring to ring.  A new ring while the agent is editing the pop
(its form holds unsaved changes, for another call) does not take that window: it is kept open
as a window of its own with the edits (``PopWindow.keep``; its 关闭 destroys it) and a new
window shows the new caller.  So nothing typed is lost and nothing is asked while the phone
rings (docs/crm.md).

A mixin of ``CrmWindowApp`` (gui/app.py): it uses the app's settings, context, use cases and
弹屏区, declared below.
"""

from __future__ import annotations

import dataclasses
import tkinter as tk
from functools import partial
from typing import Any

from callcenter.crm_client.app.crm_app import CrmApp
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.pop_window import PopArea, PopWindow
from callcenter.crm_client.settings import CrmSettings


class PopActions:
    """The pop windows of the main window (see the module docstring)."""

    root: tk.Tk
    ctx: DialogContext
    settings: CrmSettings
    crm: CrmApp | None
    pop_area: PopArea
    last_pop: Any
    kept_pops: list[PopWindow]
    _pop_window: PopWindow | None
    _log_dirty: bool

    def call_action(self, action: str, params: dict[str, Any]) -> None:
        raise NotImplementedError  # CrmWindowApp's

    def allow_pop(self, window: PopWindow) -> None:
        raise NotImplementedError  # CrmWindowApp's (permissions.py)

    def _pop(self, pop: Any) -> None:
        self.last_pop = pop
        self.pop_area.show(pop)
        self.pop_area.set_ringing(True)  # a ring: until the desk says it stopped
        if self.settings.pop_on_ring:
            self._pop_window_for(pop).show(pop)

    def _pop_window_for(self, pop: Any) -> PopWindow:
        """The window to show ``pop`` in.  One the agent is editing (unsaved changes) for
        another call is kept open as it is, with its edits (``PopWindow.keep``), and a new
        window takes the new caller (docs/crm.md 弹屏)."""
        window = self._pop_window
        if window is not None and window.editing and window.pop is not None \
                and window.pop.call_id != pop.call_id:
            window.keep()
            self.kept_pops.append(window)
            self._pop_window = None
        return self.pop_window

    @property
    def pop_window(self) -> PopWindow:
        """The pop window, made at its first use or just after the start."""
        if self._pop_window is None:
            window = PopWindow(self.root, self.ctx, on_answer=partial(
                self.call_action, "answer", {}), on_top=self.settings.pop_on_top,
                detail_first=self.settings.show_detail_on_pop, on_closed=self._pop_closed)
            window.on_saved_customer = partial(self._customer_saved, window=window)
            self.allow_pop(window)
            self._pop_window = window
        return self._pop_window

    def _pop_closed(self, window: PopWindow) -> None:
        if window in self.kept_pops:
            self.kept_pops.remove(window)

    def show_pop(self) -> None:
        """显示弹屏: the last pop again."""
        if self.last_pop is not None:
            window = self._pop_window
            if window is not None and window.showing and window.pop is not None \
                    and window.pop.call_id == self.last_pop.call_id and window.form.changed:
                window.deiconify()  # it is being edited: shown as it is
                return
            self._pop_window_for(self.last_pop).show(self.last_pop)
            self._ringing_changed()

    def _ringing_changed(self) -> None:
        """接听 in the pop windows and the 弹屏区 only while their call rings here."""
        crm = self.crm
        call = crm.desk.my_call if crm is not None else None
        ringing = call.call_id if call is not None and call.state == "ringing" else None
        for window in (self._pop_window, *self.kept_pops):
            if window is not None and window.pop is not None and window.winfo_exists():
                window.set_ringing(window.pop.call_id == ringing)
        area_pop = self.pop_area.pop
        self.pop_area.set_ringing(area_pop is not None and area_pop.call_id == ringing)

    def _customer_saved(self, customer: Any, window: PopWindow | None = None) -> None:
        """A pop's form saved the caller's record: the pop it shows follows it, and so do
        the last pop (shown again by 显示弹屏) and the 弹屏区 when it is that call's."""
        def updated(pop: Any) -> Any:
            return dataclasses.replace(pop, customer=customer, record=customer,
                                       vip=customer.vip, blacklist=customer.blacklist,
                                       reason=customer.blacklist_reason)
        shown = window.pop if window is not None else None
        if window is not None and shown is not None:
            window.pop = updated(shown)
        pop = self.last_pop
        if pop is not None and (shown is None or shown.call_id == pop.call_id):
            self.last_pop = updated(pop)
            self.pop_area.show(self.last_pop)
            self._ringing_changed()
        self._log_dirty = True
