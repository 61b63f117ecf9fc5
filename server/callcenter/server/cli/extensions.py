"""``callcenter-server extensions names|name``: the names of extension ports (protocol 1.2).

``extensions names`` lists every named port; ``extensions name PORT TEXT`` names a port
(``""`` removes the name). While the service runs for the data folder (``DIR/service.json``)
both go through it (the admin API's ``extension_names`` / ``extension_names_set``, logged in
with the local token), so every CRM and console gets the new name at once (a new snapshot).
Without a running service they read and write the store here; the service carries the names
from its next start. A port the PBX does not have (the count from the service, or from its
saved parameter image ``DIR/image.json``) is refused either way.
Exit status: 0 done, 2 bad input (named), 1 the store or the service failed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any, TextIO

from callcenter.common.agent.client import HubClient, HubUnavailable, RequestFailed
from callcenter.server.accounts import extension_names
from callcenter.server.accounts.extension_names import ExtensionNameError
from callcenter.server.cli.common import add_data_argument, open_existing_store, running_service
from callcenter.server.prepaid.ledger import saved_extensions
from callcenter.server.store.db import NoServerData, StoreError
from callcenter.server.store.settings import cli_user

ACTIONS = ("names", "name")
#: The inputs as this command line names them.
_CLI_NAMES = {"port": "PORT", "name": "TEXT"}


def add_extensions_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``extensions ...`` to ``callcenter-server``'s subparsers; run with
    ``run_extensions``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "extensions", help="names of extension ports (shown by the CRM and the monitor)",
        description="Names of extension ports (at most 32 characters), carried to every CRM "
                    "client and the console's monitor. Safe while the service runs: the "
                    "change then goes through it.")
    actions = parser.add_subparsers(dest="extensions_action", metavar="names|name",
                                    required=True)
    names = actions.add_parser("names", help="list the named ports",
                               description="list the named ports")
    name = actions.add_parser("name", help="name a port (\"\" removes the name)",
                              description="name a port; TEXT \"\" removes the name")
    for sub in (names, name):
        add_data_argument(sub)
        sub.add_argument("--db", default=None, metavar="URL",
                         help="postgresql://... store (remembered in DIR)")
    name.add_argument("port", metavar="PORT", help="extension port, e.g. 001")
    name.add_argument("text", metavar="TEXT", help="the name; \"\" removes it")
    return parser


def _print_names(names: dict[str, str], out: TextIO) -> None:
    if not names:
        print("no extension port has a name", file=out)
        return
    print("PORT  NAME", file=out)
    for port, text in sorted(names.items()):
        print(f"{port}   {text}", file=out)


def _problem(exc: ExtensionNameError) -> str:
    return f"{_CLI_NAMES.get(exc.field, exc.field)}: {exc.message}"


def _service_problem(exc: RequestFailed) -> str:
    """A refusal of the service as this command line says it (the port is checked here
    first, so a bad request is about the name)."""
    text = exc.message
    if text.startswith("field '") and "': " in text:
        named = "PORT" if exc.code == "not_found" else "TEXT"
        return f"{named}: {text.split(chr(39) + ': ', 1)[1]}"
    return text


def run_extensions(args: argparse.Namespace, out: TextIO | None = None,
                   err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    action = str(args.extensions_action)
    data = Path(args.data)
    change: dict[str, str] = {}
    if action == "name":
        try:
            port, text = extension_names.check_name(str(args.port), str(args.text))
        except ExtensionNameError as exc:
            print(f"extensions name: {_problem(exc)}", file=err)
            return 2
        change = {port: text}
    try:
        client = running_service(data)
    except HubUnavailable as exc:
        print(f"extensions {action}: the service of {data} does not answer: {exc}", file=err)
        return 1
    if client is not None:
        with contextlib.closing(client):
            return _through_service(client, action, change, data, out=out, err=err)
    try:
        db = open_existing_store(data, args.db)  # a mistyped --data creates nothing
    except (NoServerData, StoreError) as exc:
        print(f"extensions {action}: {exc}", file=err)
        return 1
    try:
        if action == "names":
            _print_names(extension_names.extension_names(), out)
            return 0
        names = extension_names.set_extension_names(change, ports=saved_extensions(data),
                                                    who=cli_user())
    except ExtensionNameError as exc:
        print(f"extensions name: {_problem(exc)}", file=err)
        return 2
    finally:
        db.close()
    _said(change, names, out)
    print("recorded; the service carries the name from its next start", file=out)
    return 0


def _said(change: dict[str, str], names: dict[str, str], out: TextIO) -> None:
    [(port, text)] = change.items()
    print(f"{port}: {names[port]}" if text else f"{port}: no name", file=out)


def _through_service(client: HubClient, action: str, change: dict[str, str], data: Path, *,
                     out: TextIO, err: TextIO) -> int:
    try:
        if action == "names":
            _print_names(dict(client.request("extension_names")["names"]), out)
            return 0
        done = client.request("extension_names_set", names=change)
    except RequestFailed as exc:
        print(f"extensions {action}: {_service_problem(exc)}", file=err)
        return 2 if exc.code in ("bad_request", "not_found") else 1
    except HubUnavailable as exc:
        print(f"extensions {action}: the service of {data} does not answer: {exc}", file=err)
        return 1
    _said(change, dict(done["names"]), out)
    print("recorded by the running service; every CRM and console shows it now", file=out)
    return 0
