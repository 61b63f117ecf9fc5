"""The main window's 来电记录区 actions (C-5): reading the log's pages in a worker, the search,
the pages, and the right-click menu's 回叫, 保存到 … 电话 and 清除记录区.

A mixin of ``CrmWindowApp`` (gui/app.py): it uses the app's store, worker, presenter and
views, declared below.
"""

from __future__ import annotations

import dataclasses
import tkinter as tk
from collections.abc import Callable
from datetime import tzinfo

from callcenter.crm_client.gui.call_log_view import CallLogView
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.info_area import InfoArea
from callcenter.crm_client.gui.presenters_log import CallLogPresenter, LogPage, LogQuery, fetch
from callcenter.crm_client.gui.status_bar import StatusBar
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.store import CrmStore, PhonebookEntry


class CallLogActions:
    """What the call-record area's widgets do (see the module docstring)."""

    root: tk.Tk
    catalogue: Catalogue
    ctx: DialogContext
    runner: TaskRunner
    store: CrmStore | None
    tz: tzinfo
    log_presenter: CallLogPresenter
    call_log: CallLogView
    info: InfoArea
    status_bar: StatusBar
    confirm: Callable[[str, str], bool]
    _log_dirty: bool
    _log_loading: bool

    def dial_number(self, number: str) -> None:
        raise NotImplementedError  # CrmWindowApp's

    def allowed(self, area: str) -> bool:
        raise NotImplementedError  # CrmWindowApp's (permissions.py)

    def may(self, area: str) -> bool:
        raise NotImplementedError  # CrmWindowApp's (permissions.py)

    def refresh_log(self) -> None:
        self._load_log(self.log_presenter.query())

    def _load_log(self, query: LogQuery) -> None:
        store = self.store
        if store is None or not self.may("call_log"):
            self._log_dirty = False
            return
        self._log_dirty = False
        self._log_loading = True
        tz = self.tz
        self.runner.submit(lambda: fetch(store, query, tz), self._log_loaded,
                           self._log_failed)

    def _log_loaded(self, page: LogPage) -> None:
        self._log_loading = False
        if self.log_presenter.apply(page):
            self.call_log.show()

    def _log_failed(self, exc: BaseException) -> None:
        self._log_loading = False
        self.status_bar.show_notice(self.ctx.error_text(exc))

    def search_log(self, text: str) -> None:
        self._load_log(self.log_presenter.set_search(text))

    def log_page(self, step: int) -> None:
        query = self.log_presenter.go(self.log_presenter.page + step)
        if query is not None:
            self._load_log(query)

    def call_back_entry(self, index: int) -> None:
        if not self.allowed("call_log"):
            return
        entries = self.log_presenter.entries
        if 0 <= index < len(entries):
            self.dial_number(entries[index].number)

    def save_entry_to_book(self, index: int, book: str) -> None:
        entries = self.log_presenter.entries
        if not 0 <= index < len(entries) or self.store is None or not self.allowed(
                "call_log") or not self.allowed("phonebooks"):
            return
        entry = entries[index]
        store = self.store
        book_name = self.catalogue.text(f"book.{book}")
        note = self.catalogue.text(f"log.save_{book}")

        def save() -> None:
            store.save_phonebook_entry(PhonebookEntry(book=book, name=entry.name,
                                                      number=entry.number))
            if not entry.description:  # the manual's 描述: what was done with the call
                store.log_call(dataclasses.replace(entry, description=note))

        def saved(_result: object) -> None:
            self.status_bar.show_notice(self.catalogue.text("log.saved", book=book_name))
            self._log_dirty = True
            if self.info.phonebook.book == book:
                self.info.phonebook.reload()

        self.runner.submit(save, saved)

    def clear_log(self) -> None:
        store = self.store
        if store is None or not self.allowed("clear_calls") or not self.confirm(
                self.catalogue.text("log.clear"), self.catalogue.text("log.clear_question")):
            return

        def cleared(count: int) -> None:
            self.status_bar.show_notice(self.catalogue.text("log.cleared", count=count))
            self.refresh_log()

        self.runner.submit(store.clear_calls, cleared)
