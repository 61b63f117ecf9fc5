"""``callcenter-server``: the headless service (``--headless``, ``--demo``) and ``pbx ...``.

Standard output carries only results (events and records for the service, JSON for
``pbx dump`` and ``pbx monitor``); logs go to standard error (and DIR's log file).
Exit statuses: 0 done, 1 failed (one line on standard error, never a traceback),
2 usage error or a value the schema does not allow (nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from callcenter.common.pbx.line import (
    LineSettingsError,
    add_line_arguments,
    line_settings_from_args,
)
from callcenter.common.schema import ParameterError

from . import cli_pbx
from .rating.cli_rate import add_rate_parser, run_rate
from .cli_format import format_event
from .events import ServiceEvent
from .image import ImageFileError
from .link import PbxError
from .service import PbxService
from .settings import ServerSettings, SettingsError, default_data_dir, setup_logging
from .store.db import StoreError, open_store
from .store.settings import add_settings_parser, run_settings

if TYPE_CHECKING:
    from callcenter.pbxsim.app import Simulator

log = logging.getLogger("callcenter.server")

DEMO_TRAFFIC = 6.0  # calls per minute


class UsageError(Exception):
    """A command line that cannot be run; exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callcenter-server",
        description="Call-center server: the PBX link service and technician commands.",
        epilog="Technician commands: callcenter-server pbx {dump,set,load,monitor} --help")
    parser.add_argument("--headless", action="store_true",
                        help="run the service without a window (a system service)")
    parser.add_argument("--demo", action="store_true",
                        help="run against the built-in PBX simulator with generated traffic")
    parser.add_argument("--traffic", type=float, default=DEMO_TRAFFIC, metavar="CALLS_PER_MIN",
                        help=f"calls per minute of the --demo simulator (default {DEMO_TRAFFIC:g})")
    parser.add_argument("--pbx", metavar="URL",
                        help="the PBX port: COM3, /dev/ttyUSB0, socket://HOST:PORT, "
                             "rfc2217://HOST:PORT (saved in the data directory's settings)")
    parser.add_argument("--data", metavar="DIR", type=Path,
                        help=f"data directory (default {default_data_dir()})")
    parser.add_argument("--db", metavar="URL",
                        help="postgresql://... to keep the store in PostgreSQL (remembered in "
                             "DIR); default: SQLite in DIR")
    add_line_arguments(parser, defaults_none=True)
    parser.add_argument("--no-clock-sync", action="store_true",
                        help="do not set the PBX clock from this computer's at each connect")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log lines on standard error (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_pbx.add_pbx_parser(sub)
    add_rate_parser(sub)
    add_settings_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.command == "pbx":
            return cli_pbx.run(args)
        if args.command == "rate":
            return run_rate(args)
        if args.command == "settings":
            return run_settings(args)
        return run_service(args)
    except (UsageError, cli_pbx.UsageError, LineSettingsError) as exc:
        print(f"callcenter-server: {exc}", file=sys.stderr)
        return 2
    except ParameterError as exc:
        print(f"callcenter-server: {exc}", file=sys.stderr)
        return 2
    except (PbxError, ImageFileError, SettingsError, StoreError, OSError) as exc:
        print(f"callcenter-server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        print(f"callcenter-server: unexpected error: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT (Ctrl-C) or SIGTERM while the block runs (main thread only)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _printer(event: ServiceEvent) -> None:
    line = format_event(event)
    if line is not None:
        # BrokenPipeError: nobody reads standard output any more; the service goes on.
        with contextlib.suppress(BrokenPipeError, ValueError):
            print(line, flush=True)


def start_demo(data_dir: Path, traffic: float) -> Simulator:
    from callcenter.pbxsim.app import Simulator, SimulatorConfig  # noqa: PLC0415 (demo only)

    logging.getLogger("callcenter.pbxsim").setLevel(logging.WARNING)
    simulator = Simulator(SimulatorConfig(state_file=data_dir / "demo-pbx.json",
                                          traffic=traffic))
    simulator.start()
    log.info("demo: built-in PBX simulator at %s, %g calls per minute", simulator.url, traffic)
    return simulator


def run_service(args: argparse.Namespace) -> int:
    data_dir: Path = args.data or default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(data_dir, verbose=args.verbose)
    if args.db:
        open_store(data_dir, args.db)  # remembered in DIR: the service and later commands use it
    settings = ServerSettings.load(data_dir)
    line = line_settings_from_args(args, settings.line)
    if not args.headless:
        log.warning("the console window is not built yet: running headless (Ctrl-C stops)")
    simulator: Simulator | None = None
    if args.demo:
        simulator = start_demo(data_dir, args.traffic)
        url = simulator.url
    else:
        url = str(args.pbx or settings.pbx or "")
        if not url:
            raise UsageError("no PBX port: give --pbx URL (COM3, /dev/ttyUSB0 or "
                             "socket://HOST:PORT; it is saved for later runs) or --demo")
        if (url, line) != (settings.pbx, settings.line):
            ServerSettings(url, line).save(data_dir)
    service = PbxService(url, data_dir, line=line, sync_clock=not args.no_clock_sync)
    service.add_listener(_printer)
    log.info("service starting: PBX %s, data in %s", url, data_dir)
    try:
        with stop_on_signals() as stop:
            service.start()
            while not stop.wait(0.2):
                pass
    finally:
        service.stop()
        if simulator is not None:
            simulator.stop()
    log.info("service stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
