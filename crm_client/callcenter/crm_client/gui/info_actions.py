"""The main window's 信息管理区 actions (C-8): the monitor icons (loaded, 新建 / 属性 / 删除,
moved, saved as a set), the phonebooks (shown, 呼叫, 新建, 编辑, 删除) and the missed calls
(from the hub and the log: 回拨, 查找, 保存到电话簿), every store and hub call in a worker.

A mixin of ``CrmWindowApp`` (gui/app.py): it uses the app's store, use cases, worker,
presenters and views, declared below.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from callcenter.crm_client.app.crm_app import CrmApp
from callcenter.crm_client.gui.call_log_view import CallLogView
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.info_area import InfoArea
from callcenter.crm_client.gui.presenters_monitor import Icon, MonitorPresenter
from callcenter.crm_client.gui.status_bar import StatusBar
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.store import CrmStore, MonitorIcon, PhonebookEntry


class InfoActions:
    """What the information area's widgets do (see the module docstring)."""

    root: tk.Tk
    catalogue: Catalogue
    ctx: DialogContext
    runner: TaskRunner
    store: CrmStore | None
    crm: CrmApp | None
    tz: tzinfo
    monitor: MonitorPresenter
    info: InfoArea
    call_log: CallLogView
    status_bar: StatusBar
    confirm: Callable[[str, str], bool]
    _default_icons: bool
    _phone_rows: list[PhonebookEntry]
    _missed_rows: list[Any]

    def dial_number(self, number: str) -> None:
        raise NotImplementedError  # CrmWindowApp's

    def allowed(self, area: str) -> bool:
        raise NotImplementedError  # CrmWindowApp's

    def search_log(self, text: str) -> None:
        raise NotImplementedError  # CallLogActions'

    def load_icons(self) -> None:
        store = self.store
        if store is None:
            return

        def loaded(icons: list[MonitorIcon]) -> None:
            if icons:
                self._default_icons = False
                self.monitor.set_icons([Icon(i.port, i.label, i.x, i.y) for i in icons])
                self.info.monitor.redraw()
        self.runner.submit(store.monitor_icons, loaded)

    def _save_icons(self) -> None:
        store = self.store
        self._default_icons = False
        self.info.monitor.redraw(self.monitor.take_changed())
        if store is None:
            return
        icons = [MonitorIcon(i.port, i.label, i.x, i.y) for i in self.monitor.saved()]
        self.runner.submit(lambda: store.save_monitor_icons(icons))

    def new_icon(self) -> None:
        def saved(icon: MonitorIcon) -> None:
            try:
                self.monitor.add(icon.port, icon.label)
            except ValueError as exc:
                self.ctx.show_error(str(exc))
                return
            self._save_icons()
        from callcenter.crm_client.gui import monitor_icon_dialog  # noqa: PLC0415 - lazy

        monitor_icon_dialog.open_icon_properties(self.root, self.ctx, None, saved,
                                                 taken=tuple(self.monitor.icons))

    def icon_properties(self, port: str) -> None:
        icon = self.monitor.icons.get(port)
        if icon is None:
            return

        def saved(new: MonitorIcon) -> None:
            try:
                self.monitor.update(port, new.port, new.label)
            except ValueError as exc:
                self.ctx.show_error(str(exc))
                return
            self._save_icons()
        taken = tuple(p for p in self.monitor.icons if p != port)
        from callcenter.crm_client.gui import monitor_icon_dialog  # noqa: PLC0415 - lazy

        monitor_icon_dialog.open_icon_properties(
            self.root, self.ctx, MonitorIcon(icon.port, icon.label, icon.x, icon.y), saved,
            taken=taken)

    def delete_icon(self, port: str) -> None:
        if self.confirm(self.catalogue.text("info.delete_icon"),
                        self.catalogue.text("info.delete_icon_question", port=port)):
            self.monitor.remove(port)
            self._save_icons()

    def icon_moved(self, port: str, x: int, y: int) -> None:
        self._save_icons()

    # ------------------------------------------------------------------ phonebooks
    def show_book(self, book: str, search: str) -> None:
        store = self.store
        if store is None:
            return

        def shown(rows: list[PhonebookEntry]) -> None:
            if self.info.phonebook.book != book:
                return  # another book was chosen meanwhile
            self._phone_rows = rows
            self.info.phonebook.show([(e.name, e.number, e.company, e.notes) for e in rows])
        self.runner.submit(lambda: store.phonebook(book, search), shown)

    def call_book_entry(self, index: int) -> None:
        if 0 <= index < len(self._phone_rows):
            self.dial_number(self._phone_rows[index].number)

    def _open_entry(self, parent: tk.Misc, ctx: DialogContext, entry: PhonebookEntry,
                    on_saved: Callable[[PhonebookEntry], None]) -> None:
        if not self.allowed("phonebooks"):
            return
        from callcenter.crm_client.gui import phonebook  # noqa: PLC0415 - opened when used

        phonebook.open_phonebook_entry(parent, ctx, entry, on_saved)

    def new_book_entry(self, book: str) -> None:
        self._open_entry(self.root, self.ctx, PhonebookEntry(book=book),
                                       lambda _e: self.info.phonebook.reload())

    def edit_book_entry(self, index: int) -> None:
        if 0 <= index < len(self._phone_rows):
            self._open_entry(self.root, self.ctx, self._phone_rows[index],
                                           lambda _e: self.info.phonebook.reload())

    def delete_book_entry(self, index: int) -> None:
        store = self.store
        if store is None or not 0 <= index < len(self._phone_rows):
            return
        entry = self._phone_rows[index]
        question = self.catalogue.text("book.delete_question", name=entry.name,
                                       number=entry.number)
        if self.allowed("phonebooks") and self.confirm(self.catalogue.text("book.delete"),
                                                       question):
            self.runner.submit(lambda: store.delete_phonebook_entry(entry.id),
                               lambda _r: self.info.phonebook.reload())

    # ------------------------------------------------------------------ missed calls
    def refresh_missed(self) -> None:
        crm, store = self.crm, self.store
        if crm is None or store is None:
            return

        def shown(rows: list[Any]) -> None:
            self._missed_rows = rows
            self.info.missed.show([(m.number, m.name, m.time.astimezone(self.tz).strftime(
                "%Y-%m-%d %H:%M:%S")) for m in rows])

        def failed(exc: BaseException) -> None:
            self.status_bar.show_notice(self.ctx.error_text(exc))
        self.runner.submit(crm.missed_calls, shown, failed)

    def call_back_missed(self, index: int) -> None:
        if 0 <= index < len(self._missed_rows):
            self.dial_number(self._missed_rows[index].number)

    def find_missed(self, index: int) -> None:
        """查找: the call log searched for that number."""
        if 0 <= index < len(self._missed_rows):
            number = self._missed_rows[index].number
            self.call_log.search.delete(0, "end")
            self.call_log.search.insert(0, number)
            self.search_log(number)

    def save_missed(self, index: int) -> None:
        if 0 <= index < len(self._missed_rows):
            missed = self._missed_rows[index]
            self._open_entry(
                self.root, self.ctx, PhonebookEntry(book="common", name=missed.name,
                                                    number=missed.number),
                lambda _e: self.info.phonebook.reload())
