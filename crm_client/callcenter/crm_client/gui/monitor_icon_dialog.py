"""分机监控 新建/属性 (C-8, manual 2-8-01): the dialog of one extension monitor icon, its
extension port and its label.

``open_icon_properties(parent, ctx, icon, on_saved=None, taken=())``: ``icon`` None is 新建
(a new icon, placed by the caller), else 属性 of that icon.  确定 checks the port (three
digits, not one another icon shows: ``taken``) and the label
(``entry_models.read_icon``), then calls ``on_saved(new MonitorIcon)`` and closes.  The
dialog writes nothing itself: the information area keeps the icons and saves the whole set
with ``CrmStore.save_monitor_icons``.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Iterable
from tkinter import ttk

from callcenter.crm_client.gui import entry_models as model
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.dialog_support import DialogWindow, MessageLine
from callcenter.crm_client.store import MonitorIcon


class IconDialog(DialogWindow):
    """分机端口 and 显示名称; 确定 and 取消."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, icon: MonitorIcon | None,
                 on_saved: Callable[[MonitorIcon], None] | None = None,
                 taken: Iterable[str] = ()) -> None:
        super().__init__(parent, ctx, "icon.title_edit" if icon else "icon.title_new")
        self.icon = icon or MonitorIcon(port="")
        self.on_saved = on_saved
        self.taken = tuple(taken)
        self.result: MonitorIcon | None = None
        body = ttk.Frame(self, padding=12)
        body.grid(sticky="nsew")
        self.labels: dict[str, ttk.Label] = {}
        self.entries: dict[str, ttk.Entry] = {}
        for row, (name, width) in enumerate((("port", 6), ("label", 20))):
            label = ttk.Label(body)
            label.grid(row=row, column=0, sticky="w", pady=3)
            entry = ttk.Entry(body, width=width)
            entry.grid(row=row, column=1, sticky="w", padx=(8, 0), pady=3)
            entry.insert(0, str(getattr(self.icon, name)))
            self.labels[name] = label
            self.entries[name] = entry
        self.message = MessageLine(body, wraplength=300)
        self.message.grid(row=2, column=0, columnspan=2, sticky="w", pady=(6, 0))
        buttons = ttk.Frame(body)
        buttons.grid(row=3, column=0, columnspan=2, sticky="e", pady=(8, 0))
        self.button_ok = ttk.Button(buttons, command=self.ok, default="active")
        self.button_ok.grid(row=0, column=0, padx=(0, 6))
        self.button_cancel = ttk.Button(buttons, command=self.close)
        self.button_cancel.grid(row=0, column=1)
        self.bind("<Return>", lambda _e: self.ok())
        self.relabel()
        self.show()
        self.entries["port" if not self.icon.port else "label"].focus_set()

    def relabel(self) -> None:
        text = self.catalogue.text
        for name, label in self.labels.items():
            label.configure(text=text(f"icon.{name}"))
        self.button_ok.configure(text=text("common.ok"))
        self.button_cancel.configure(text=text("common.cancel"))

    def ok(self) -> None:
        values = {name: entry.get() for name, entry in self.entries.items()}
        result = model.read_icon(values, self.icon, self.taken)
        if isinstance(result, list):
            self.message.show_error("\n".join(p.text(self.catalogue) for p in result))
            self.entries[result[0].field].focus_set()
            return
        self.result = result
        if self.on_saved is not None:
            self.on_saved(result)
        self.close()


def open_icon_properties(parent: tk.Misc, ctx: DialogContext, icon: MonitorIcon | None,
                         on_saved: Callable[[MonitorIcon], None] | None = None,
                         taken: Iterable[str] = ()) -> IconDialog:
    """新建 (``icon`` None) or 属性 of a monitor icon (the contract's entry point)."""
    return IconDialog(parent, ctx, icon, on_saved, taken)
