"""``callcenter-crm`` without a subcommand: the window's flags and its start.

``add_gui_arguments(parser)`` adds ``--server HOST:PORT --extension PORT --user NAME
[--device normal|proprietary|headset] [--tls] [--trust CERT] [--lang zh|en]``; the
password comes from the environment variable ``CALLCENTER_PASSWORD`` (never a flag: it
would show in the process list; unset, an unattended start logs in with ``""``, which a
hub whose agent password protection is off accepts).  ``start(args)`` checks them (a
clear message naming the flag, exit 2) and runs the window.  Tk is imported only then,
so the bulk subcommands run on a machine without a display.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from callcenter.common.agent.client import parse_address
from callcenter.crm_client.gui.options import DEVICES, PASSWORD_VARIABLE, GuiOptions
from callcenter.crm_client.store import default_data_dir

EXTENSION_PATTERN = re.compile(r"(?!000)[0-9]{3}")
HUB_PORT = 7600


class OptionError(ValueError):
    """A flag with a value that is not allowed (the message names it)."""


def add_gui_arguments(parser: argparse.ArgumentParser) -> None:
    """The window's flags (used when no subcommand is given)."""
    group = parser.add_argument_group("window (no subcommand)")
    group.add_argument("--server", metavar="HOST:PORT",
                       help="the call-center server's agent hub (port 7600 when left out)")
    group.add_argument("--extension", metavar="PORT",
                       help="this PC's extension port, three digits (e.g. 001)")
    group.add_argument("--user", metavar="NAME", help="the agent account")
    group.add_argument("--device", choices=DEVICES,
                       help="the agent's phone: normal phone, proprietary phone or headset")
    group.add_argument("--tls", action="store_true", help="speak TLS to the hub")
    group.add_argument("--trust", metavar="CERT",
                       help="the hub's certificate (PEM) to trust; implies --tls")
    group.add_argument("--lang", choices=("zh", "en"), help="the window's language")


def options_from(args: argparse.Namespace,
                 environ: dict[str, str] | os._Environ[str] | None = None) -> GuiOptions:
    """``GuiOptions`` from parsed flags; ``OptionError`` names a bad one."""
    environ = os.environ if environ is None else environ
    host, port = "", 0
    server = getattr(args, "server", None)
    if server:
        try:
            host, port = parse_address(server, HUB_PORT)
        except ValueError as exc:
            raise OptionError(f"--server {server!r}: expected HOST or HOST:PORT ({exc})") from exc
    extension = getattr(args, "extension", None) or ""
    if extension and not EXTENSION_PATTERN.fullmatch(extension):
        raise OptionError(f"--extension {extension!r}: an extension port is three digits, "
                          "001-999")
    user = getattr(args, "user", None) or ""
    if len(user) > 64:
        raise OptionError("--user: at most 64 characters")
    trust = getattr(args, "trust", None) or ""
    if trust and not Path(trust).is_file():
        raise OptionError(f"--trust {trust!r}: no such certificate file")
    data = getattr(args, "data", None)
    shared = getattr(args, "shared", None)
    return GuiOptions(
        data_dir=Path(data) if data else default_data_dir(),
        shared=Path(shared) if shared else None,
        server_host=host, server_port=port, extension=extension, user=user,
        device=getattr(args, "device", None) or "",
        tls=bool(getattr(args, "tls", False) or trust), trust=trust,
        language=getattr(args, "lang", None) or "",
        password=environ.get(PASSWORD_VARIABLE))


def start(args: argparse.Namespace) -> int:
    """Run the window with these flags; the exit status."""
    try:
        options = options_from(args)
    except OptionError as exc:
        print(f"callcenter-crm: {exc}", file=sys.stderr)
        return 2
    from callcenter.crm_client.gui.app import run  # noqa: PLC0415 - Tk only for the window

    return run(options)
