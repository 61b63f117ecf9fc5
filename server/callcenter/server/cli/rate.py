"""``callcenter-server rate NUMBER SECONDS [--json] [--data DIR] [--at DATETIME]``.

What a call would cost and by which rule. ``add_rate_parser`` registers the command on the
server CLI's subparsers (it sets ``func=run_rate``); ``main`` runs it on its own
(``python -m callcenter.server.cli.rate``). Arguments are checked in ``run_rate`` itself,
so a bad one gives exit status 2 and a message naming it, however the parser was built.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Final

from callcenter.server.rating.rate import Rating, Tariff
from callcenter.server.rating.tariff import TariffError
from callcenter.server.rating.tariff_io import TARIFF_FILE, load_data_tariff
from callcenter.server.rating.tariff_service import rating_data
from callcenter.server.settings import default_data_dir
from callcenter.server.store.db import (
    NoServerData,
    StoreError,
    has_store,
    open_store,
    require_server_data,
)
from callcenter.server.store.settings import site_zone

PROG: Final = "callcenter-server rate"
MAX_NUMBER_DIGITS: Final = 32
MAX_CALL_SECONDS: Final = 9_999_999
EXIT_USAGE: Final = 2
EXIT_DATA: Final = 1


class _Usage(Exception):
    """A bad argument; the message names it and what is allowed."""


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("number", metavar="NUMBER",
                        help="the dialled digits after the access code, taken exactly as given")
    parser.add_argument("seconds", metavar="SECONDS", help="the call's duration in seconds")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="the server's data folder: rate with its tariff (DIR/tariff.json, "
                             "else the built-in one); default: the service's folder "
                             f"({default_data_dir()}) when it holds a store or a tariff, "
                             "else the built-in tariff, no holidays (said on standard error, "
                             "or in --json's tariff_source)")
    parser.add_argument("--at", metavar="DATETIME",
                        help="when the call starts, ISO 8601 (2025-10-01T09:30 or with +08:00); "
                             "without an offset it is in the site's time zone (setting "
                             "timezone; this computer's without a store); "
                             "default: now. Decides holiday rates")


def add_rate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``rate`` command to the server CLI's ``add_subparsers()`` object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "rate", help="what a call costs and by which tariff rule",
        description="Rate one call with the tariff and explain the cost.")
    _add_arguments(parser)
    parser.set_defaults(func=run_rate)
    return parser


def _digits(text: str) -> str:
    if not (1 <= len(text) <= MAX_NUMBER_DIGITS and text.isascii() and text.isdigit()):
        raise _Usage(f"NUMBER: must be 1-{MAX_NUMBER_DIGITS} digits 0-9 (the digits after the "
                     f"access code), got {text!r}")
    return text


def _seconds(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 7):
        raise _Usage(f"SECONDS: must be a whole number of seconds 0-{MAX_CALL_SECONDS}, "
                     f"got {text!r}")
    return int(text)


def _start(text: str | None) -> datetime | None:
    """``--at`` as given (naive when it has no offset); None for "now"."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _Usage(f"--at: must be an ISO date-time such as 2025-10-01T09:30 or "
                     f"2025-10-01T09:30+08:00, got {text!r}") from None


def _placed(moment: datetime | None, zone: tzinfo | None) -> datetime:
    """The call's start with its offset: now, or a naive ``--at``, in the site's zone (this
    computer's when there is no store to read it from)."""
    if moment is None:
        return datetime.now(zone) if zone is not None else datetime.now().astimezone()
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()


def _site_zone(data_dir: Path | None) -> tzinfo | None:
    """The site's time zone (setting ``timezone``) when the data folder holds a store."""
    if data_dir is None or not has_store(data_dir):
        return None
    try:
        open_store(data_dir)
    except StoreError:
        return None
    return site_zone()


def _data_dir(given: str | Path | None) -> Path | None:
    """The data folder; a folder without server data (a mistyped path) raises
    ``NoServerData`` rather than silently rating with the built-in tariff. Without
    ``--data``: the service's default folder when it holds a store or a tariff, else None
    (the built-in tariff)."""
    if given is None:
        default = default_data_dir()
        held = has_store(default) or (default / TARIFF_FILE).is_file()
        return default if held else None
    path = Path(given)
    require_server_data(path, also=(TARIFF_FILE,))
    return path


def rating_line(tariff: Tariff, number: str, seconds: int, rating: Rating) -> str:
    """The human answer, e.g. ``12315888 300 s: 0.44 (prefix 12315 南燕齐托办热线, 3-市话费:
    180 s 0.22 + 2 x 60 s 0.11 = 0.44; tariff 09d6befa31bf)`` (one line)."""
    row = rating.row
    if row is None:
        rule = "no tariff row matches: flagged unknown"
    else:
        holiday = ", holiday rates" if rating.holiday else ""
        rule = (f"prefix {row.prefix} {row.description}, "
                f"{tariff.service_type(row.service_type).label()}{holiday}: {rating.receipt()}")
    return f"{number} {seconds} s: {rating.cost} ({rule}; tariff {rating.tariff_version})"


def run_rate(args: argparse.Namespace) -> int:
    """Run the command; 0 on success, 2 for a bad argument, 1 for an unreadable tariff or a
    ``--data`` folder without server data."""
    try:
        number = _digits(str(args.number))
        seconds = _seconds(str(args.seconds))
        given_start = _start(args.at)
    except _Usage as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        data_dir = _data_dir(args.data)
        tariff = load_data_tariff(data_dir)
    except (NoServerData, TariffError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    start = _placed(given_start, _site_zone(data_dir))
    source = tariff_source(data_dir)
    rating = tariff.rate(number, seconds, start=start)
    if args.json:
        data = rating_data(tariff, number, seconds, start, rating)
        data["tariff_source"] = source
        print(json.dumps(data, ensure_ascii=False))
    else:
        if source == BUILT_IN:
            where = ("no data folder" if data_dir is None
                     else f"no {TARIFF_FILE} in {data_dir}")
            print(f"{PROG}: {where}: rated with the built-in default tariff", file=sys.stderr)
        print(rating_line(tariff, number, seconds, rating))
    return 0


#: ``tariff_source`` of a rating with the built-in default tariff.
BUILT_IN: Final = "built-in"


def tariff_source(data_dir: Path | None) -> str:
    """Which tariff ``load_data_tariff(data_dir)`` used: the path of the tariff file, or
    ``built-in``."""
    if data_dir is not None and (data_dir / TARIFF_FILE).exists():
        return str(data_dir / TARIFF_FILE)
    return BUILT_IN


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``rate`` on its own, with the same arguments as ``callcenter-server rate``."""
    parser = argparse.ArgumentParser(prog=PROG, description="Rate one call with the tariff.")
    _add_arguments(parser)
    return run_rate(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
