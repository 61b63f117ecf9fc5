"""Admin API handlers of backup, restore and file transfer: see
``callcenter.common.agent.admin_backup`` for the actions, ``hub.admin`` for how handlers
are written and ``pbx.backup`` for the backups themselves.

Files live in three folders of the data folder: ``backups`` (made by ``backup_create``),
``uploads`` (sent by consoles with ``file_upload``, to restore) and ``exports`` (records
exports, made by the records module).  A console downloads backups when it may use the
``backup`` module and exports when it may use ``records``.  An upload is written to a
hidden ``.NAME.part`` file and renamed to ``NAME`` by its final chunk, so a restore never
sees half a file.

Short file work (a chunk, a listing, opening a file) runs in the hub's store pool, whose
requests are all short, not in the admin pool, where a download would wait behind long
restores.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from callcenter.common.agent.admin_backup import (
    CHUNK_BYTES,
    GROUPS,
    MAX_UPLOAD_BYTES,
    SHOWN_REFUSALS,
)
from callcenter.common.agent.catalog import ErrorCode
from callcenter.common.agent.messages import format_time
from callcenter.common.pbx.messages import Identity
from callcenter.common.schema import Group, Schema, build_schema
from callcenter.server.hub.admin import AdminError, Cancelled
from callcenter.server.pbx import backup
from callcenter.server.pbx.backup import BackupFileError
from callcenter.server.pbx.batch import WriteResult
from callcenter.server.pbx.image import ParameterImage
from callcenter.server.pbx.link import PbxError
from callcenter.server.pbx.verification import read_groups
from callcenter.server.store.settings import site_zone

if TYPE_CHECKING:
    from collections.abc import Mapping

    from callcenter.server.hub.admin import AdminCall, AdminHandler
    from callcenter.server.pbx.events import ServiceEvent

log = logging.getLogger(__name__)

#: The console module a download of each area needs (operators; admins may use all).
AREA_MODULES: Final = {"backups": "backup", "exports": "records"}
AREA_FOLDERS: Final = {"backups": backup.BACKUPS, "exports": backup.EXPORTS,
                       "uploads": backup.UPLOADS}


def _path(call: AdminCall, area: str, name: str) -> Path:
    """Where the file ``name`` of ``area`` is (the name checked; no I/O)."""
    if ".." in name or name.startswith("."):
        raise AdminError(ErrorCode.BAD_REQUEST, f"field 'name': {name!r} may not start "
                         "with '.' nor contain '..'")
    return call.backend.data_dir / AREA_FOLDERS[area] / name


def _existing(path: Path, area: str) -> Path:
    """``path`` when it is a file (in a worker thread); else not_found."""
    if not path.is_file():
        raise AdminError(ErrorCode.NOT_FOUND, f"field 'name': there is no file "
                                              f"{path.name!r} in {area}")
    return path


def _identity(call: AdminCall) -> Identity:
    link = call.service.link
    identity = link.identity
    if identity is None or not link.is_up:
        raise AdminError(ErrorCode.PBX_UNAVAILABLE, "the PBX link is down "
                         f"({link.last_error or 'not connected yet'})")
    return identity


def _pbx_error(exc: PbxError) -> AdminError:
    return AdminError(ErrorCode.PBX_UNAVAILABLE, str(exc))


# --------------------------------------------------------------------------- backups

async def _backup_create(call: AdminCall) -> dict[str, Any]:
    service = call.service
    identity = _identity(call)
    zone = await call.in_store(site_zone)
    known = service.image
    checksums = known.checksums if known.matches(identity) else {}
    folder = call.backend.data_dir / backup.BACKUPS

    def work() -> tuple[Path, int]:
        image = backup.read_image(service.link, identity, checksums=checksums,
                                  progress=call.job.progress,
                                  check=lambda: call.job.check("nothing saved"),
                                  timeout=service.request_timeout)
        made = backup.save_backup(image, folder, datetime.now(zone).astimezone(zone))
        return made, made.stat().st_size

    try:
        path, size = await call.in_worker(work)
    except PbxError as exc:
        raise _pbx_error(exc) from None
    except OSError as exc:
        raise AdminError(ErrorCode.INTERNAL, f"cannot write the backup in {folder}: "
                                             f"{exc.strerror or exc}") from None
    log.info("admin: %s made the backup %s", call.who, path.name)
    return {"name": path.name, "size": size, "groups": list(GROUPS)}


async def _backup_list(call: AdminCall) -> dict[str, Any]:
    zone = await call.in_store(site_zone)
    folder = call.backend.data_dir / backup.BACKUPS
    found = await call.in_store(lambda: backup.list_backups(folder, zone))
    return {"backups": [{"name": b.name, "size": b.size, "created": format_time(b.created)}
                        for b in found]}


# --------------------------------------------------------------------------- files

def _read_chunk(path: Path, area: str, offset: int, length: int) -> tuple[bytes, int]:
    with _existing(path, area).open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if offset > size:
            raise AdminError(ErrorCode.BAD_REQUEST, f"field 'offset': {offset} is past the "
                             f"end of the file ({size} bytes)")
        f.seek(offset)
        return f.read(length), size


async def _file_download(call: AdminCall) -> dict[str, Any]:
    area, name = str(call.params["area"]), str(call.params["name"])
    module = AREA_MODULES[area]
    session = call.session
    if session.role != "admin" and module not in session.modules:
        raise AdminError(ErrorCode.FORBIDDEN, f"field 'area': the {area} belong to the "
                         f"console module {module!r}, which this server does not allow "
                         "operators (console.operator_modules)")
    path = _path(call, area, name)
    offset = int(call.params.get("offset", 0))
    length = int(call.params.get("length", CHUNK_BYTES))
    try:
        data, size = await call.in_store(lambda: _read_chunk(path, area, offset, length))
    except OSError as exc:
        raise AdminError(ErrorCode.NOT_FOUND, f"cannot read {name!r} in {area}: "
                                              f"{exc.strerror or exc}") from None
    return {"data": base64.b64encode(data).decode("ascii"), "offset": offset, "size": size,
            "eof": offset + len(data) >= size}


def _append_chunk(folder: Path, name: str, offset: int, data: bytes, final: bool) -> int:
    """Add ``data`` at ``offset`` of the upload ``name``; the bytes so far."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{name}.part"
    so_far = part.stat().st_size if offset and part.is_file() else 0
    if offset != so_far:
        raise AdminError(ErrorCode.BAD_REQUEST, f"field 'offset': {offset} does not follow "
                         f"the {so_far} bytes of {name!r} received so far (start with "
                         "offset 0)")
    if so_far + len(data) > MAX_UPLOAD_BYTES:
        part.unlink(missing_ok=True)
        raise AdminError(ErrorCode.BAD_REQUEST, f"field 'data': {name!r} would pass "
                         f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB, the most an upload may "
                         "have; the upload is dropped")
    with part.open("r+b" if offset else "wb") as f:
        f.seek(offset)
        f.write(data)
        f.truncate()
        if final:
            f.flush()
            os.fsync(f.fileno())
    size = so_far + len(data)
    if final:
        os.replace(part, folder / name)
    return size


async def _file_upload(call: AdminCall) -> dict[str, Any]:
    name, offset = str(call.params["name"]), int(call.params["offset"])
    if ".." in name:
        raise AdminError(ErrorCode.BAD_REQUEST, f"field 'name': {name!r} may not contain "
                                                "'..'")
    try:
        data = base64.b64decode(str(call.params["data"]), validate=True)
    except (binascii.Error, ValueError):
        raise AdminError(ErrorCode.BAD_REQUEST, "field 'data' must be base64") from None
    if len(data) > CHUNK_BYTES:
        raise AdminError(ErrorCode.BAD_REQUEST, f"field 'data': {len(data)} bytes, a chunk "
                         f"may have at most {CHUNK_BYTES}")
    final = bool(call.params.get("final", False))
    folder = call.backend.data_dir / backup.UPLOADS
    try:
        size = await call.in_store(
            lambda: _append_chunk(folder, name, offset, data, final))
    except OSError as exc:
        raise AdminError(ErrorCode.INTERNAL, f"cannot write {name!r} in uploads: "
                                             f"{exc.strerror or exc}") from None
    if final:
        log.info("admin: %s uploaded %s (%d bytes)", call.who, name, size)
    return {"name": name, "size": size}


# --------------------------------------------------------------------------- restore

async def _open(call: AdminCall) -> tuple[ParameterImage, Identity, Schema]:
    """The file of the request, checked, and this PBX's identity and schema."""
    area, name = str(call.params["area"]), str(call.params["name"])
    path = _path(call, area, name)
    try:
        image = await call.in_store(lambda: backup.open_backup(_existing(path, area), name))
        identity = _identity(call)
        backup.check_fits(image, identity, name)
    except BackupFileError as exc:
        raise AdminError(ErrorCode.BAD_REQUEST, str(exc)) from None
    return image, identity, build_schema(identity.extensions, identity.trunks)


async def _restore_preview(call: AdminCall) -> dict[str, Any]:
    image, _, schema = await _open(call)
    service = call.service

    def work() -> list[backup.GroupComparison]:
        current = service.image.params
        if any(k not in current for k in schema.keys()):  # noqa: SIM118 (a list)
            raise AdminError(ErrorCode.PBX_UNAVAILABLE, "the PBX's parameters are not all "
                             "read yet (data verification runs): try again when it is done")
        return backup.compare(image, current, schema)

    compared = await call.in_store(work)
    return {"extensions": image.extensions, "trunks": image.trunks, "model": image.model,
            "groups": [{"group": c.group.value, "differ": c.differ, "same": c.same,
                        "missing": c.missing,
                        "changes": [{"key": d.key, "pbx": d.pbx, "file": d.file}
                                    for d in c.changes]}
                       for c in compared]}


def _writer(call: AdminCall, who: str, done_before: int, total: int,
            read_now: Mapping[str, str] | None = None) -> backup.Writer:
    """The service's batch write, with the job's progress and cancel; ``read_now``: the
    values just read from the PBX (see ``PbxService.write_parameters``)."""
    service = call.service

    def progress(done: int, _total: int, text: str = "") -> None:
        call.job.progress(done_before + done, total, text)

    def write(pairs: list[tuple[str, str]]) -> list[WriteResult]:
        return service.write_parameters(pairs, who=who, progress=progress,
                                        cancelled=lambda: call.job.cancelled,
                                        read_now=read_now)

    return write


async def _restore_apply(call: AdminCall) -> dict[str, Any]:
    image, _, schema = await _open(call)
    name = str(call.params["name"])
    groups = [Group(g) for g in GROUPS if g in call.params.get("groups", GROUPS)]
    service = call.service
    rows = sum(len(schema.group_rows(g)) for g in groups)

    def work() -> backup.RestoreSummary:
        def step(done: int, total: int, group: Group) -> None:
            call.job.check("nothing written")
            call.job.progress(done, 0, f"reading the {group} group")

        call.job.check("nothing written")
        current, _ = read_groups(service.link, schema, groups, progress=step,
                                 timeout=service.request_timeout)
        wanted = len(backup.changes(image, current, schema, groups))
        write = _writer(call, call.who, rows, rows + wanted, current)
        return backup.restore(image, current, schema, groups, write)

    try:
        summary = await call.in_worker(work)
    except PbxError as exc:
        raise _pbx_error(exc) from None
    written = summary.total("written")
    log.info("admin: %s restored %s (%s): %d written, %d refused", call.who, name,
             ", ".join(groups), written, summary.total("refused"))
    if call.job.cancelled and summary.total("not_sent"):
        raise Cancelled(f"cancelled: {written} written and read back, "
                        f"{summary.total('not_sent')} not sent")
    return {"groups": [{"group": g.value, **counts} for g, counts in summary.counts.items()],
            "refused": [{"key": k, "reason": r} for k, r in summary.refused[:SHOWN_REFUSALS]]}


HANDLERS: Final[Mapping[str, AdminHandler]] = {
    "backup_create": _backup_create,
    "backup_list": _backup_list,
    "file_download": _file_download,
    "file_upload": _file_upload,
    "restore_preview": _restore_preview,
    "restore_apply": _restore_apply,
}


def service_events(event: ServiceEvent) -> list[tuple[str, dict[str, Any]]]:
    """The admin events a service event means (called in the service's event thread):
    none; a restore's writes are announced by the service as ``parameter_changed``."""
    return []
