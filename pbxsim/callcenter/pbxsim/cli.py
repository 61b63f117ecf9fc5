"""``callcenter-pbxsim``: run the PBX simulator on a TCP port or a pseudo-terminal.

Standard output carries one line when the simulator is ready (where to connect);
logs go to standard error.  Ctrl-C or SIGTERM stop it cleanly (exit 0); bad flags
exit 2 with a message naming the flag and what is allowed.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from callcenter.common.pbx.line import (
    LineSettingsError,
    add_line_arguments,
    line_settings_from_args,
)

from .app import ListenError, Simulator, SimulatorConfig


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (port 0-65535)")
    return host or "127.0.0.1", int(port)


def _bounded(lo: float, hi: float, kind: type = int) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` in ``lo..hi``."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside {lo:g}..{hi:g}")
        return value
    parse.__name__ = kind.__name__
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="callcenter-pbxsim",
                description="PBX simulator speaking PBX serial protocol v1 "
                "(see docs/simulator.md)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--listen", type=_address, metavar="HOST:PORT",
                       help="TCP address to serve, opened by the PC as socket://HOST:PORT "
                       "(default 127.0.0.1:4001)")
    where.add_argument("--pty", action="store_true",
                       help="serve on a new pseudo-terminal and print its path")
    p.add_argument("--extensions", type=_bounded(1, 999), default=24, metavar="N",
                   help="extension ports, 1-999 (default 24)")
    p.add_argument("--trunks", type=_bounded(0, 99), default=8, metavar="M",
                   help="trunk ports, 0-99 (default 8)")
    p.add_argument("--state", type=Path, metavar="FILE",
                   help="file holding the PBX memory across restarts (parameters, record "
                   "buffer, sequence)")
    p.add_argument("--seed", type=int, help="seed of the generated traffic")
    p.add_argument("--traffic", type=_bounded(0, 600, float), default=0.0,
                   metavar="CALLS_PER_MINUTE", help="live generated calls per minute (default 0)")
    p.add_argument("--buffer", type=_bounded(1, 100_000), default=2000, metavar="N",
                   help="call records held until acknowledged (default 2000)")
    add_line_arguments(p, defaults_none=True)
    p.add_argument("--control", type=_address, metavar="HOST:PORT",
                   help="JSON-lines control port (default: none)")
    p.add_argument("--ack-timeout", type=_bounded(0.05, 60, float), default=3.0, metavar="S",
                   help="link acknowledgement timeout in seconds (default 3)")
    p.add_argument("--retries", type=_bounded(0, 20), default=3, metavar="N",
                   help="link retransmissions before the link counts as lost (default 3)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="more log output on standard error (-vv: debug)")
    return p


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """The configuration the flags ask for; LineSettingsError names a bad line flag."""
    line = None
    framing = any(getattr(args, k) is not None for k in ("bytesize", "parity", "stopbits"))
    if args.baud is not None or framing:
        # Without --baud the framing is validated and recorded, but nothing is paced.
        line = line_settings_from_args(args)
    return SimulatorConfig(
        extensions=args.extensions, trunks=args.trunks, state_file=args.state, seed=args.seed,
        traffic=args.traffic, buffer=args.buffer, line=line, pace=args.baud is not None,
        listen=None if args.pty else (args.listen or ("127.0.0.1", 4001)), pty=args.pty,
        control=args.control, ack_timeout=args.ack_timeout, max_retries=args.retries)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except LineSettingsError as exc:
        parser.error(f"--{exc}")
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        sim = Simulator(config)
    except (OSError, ValueError) as exc:  # e.g. an unreadable state file
        print(f"callcenter-pbxsim: cannot load the PBX memory: {exc}", file=sys.stderr)
        return 1
    try:
        sim.start()
    except ListenError as exc:
        print(f"callcenter-pbxsim: cannot listen on {exc.where}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # not from binding (ListenError covers that); say what it was
        print(f"callcenter-pbxsim: cannot start: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        control = sim.control_address
        where = f"pty {sim.url}" if config.pty else f"listening {sim.url}"
        print(where + (f" control {control[0]}:{control[1]}" if control else ""), flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
