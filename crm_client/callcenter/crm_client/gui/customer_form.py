"""The customer record's form (C-4, C-6; manual 2-4 and 2-6): the 基本信息 and 详细信息 tabs
with every ``Customer`` field, used by the pop window and by the 客户资料 manager.

``CustomerForm`` is a frame: ``load(customer)`` fills it, ``save()`` checks the entries
(``customer_model.read_customer``: the problems named, nothing saved) and calls
``store.save_customer`` in a worker with the version the form was loaded with.  When another
PC saved the customer meanwhile the store raises ``VersionConflict``; the form then says so
and offers 重新载入 (show the other PC's record, this PC's edits dropped) or 覆盖 (save this
PC's entries over it; a record deleted meanwhile is saved again as a new one).
``CustomerDialog`` is the manager's edit window around a form, with the manual's buttons
呼叫, 修改 (save) and 返回.
"""

from __future__ import annotations

import dataclasses
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Final

from callcenter.crm_client.gui import customer_model as model
from callcenter.crm_client.gui import strings
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.dialog_support import DialogWindow, MessageLine
from callcenter.crm_client.phone import numbers_in
from callcenter.crm_client.store import Customer, ShareUnavailable, VersionConflict

strings.add_texts({
    "customer.call": ("呼叫", "Call"),
    "customer.save": ("保存", "Save"),
    "customer.modify": ("修改", "Save"),
    "customer.back": ("返回", "Back"),
    "customer.saving": ("正在保存…", "Saving…"),
    "customer.saved": ("客户“{name}”已保存", "Customer “{name}” saved"),
    "customer.no_number": ("没有可以呼叫的号码", "There is no number to call"),
    "customer.no_phone": ("未连接服务器：不能呼叫", "Not connected: cannot call"),
    "customer.conflict": ("另一台电脑修改了这个客户（{name}）。重新载入它的内容，还是用这里的内容"
                          "覆盖？", "Another PC changed this customer ({name}). Reload its "
                          "version, or overwrite it with yours?"),
    "customer.conflict_deleted": ("另一台电脑删除了这个客户。覆盖将把这里的内容保存为新客户。",
                                  "Another PC deleted this customer. Overwrite saves yours as "
                                  "a new customer."),
    "customer.reload": ("重新载入", "Reload"),
    "customer.overwrite": ("覆盖", "Overwrite"),
    "customer.title_new": ("新增客户", "New customer"),
    "customer.title_edit": ("客户资料 - {name}", "Customer - {name}"),
})

#: Which fields share a row on each tab (label + entry pairs, two per row at most).
LAYOUT: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "basic": (("name",), ("phones",), ("mobile", "company"), ("notes",),
              ("vip", "blacklist", "blacklist_reason")),
    "detail": (("extension", "email"), ("fax", "position"), ("kind", "customer_no"),
               ("address",), ("handler", "department")),
}


class CustomerForm(ttk.Frame):
    """The two-tab customer form (see the module docstring).

    ``on_saved(customer)`` runs after a save (the Tk thread); ``buttons`` adds the form's own
    呼叫 and 保存 row (the pop window's); ``detail_first`` opens on 详细信息."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, customer: Customer | None = None,
                 *, on_saved: Callable[[Customer], None] | None = None, buttons: bool = True,
                 detail_first: bool = False) -> None:
        super().__init__(parent, padding=6)
        self.ctx = ctx
        self.catalogue = ctx.catalogue
        self.on_saved = on_saved
        self.loaded = Customer()
        self.labels: dict[str, ttk.Label] = {}
        self.entries: dict[str, ttk.Entry] = {}
        self.flags: dict[str, tk.BooleanVar] = {}
        self.checks: dict[str, ttk.Checkbutton] = {}
        self.notebook = ttk.Notebook(self)
        self.notebook.grid(row=0, column=0, sticky="nsew")
        self.tabs: dict[str, ttk.Frame] = {}
        self.notes: tk.Text  # made on the 基本信息 tab by _row
        for tab, rows in LAYOUT.items():
            frame = ttk.Frame(self.notebook, padding=8)
            self.notebook.add(frame, text="")
            self.tabs[tab] = frame
            for row, names in enumerate(rows):
                self._row(frame, row, names)
        self.notebook.select(self.tabs["detail" if detail_first else "basic"])  # type: ignore[no-untyped-call]
        self.conflict = ttk.Frame(self)
        self.conflict_label = ttk.Label(self.conflict, wraplength=440, justify="left",
                                        foreground="#c62828")
        self.conflict_label.grid(row=0, column=0, columnspan=3, sticky="w")
        self.button_reload = ttk.Button(self.conflict, command=self.reload_theirs)
        self.button_reload.grid(row=1, column=0, sticky="w", pady=(4, 0))
        self.button_overwrite = ttk.Button(self.conflict, command=self.overwrite)
        self.button_overwrite.grid(row=1, column=1, sticky="w", padx=(6, 0), pady=(4, 0))
        self._theirs: Customer | None = None
        self._conflict_shown = False
        self.message = MessageLine(self, wraplength=460)
        self.message.grid(row=2, column=0, sticky="w", pady=(4, 0))
        self.button_bar = ttk.Frame(self)
        self.button_call = ttk.Button(self.button_bar, command=self.call)
        self.button_save = ttk.Button(self.button_bar, command=self.save)
        self.button_call.grid(row=0, column=0, padx=(0, 6))
        self.button_save.grid(row=0, column=1)
        if buttons:
            self.button_bar.grid(row=3, column=0, sticky="e", pady=(4, 0))
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self._listener = self.relabel
        self.catalogue.add_listener(self._listener)
        self.bind("<Destroy>", self._destroyed, add="+")
        self.relabel()
        self.load(customer or Customer())

    # ------------------------------------------------------------------ layout
    def _row(self, frame: ttk.Frame, row: int, names: tuple[str, ...]) -> None:
        if any(model.FIELD_BY_NAME[n].kind == "flag" for n in names):
            self._flag_row(frame, row, names)
            return
        column = 0
        wide = len(names) == 1
        for name in names:
            label = ttk.Label(frame)
            label.grid(row=row, column=column, sticky="nw", pady=3)
            self.labels[name] = label
            if model.FIELD_BY_NAME[name].kind == "long":
                self.notes = tk.Text(frame, height=4, width=40, wrap="word", undo=True)
                self.notes.grid(row=row, column=column + 1, columnspan=3, sticky="ew",
                                padx=(6, 4), pady=3)
            else:
                entry = ttk.Entry(frame, width=40 if wide else 16)
                entry.grid(row=row, column=column + 1, columnspan=3 if wide else 1,
                           sticky="ew", padx=(6, 4 if wide or column else 12), pady=3)
                self.entries[name] = entry
            column += 2
        frame.columnconfigure(1, weight=1, uniform="entries")
        frame.columnconfigure(3, weight=1, uniform="entries")

    def _flag_row(self, frame: ttk.Frame, row: int, names: tuple[str, ...]) -> None:
        """重要客户, 列入黑名单 and its 原因 on one line."""
        line = ttk.Frame(frame)
        line.grid(row=row, column=0, columnspan=4, sticky="ew", pady=(6, 3))
        for name in names:
            if model.FIELD_BY_NAME[name].kind == "flag":
                var = tk.BooleanVar(self)
                check = ttk.Checkbutton(line, variable=var)
                if name == "blacklist":
                    check.configure(command=self._blacklist_changed)
                check.pack(side="left", padx=(0, 16))
                self.flags[name] = var
                self.checks[name] = check
            else:
                label = ttk.Label(line)
                label.pack(side="left")
                entry = ttk.Entry(line, width=30)
                entry.pack(side="left", fill="x", expand=True, padx=(6, 4))
                self.labels[name] = label
                self.entries[name] = entry

    def relabel(self) -> None:
        if not self.winfo_exists():
            return
        text = self.catalogue.text
        for tab, frame in self.tabs.items():
            self.notebook.tab(frame, text=text(f"customer.tab.{tab}"))  # type: ignore[no-untyped-call]
        for name, label in self.labels.items():
            label.configure(text=text(model.FIELD_BY_NAME[name].label_key))
        for name, check in self.checks.items():
            check.configure(text=text(model.FIELD_BY_NAME[name].label_key))
        self.button_call.configure(text=text("customer.call"))
        self.button_save.configure(text=text("customer.save"))
        self.button_reload.configure(text=text("customer.reload"))
        self.button_overwrite.configure(text=text("customer.overwrite"))

    def _destroyed(self, event: tk.Event[tk.Misc]) -> None:
        if event.widget is self:
            self.catalogue.remove_listener(self._listener)

    # ------------------------------------------------------------------ values
    def load(self, customer: Customer) -> None:
        """Show ``customer`` (a new one: id 0, maybe with a number filled in)."""
        self.loaded = customer
        self._hide_conflict()
        values = model.form_values(customer)
        for name, entry in self.entries.items():
            entry.delete(0, "end")
            entry.insert(0, str(values[name]))
        self.notes.delete("1.0", "end")
        self.notes.insert("1.0", str(values["notes"]))
        for name, var in self.flags.items():
            var.set(bool(values[name]))
        self._blacklist_changed()
        self.message.clear()

    def values(self) -> dict[str, model.FormValue]:
        values: dict[str, model.FormValue] = {n: e.get() for n, e in self.entries.items()}
        values["notes"] = self.notes.get("1.0", "end-1c")
        for name, var in self.flags.items():
            values[name] = var.get()
        return values

    def set_value(self, name: str, value: model.FormValue) -> None:
        """Type into a field (the views and the tests use it)."""
        if name in self.flags:
            self.flags[name].set(bool(value))
            self._blacklist_changed()
        elif name == "notes":
            self.notes.delete("1.0", "end")
            self.notes.insert("1.0", str(value))
        else:
            self.entries[name].delete(0, "end")
            self.entries[name].insert(0, str(value))

    @property
    def changed(self) -> bool:
        return model.changed(self.values(), self.loaded)

    def _blacklist_changed(self) -> None:
        on = self.flags["blacklist"].get()
        self.entries["blacklist_reason"].state(["!disabled"] if on else ["disabled"])

    def show_field(self, name: str) -> None:
        """Bring the field's tab forward and put the cursor in it."""
        field = model.FIELD_BY_NAME.get(name)
        if field is None:
            return
        self.notebook.select(self.tabs[field.tab])  # type: ignore[no-untyped-call]
        widget: tk.Misc | None = self.entries.get(name) or self.checks.get(name)
        if name == "notes":
            widget = self.notes
        if widget is not None:
            widget.focus_set()

    # ------------------------------------------------------------------ saving
    def save(self, base: Customer | None = None) -> bool:
        """Check and save (in a worker); False when a field is wrong (shown, nothing saved)."""
        result = model.read_customer(self.values(), base or self.loaded)
        if isinstance(result, list):
            self.message.show_error("\n".join(p.text(self.catalogue) for p in result))
            self.show_field(result[0].field)
            return False
        store = self.ctx.store
        self.button_save.state(["disabled"])
        self.message.show_info(self.catalogue.text("customer.saving"))
        customer = result
        self.ctx.run_in_worker(lambda: store.save_customer(customer), self._saved,
                               self._save_failed)
        return True

    def _saved(self, customer: Customer) -> None:
        if not self.winfo_exists():
            return
        self.button_save.state(["!disabled"])
        self.load(customer)
        numbers = customer.numbers()
        name = customer.name or (numbers[0] if numbers else "")
        self.message.show_done(self.catalogue.text("customer.saved", name=name))
        if self.on_saved is not None:
            self.on_saved(customer)

    def _save_failed(self, exc: BaseException) -> None:
        if not self.winfo_exists():
            return
        self.button_save.state(["!disabled"])
        if isinstance(exc, VersionConflict):
            self._show_conflict(exc.current)
            return
        if isinstance(exc, ShareUnavailable):  # queued in the outbox: replayed later
            self.message.show_info(self.catalogue.text("dialog.queued"))
            self.ctx.writes_kept()
            return
        self.message.show_error(self.ctx.error_text(exc))

    def _show_conflict(self, theirs: Customer | None) -> None:
        self._theirs = theirs
        self._conflict_shown = True
        if theirs is None:
            self.conflict_label.configure(text=self.catalogue.text("customer.conflict_deleted"))
            self.button_reload.state(["disabled"])
        else:
            self.conflict_label.configure(text=self.catalogue.text(
                "customer.conflict", name=theirs.name))
            self.button_reload.state(["!disabled"])
        self.message.clear()
        self.conflict.grid(row=1, column=0, sticky="ew", pady=(4, 0))

    def _hide_conflict(self) -> None:
        self._conflict_shown = False
        self._theirs = None
        self.conflict.grid_remove()

    @property
    def in_conflict(self) -> bool:
        return self._conflict_shown

    def reload_theirs(self) -> None:
        """Conflict: show the other PC's record (this PC's edits are dropped)."""
        if self._theirs is not None:
            self.load(self._theirs)

    def overwrite(self) -> None:
        """Conflict: save this PC's entries over the other PC's version (or as a new customer
        when it was deleted)."""
        theirs = self._theirs
        base = (dataclasses.replace(self.loaded, id=0, version=0) if theirs is None
                else dataclasses.replace(self.loaded, version=theirs.version))
        self._hide_conflict()
        self.save(base)

    # ------------------------------------------------------------------ calling
    def number_to_call(self) -> str:
        values = self.values()
        for name in ("phones", "mobile"):
            numbers = numbers_in(str(values.get(name, "")))
            if numbers:
                return numbers[0]
        return ""

    def call(self) -> None:
        """呼叫: dial the first number through the main window's phone area."""
        number = self.number_to_call()
        if not number:
            self.message.show_error(self.catalogue.text("customer.no_number"))
            return
        if self.ctx.dial is None:
            self.message.show_error(self.catalogue.text("customer.no_phone"))
            return
        self.ctx.dial(number)


class CustomerDialog(DialogWindow):
    """The manager's edit window (manual 2-4): a ``CustomerForm`` with 呼叫, 修改 and 返回."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, customer: Customer | None = None,
                 on_saved: Callable[[Customer], None] | None = None) -> None:
        customer = customer or Customer()
        key = "customer.title_edit" if customer.id else "customer.title_new"
        super().__init__(parent, ctx, key, modal=False, name=customer.name)
        self.form = CustomerForm(self, ctx, customer, on_saved=self._saved, buttons=False)
        self.form.grid(row=0, column=0, sticky="nsew", padx=6, pady=6)
        self._on_saved = on_saved
        buttons = ttk.Frame(self, padding=(8, 0, 8, 8))
        buttons.grid(row=1, column=0, sticky="e")
        self.button_call = ttk.Button(buttons, command=self.form.call)
        self.button_modify = ttk.Button(buttons, command=self.form.save, default="active")
        self.button_back = ttk.Button(buttons, command=self.close)
        for column, button in enumerate((self.button_call, self.button_modify,
                                         self.button_back)):
            button.grid(row=0, column=column, padx=(0, 6))
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.relabel()
        self.show()
        self.form.entries["name"].focus_set()

    def relabel(self) -> None:
        text = self.catalogue.text
        self.button_call.configure(text=text("customer.call"))
        self.button_modify.configure(text=text("customer.modify"))
        self.button_back.configure(text=text("customer.back"))

    def _saved(self, customer: Customer) -> None:
        self._title_key, self._title_fields = "customer.title_edit", {"name": customer.name}
        self.title(self.catalogue.text(self._title_key, **self._title_fields))
        if self._on_saved is not None:
            self._on_saved(customer)
