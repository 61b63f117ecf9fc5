"""电话簿 entry dialog (C-8, manual 2-8-02): a new or edited entry of one of the three phone
books (常用电话, 公司电话, 客户电话).

``open_phonebook_entry(parent, ctx, entry, on_saved=None)``: ``entry`` with id 0 is a new one
(its ``book`` and any number already filled in, e.g. from the call log's "save to"), else
the entry to edit.  保存 checks the fields (``entry_models.read_phonebook_entry``: named,
nothing saved), saves with ``CrmStore.save_phonebook_entry`` in a worker, calls
``on_saved(saved entry)`` and closes.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from callcenter.crm_client.gui import entry_models as model
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.dialog_support import DialogWindow, MessageLine
from callcenter.crm_client.store import PhonebookEntry, ShareUnavailable

_FIELDS = ("name", "number", "company", "notes")


class PhonebookEntryDialog(DialogWindow):
    """The entry's form: 电话簿 (which book), 名称, 号码, 公司, 备注; 保存 and 取消."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, entry: PhonebookEntry,
                 on_saved: Callable[[PhonebookEntry], None] | None = None) -> None:
        super().__init__(parent, ctx, "entry.title_edit" if entry.id else "entry.title_new")
        self.entry = entry
        self.on_saved = on_saved
        self.saved: PhonebookEntry | None = None
        body = ttk.Frame(self, padding=12)
        body.grid(sticky="nsew")
        self.labels: dict[str, ttk.Label] = {}
        self.book_label = ttk.Label(body)
        self.book_label.grid(row=0, column=0, sticky="w", pady=3)
        self.book = ttk.Combobox(body, state="readonly", width=16)
        self.book.grid(row=0, column=1, sticky="w", padx=(8, 0), pady=3)
        self.entries: dict[str, ttk.Entry] = {}
        for row, name in enumerate(_FIELDS, start=1):
            label = ttk.Label(body)
            label.grid(row=row, column=0, sticky="w", pady=3)
            widget = ttk.Entry(body, width=32)
            widget.grid(row=row, column=1, sticky="ew", padx=(8, 0), pady=3)
            widget.insert(0, str(getattr(entry, name)))
            self.labels[name] = label
            self.entries[name] = widget
        self.message = MessageLine(body, wraplength=340)
        self.message.grid(row=5, column=0, columnspan=2, sticky="w", pady=(6, 0))
        buttons = ttk.Frame(body)
        buttons.grid(row=6, column=0, columnspan=2, sticky="e", pady=(8, 0))
        self.button_save = ttk.Button(buttons, command=self.save, default="active")
        self.button_save.grid(row=0, column=0, padx=(0, 6))
        self.button_cancel = ttk.Button(buttons, command=self.close)
        self.button_cancel.grid(row=0, column=1)
        self.bind("<Return>", lambda _e: self.save())
        self.relabel()
        self.book.current(model.BOOKS.index(entry.book) if entry.book in model.BOOKS else 0)
        self.show()
        self.entries["name" if entry.number else "number"].focus_set()

    def relabel(self) -> None:
        text = self.catalogue.text
        self.book_label.configure(text=text("entry.book"))
        chosen = self.book.current()
        self.book.configure(values=[text(f"book.{book}") for book in model.BOOKS])
        if chosen >= 0:
            self.book.current(chosen)
        for name, label in self.labels.items():
            label.configure(text=text(f"entry.{name}"))
        self.button_save.configure(text=text("common.save"))
        self.button_cancel.configure(text=text("common.cancel"))

    def values(self) -> dict[str, str]:
        values = {name: widget.get() for name, widget in self.entries.items()}
        index = self.book.current()
        values["book"] = model.BOOKS[index] if index >= 0 else ""
        return values

    def save(self) -> None:
        if "disabled" in self.button_save.state():
            return
        result = model.read_phonebook_entry(self.values(), self.entry)
        if isinstance(result, list):
            self.message.show_error("\n".join(p.text(self.catalogue) for p in result))
            widget = self.entries.get(result[0].field)
            if widget is not None:
                widget.focus_set()
            return
        store, entry = self.ctx.store, result
        self.button_save.state(["disabled"])
        self.ctx.run_in_worker(lambda: store.save_phonebook_entry(entry), self._saved,
                               self._failed)

    def _saved(self, entry: PhonebookEntry) -> None:
        self.saved = entry
        if self.on_saved is not None:
            self.on_saved(entry)
        self.close()

    def _failed(self, exc: BaseException) -> None:
        if not self.alive():
            return
        self.button_save.state(["!disabled"])
        if isinstance(exc, ShareUnavailable):  # queued in the outbox: replayed later
            self.button_save.state(["disabled"])
            self.message.show_info(self.catalogue.text("dialog.queued"))
            self.ctx.writes_kept()
            return
        self.message.show_error(self.ctx.error_text(exc))


def open_phonebook_entry(parent: tk.Misc, ctx: DialogContext, entry: PhonebookEntry | None,
                         on_saved: Callable[[PhonebookEntry], None] | None = None
                         ) -> PhonebookEntryDialog:
    """New (``entry`` None or id 0) or edit a phone-book entry (the contract's entry point)."""
    return PhonebookEntryDialog(parent, ctx, entry or PhonebookEntry(), on_saved)
