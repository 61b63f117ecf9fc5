"""系统设置 (C-2, manual 2-2 figures a and c): this PC's network, device, display, data mode
and password protection, and the 权限设置 dialog of the local users.

``open_settings(parent, ctx, first_run)`` opens it filled from ``ctx.settings``.  保存 checks
the form (``settings_model.read_settings``: a bad value is named and nothing is saved),
writes ``settings.json`` in a worker (``settings.save_settings``), then tells the main
window (``ctx.settings_saved``).  Turning 使用密码保护 on adds the initial local user
admin/admin (to be changed); 权限设置… edits the local users of the settings being edited,
which 保存 writes with the rest.
"""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import ttk
from typing import Final

from callcenter.crm_client.gui import settings_model as model
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.dialog_support import (
    DialogWindow,
    MessageLine,
    ask_folder,
    ask_open_file,
    confirm,
)
from callcenter.crm_client.settings import AREAS, CrmSettings, save_settings

_ENTRIES: Final = ("extension", "server_host", "server_port", "trust", "user", "shared_folder",
                   "outside_prefix")


class SettingsDialog(DialogWindow):
    """The 系统设置 window (see the module docstring)."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, first_run: bool = False) -> None:
        super().__init__(parent, ctx, "settings.title")
        self.settings: CrmSettings = ctx.settings if isinstance(ctx.settings,
                                                                CrmSettings) else CrmSettings()
        self.first_run = first_run
        self.labels: dict[str, ttk.Label | ttk.Labelframe] = {}
        self.entries: dict[str, ttk.Entry] = {}
        self.flags: dict[str, tk.BooleanVar] = {
            name: tk.BooleanVar(self) for name in ("tls", "show_detail_on_pop",
                                                   "password_protection")}
        self.choices: dict[str, tk.StringVar] = {
            name: tk.StringVar(self) for name in ("device", "mode")}
        body = ttk.Frame(self, padding=12)
        body.grid(sticky="nsew")
        self.intro = ttk.Label(body, wraplength=520, justify="left", foreground="#0d47a1")
        if first_run:
            self.intro.grid(row=0, column=0, columnspan=2, sticky="w", pady=(0, 8))
        self._network(body).grid(row=1, column=0, columnspan=2, sticky="ew")
        self._device(body).grid(row=2, column=0, sticky="nsew", pady=(8, 0), padx=(0, 6))
        self._display(body).grid(row=2, column=1, sticky="nsew", pady=(8, 0))
        self._data(body).grid(row=3, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        self._security(body).grid(row=4, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        self.message = MessageLine(body, wraplength=520)
        self.message.grid(row=5, column=0, columnspan=2, sticky="w", pady=(8, 0))
        buttons = ttk.Frame(body)
        buttons.grid(row=6, column=0, columnspan=2, sticky="e", pady=(8, 0))
        self.button_save = ttk.Button(buttons, command=self.save, default="active")
        self.button_save.grid(row=0, column=0, padx=(0, 6))
        self.button_close = ttk.Button(buttons, command=self.close)
        self.button_close.grid(row=0, column=1)
        self.bind("<Return>", lambda _e: self.save())
        self.relabel()
        self.fill(self.settings)
        self.show()
        self.entries["extension"].focus_set()

    # ------------------------------------------------------------------ layout
    def _row(self, frame: tk.Misc, row: int, name: str, width: int = 22,
             column: int = 0) -> ttk.Entry:
        label = ttk.Label(frame)
        label.grid(row=row, column=column, sticky="w", pady=2)
        entry = ttk.Entry(frame, width=width)
        entry.grid(row=row, column=column + 1, sticky="w", padx=(8, 0), pady=2)
        self.labels[name] = label
        self.entries[name] = entry
        return entry

    def _network(self, body: ttk.Frame) -> ttk.LabelFrame:
        frame = ttk.LabelFrame(body, padding=8)
        self.labels["network"] = frame
        self._row(frame, 0, "extension", 8)
        self.labels["extension_hint"] = ttk.Label(frame, foreground="#555555")
        self.labels["extension_hint"].grid(row=0, column=2, columnspan=2, sticky="w", padx=8)
        self._row(frame, 1, "server_host", 22)
        self._row(frame, 1, "server_port", 7, column=2)
        self.labels["server_port"].grid_configure(padx=(12, 0))
        self.tls = ttk.Checkbutton(frame, variable=self.flags["tls"])
        self.tls.grid(row=2, column=1, sticky="w", padx=(8, 0), pady=2)
        self._row(frame, 3, "trust", 36)
        self.entries["trust"].grid_configure(columnspan=2)
        self.button_trust = ttk.Button(frame, command=self.browse_trust)
        self.button_trust.grid(row=3, column=3, sticky="w", padx=(6, 0))
        self._row(frame, 4, "user", 22)
        return frame

    def _device(self, body: ttk.Frame) -> ttk.LabelFrame:
        frame = ttk.LabelFrame(body, padding=8)
        self.labels["device"] = frame
        self.device_buttons: dict[str, ttk.Radiobutton] = {}
        for row, device in enumerate(model.DEVICES):
            button = ttk.Radiobutton(frame, value=device, variable=self.choices["device"])
            button.grid(row=row, column=0, columnspan=2, sticky="w", pady=1)
            self.device_buttons[device] = button
        self._row(frame, len(model.DEVICES), "outside_prefix", 6)
        self.labels["outside_prefix"].grid_configure(pady=(6, 2))
        self.entries["outside_prefix"].grid_configure(pady=(6, 2))
        self.labels["outside_prefix_hint"] = ttk.Label(frame, foreground="#555555")
        self.labels["outside_prefix_hint"].grid(row=len(model.DEVICES) + 1, column=0,
                                                columnspan=2, sticky="w")
        return frame

    def _display(self, body: ttk.Frame) -> ttk.LabelFrame:
        frame = ttk.LabelFrame(body, padding=8)
        self.labels["display"] = frame
        self.show_detail = ttk.Checkbutton(frame, variable=self.flags["show_detail_on_pop"])
        self.show_detail.grid(row=0, column=0, columnspan=2, sticky="w", pady=1)
        self.labels["language"] = ttk.Label(frame)
        self.labels["language"].grid(row=1, column=0, sticky="w", pady=(6, 0))
        self.language = ttk.Combobox(frame, state="readonly", width=10)
        self.language.grid(row=1, column=1, sticky="w", padx=(8, 0), pady=(6, 0))
        return frame

    def _data(self, body: ttk.Frame) -> ttk.LabelFrame:
        frame = ttk.LabelFrame(body, padding=8)
        self.labels["data"] = frame
        self.mode_buttons: dict[str, ttk.Radiobutton] = {}
        for column, mode in enumerate(model.MODES):
            button = ttk.Radiobutton(frame, value=mode, variable=self.choices["mode"],
                                     command=self._mode_changed)
            button.grid(row=0, column=column * 2, columnspan=2, sticky="w", padx=(0, 12))
            self.mode_buttons[mode] = button
        self._row(frame, 1, "shared_folder", 40)
        self.entries["shared_folder"].grid_configure(columnspan=2)
        self.button_folder = ttk.Button(frame, command=self.browse_folder)
        self.button_folder.grid(row=1, column=3, sticky="w", padx=(6, 0))
        return frame

    def _security(self, body: ttk.Frame) -> ttk.LabelFrame:
        frame = ttk.LabelFrame(body, padding=8)
        self.labels["security"] = frame
        self.protection = ttk.Checkbutton(frame, variable=self.flags["password_protection"],
                                          command=self._protection_changed)
        self.protection.grid(row=0, column=0, sticky="w")
        self.button_permissions = ttk.Button(frame, command=self.open_permissions)
        self.button_permissions.grid(row=0, column=1, sticky="w", padx=(16, 0))
        return frame

    def relabel(self) -> None:
        text = self.catalogue.text
        self.intro.configure(text=text("settings.first_run"))
        for name, widget in self.labels.items():
            widget.configure(text=text(f"settings.{name}"))
        self.tls.configure(text=text("settings.tls"))
        self.button_trust.configure(text=text("settings.browse"))
        self.button_folder.configure(text=text("settings.browse"))
        for device, button in self.device_buttons.items():
            button.configure(text=text(f"settings.device.{device}"))
        self.show_detail.configure(text=text("settings.show_detail_on_pop"))
        self.language.configure(values=[text(f"settings.language.{lang}")
                                        for lang in model.LANGUAGES])
        for mode, button in self.mode_buttons.items():
            button.configure(text=text(f"settings.mode.{mode}"))
        self.protection.configure(text=text("settings.password_protection"))
        self.button_permissions.configure(text=text("settings.permissions"))
        self.button_save.configure(text=text("settings.save"))
        self.button_close.configure(text=text("settings.close"))

    # ------------------------------------------------------------------ values
    def fill(self, settings: CrmSettings) -> None:
        values = model.form_values(settings)
        for name in _ENTRIES:
            self.set_entry(name, str(values[name]))
        for name, flag in self.flags.items():
            flag.set(bool(values[name]))
        for name, choice in self.choices.items():
            choice.set(str(values[name]))
        self.language.current(model.LANGUAGES.index(str(values["language"])))
        self._mode_changed()
        self._protection_changed(add_initial=False)

    def set_entry(self, name: str, text: str) -> None:
        entry = self.entries[name]
        entry.delete(0, "end")
        entry.insert(0, text)

    def values(self) -> dict[str, str | bool]:
        values: dict[str, str | bool] = {name: self.entries[name].get() for name in _ENTRIES}
        for name, flag in self.flags.items():
            values[name] = flag.get()
        for name, choice in self.choices.items():
            values[name] = choice.get()
        index = self.language.current()
        values["language"] = model.LANGUAGES[index] if index >= 0 else ""
        return values

    def _mode_changed(self) -> None:
        network = self.choices["mode"].get() == "network"
        for widget in (self.entries["shared_folder"], self.button_folder):
            widget.state(["!disabled"] if network else ["disabled"])

    def _protection_changed(self, add_initial: bool = True) -> None:
        on = bool(self.flags["password_protection"].get())
        if on and add_initial:
            self.settings = self.settings.with_password_protection(True)
        self.button_permissions.state(["!disabled"] if on else ["disabled"])

    def browse_trust(self) -> None:
        path = ask_open_file(self.ctx, self, self.catalogue.text("settings.trust"),
                             [("PEM", "*.pem *.crt"), ("*", "*")])
        if path:
            self.set_entry("trust", path)
            self.flags["tls"].set(True)

    def browse_folder(self) -> None:
        path = ask_folder(self.ctx, self, self.catalogue.text("settings.shared_folder"))
        if path:
            self.set_entry("shared_folder", path)

    def open_permissions(self) -> PermissionsDialog:
        return PermissionsDialog(self, self.ctx, self)

    # ------------------------------------------------------------------ saving
    def save(self) -> None:
        if "disabled" in self.button_save.state():
            return
        result = model.read_settings(self.values(), self.settings)
        if isinstance(result, list):
            self.message.show_error("\n".join(p.text(self.catalogue) for p in result))
            widget = self.entries.get(result[0].field)
            if widget is not None:
                widget.focus_set()
            return
        new = result
        self.button_save.state(["disabled"])
        self.message.show_info(self.catalogue.text("common.working"))
        data_dir = Path(self.ctx.data_dir)
        self.ctx.run_in_worker(lambda: save_settings(data_dir, new),
                               lambda _path: self._saved(new), self._failed)

    def _saved(self, new: CrmSettings) -> None:
        old = self.ctx.settings
        self.settings = new
        self.ctx.settings = new
        if self.alive():
            self.button_save.state(["!disabled"])
            restart = (isinstance(old, CrmSettings)
                       and old.shared_folder != new.shared_folder)  # the store is open
            self.message.show_done(self.catalogue.text(
                "settings.saved_restart" if restart else "settings.saved"))
        if new.language != self.catalogue.language:
            self.catalogue.set_language(new.language)
        self.ctx.settings_saved(new)

    def _failed(self, exc: BaseException) -> None:
        if self.alive():
            self.button_save.state(["!disabled"])
            self.message.show_error(self.ctx.error_text(exc))


class PermissionsDialog(DialogWindow):
    """权限设置: the local users of the settings being edited, each with a password and the
    areas it may use; the changes go back to the settings dialog, whose 保存 writes them."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, owner: SettingsDialog) -> None:
        super().__init__(parent, ctx, "perm.title")
        self.owner = owner
        body = ttk.Frame(self, padding=12)
        body.grid(sticky="nsew")
        self.hint = ttk.Label(body, wraplength=440, justify="left", foreground="#0d47a1")
        self.hint.grid(row=0, column=0, columnspan=3, sticky="w", pady=(0, 6))
        self.users_label = ttk.Label(body)
        self.users_label.grid(row=1, column=0, sticky="w")
        self.users = tk.Listbox(body, height=8, width=26, exportselection=False)
        self.users.grid(row=2, column=0, rowspan=6, sticky="nsew")
        self.users.bind("<<ListboxSelect>>", lambda _e: self._selected())
        self.labels: dict[str, ttk.Label] = {}
        self.entries: dict[str, ttk.Entry] = {}
        for row, (name, secret) in enumerate((("name", False), ("password", True),
                                              ("repeat", True)), start=2):
            label = ttk.Label(body)
            label.grid(row=row, column=1, sticky="w", padx=(12, 0), pady=2)
            entry = ttk.Entry(body, width=22, show="•" if secret else "")
            entry.grid(row=row, column=2, sticky="w", padx=(8, 0), pady=2)
            self.labels[name] = label
            self.entries[name] = entry
        self.password_hint = ttk.Label(body, foreground="#555555")
        self.password_hint.grid(row=5, column=2, sticky="w", padx=(8, 0))
        self.areas_frame = ttk.LabelFrame(body, padding=6)
        self.areas_frame.grid(row=6, column=1, columnspan=2, sticky="ew", padx=(12, 0),
                              pady=(6, 0))
        self.area_vars: dict[str, tk.BooleanVar] = {}
        self.area_buttons: dict[str, ttk.Checkbutton] = {}
        for index, area in enumerate(AREAS):
            var = tk.BooleanVar(self, value=True)
            button = ttk.Checkbutton(self.areas_frame, variable=var)
            button.grid(row=index // 2, column=index % 2, sticky="w", padx=(0, 10))
            self.area_vars[area] = var
            self.area_buttons[area] = button
        self.message = MessageLine(body, wraplength=440)
        self.message.grid(row=8, column=0, columnspan=3, sticky="w", pady=(8, 0))
        buttons = ttk.Frame(body)
        buttons.grid(row=9, column=0, columnspan=3, sticky="e", pady=(8, 0))
        self.button_new = ttk.Button(buttons, command=self.new_user)
        self.button_apply = ttk.Button(buttons, command=self.apply, default="active")
        self.button_delete = ttk.Button(buttons, command=self.delete_user)
        self.button_close = ttk.Button(buttons, command=self.close)
        for column, action in enumerate((self.button_new, self.button_apply,
                                         self.button_delete, self.button_close)):
            action.grid(row=0, column=column, padx=(0, 6))
        self.relabel()
        self.refresh(select=owner.settings.local_users[0].name
                     if owner.settings.local_users else "")
        self._selected()
        self.show()

    def relabel(self) -> None:
        text = self.catalogue.text
        self.hint.configure(text=text("perm.initial"))
        self.users_label.configure(text=text("perm.users"))
        for name, label in self.labels.items():
            label.configure(text=text(f"perm.{name}"))
        self.password_hint.configure(text=text("perm.password_hint"))
        self.areas_frame.configure(text=text("perm.areas"))
        for area, button in self.area_buttons.items():
            button.configure(text=text(f"perm.area.{area}"))
        self.button_new.configure(text=text("perm.new"))
        self.button_apply.configure(text=text("perm.apply"))
        self.button_delete.configure(text=text("perm.delete"))
        self.button_close.configure(text=text("perm.close"))
        self.refresh()

    def refresh(self, select: str = "") -> None:
        self.users.delete(0, "end")
        for user in self.owner.settings.local_users:
            mark = self.catalogue.text("perm.must_change") if user.must_change else ""
            self.users.insert("end", f"{user.name} {mark}".strip())
        names = [u.name for u in self.owner.settings.local_users]
        if select in names:
            self.users.selection_set(names.index(select))

    def _selected(self) -> None:
        chosen = self.users.curselection()  # type: ignore[no-untyped-call]
        if not chosen:
            return
        user = self.owner.settings.local_users[chosen[0]]
        for name in ("name", "password", "repeat"):
            self.entries[name].delete(0, "end")
        self.entries["name"].insert(0, user.name)
        for area, var in self.area_vars.items():
            var.set(user.may(area))

    def new_user(self) -> None:
        self.users.selection_clear(0, "end")
        for entry in self.entries.values():
            entry.delete(0, "end")
        for var in self.area_vars.values():
            var.set(True)
        self.entries["name"].focus_set()

    def apply(self) -> None:
        areas = [area for area, var in self.area_vars.items() if var.get()]
        result = model.save_local_user(self.owner.settings, self.entries["name"].get(),
                                       self.entries["password"].get(),
                                       self.entries["repeat"].get(), areas)
        if isinstance(result, list):
            self.message.show_error("\n".join(p.text(self.catalogue) for p in result))
            return
        self.owner.settings = result
        name = self.entries["name"].get().strip()
        self.entries["password"].delete(0, "end")
        self.entries["repeat"].delete(0, "end")
        self.refresh(select=name)
        self.message.show_done(self.catalogue.text("perm.saved", name=name))

    def delete_user(self) -> None:
        chosen = self.users.curselection()  # type: ignore[no-untyped-call]
        if not chosen:
            return
        name = self.owner.settings.local_users[chosen[0]].name
        if not confirm(self.ctx, self, self.catalogue.text("perm.delete"),
                       self.catalogue.text("perm.confirm_delete", name=name)):
            return
        result = model.delete_local_user(self.owner.settings, name)
        if isinstance(result, list):
            self.message.show_error("\n".join(p.text(self.catalogue) for p in result))
            return
        self.owner.settings = result
        self.new_user()
        self.refresh()


def open_settings(parent: tk.Misc, ctx: DialogContext, first_run: bool = False) -> SettingsDialog:
    """系统设置 over ``parent`` (the contract's entry point); ``first_run`` adds the
    manual's first-start note."""
    return SettingsDialog(parent, ctx, first_run)
