"""``pbx ...`` on the PBX port itself, when no service runs for the data folder (or
``--pbx`` is given): open the port (one owner at a time: a port the service holds fails
with a clear "in use" message), identify the PBX, do the job, close the port.  ``monitor``
is read-only: it never acknowledges call records, so they stay in the PBX's buffer for the
service.  Also the output helpers ``cli.pbx_service`` shares.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from callcenter.common.pbx.line import line_settings_from_args
from callcenter.common.pbx.messages import Identity
from callcenter.common.schema import Group, ParameterError, Schema, build_schema
from callcenter.server.cli.common import UsageError
from callcenter.server.pbx import backup
from callcenter.server.pbx.backup import BackupFileError, RestoreSummary
from callcenter.server.pbx.image import ParameterImage, write_json_atomic
from callcenter.server.pbx.link import LinkOptions, Listener, PbxLink
from callcenter.server.pbx.parameters import PbxRefused, check_value, write_parameter
from callcenter.server.pbx.verification import read_groups
from callcenter.server.settings import (
    ServerSettings,
    check_port_url,
    default_data_dir,
)
from callcenter.server.store.db import has_store, open_store
from callcenter.server.store.settings import site_zone

log = logging.getLogger("callcenter.server.pbx")

#: The flags whose value, when not given, is the one saved in DIR's store.
SAVED_FLAGS = ("pbx", "baud", "bytesize", "parity", "stopbits", "ack_timeout", "retries")


def data_dir_of(args: argparse.Namespace) -> Path:
    return args.data or default_data_dir()


def _saved(args: argparse.Namespace) -> ServerSettings:
    """The settings saved in DIR, when a flag is missing and DIR has a store (a ``pbx``
    command never creates one); else the defaults."""
    data_dir = data_dir_of(args)
    if all(getattr(args, k) is not None for k in SAVED_FLAGS) or not has_store(data_dir):
        return ServerSettings()
    return ServerSettings.load(data_dir)


@contextmanager
def connected(args: argparse.Namespace, listener: Listener | None = None
              ) -> Iterator[tuple[PbxLink, Identity]]:
    """Open the port, identify the PBX (fail fast: no such port, in use, silent), close."""
    if args.pbx is not None:
        check_port_url(args.pbx)  # SettingError: a usage error, nothing opened
    line_settings_from_args(args)  # LineSettingsError for a bad flag before the store is read
    saved = _saved(args)
    url = args.pbx or saved.pbx
    if not url:
        raise UsageError("no PBX port: give --pbx URL (COM3, /dev/ttyUSB0, socket://HOST:PORT)")
    line = line_settings_from_args(args, saved.line)
    ack_timeout, retries = saved.link_values(args)
    link = PbxLink(url, line, listener=listener, log_failures=False,
                   options=LinkOptions(identify_timeout=args.timeout, ack_timeout=ack_timeout,
                                       max_retries=retries))
    link.start()
    try:
        identity = link.wait_up(args.timeout + 5, fail_fast=True)
        yield link, identity
    finally:
        link.stop()


def print_line(text: str) -> None:
    print(text, flush=True)


def error_line(text: str) -> None:
    print(f"callcenter-server: {text}", file=sys.stderr)


def write_image(args: argparse.Namespace, image: ParameterImage) -> None:
    if args.out:
        write_json_atomic(args.out, image.to_json())
        # the result of the command: standard output stays empty (it would carry the JSON)
        print(f"wrote {len(image.params)} parameters to {args.out}", file=sys.stderr)
    else:
        print_line(json.dumps(image.to_json(), ensure_ascii=False, indent=1))


# --------------------------------------------------------------------------- on the port

def dump(args: argparse.Namespace) -> int:
    with connected(args) as (link, identity):
        schema = build_schema(identity.extensions, identity.trunks)
        params, _ = read_groups(link, schema, list(Group), timeout=args.timeout,
                                progress=lambda d, t, g: log.info("read %d/%d rows", d, t))
    image = ParameterImage.for_identity(identity)
    image.checksums = {g.value: identity.checksum(g.value) for g in Group}
    image.params = {k: params[k] for k in schema.keys() if k in params}  # noqa: SIM118
    write_image(args, image)
    return 0


def parse_pairs(pairs: list[str]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{pair!r}: write KEY=VALUE (e.g. extension.001.day_class=11)")
        out.append((key.strip(), value))
    return out


def validate_all(schema: Schema, pairs: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """Canonical values, or None after printing every problem (then nothing is written)."""
    checked, problems = [], []
    for key, value in pairs:
        try:
            checked.append((key, check_value(schema, key, value)))
        except ParameterError as exc:
            problems.append(str(exc))
    for problem in problems:
        error_line(problem)
    return None if problems else checked


class _Written:
    """One key's outcome of a write on the port (``backup.WriteOutcome``)."""

    def __init__(self, key: str, status: str, value: str = "", reason: str = "") -> None:
        self.key, self.status, self.value, self.reason = key, status, value, reason


def _write_all(link: PbxLink, schema: Schema, pairs: list[tuple[str, str]],
               timeout: float, *, echo: bool) -> list[_Written]:
    """Write and verify each pair; refusals are reported on standard error."""
    out = []
    for key, value in pairs:
        try:
            stored = write_parameter(link, schema, key, value, timeout=timeout)
        except PbxRefused as exc:
            error_line(str(exc))
            out.append(_Written(key, "refused", reason=str(exc)))
            continue
        if echo:
            print_line(f"{key} = {stored} (verified)")
        out.append(_Written(key, "written", stored))
    return out


def set_parameters(args: argparse.Namespace) -> int:
    pairs = parse_pairs(args.pairs)
    with connected(args) as (link, identity):
        schema = build_schema(identity.extensions, identity.trunks)
        checked = validate_all(schema, pairs)
        if checked is None:
            return 2
        done = _write_all(link, schema, checked, args.timeout, echo=True)
    return 1 if any(w.status != "written" for w in done) else 0


#: Keys listed one by one when a file has keys this PBX does not; the rest are counted.
SHOWN_KEYS = 10


def _foreign_keys(args: argparse.Namespace, image: ParameterImage, identity: Identity,
                  unknown: list[str]) -> None:
    """Say (on standard error) that the file holds keys this PBX does not have."""
    size = ""
    if image.extensions and (image.extensions, image.trunks) != (identity.extensions,
                                                                identity.trunks):
        size = (f" is for a PBX with {image.extensions} extensions and {image.trunks} trunks, "
                f"this one has {identity.extensions} and {identity.trunks}:")
    error_line(f"{args.file}{size} {len(unknown)} keys are not on this PBX; nothing written")
    for key in unknown[:SHOWN_KEYS]:
        print(f"  {key}", file=sys.stderr)
    if len(unknown) > SHOWN_KEYS:
        print(f"  ... and {len(unknown) - SHOWN_KEYS} more", file=sys.stderr)


def chosen_groups(args: argparse.Namespace) -> list[Group]:
    return [Group(args.group)] if args.group else list(Group)


def print_summary(args: argparse.Namespace, groups: Sequence[Group], summary: RestoreSummary,
             missing: int) -> int:
    """Print the one result line of a restore; its exit status."""
    failed = sum(summary.total(s) for s in ("refused", "invalid", "unconfirmed", "not_sent"))
    verb = "loaded" if args.pbx_command == "load" else "restored"
    line = (f"{verb} {args.file} ({', '.join(groups)}): {summary.total('written')} written "
            f"and verified, {summary.total('unchanged')} unchanged, {failed} refused")
    if missing:
        line += f", {missing} not in the file (left as they are)"
    print_line(line)
    return 1 if failed else 0


def missing_keys(image: ParameterImage, schema: Schema, groups: Sequence[Group]) -> int:
    return sum(1 for g in groups for k in backup.group_keys(schema, g) if k not in image.params)


def load(args: argparse.Namespace) -> int:
    image = backup.open_backup(args.file)  # BackupFileError: exit 1, the port not opened
    groups = chosen_groups(args)
    with connected(args) as (link, identity):
        schema = build_schema(identity.extensions, identity.trunks)
        unknown = backup.foreign_keys(image, identity)
        if unknown:
            _foreign_keys(args, image, identity, unknown)
            return 2
        try:
            backup.check_fits(image, identity, str(args.file))
        except BackupFileError as exc:
            error_line(str(exc))
            return 2
        current, _ = read_groups(link, schema, groups, timeout=args.timeout)
        summary = backup.restore(image, current, schema, groups, lambda pairs: _write_all(
            link, schema, pairs, args.timeout, echo=False))
    return print_summary(args, groups, summary, missing_keys(image, schema, groups))


def _site_zone(data_dir: Path) -> Any:
    """The site's time zone (setting ``timezone``) when DIR has a store; else None."""
    if not has_store(data_dir):
        return None
    open_store(data_dir)
    return site_zone()


def make_backup(args: argparse.Namespace) -> int:
    data_dir = data_dir_of(args)
    zone = _site_zone(data_dir)
    with connected(args) as (link, identity):
        checksums = {g.value: identity.checksum(g.value) for g in Group}
        image = backup.read_image(link, identity, checksums=checksums, timeout=args.timeout,
                                  progress=lambda d, t, text: log.info("%s: %d/%d rows", text,
                                                                       d, t))
    if args.out:
        write_json_atomic(args.out, image.to_json())
        print_line(str(args.out))
    else:
        print_line(str(backup.save_backup(image, data_dir / backup.BACKUPS,
                                      datetime.now(zone).astimezone(zone))))
    return 0
