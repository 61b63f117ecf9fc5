"""资料备份 (S-42, S-36): back up now, the backups, open a file, what differs per group,
restore one group or all, with progress and a cancel; download or upload a file.

A thin view over ``backup_model.BackupModel``; every request runs off the Tk thread.  The
parameters that differ (and those a restore had refused) are named by the schema's labels
(分机001 白天服务等级), their values as 参数设置 shows them, once the parameters' schema is
read (the store 参数设置 shares, ``pages.parameters.store_for``); raw keys until then.
"""

from __future__ import annotations

from pathlib import Path
from tkinter import filedialog, ttk
from typing import TYPE_CHECKING, Any, Final

from callcenter.server.console import strings
from callcenter.server.console.backup_model import GROUPS, BackupModel
from callcenter.server.console.pages.parameters import store_for
from callcenter.server.console.parameter_texts import key_name
from callcenter.server.console.times import local_time

if TYPE_CHECKING:
    from callcenter.server.console.pages import PageContext, PageFactory

strings.add_texts({
    "backup.create": ("备份所有参数", "Back up all parameters"),
    "backup.refresh": ("刷新列表", "Refresh the list"),
    "backup.open_local": ("打开本机文件…", "Open a file of this computer…"),
    "backup.download": ("保存到本机…", "Save on this computer…"),
    "backup.cancel": ("取消", "Cancel"),
    "backup.list_title": ("服务器上的备份", "Backups on the server"),
    "backup.name": ("文件名", "File"),
    "backup.created": ("时间", "Made"),
    "backup.size": ("大小", "Size"),
    "backup.preview_title": ("与交换机比较：{name}", "Compared with the PBX: {name}"),
    "backup.preview_none": ("请选择一个备份文件，或打开本机文件", "Choose a backup, or open a "
                            "file of this computer"),
    "backup.preview_loading": ("正在比较 {name}…", "Comparing {name}…"),
    "backup.preview_file": ("文件：{model}，{extensions} 个分机，{trunks} 路外线",
                            "File: {model}, {extensions} extensions, {trunks} trunks"),
    "backup.group": ("参数组", "Group"),
    "backup.differ": ("不同", "Differ"),
    "backup.same": ("相同", "Same"),
    "backup.missing": ("文件中没有", "Not in the file"),
    "backup.key": ("参数", "Parameter"),
    "backup.pbx": ("交换机中", "In the PBX"),
    "backup.file": ("文件中", "In the file"),
    "backup.restore_group": ("恢复所选组", "Restore the group selected"),
    "backup.restore_all": ("全部恢复", "Restore all"),
    "backup.confirm_title": ("恢复参数", "Restore"),
    "backup.confirm": ("把 {name} 中的 {groups} 写入交换机？\n与文件不同的参数将被改写。",
                       "Write {groups} of {name} to the PBX?\nThe parameters that differ "
                       "from the file are overwritten."),
    "backup.group.extension": ("分机参数", "Extension parameters"),
    "backup.group.trunk": ("外线参数", "Trunk parameters"),
    "backup.group.switches": ("开关参数", "Switch parameters"),
    "backup.group.other": ("其它参数", "Other parameters"),
    "backup.created_done": ("已备份：{name}（{size} 字节）", "Backed up: {name} ({size} bytes)"),
    "backup.restored_done": ("恢复完成：写入 {written} 个参数，{refused} 个被拒绝",
                             "Restored: {written} parameters written, {refused} refused"),
    "backup.cancelled_done": ("已取消（已写入的参数保持不变）", "Cancelled (what was written "
                              "stays written)"),
    "backup.uploaded_done": ("已上传：{name}", "Uploaded: {name}"),
    "backup.downloaded_done": ("已保存：{path}", "Saved: {path}"),
    "backup.refused_file": ("该文件不能恢复：{message}", "This file cannot be restored: "
                            "{message}"),
    "backup.local_failed": ("本机文件操作失败：{message}", "On this computer: {message}"),
    "backup.working": ("{what}：{text}", "{what}: {text}"),
    "backup.refused_list": ("被拒绝：{keys}", "Refused: {keys}"),
})

#: A burst of changes at the PBX makes one new comparison, this long after the first.
COMPARE_DELAY_MS: Final = 400
_DONE_TEXTS: Final = {"created": "backup.created_done", "restored": "backup.restored_done",
                      "cancelled": "backup.cancelled_done", "uploaded": "backup.uploaded_done",
                      "downloaded": "backup.downloaded_done"}
_JOB_TEXTS: Final = {"backup_create": "backup.create", "restore_apply": "backup.restore_all",
                     "file_upload": "backup.open_local", "file_download": "backup.download"}


class BackupPage:
    """The 资料备份 page (see the module docstring)."""

    def __init__(self, context: PageContext) -> None:
        self.context = context
        self.catalogue = context.catalogue
        self.model = BackupModel(context.connection)
        self.model.listeners.append(self._changed)
        self.parameters = store_for(context.connection)
        self.parameters.listeners.append(self._schema_read)
        self._compare_job = ""
        frame = self.frame = ttk.Frame(context.parent, padding=(8, 6))
        self._build_bar()
        self._build_list()
        self._build_preview()
        frame.rowconfigure(2, weight=1)
        frame.columnconfigure(1, weight=1)
        self.relabel()

    def _build_bar(self) -> None:
        frame = self.frame
        bar = ttk.Frame(frame)
        bar.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.title = ttk.Label(bar, font="TkHeadingFont")
        self.title.grid(row=0, column=0, padx=(0, 12))
        self.button_create = ttk.Button(bar, command=self.create)
        self.button_create.grid(row=0, column=1, padx=2)
        self.button_refresh = ttk.Button(bar, command=self.model.refresh_list)
        self.button_refresh.grid(row=0, column=2, padx=2)
        self.button_open = ttk.Button(bar, command=self.ask_upload)
        self.button_open.grid(row=0, column=3, padx=2)
        self.button_download = ttk.Button(bar, command=self.ask_download)
        self.button_download.grid(row=0, column=4, padx=2)
        self.progress = ttk.Progressbar(bar, length=160, mode="determinate")
        self.button_cancel = ttk.Button(bar, command=self.model.cancel)
        bar.columnconfigure(7, weight=1)
        self.status = ttk.Label(frame, anchor="w", padding=(0, 4), wraplength=990)
        self.status.grid(row=1, column=0, columnspan=2, sticky="ew")

    def _build_list(self) -> None:
        left = ttk.Frame(self.frame)
        left.grid(row=2, column=0, sticky="nsew", padx=(0, 8))
        self.list_title = ttk.Label(left, font="TkHeadingFont")
        self.list_title.grid(row=0, column=0, sticky="w")
        self.backups = ttk.Treeview(left, columns=("created", "size"), height=16,
                                    selectmode="browse")
        self.backups.column("#0", width=150)
        self.backups.column("created", width=150)
        self.backups.column("size", width=70, anchor="e")
        self.backups.grid(row=1, column=0, sticky="nsew")
        scroll = ttk.Scrollbar(left, orient="vertical", command=self.backups.yview)
        scroll.grid(row=1, column=1, sticky="ns")
        self.backups.configure(yscrollcommand=scroll.set)
        self.backups.bind("<<TreeviewSelect>>", self._picked)
        left.rowconfigure(1, weight=1)

    def _build_preview(self) -> None:
        right = ttk.Frame(self.frame)
        right.grid(row=2, column=1, sticky="nsew")
        self.preview_title = ttk.Label(right, font="TkHeadingFont")
        self.preview_title.grid(row=0, column=0, columnspan=3, sticky="w")
        self.preview_file = ttk.Label(right)
        self.preview_file.grid(row=1, column=0, columnspan=3, sticky="w")
        self.groups = ttk.Treeview(right, columns=("differ", "same", "missing"), height=4,
                                   selectmode="browse")
        self.groups.column("#0", width=150)
        for column in ("differ", "same", "missing"):
            self.groups.column(column, width=90, anchor="e")
        self.groups.grid(row=2, column=0, columnspan=3, sticky="ew", pady=4)
        self.groups.bind("<<TreeviewSelect>>", lambda _e: self._show_changes())
        self.changes = ttk.Treeview(right, columns=("pbx", "file"), height=10,
                                    selectmode="none")
        self.changes.column("#0", width=230)
        self.changes.column("pbx", width=120)
        self.changes.column("file", width=120)
        self.changes.grid(row=3, column=0, columnspan=3, sticky="nsew")
        self.button_restore_group = ttk.Button(right, command=self.ask_restore_group)
        self.button_restore_group.grid(row=4, column=0, sticky="w", pady=6)
        self.button_restore_all = ttk.Button(right, command=self.ask_restore_all)
        self.button_restore_all.grid(row=4, column=1, sticky="w", pady=6, padx=6)
        right.rowconfigure(3, weight=1)
        right.columnconfigure(2, weight=1)

    # ------------------------------------------------------------------ page protocol
    def shown(self) -> None:
        self.model.refresh_list()

    def on_event(self, event: dict[str, Any]) -> None:
        self.model.on_event(event)

    def relabel(self) -> None:
        text = self.catalogue.text
        self.title.configure(text=text("module.backup"))
        for button, key in ((self.button_create, "backup.create"),
                            (self.button_refresh, "backup.refresh"),
                            (self.button_open, "backup.open_local"),
                            (self.button_download, "backup.download"),
                            (self.button_cancel, "backup.cancel"),
                            (self.button_restore_group, "backup.restore_group"),
                            (self.button_restore_all, "backup.restore_all")):
            button.configure(text=text(key))
        self.list_title.configure(text=text("backup.list_title"))
        for tree, headings in ((self.backups, (("#0", "backup.name"),
                                               ("created", "backup.created"),
                                               ("size", "backup.size"))),
                               (self.groups, (("#0", "backup.group"),
                                              ("differ", "backup.differ"),
                                              ("same", "backup.same"),
                                              ("missing", "backup.missing"))),
                               (self.changes, (("#0", "backup.key"), ("pbx", "backup.pbx"),
                                               ("file", "backup.file")))):
            for column, key in headings:
                tree.heading(column, text=text(key))
        self._show_preview()
        self._show_message()

    # ------------------------------------------------------------------ actions
    def create(self) -> None:
        self.model.create()

    def select(self, name: str, area: str = "backups") -> None:
        """Open a backup of the list (as clicking it does)."""
        if area == "backups" and self.backups.exists(name):
            self.backups.selection_set(name)
        self.model.select(area, name)

    def _picked(self, _event: object) -> None:
        chosen = self.backups.selection()
        if chosen and self.model.selected != ("backups", chosen[0]):
            self.model.select("backups", chosen[0])

    def ask_upload(self) -> None:
        path = filedialog.askopenfilename(parent=self.frame,
                                          title=self.catalogue.text("backup.open_local"))
        if path:
            self.upload_file(Path(path))

    def upload_file(self, path: Path) -> None:
        self.model.upload(path)

    def ask_download(self) -> None:
        if self.model.selected is None or self.model.selected[0] != "backups":
            return
        name = self.model.selected[1]
        path = filedialog.asksaveasfilename(parent=self.frame, initialfile=name + ".json",
                                            title=self.catalogue.text("backup.download"))
        if path:
            self.download_to(name, Path(path))

    def download_to(self, name: str, path: Path) -> None:
        self.model.download(name, path)

    def selected_group(self) -> str | None:
        chosen = self.groups.selection()
        return chosen[0] if chosen else None

    def ask_restore_group(self) -> None:
        group = self.selected_group()
        if group is not None:
            self._confirm_restore([group])

    def ask_restore_all(self) -> None:
        self._confirm_restore(list(GROUPS))

    def _confirm_restore(self, groups: list[str]) -> None:
        if self.model.selected is None:
            return
        names = "、".join(self.catalogue.text(f"backup.group.{g}") for g in groups) \
            if self.catalogue.language == "zh" else \
            ", ".join(self.catalogue.text(f"backup.group.{g}") for g in groups)
        if self.context.confirm(self.catalogue.text("backup.confirm_title"),
                                self.catalogue.text("backup.confirm", groups=names,
                                                    name=self.model.selected[1])):
            self.restore(groups)

    def restore(self, groups: list[str]) -> None:
        self.model.restore(groups)

    # ------------------------------------------------------------------ from the model
    def _changed(self, what: str) -> None:
        if what == "list":
            self._show_list()
        elif what == "preview":
            self._show_preview()
        elif what == "job":
            self._show_job()
        elif what == "message":
            self._show_message()
        elif what == "stale" and not self._compare_job:
            self._compare_job = self.frame.after(COMPARE_DELAY_MS, self._compare_again)

    def _compare_again(self) -> None:
        self._compare_job = ""
        self.model.compare_again()

    def _show_list(self) -> None:
        self.backups.delete(*self.backups.get_children())
        for entry in reversed(self.model.backups):  # newest first
            name = str(entry.get("name", ""))
            self.backups.insert("", "end", iid=name, text=name, values=(
                local_time(str(entry.get("created", "")),
                           str(self.context.whoami.get("timezone", ""))),
                entry.get("size", "")))
        selected = self.model.selected
        if selected and selected[0] == "backups" and self.backups.exists(selected[1]):
            self.backups.selection_set(selected[1])

    def _show_preview(self) -> None:
        text = self.catalogue.text
        self.groups.delete(*self.groups.get_children())
        self.changes.delete(*self.changes.get_children())
        selected, preview = self.model.selected, self.model.preview
        if selected is None:
            self.preview_title.configure(text=text("backup.preview_none"))
            self.preview_file.configure(text="")
            return
        if preview is None:
            self.preview_title.configure(text=text("backup.preview_loading", name=selected[1]))
            self.preview_file.configure(text="")
            return
        self.preview_title.configure(text=text("backup.preview_title", name=selected[1]))
        self.preview_file.configure(text=text(
            "backup.preview_file", model=preview.get("model", ""),
            extensions=preview.get("extensions", ""), trunks=preview.get("trunks", "")))
        first = ""
        for entry in preview.get("groups") or ():
            group = str(entry.get("group", ""))
            label = text(f"backup.group.{group}") if group in GROUPS else group
            self.groups.insert("", "end", iid=group, text=label, values=(
                entry.get("differ", 0), entry.get("same", 0), entry.get("missing", 0)))
            if not first and entry.get("differ"):
                first = group
        if first or self.groups.get_children():
            self.groups.selection_set(first or self.groups.get_children()[0])
        self._show_changes()

    def _schema_read(self, keys: set[str] | None) -> None:
        if keys is None and self.frame.winfo_exists():  # (re)loaded: names known now
            self._show_changes()

    def _need_schema(self) -> None:
        if self.parameters.schema is None and not self.parameters.loading:
            self.parameters.load()

    def name_of(self, key: str) -> str:
        """A key as people name it (the schema's label), the key itself until it is read."""
        schema = self.parameters.schema
        if schema is None or key not in schema.setting_of:
            return key
        return key_name(schema.setting(key), key, self.catalogue.language)

    def value_of(self, key: str, value: str) -> str:
        schema = self.parameters.schema
        if schema is None or key not in schema.setting_of:
            return value
        return schema.setting(key).show(value, self.catalogue.language)

    def _show_changes(self) -> None:
        self.changes.delete(*self.changes.get_children())
        group = self.selected_group()
        entry = self.model.group_preview(group) if group else None
        changes = (entry or {}).get("changes") or ()
        if changes:
            self._need_schema()
        for index, change in enumerate(changes):
            key = str(change.get("key", ""))
            self.changes.insert("", "end", iid=str(index), text=self.name_of(key),
                                values=(self.value_of(key, str(change.get("pbx", ""))),
                                        self.value_of(key, str(change.get("file", "")))),
                                tags=(key,))

    def _show_job(self) -> None:
        job = self.model.job
        if job is None or job.finished:
            self.progress.grid_remove()
            self.button_cancel.grid_remove()
            return
        if job.total:
            self.progress.configure(mode="determinate", maximum=job.total, value=job.done)
        self.progress.grid(row=0, column=5, padx=(12, 4))
        if job.action in ("backup_create", "restore_apply", "file_upload", "file_download"):
            self.button_cancel.grid(row=0, column=6, padx=2)
            self.button_cancel.state(["disabled"] if job.cancelled else ["!disabled"])
        self.status.configure(foreground="", text=self.catalogue.text(
            "backup.working", what=self.catalogue.text(_JOB_TEXTS[job.action]),
            text=job.text or f"{job.done}/{job.total}"))

    def _show_message(self) -> None:
        model = self.model
        text = self.catalogue.text
        if model.error:
            if model.error_code == "bad_request":
                shown = text("backup.refused_file", message=model.error)
            elif model.error_code == "local":
                shown = text("backup.local_failed", message=model.error)
            else:
                shown = self.catalogue.error(model.error_code, model.error)
            self.status.configure(text=shown, foreground="#b00020")
            return
        key = _DONE_TEXTS.get(model.message)
        shown = text(key, **model.message_fields) if key else ""
        job = model.job
        if job is not None and job.refused and model.message == "restored":
            shown += "\n" + text("backup.refused_list", keys=", ".join(
                f"{self.name_of(str(r.get('key')))} ({r.get('reason')})"
                for r in job.refused[:5]))
        self.status.configure(text=shown, foreground="")


PAGES: Final[dict[str, PageFactory]] = {"backup": BackupPage}

