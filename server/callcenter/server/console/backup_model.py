"""资料备份 (S-42, S-36), the model: backups, previews, restores and file transfers, without Tk.

Everything goes through the admin API (``docs/admin-api/backup.md``): ``backup_create``
(long), ``backup_list``, ``restore_preview`` of a file of ``backups`` or ``uploads``,
``restore_apply`` (long; here one request per group, so that a cancel also stops between
groups), ``file_upload`` and ``file_download`` in chunks of 32768 bytes.  ``listeners`` are
told what changed (``list``, ``preview``, ``job``, ``message``) in the thread that drains
the connection.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

GROUPS: Final = ("extension", "trunk", "switches", "other")
CHUNK: Final = 32768
#: What the service takes as a file name (``docs/admin-api/backup.md``).
NAME_OK: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")


class Cancellable(Protocol):
    """What the model needs of a request's handle (``connection.Job``)."""

    def cancel(self) -> None: ...


class RequestConnection(Protocol):
    def request(self, action: str, on_done: Callable[[dict[str, Any]], None],
                on_error: Callable[[str, str], None], *,
                on_progress: Callable[[int, int, str], None] | None = None,
                timeout: float | None = None, **params: Any) -> Cancellable | None: ...


def upload_name(path: Path) -> str:
    """A name the service takes for a local file: its name with other characters as ``_``."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", path.name).lstrip(".").replace("..", "_")
    name = name[:100] or "upload"
    return name if NAME_OK.match(name) else "upload"


@dataclass
class BackupJob:
    """A long job: creating a backup, restoring, uploading or downloading."""

    action: str
    total: int = 0
    done: int = 0
    text: str = ""
    #: The request under way (its handle, for ``cancel``).
    request: Cancellable | None = None
    cancelled: bool = False
    finished: bool = False
    error: str = ""
    #: Per group restored: its counts (``written``, ``unchanged``, ``refused`` ...).
    groups: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def progressed(self, done: int, total: int, text: str) -> bool:
        """The request under way's progress; whether it was taken."""
        if self.finished:
            return False
        self.text = text
        if self.action == "backup_create":
            self.done, self.total = done, total
        return True


class BackupModel:
    """The 资料备份 page's state (see the module docstring)."""

    def __init__(self, connection: RequestConnection) -> None:
        self.connection = connection
        self.backups: list[dict[str, Any]] = []
        self.selected: tuple[str, str] | None = None  # (area, name)
        self.preview: dict[str, Any] | None = None
        self.error = ""  # the last failure: (code, message) as a person reads it
        self.error_code = ""
        self.message = ""  # what the last job did, for the status line
        self.message_fields: dict[str, Any] = {}
        self.job: BackupJob | None = None
        self.listeners: list[Callable[[str], None]] = []
        self._last_event: object = None

    def _tell(self, what: str) -> None:
        for listener in list(self.listeners):
            listener(what)

    def _fail(self, code: str, message: str) -> None:
        self.error_code, self.error = code, message
        self._tell("message")

    @property
    def busy(self) -> bool:
        return self.job is not None and not self.job.finished

    def _start(self, action: str, total: int = 0) -> BackupJob | None:
        if self.busy:
            return None
        self.error = self.error_code = ""
        self.job = BackupJob(action, total=total)
        self._tell("job")
        return self.job

    def _finish(self, job: BackupJob, message: str = "", **fields: Any) -> None:
        job.finished = True
        self.message, self.message_fields = message, fields
        self._tell("job")
        self._tell("message")

    def _progress(self, job: BackupJob) -> Callable[[int, int, str], None]:
        def progress(done: int, total: int, text: str) -> None:
            if job is self.job and job.progressed(done, total, text):
                self._tell("job")
        return progress

    def _job_failed(self, job: BackupJob) -> Callable[[str, str], None]:
        def failed(code: str, message: str) -> None:
            job.error = message
            self._fail(code, message)
            self._finish(job)
        return failed

    # ------------------------------------------------------------------ events
    def on_event(self, event: dict[str, Any]) -> None:
        if event is self._last_event:
            return
        self._last_event = event
        name = event.get("event")
        if name == "parameter_changed" and self.preview is not None and not self.busy:
            self._tell("stale")  # the PBX changed: the comparison is to be made again

    # ------------------------------------------------------------------ the list
    def refresh_list(self) -> None:
        def done(answer: dict[str, Any]) -> None:
            self.backups = list(answer.get("backups") or ())
            self._tell("list")
        self.connection.request("backup_list", done, self._fail)

    def create(self) -> BackupJob | None:
        """备份所有参数: read every group from the PBX into a new backup."""
        job = self._start("backup_create")
        if job is None:
            return None

        def done(answer: dict[str, Any]) -> None:
            self._finish(job, "created", name=answer.get("name", ""),
                         size=answer.get("size", 0))
            self.refresh_list()
            self.select("backups", str(answer.get("name", "")))
        job.request = self.connection.request("backup_create", done, self._job_failed(job),
                                              on_progress=self._progress(job), timeout=300.0)
        return job

    # ------------------------------------------------------------------ preview
    def select(self, area: str, name: str) -> None:
        """Open a file: compare it with the PBX group by group (nothing written)."""
        self.selected, self.preview = (area, name), None
        self.error = self.error_code = ""
        self._tell("preview")

        def done(answer: dict[str, Any]) -> None:
            if self.selected == (area, name):
                self.preview = answer
                self._tell("preview")

        def failed(code: str, message: str) -> None:
            if self.selected == (area, name):
                self._fail(code, message)
        self.connection.request("restore_preview", done, failed, area=area, name=name)

    def compare_again(self) -> None:
        if self.selected is not None and not self.busy:
            self.select(*self.selected)

    def group_preview(self, group: str) -> dict[str, Any] | None:
        for entry in (self.preview or {}).get("groups") or ():
            if entry.get("group") == group:
                return dict(entry)
        return None

    # ------------------------------------------------------------------ restore
    def restore(self, groups: list[str]) -> BackupJob | None:
        """Restore ``groups`` of the selected file, one request per group."""
        if self.selected is None or not groups:
            return None
        area, name = self.selected
        job = self._start("restore_apply", total=len(groups))
        if job is None:
            return None
        pending = list(groups)

        def next_group() -> None:
            if not pending or job.cancelled:
                written = sum(int(g.get("written", 0)) for g in job.groups)
                self._finish(job, "cancelled" if job.cancelled and pending else "restored",
                             written=written, refused=len(job.refused),
                             groups=len(job.groups))
                self.select(area, name)
                return
            group = pending.pop(0)
            job.text = group

            def done(answer: dict[str, Any]) -> None:
                job.groups.extend(answer.get("groups") or ())
                job.refused.extend(answer.get("refused") or ())
                job.done += 1
                self._tell("job")
                next_group()

            def failed(code: str, message: str) -> None:
                job.error = message
                self._fail(code, message)
                self._finish(job)
                if code != "bad_request":
                    self.select(area, name)
            job.request = self.connection.request(
                "restore_apply", done, failed, on_progress=self._progress(job),
                timeout=600.0, area=area, name=name, groups=[group])
        next_group()
        return job

    def cancel(self) -> None:
        job = self.job
        if job is None or job.finished:
            return
        job.cancelled = True
        if job.request is not None and job.action in ("backup_create", "restore_apply"):
            job.request.cancel()  # the service stops it between two steps
        self._tell("job")

    # ------------------------------------------------------------------ files
    def upload(self, path: Path) -> BackupJob | None:
        """Send a local file to the service's uploads, then open it (preview)."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._fail("local", f"{path}: {exc.strerror or exc}")
            return None
        name = upload_name(path)
        job = self._start("file_upload", total=max(len(data), 1))
        if job is None:
            return None

        def send(offset: int) -> None:
            if job.cancelled:
                self._finish(job, "cancelled")
                return
            chunk = data[offset:offset + CHUNK]
            final = offset + len(chunk) >= len(data)

            def done(_answer: dict[str, Any]) -> None:
                job.done = offset + len(chunk)
                self._tell("job")
                if final:
                    self._finish(job, "uploaded", name=name)
                    self.select("uploads", name)
                else:
                    send(offset + len(chunk))
            self.connection.request("file_upload", done, self._job_failed(job), name=name,
                                    offset=offset,
                                    data=base64.b64encode(chunk).decode("ascii"),
                                    final=final)
        send(0)
        return job

    def download(self, name: str, target: Path) -> BackupJob | None:
        """Save the backup ``name`` on this computer's disk, chunk by chunk (written to a
        ``.part`` file, renamed at the end)."""
        job = self._start("file_download")
        if job is None:
            return None
        part = target.with_name(target.name + ".part")
        try:
            out = part.open("wb")
        except OSError as exc:
            self._fail("local", f"{target}: {exc.strerror or exc}")
            self._finish(job)
            return None

        def ask(offset: int) -> None:
            if job.cancelled:
                out.close()
                part.unlink(missing_ok=True)
                self._finish(job, "cancelled")
                return

            def done(answer: dict[str, Any]) -> None:
                try:
                    chunk = base64.b64decode(str(answer.get("data", "")))
                    out.write(chunk)
                    job.done, job.total = offset + len(chunk), int(answer.get("size", 0))
                    self._tell("job")
                    if answer.get("eof") or not chunk:
                        out.close()
                        part.replace(target)
                        self._finish(job, "downloaded", path=str(target))
                        return
                except OSError as exc:
                    out.close()
                    self._fail("local", f"{target}: {exc.strerror or exc}")
                    self._finish(job)
                    return
                ask(offset + len(chunk))

            def failed(code: str, message: str) -> None:
                out.close()
                part.unlink(missing_ok=True)
                self._job_failed(job)(code, message)
            self.connection.request("file_download", done, failed, area="backups",
                                    name=name, offset=offset, length=CHUNK)
        ask(0)
        return job
