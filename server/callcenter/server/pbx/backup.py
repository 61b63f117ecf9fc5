"""Backup and restore of the PBX's four parameter groups (资料备份 / 资料恢复, S-42, S-36).

A backup is the PBX's whole parameter image, read from the PBX at the moment it is made,
in the very JSON shape of ``pbx dump`` (``ParameterImage``: model, firmware, port counts,
group checksums, the values under ``params``).  It is kept in ``DIR/backups/`` under the
name ``B`` + the site's local ``yyyymmddhhmm`` (as the original program's ``B200603290915``),
with ``-2``, ``-3`` ... added when one minute sees several.  ``pbx load`` of a dump and a
restore of a backup read the same files.

A restore opens a file (``open_backup``: anything that is not such an image, made by a PBX
of its own port counts with values the schema allows, is refused with the file's name and
the reason), checks that it fits this PBX (``check_fits``: same port counts and model),
compares it group by group with the PBX's values (``compare``) and writes only the keys
that differ (``changes``); a write goes through whatever the caller gives (the service's
``write_parameters``, or the port's own writer when no service runs) and comes back as one
outcome per key, which ``RestoreSummary`` counts per group.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Protocol

from callcenter.common.pbx.messages import Identity
from callcenter.common.schema import Group, ParameterError, Schema, build_schema
from callcenter.server.pbx.image import ImageFileError, ParameterImage, write_json_atomic
from callcenter.server.pbx.link import PbxLink
from callcenter.server.pbx.verification import read_groups

#: The data folder's sub-folders of files: backups made here, files uploaded by consoles
#: (to restore), exports of records (made by the records module).
BACKUPS = "backups"
UPLOADS = "uploads"
EXPORTS = "exports"
#: A file larger than this is no backup of any PBX (999 extensions x 99 trunks: ~1 MB).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Differences listed one by one per group in a comparison; the rest are counted.
SHOWN_CHANGES = 20
NAME_RE = re.compile(r"B[0-9]{12}(-[0-9]{1,4})?")
#: A backup of one minute gets at most this many suffixes (-2 ... -999).
MAX_PER_MINUTE = 999

#: ``progress(done, total, text)``: how far a backup or restore is, for people.
Progress = Callable[[int, int, str], None]
#: ``check()``: raises (the caller's exception) when the work is to stop.
Check = Callable[[], None]


class BackupFileError(ImageFileError):
    """A file that is not a backup this PBX can take; the text names the file and the
    reason, and nothing was written."""


class WriteOutcome(Protocol):
    """One key's result of a batch write (the service's ``WriteResult`` is one)."""

    @property
    def key(self) -> str: ...

    @property
    def status(self) -> str: ...  # WRITE_STATUSES

    @property
    def reason(self) -> str: ...


#: Writes ``[(key, value)]`` and says what happened to each key.
Writer = Callable[[list[tuple[str, str]]], Sequence[WriteOutcome]]
#: What a key of a restore came to: written and read back; already so (not sent); refused by
#: the PBX (or read back otherwise); not allowed (not sent); not sent (cancel, link down);
#: sent but neither the answer nor the read-back came (the PBX may or may not hold it).
WRITE_STATUSES = ("written", "unchanged", "refused", "invalid", "not_sent", "unconfirmed")


# --------------------------------------------------------------------------- making one

def read_image(link: PbxLink, identity: Identity, *, checksums: Mapping[str, str],
               progress: Progress | None = None, check: Check | None = None,
               timeout: float = 10.0) -> ParameterImage:
    """Every group as the PBX holds it now (read over ``link``), with ``checksums`` (the
    ones known to describe the values; a group without one has none in the file)."""
    schema = build_schema(identity.extensions, identity.trunks)

    def step(done: int, total: int, group: Group) -> None:
        if check is not None:
            check()
        if progress is not None:
            progress(done, total, f"reading the {group} group")

    if check is not None:
        check()
    params, _ = read_groups(link, schema, list(Group), progress=step, timeout=timeout)
    image = ParameterImage.for_identity(identity)
    image.checksums = {g.value: checksums[g.value] for g in Group if checksums.get(g.value)}
    image.params = {k: params[k] for k in schema.keys() if k in params}  # noqa: SIM118
    return image


def backup_name(when: datetime, taken: Iterable[str] = ()) -> str:
    """``B`` + ``when``'s ``yyyymmddhhmm``, with ``-2``, ``-3`` ... when ``taken`` has it."""
    base = "B" + when.strftime("%Y%m%d%H%M")
    used = set(taken)
    if base not in used:
        return base
    for n in range(2, MAX_PER_MINUTE + 1):
        if f"{base}-{n}" not in used:
            return f"{base}-{n}"
    raise OSError(f"{MAX_PER_MINUTE} backups made in the minute {base[1:]}: no name left")


def save_backup(image: ParameterImage, folder: Path, when: datetime) -> Path:
    """Write ``image`` as a new backup in ``folder``; its path.  The name is reserved by
    creating the file exclusively, so two backups of one minute never share one."""
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(MAX_PER_MINUTE):
        path = folder / backup_name(when, (p.name for p in folder.iterdir()))
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:  # made by another backup meanwhile: the next suffix
            continue
        try:
            write_json_atomic(path, image.to_json())
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return path
    raise OSError(f"cannot find a free backup name in {folder}")


@dataclass(frozen=True)
class BackupInfo:
    name: str
    size: int
    created: datetime  # aware: the file's modification time


def list_backups(folder: Path, zone: tzinfo | None = None) -> list[BackupInfo]:
    """The backups in ``folder`` (names ``B`` + 12 digits [``-N``]), oldest first."""
    if not folder.is_dir():
        return []
    out = []
    for path in folder.iterdir():
        if NAME_RE.fullmatch(path.name) and path.is_file():
            stat = path.stat()
            created = (datetime.fromtimestamp(stat.st_mtime, zone) if zone is not None
                       else datetime.fromtimestamp(stat.st_mtime).astimezone())
            out.append(BackupInfo(path.name, stat.st_size, created))
    return sorted(out, key=lambda b: (b.name[:13], len(b.name), b.name))


# --------------------------------------------------------------------------- reading one

def open_backup(path: Path, name: str | None = None) -> ParameterImage:
    """The image in ``path``, checked for itself (not yet against a PBX).

    Refused (``BackupFileError``, naming ``name``, default the path): unreadable, empty,
    too large, binary, not JSON, not a parameter image, port counts out of range, keys that
    a PBX of its own port counts does not have, or values its schema does not allow.  A
    file without port counts (made by hand) is checked against the PBX by ``check_fits``.
    """
    shown = name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BackupFileError(f"{shown}: {size} bytes is too large for a backup "
                                  f"(at most {MAX_FILE_BYTES // (1024 * 1024)} MB)")
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupFileError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise BackupFileError(f"{shown} is empty: not a backup")
    if b"\0" in raw:
        raise BackupFileError(f"{shown} holds binary data: not a backup (a backup is a "
                              "JSON text file)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BackupFileError(f"{shown} is not UTF-8 text: not a backup") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackupFileError(f"{shown} is not JSON (line {exc.lineno}: {exc.msg}): not "
                              "a backup") from None
    try:
        image = ParameterImage.from_json(data, shown)
    except ImageFileError as exc:
        raise BackupFileError(f"{exc}: not a backup") from None
    if (image.extensions, image.trunks) == (0, 0):
        return image  # a file made by hand: checked against the PBX's schema (check_fits)
    if not 1 <= image.extensions <= 999 or not 0 <= image.trunks <= 99:
        raise BackupFileError(f"{shown}: \"extensions\" must be 1-999 and \"trunks\" 0-99, "
                              f"not {image.extensions} and {image.trunks}: not a backup")
    _check_params(image, build_schema(image.extensions, image.trunks), shown,
                  f"parameters of a PBX with {image.extensions} extensions and "
                  f"{image.trunks} trunks")
    return image


def _check_params(image: ParameterImage, schema: Schema, shown: str, what: str) -> None:
    """Every key of ``image`` in ``schema``, every value allowed (made canonical)."""
    foreign = [k for k in image.params if k not in schema]
    if foreign:
        raise BackupFileError(f"{shown}: {len(foreign)} keys are not {what} (first: "
                              f"{foreign[0]}): a damaged or foreign file; nothing written")
    for key, value in image.params.items():
        try:
            image.params[key] = schema.validate(key, value)
        except ParameterError as exc:
            raise BackupFileError(f"{shown}: {exc}: a damaged file; nothing written") from None


def foreign_keys(image: ParameterImage, identity: Identity) -> list[str]:
    """The keys of ``image`` that the PBX of ``identity`` does not have."""
    schema = build_schema(identity.extensions, identity.trunks)
    return [k for k in image.params if k not in schema]


def check_fits(image: ParameterImage, identity: Identity, name: str) -> None:
    """Refuse (``BackupFileError``) a file of a PBX of another size or model, or (a file
    without port counts) with keys or values this PBX does not take."""
    if (image.extensions, image.trunks) == (0, 0):
        _check_params(image, build_schema(identity.extensions, identity.trunks), name,
                      f"parameters of this PBX ({identity.extensions} extensions, "
                      f"{identity.trunks} trunks)")
    elif (image.extensions, image.trunks) != (identity.extensions, identity.trunks):
        raise BackupFileError(
            f"{name} is for a PBX with {image.extensions} extensions and {image.trunks} "
            f"trunks, this one has {identity.extensions} and {identity.trunks}: nothing "
            "written")
    if image.model and identity.model and image.model != identity.model:
        raise BackupFileError(f"{name} is from a PBX of model {image.model}, this one is "
                              f"{identity.model}: nothing written")


# --------------------------------------------------------------------------- comparing

@dataclass(frozen=True)
class Change:
    key: str
    pbx: str
    file: str


@dataclass
class GroupComparison:
    """One group: keys whose file value differs from the PBX's, is the same, is missing
    from the file; the first ``SHOWN_CHANGES`` differences."""

    group: Group
    differ: int = 0
    same: int = 0
    missing: int = 0
    changes: list[Change] = field(default_factory=list)


def group_keys(schema: Schema, group: Group) -> list[str]:
    return [k for row in schema.group_rows(group) for k in row.keys]


def compare(image: ParameterImage, current: Mapping[str, str], schema: Schema,
            groups: Sequence[Group] = tuple(Group)) -> list[GroupComparison]:
    """``image`` against the PBX's values ``current``, group by group."""
    out = []
    for group in groups:
        result = GroupComparison(group)
        for key in group_keys(schema, group):
            value = image.params.get(key)
            if value is None:
                result.missing += 1
            elif current.get(key) == value:
                result.same += 1
            else:
                result.differ += 1
                if len(result.changes) < SHOWN_CHANGES:
                    result.changes.append(Change(key, current.get(key, ""), value))
        out.append(result)
    return out


def changes(image: ParameterImage, current: Mapping[str, str], schema: Schema,
            groups: Sequence[Group]) -> list[tuple[str, str]]:
    """The ``(key, file value)`` pairs of ``groups`` that differ from ``current``, in the
    schema's order (the writes a restore makes)."""
    return [(k, image.params[k]) for g in groups for k in group_keys(schema, g)
            if k in image.params and current.get(k) != image.params[k]]


@dataclass
class RestoreSummary:
    """What a restore did, per group: counts of each write status, and the refusals."""

    counts: dict[Group, dict[str, int]]
    refused: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)

    @classmethod
    def of(cls, schema: Schema, groups: Sequence[Group], unchanged: Mapping[Group, int],
           outcomes: Sequence[WriteOutcome]) -> RestoreSummary:
        counts = {g: {s: 0 for s in WRITE_STATUSES} for g in groups}
        for group in groups:
            counts[group]["unchanged"] = unchanged.get(group, 0)
        summary = cls(counts)
        for outcome in outcomes:
            group = schema.group_of(outcome.key)
            status = outcome.status if outcome.status in WRITE_STATUSES else "not_sent"
            counts.setdefault(group, {s: 0 for s in WRITE_STATUSES})[status] += 1
            if status in ("refused", "invalid", "unconfirmed"):
                summary.refused.append((outcome.key, outcome.reason))
        return summary

    def total(self, status: str) -> int:
        return sum(c[status] for c in self.counts.values())


def restore(image: ParameterImage, current: Mapping[str, str], schema: Schema,
            groups: Sequence[Group], write: Writer) -> RestoreSummary:
    """Write the keys of ``groups`` where ``image`` differs from ``current``."""
    wanted = changes(image, current, schema, groups)
    unchanged = {c.group: c.same for c in compare(image, current, schema, groups)}
    outcomes = write(wanted) if wanted else []
    return RestoreSummary.of(schema, groups, unchanged, outcomes)


__all__ = ["BACKUPS", "EXPORTS", "MAX_FILE_BYTES", "SHOWN_CHANGES", "UPLOADS", "BackupFileError",
           "BackupInfo", "Change", "GroupComparison", "RestoreSummary", "WriteOutcome",
           "backup_name", "changes", "check_fits", "compare", "foreign_keys", "list_backups",
           "open_backup",
           "read_image", "restore", "save_backup"]
