"""``callcenter-server pbx dump|set|load|monitor``: technician commands on the PBX port.

Each command opens the port itself (one owner at a time: while the service holds the
port, a command fails with a clear "in use" message), identifies the PBX, does its job and
closes the port.  ``monitor`` is read-only: it never acknowledges call records, so they
stay in the PBX's buffer for the service.
"""

from __future__ import annotations

import argparse
import json
import logging
import queue
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from callcenter.common.pbx.line import add_line_arguments, line_settings_from_args
from callcenter.common.pbx.messages import CallRecord, Identity
from callcenter.common.schema import Group, ParameterError, Schema, build_schema
from callcenter.server.cli.common import add_link_arguments
from callcenter.server.cli.format import event_to_json
from callcenter.server.pbx.image import ParameterImage, write_json_atomic
from callcenter.server.pbx.link import LinkNotice, LinkOptions, Listener, PbxLink
from callcenter.server.pbx.parameters import PbxRefused, check_value, write_parameter
from callcenter.server.pbx.verification import read_groups
from callcenter.server.settings import (
    ServerSettings,
    check_port_url,
    default_data_dir,
    setup_logging,
)
from callcenter.server.store.db import has_store

log = logging.getLogger("callcenter.server.pbx")


class UsageError(Exception):
    """A pbx command line that cannot be run; exit status 2."""


def add_pbx_parser(sub: Any) -> None:
    pbx = sub.add_parser("pbx", help="technician commands on the PBX port",
                         description="Technician commands on the PBX port.")
    commands = pbx.add_subparsers(dest="pbx_command", metavar="ACTION", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = commands.add_parser(name, help=help_text,
                                                         description=help_text)
        p.add_argument("--pbx", metavar="URL",
                       help="the PBX port (default: the one saved in DIR's settings)")
        p.add_argument("--data", metavar="DIR", type=Path,
                       help="where the saved port settings are (default "
                            f"{default_data_dir()})")
        add_line_arguments(p, defaults_none=True)
        add_link_arguments(p)
        p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                       help="how long to wait for each answer of the PBX (default 10)")
        p.add_argument("-v", "--verbose", action="count", default=0)
        return p

    dump = command("dump", "print the PBX's parameter image as JSON")
    dump.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead")
    pset = command("set", "write parameters, each verified by reading it back")
    pset.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    load = command("load", "restore a dump file (all groups or one); writes only differences")
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--group", choices=[g.value for g in Group])
    command("monitor", "print live state events and call records as JSON lines "
                       "(read-only: records are not acknowledged)")


def run(args: argparse.Namespace) -> int:
    setup_logging(None, verbose=args.verbose, stderr_level=logging.WARNING)
    handler = {"dump": dump, "set": set_parameters, "load": load,
               "monitor": monitor}[args.pbx_command]
    return handler(args)


_SAVED_FLAGS = ("pbx", "baud", "bytesize", "parity", "stopbits", "ack_timeout", "retries")


def _saved(args: argparse.Namespace) -> ServerSettings:
    """The settings saved in DIR, when a flag is missing and DIR has a store (a ``pbx``
    command never creates one); else the defaults."""
    data_dir: Path = args.data or default_data_dir()
    if all(getattr(args, k) is not None for k in _SAVED_FLAGS) or not has_store(data_dir):
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


def _print(text: str) -> None:
    print(text, flush=True)


def dump(args: argparse.Namespace) -> int:
    with connected(args) as (link, identity):
        schema = build_schema(identity.extensions, identity.trunks)
        params, _ = read_groups(link, schema, list(Group), timeout=args.timeout,
                                   progress=lambda d, t, g: log.info("read %d/%d rows", d, t))
    image = ParameterImage.for_identity(identity)
    image.checksums = {g.value: identity.checksum(g.value) for g in Group}
    order = schema.keys()
    image.params = {k: params[k] for k in order if k in params}
    if args.out:
        write_json_atomic(args.out, image.to_json())
        # the result of the command: standard output stays empty (it would carry the JSON)
        print(f"wrote {len(image.params)} parameters to {args.out}", file=sys.stderr)
    else:
        _print(json.dumps(image.to_json(), ensure_ascii=False, indent=1))
    return 0


def _parse_pairs(pairs: list[str]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{pair!r}: write KEY=VALUE (e.g. extension.001.day_class=11)")
        out.append((key.strip(), value))
    return out


def _validate_all(schema: Schema, pairs: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """Canonical values, or None after printing every problem (then nothing is written)."""
    checked, problems = [], []
    for key, value in pairs:
        try:
            checked.append((key, check_value(schema, key, value)))
        except ParameterError as exc:
            problems.append(str(exc))
    for problem in problems:
        print(f"callcenter-server: {problem}", file=sys.stderr)
    return None if problems else checked


def _write_all(link: PbxLink, schema: Schema, pairs: list[tuple[str, str]],
               timeout: float, *, echo: bool) -> int:
    """Write and verify each pair; the number the PBX refused (each reported)."""
    refused = 0
    for key, value in pairs:
        try:
            stored = write_parameter(link, schema, key, value, timeout=timeout)
        except PbxRefused as exc:
            print(f"callcenter-server: {exc}", file=sys.stderr)
            refused += 1
            continue
        if echo:
            _print(f"{key} = {stored} (verified)")
    return refused


def set_parameters(args: argparse.Namespace) -> int:
    pairs = _parse_pairs(args.pairs)
    with connected(args) as (link, identity):
        schema = build_schema(identity.extensions, identity.trunks)
        checked = _validate_all(schema, pairs)
        if checked is None:
            return 2
        return 1 if _write_all(link, schema, checked, args.timeout, echo=True) else 0


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
    print(f"callcenter-server: {args.file}{size} {len(unknown)} keys are not on this PBX; "
          "nothing written", file=sys.stderr)
    for key in unknown[:SHOWN_KEYS]:
        print(f"  {key}", file=sys.stderr)
    if len(unknown) > SHOWN_KEYS:
        print(f"  ... and {len(unknown) - SHOWN_KEYS} more", file=sys.stderr)


def load(args: argparse.Namespace) -> int:
    image = ParameterImage.load(args.file)
    groups = [Group(args.group)] if args.group else list(Group)
    with connected(args) as (link, identity):
        schema = build_schema(identity.extensions, identity.trunks)
        unknown = [k for k in image.params if k not in schema]
        if unknown:
            _foreign_keys(args, image, identity, unknown)
            return 2
        wanted = [(k, v) for k, v in image.params.items() if schema.group_of(k) in groups]
        checked = _validate_all(schema, wanted)
        if checked is None:
            return 2
        current, _ = read_groups(link, schema, groups, timeout=args.timeout)
        changes = [(k, v) for k, v in checked if current.get(k) != v]
        refused = _write_all(link, schema, changes, args.timeout, echo=False)
    missing = sum(1 for g in groups for row in schema.group_rows(g) for k in row.keys
                  if k not in image.params)
    summary = (f"loaded {args.file} ({', '.join(groups)}): {len(changes) - refused} written "
               f"and verified, {len(checked) - len(changes)} unchanged, {refused} refused")
    if missing:
        summary += f", {missing} not in the file (left as they are)"
    _print(summary)
    return 1 if refused else 0


def monitor(args: argparse.Namespace) -> int:
    from callcenter.server.cli.common import stop_on_signals  # noqa: PLC0415

    notices: queue.SimpleQueue[LinkNotice] = queue.SimpleQueue()
    printed_records: set[int] = set()
    # The link's own LinkUp notice (queued before connected() returns) prints "link_up",
    # with its time, like every later reconnect.
    with connected(args, notices.put), stop_on_signals() as stop:
        while not stop.is_set():
            try:
                notice = notices.get(timeout=0.2)
            except queue.Empty:
                continue
            if isinstance(notice, CallRecord):
                # Never acknowledged here, so the PBX offers it again now and then.
                if notice.sequence in printed_records:
                    continue
                printed_records.add(notice.sequence)
            data = event_to_json(notice)
            if data is not None:
                _print(json.dumps(data, ensure_ascii=False))
    return 0

