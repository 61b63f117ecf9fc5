"""``callcenter-server pbx dump|set|restore|backup|monitor|status``: technician commands on the
PBX.

When a service runs for the data folder (``DIR/service.json``, see ``cli.common``) and no
``--pbx`` is given, a command is a client of that service (``cli.pbx_service``): it logs in
with the local token and asks the admin API, so the service keeps its port, its call-record
intake and its CRM clients meanwhile.  Otherwise the command opens the port itself
(``cli.pbx_port``).  The output is the same either way (``docs/server.md``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from callcenter.common.agent.client import HubClient, HubUnavailable, RequestFailed
from callcenter.common.pbx.line import add_line_arguments, line_settings_from_args
from callcenter.common.schema import Group
from callcenter.server.cli.common import UsageError, add_link_arguments, running_service
from callcenter.server.cli.pbx_port import (
    SAVED_FLAGS,
    data_dir_of,
    dump,
    load,
    make_backup,
    set_parameters,
)
from callcenter.server.cli.pbx_service import (
    backup_via,
    dump_via,
    monitor_via,
    restore_via,
    set_via,
)
from callcenter.server.cli.pbx_status import monitor, status, status_via
from callcenter.server.settings import default_data_dir, setup_logging

log = logging.getLogger("callcenter.server.pbx")

__all__ = ["UsageError", "add_pbx_parser", "run"]


def add_pbx_parser(sub: Any) -> None:
    pbx = sub.add_parser("pbx", help="technician commands on the PBX port",
                         description="Technician commands on the PBX: through the service "
                                     "that runs for DIR, or on the port itself when none "
                                     "runs (or --pbx is given).")
    commands = pbx.add_subparsers(dest="pbx_command", metavar="ACTION", required=True)

    def command(name: str, help_text: str, aliases: Sequence[str] = ()
                ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = commands.add_parser(name, help=help_text,
                                                         description=help_text,
                                                         aliases=list(aliases))
        p.add_argument("--pbx", metavar="URL",
                       help="open this PBX port itself, even while a service runs "
                            "(default: through the service running for DIR, else the "
                            "port saved in DIR's settings)")
        p.add_argument("--data", metavar="DIR", type=Path,
                       help="the data folder: its running service, or its saved port "
                            f"settings (default {default_data_dir()})")
        add_line_arguments(p, defaults_none=True)
        add_link_arguments(p)
        p.add_argument("--timeout", type=_timeout, default=10.0, metavar="SECONDS",
                       help="how long to wait for each answer of the PBX (default 10)")
        p.add_argument("-v", "--verbose", action="count", default=0)
        return p

    dump = command("dump", "print the PBX's parameter image as JSON")
    dump.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead")
    pset = command("set", "write parameters, each verified by reading it back")
    pset.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    restore = command("restore", "restore a backup or dump file (all groups or one); writes "
                                 "only the differences", aliases=("load",))
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--group", choices=[g.value for g in Group])
    backup_cmd = command("backup", "back up the four parameter groups to DIR/backups/"
                                   "B<yyyymmddhhmm> (or FILE) and print its path")
    backup_cmd.add_argument("--out", metavar="FILE", type=Path,
                            help="write the backup to FILE (with a service running: a copy "
                                 "of the one it keeps in DIR/backups)")
    command("monitor", "print live state events and call records as JSON lines: link_up, "
                       "the starting state, then the events (read-only: records are not "
                       "acknowledged)")
    status = command("status", "print the current state of every extension port, trunk and "
                               "park slot")
    status.add_argument("--json", action="store_true",
                        help="one JSON object (link, extensions, trunks, park_slots)")


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.1 <= value <= 600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds 0.1-600")
    return value


def run(args: argparse.Namespace) -> int:
    setup_logging(None, verbose=args.verbose, stderr_level=logging.WARNING)
    name = "restore" if args.pbx_command == "load" else args.pbx_command
    client = _service(args)
    if client is None:
        local = {"dump": dump, "set": set_parameters, "restore": load, "backup": make_backup,
                 "monitor": monitor, "status": status}[name]
        return local(args)
    remote = {"dump": dump_via, "set": set_via, "restore": restore_via, "backup": backup_via,
              "monitor": monitor_via, "status": status_via}[name]
    try:
        with client:
            return remote(args, client)
    except RequestFailed as exc:
        print(f"callcenter-server: {exc.message}", file=sys.stderr)
        return 2 if exc.code == "bad_request" else 1
    except HubUnavailable as exc:
        print(f"callcenter-server: the service: {exc}", file=sys.stderr)
        return 1


def _service(args: argparse.Namespace) -> HubClient | None:
    """A session with the service running for DIR, unless ``--pbx`` names a port."""
    if args.pbx is not None:
        return None
    line_settings_from_args(args)  # a bad flag is a usage error either way
    try:
        client = running_service(data_dir_of(args))
    except HubUnavailable as exc:
        raise HubUnavailableError(f"a service runs for {data_dir_of(args)} but does not "
                                  f"answer: {exc}") from None
    if client is not None and any(getattr(args, k) is not None for k in SAVED_FLAGS[1:]):
        log.warning("the service running for %s owns the port: the line flags are not used",
                    data_dir_of(args))
    return client


class HubUnavailableError(OSError):
    """The data folder's service runs but does not answer (exit 1)."""
