"""``callcenter-server``: the headless service (``--headless``, ``--demo``) and ``pbx ...``.

Standard output carries only results (events and records for the service, JSON for
``pbx dump`` and ``pbx monitor``); logs go to standard error (and DIR's log file).
Exit statuses: 0 done, 1 failed (one line on standard error, never a traceback),
2 usage error or a value the schema does not allow (nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from callcenter.common.agent.catalog import DEFAULT_PORT
from callcenter.common.agent.client import parse_address
from callcenter.common.pbx.line import (
    LineSettingsError,
    add_line_arguments,
    line_settings_from_args,
)
from callcenter.common.pipes import EXIT_BROKEN_PIPE, discard_stdout
from callcenter.common.schema import ParameterError
from callcenter.common.shortcut import (
    Shortcut,
    add_shortcut_parser,
    program_command,
    run_shortcut,
)
from callcenter.server.cli import pbx as cli_pbx
from callcenter.server.cli.accounts import add_accounts_parser, run_accounts
from callcenter.server.cli.common import (
    UsageError,
    add_link_arguments,
    stop_on_signals,
)
from callcenter.server.cli.extensions import add_extensions_parser, run_extensions
from callcenter.server.cli.format import EventLines
from callcenter.server.cli.rate import add_rate_parser, run_rate
from callcenter.server.cli.records import add_records_parser, run_records
from callcenter.server.cli.rooms import add_rooms_parser, run_rooms
from callcenter.server.cli.settings import add_settings_parser, run_settings
from callcenter.server.cli.tariff import add_tariff_parser, run_tariff
from callcenter.server.demo import DemoConfig
from callcenter.server.hub import TlsConfigError, context_from_settings
from callcenter.server.pbx.events import ServiceEvent
from callcenter.server.pbx.image import ImageFileError
from callcenter.server.pbx.link import LinkOptions, PbxError
from callcenter.server.runtime import ServerRuntime
from callcenter.server.service_file import connect_host
from callcenter.server.settings import (
    ServerSettings,
    SettingsError,
    check_port_url,
    default_data_dir,
    setup_logging,
)
from callcenter.server.store.db import StoreError, redact_url
from callcenter.server.store.settings import SettingError, site_zone

log = logging.getLogger("callcenter.server")

DEMO_TRAFFIC = 6.0  # calls per minute
MAX_DEMO_TRAFFIC = 600.0
DEFAULT_AGENT_PORT = DEFAULT_PORT  # 7600, what CRM clients assume
#: S-1: the start-menu shortcut opens the console on this computer's service.
SHORTCUT = Shortcut("callcenter", "CALLCENTER", "The call-center server console",
                    "呼叫中心服务器控制台", program_command("callcenter-server"))

#: ``--demo`` without ``--data`` keeps its records apart from the real service's.
DEMO_FOLDER = "demo"
#: ``--user NAME`` takes the console's password from here (unattended start).
PASSWORD_VARIABLE = "CALLCENTER_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callcenter-server",
        description="Call-center server: the PBX link service and technician commands.",
        epilog="Commands: callcenter-server COMMAND --help, e.g. pbx {dump,set,load,monitor}, "
               "records, tariff, rooms, accounts, settings, rate, extensions")
    parser.add_argument("--headless", action="store_true",
                        help="run the service without a window (a system service)")
    parser.add_argument("--attach", metavar="HOST[:PORT]",
                        help="open the console alone, on a service that runs elsewhere "
                             f"(PORT: its --agent-port, default {DEFAULT_PORT})")
    parser.add_argument("--trust", metavar="CERT.pem", type=Path,
                        help="with --attach: speak TLS to the service and trust this "
                             "certificate (the hub's own, or the CA that signed it); the "
                             "server's name or address must be in it (docs/hub.md)")
    parser.add_argument("--tls", action="store_true",
                        help="with --attach: speak TLS, trusting this computer's "
                             "certificate authorities")
    parser.add_argument("--user", metavar="NAME",
                        help="log the console in as NAME with the password in the "
                             f"environment variable {PASSWORD_VARIABLE} (no login dialog)")
    parser.add_argument("--demo", action="store_true",
                        help="run against the built-in PBX simulator with generated traffic")
    parser.add_argument("--traffic", type=_traffic, default=DEMO_TRAFFIC, metavar="CALLS_PER_MIN",
                        help=f"calls per minute of the --demo simulator (default {DEMO_TRAFFIC:g})")
    parser.add_argument("--pbx", metavar="URL",
                        help="the PBX port: COM3, /dev/ttyUSB0, socket://HOST:PORT, "
                             "rfc2217://HOST:PORT (saved in the data directory's settings)")
    parser.add_argument("--data", metavar="DIR", type=Path,
                        help=f"data directory (default {default_data_dir()}; with --demo "
                             f"{default_data_dir() / DEMO_FOLDER})")
    parser.add_argument("--db", metavar="URL",
                        help="postgresql://... to keep the store in PostgreSQL (remembered in "
                             "DIR); default: SQLite in DIR")
    add_line_arguments(parser, defaults_none=True)
    add_link_arguments(parser)
    parser.add_argument("--no-clock-sync", action="store_true",
                        help="do not set the PBX clock from this computer's at each connect")
    parser.add_argument("--agent-port", type=_agent_port, default=DEFAULT_AGENT_PORT,
                        metavar="PORT",
                        help=f"TCP port of the agent hub for CRM clients (default "
                             f"{DEFAULT_AGENT_PORT}; 0: any free port, logged)")
    parser.add_argument("--agent-host", default="", metavar="HOST",
                        help="address the agent hub listens on (default: all interfaces)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log lines on standard error (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_pbx.add_pbx_parser(sub)
    add_rate_parser(sub)
    add_settings_parser(sub)
    add_accounts_parser(sub)
    add_records_parser(sub)
    add_tariff_parser(sub)
    add_rooms_parser(sub)
    add_extensions_parser(sub)
    add_shortcut_parser(sub, SHORTCUT.name)
    return parser


def _traffic(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_DEMO_TRAFFIC:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of calls per minute "
                                         f"0-{MAX_DEMO_TRAFFIC:g}")
    return value


def _agent_port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port 0-65535")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        data = getattr(args, "data", None)
        if data is not None and data.exists() and not data.is_dir():
            raise UsageError(f"--data {data} is a file, not a folder")
        if args.command == "pbx":
            return cli_pbx.run(args)
        if args.command == "rate":
            return run_rate(args)
        if args.command == "settings":
            return run_settings(args)
        if args.command == "accounts":
            return run_accounts(args)
        if args.command == "records":
            return run_records(args)
        if args.command == "tariff":
            return run_tariff(args)
        if args.command == "rooms":
            return run_rooms(args)
        if args.command == "extensions":
            return run_extensions(args)
        if args.command == "shortcut":
            return run_shortcut(args, SHORTCUT, "callcenter-server")
        if args.attach is not None:
            return run_attach(args)
        return run_service(args)
    except (UsageError, cli_pbx.UsageError, LineSettingsError, SettingError) as exc:
        print(f"callcenter-server: {exc}", file=sys.stderr)
        return 2
    except ParameterError as exc:
        print(f"callcenter-server: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head`: the reader has what it wanted
        discard_stdout()
        return EXIT_BROKEN_PIPE
    except (PbxError, ImageFileError, SettingsError, StoreError, TlsConfigError,
            OSError) as exc:
        print(f"callcenter-server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        print(f"callcenter-server: unexpected error: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1


class _Printer:
    """Prints the service's events on standard output, one line each (progress thinned, a
    burst of like extension states as one line: ``cli.format.EventLines``)."""

    def __init__(self) -> None:
        # Stamped in the site's time zone, as the PBX's clock and its records are.
        self.lines = EventLines(self._print, site_zone())

    def __call__(self, event: ServiceEvent) -> None:
        self.lines(event)

    @staticmethod
    def _print(line: str) -> None:
        # BrokenPipeError: nobody reads standard output any more; the service goes on.
        with contextlib.suppress(BrokenPipeError, ValueError):
            print(line, flush=True)


def check_db_url(url: str) -> None:
    """A --db URL the store can use (the database itself is tried later), else UsageError."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme in ("postgresql", "postgres") and rest:
        return
    if sep and scheme == "sqlite" and rest.startswith("/") and len(rest) > 1:
        return
    raise UsageError(f"--db {redact_url(url)!r}: not a store URL (allowed: "
                     "postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?host=SOCKETDIR] or "
                     "sqlite:///PATH; without --db the store is DIR/callcenter.db)")


def _check_service_flags(args: argparse.Namespace) -> None:
    """Everything that can be checked without the store, checked first: a usage error
    saves nothing."""
    if args.demo and args.pbx is not None:
        raise UsageError("--demo runs its own simulated PBX: give --demo or --pbx, not both")
    if args.pbx is not None:
        check_port_url(args.pbx)
    _console_password(args)  # UsageError now, before anything starts
    if args.headless and args.user is not None:
        raise UsageError("--user logs the console in: it has no use with --headless")
    if args.trust is not None or args.tls:
        raise UsageError("--trust and --tls are for --attach (a console on a service "
                         "elsewhere); the service's own TLS is in its settings (docs/hub.md)")
    if args.db is not None:
        check_db_url(args.db)


def run_service(args: argparse.Namespace) -> int:
    _check_service_flags(args)
    line_settings_from_args(args)  # LineSettingsError for a bad --baud ... (exit 2)
    data_dir: Path = args.data or (default_data_dir() / DEMO_FOLDER if args.demo
                                   else default_data_dir())
    data_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(data_dir, verbose=args.verbose)
    # The store first, with --db: the settings below are read from and saved to it (and
    # its URL is remembered in DIR once it was reached), never to a stray SQLite file.
    settings = ServerSettings.load(data_dir, args.db)
    line = line_settings_from_args(args, settings.line)
    ack_timeout, retries = settings.link_values(args)
    root = None
    if not args.headless:
        from callcenter.server.console.launch import open_root  # noqa: PLC0415 (Tk only here)

        root, problem = open_root()
        if root is None:
            print(f"callcenter-server: {problem}: running the service without the console "
                  "window (as --headless; Ctrl-C stops)", file=sys.stderr, flush=True)
    url = ""
    wanted = settings
    if not args.demo:
        url = str(args.pbx or settings.pbx or "")
        if not url:
            raise UsageError("no PBX port: give --pbx URL (COM3, /dev/ttyUSB0 or "
                             "socket://HOST:PORT; it is saved for later runs) or --demo")
        wanted = ServerSettings(url, line, ack_timeout, retries)
    tls = context_from_settings()  # TlsConfigError (exit 1) before anything starts
    # The store (db_url is remembered in DIR: the service and later commands use it), the
    # link service, the loops, the agent hub and for --demo the simulator: one runtime.
    runtime = ServerRuntime(url, data_dir, line=line, sync_clock=not args.no_clock_sync,
                            db_url=args.db, link_options=LinkOptions(
                                ack_timeout=ack_timeout, max_retries=retries),
                            agent_port=args.agent_port, agent_host=args.agent_host, tls=tls,
                            demo=DemoConfig(args.traffic) if args.demo else None)
    printer = _Printer()
    try:
        runtime.service.add_listener(printer)
        log.info("service starting: PBX %s (%d %d%s%d, link: ack timeout %g s, %d retries), "
                 "data in %s", runtime.service.link.url, line.baud, line.bytesize,
                 line.parity, line.stopbits, ack_timeout, retries, data_dir)
        with stop_on_signals() as stop:
            # the hub first (it logs "agent hub listening on HOST:PORT" on standard error):
            # logins are served while the PBX link is down or verifying
            runtime.start()
            if runtime.simulator is not None:
                hotel = ([] if runtime.demo_hotel is None
                         else runtime.demo_hotel.lines(data_dir))
                print(*demo_lines(runtime.simulator.url, runtime.simulator.control_address),
                      *hotel, sep="\n", flush=True)
            if wanted != settings:  # saved once the service started: a failed start
                wanted.save(data_dir, store_open=True)  # (agent port taken ...) keeps the
                # old settings
            if root is not None:  # the window's end is the service's end
                console_root, root = root, None
                _run_embedded_console(console_root, runtime, args, stop.is_set)
            else:
                while not stop.wait(0.2):
                    pass
    finally:
        if root is not None:  # the service failed to start: the window never opened
            root.destroy()
        runtime.stop()
        printer.lines.flush()  # a run of events still held for its one line
    log.info("service stopped")
    return 0


def demo_lines(url: str, control: tuple[str, int] | None) -> list[str]:
    """What the demo says at start: its simulator's line and control port, and one command
    line that places a test call there (a 65 s call from port 001 to a mobile)."""
    lines = [f"demo: simulated PBX on {url}"]
    if control is not None:
        host, port = control
        request = {"cmd": "call", "extension": "001", "number": "13800138000", "duration": 65}
        code = (f"from callcenter.pbxsim.control import ControlClient; "
                f"print(ControlClient({json.dumps(host)}, {port}).request("
                f"{json.dumps(request)}))")
        lines += [f"demo: simulator control port {host}:{port} (JSON lines, docs/simulator.md)",
                  f"demo: place a test call: {shlex.quote(sys.executable)} -c "
                  f"{shlex.quote(code)}"]
    return lines


def _console_password(args: argparse.Namespace) -> str | None:
    """--user's password from the environment (None without --user); UsageError if unset."""
    if args.user is None:
        return None
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        raise UsageError(f"--user {args.user}: set the password in the environment variable "
                         f"{PASSWORD_VARIABLE}")
    return password


def _run_embedded_console(root: Any, runtime: ServerRuntime, args: argparse.Namespace,
                          should_quit: Callable[[], bool]) -> None:
    """The console on the service of this process, until its window closes (which stops
    the service) or a signal asks to stop."""
    from callcenter.server.console.app import run_console  # noqa: PLC0415 (Tk only here)
    from callcenter.server.console.connection import ServiceAddress  # noqa: PLC0415
    from callcenter.server.console.launch import local_tls  # noqa: PLC0415

    tls = local_tls() if runtime.hub is not None and runtime.hub.tls is not None else None
    address = ServiceAddress(connect_host(runtime.agent_host), runtime.hub_address[1], tls)
    log.info("console: opening the window on the service at %s", address)
    run_console(root, address, embedded=True, user=args.user or "",
                password=_console_password(args), should_quit=should_quit)


def attach_tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    """The TLS of ``--attach`` (None: plain TCP): ``--trust CERT`` or ``--tls``; the server's
    certificate is always checked, name included.  UsageError for a file it cannot use."""
    if args.trust is None:
        return ssl.create_default_context() if args.tls else None
    try:
        return ssl.create_default_context(cafile=str(args.trust))
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"--trust {args.trust}: not a PEM certificate this program can "
                         f"read ({exc})") from None


def run_attach(args: argparse.Namespace) -> int:
    """``--attach HOST[:PORT]``: the console alone, on a service that runs elsewhere."""
    if args.headless:
        raise UsageError("--attach opens the console window: it has no use with --headless")
    if args.demo or args.pbx is not None or args.data is not None or args.db is not None:
        raise UsageError("--attach opens a console on a running service: --demo, --pbx, "
                         "--data and --db belong to the service itself")
    try:
        host, port = parse_address(args.attach, DEFAULT_PORT)
    except ValueError as exc:
        raise UsageError(f"--attach {exc}") from None
    tls = attach_tls(args)
    password = _console_password(args)
    logging.basicConfig(level=logging.WARNING if not args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from callcenter.server.console.launch import open_root  # noqa: PLC0415 (Tk only here)

    root, problem = open_root()
    if root is None:
        print(f"callcenter-server: --attach needs a window: {problem}", file=sys.stderr)
        return 1
    from callcenter.server.console.app import run_console  # noqa: PLC0415
    from callcenter.server.console.connection import ServiceAddress  # noqa: PLC0415

    with stop_on_signals() as stop:
        return run_console(root, ServiceAddress(host, port, tls), embedded=False,
                           user=args.user or "", password=password, should_quit=stop.is_set)


if __name__ == "__main__":
    sys.exit(main())
