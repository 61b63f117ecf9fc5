"""``callcenter-server tariff show|import|export|holidays|rerate``: the tariff (计费设置, S-35).

The tariff lives in the data directory (``tariff.json``); every change makes a new version
and an audit entry.  ``rerate`` applies the current tariff to stored calls of a date range
(explicit, logged, with prepaid ledger adjustments); new calls are always rated at intake.
Calls already moved to monthly archives are in closed periods and keep their rating; ``rerate``
says how many of the range are there.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.server.cli.common import add_data_argument, print_table, require_data
from callcenter.server.query.filters import Filters
from callcenter.server.query.summary import summarize
from callcenter.server.rating import Tariff
from callcenter.server.rating.tariff import TariffError
from callcenter.server.rating.tariff_io import (
    TARIFF_FILE,
    TARIFF_SUFFIXES,
    TariffImportError,
    import_tariff,
    load_data_tariff,
    write_tariff_rows,
)
from callcenter.server.rating.tariff_service import save_tariff
from callcenter.server.settings import default_data_dir, demo_data_dir
from callcenter.server.store.db import (
    NoServerData,
    StoreError,
    database,
    has_store,
    open_store,
)
from callcenter.server.store.rerate import rerate
from callcenter.server.store.settings import cli_user, get_setting


class TariffUsageError(Exception):
    """A bad argument; exit status 2."""


def add_tariff_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tariff", help="show, import, export the tariff; holidays; re-rate stored calls",
        description="The tariff (计费设置) of the data directory.")
    actions = parser.add_subparsers(dest="tariff_action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print the tariff rows and holidays")
    show.add_argument("--json", action="store_true", help="print JSON")
    imp = actions.add_parser("import", help="replace the rows from a CSV or XLSX file")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--holiday", action="store_true", help="replace the holiday rows instead")
    exp = actions.add_parser("export", help="write the rows to a CSV or XLSX file")
    exp.add_argument("file", type=Path, metavar="FILE")
    exp.add_argument("--holiday", action="store_true", help="write the holiday rows instead")
    hol = actions.add_parser("holidays", help="list, add or remove holiday dates")
    hol.add_argument("--add", nargs="+", default=[], metavar="YYYY-MM-DD")
    hol.add_argument("--remove", nargs="+", default=[], metavar="YYYY-MM-DD")
    rer = actions.add_parser("rerate", help="rate stored calls of a date range again")
    rer.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    rer.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD",
                     help="last day, inclusive (days in the store's time zone setting)")
    for sub in (show, imp, exp, hol, rer):
        add_data_argument(sub)
    return parser


def run_tariff(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # `tariff show | head -1`: main() ends quietly
        raise
    except TariffUsageError as exc:
        print(f"callcenter-server tariff: {exc}", file=sys.stderr)
        return 2
    except TariffImportError as exc:
        # The message is the head line and every problem, one per line (each once).
        print(f"callcenter-server tariff: {exc}", file=sys.stderr)
        return 2
    except (NoServerData, TariffError, StoreError, OSError, ValueError) as exc:
        print(f"callcenter-server tariff: {exc}", file=sys.stderr)
        return 1


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TariffUsageError(f"{name}: {text!r} is not a date YYYY-MM-DD") from None


def _suffix(path: Path) -> None:
    if path.suffix.lower() not in TARIFF_SUFFIXES:
        raise TariffUsageError(f"FILE: {path}: unsupported file type "
                               f"{path.suffix or '(no suffix)'!r}; allowed suffixes: "
                               + ", ".join(TARIFF_SUFFIXES))


def _run(args: argparse.Namespace) -> int:
    data_dir: Path = args.data
    action = args.tariff_action
    if action in ("import", "export"):
        _suffix(args.file)
    # Commands that only read (and rerate, which has nothing to re-rate in an empty store)
    # refuse a folder without server data: a mistyped --data must not look like an empty
    # store. import and holidays --add/--remove create the store, as settings set does.
    if action == "rerate":
        first, last = _day(args.date_from, "--from"), _day(args.date_to, "--to")
        if last < first:
            raise TariffUsageError("--to must not be before --from")
        require_data(data_dir)
        return _rerate(data_dir, load_data_tariff(data_dir), first, last)
    if action in ("show", "export") or (action == "holidays" and not args.add
                                        and not args.remove):
        if _built_in_only(data_dir):
            print("callcenter-server tariff: no data folder: the built-in default tariff",
                  file=sys.stderr)
            return _read_built_in(args, action)
        require_data(data_dir, also=(TARIFF_FILE,))
    tariff = load_data_tariff(data_dir)
    if action == "show":
        return _show(tariff, args.json)
    if action == "export":
        return _export(tariff, args)
    if action == "import":
        if not args.file.exists():
            raise TariffUsageError(f"FILE: {args.file} does not exist")
        return _save(data_dir, tariff, import_tariff(tariff, args.file, holiday=args.holiday),
                     f"import {args.file.name}")
    if action == "holidays":
        add = {_day(t, "--add") for t in args.add}
        remove = {_day(t, "--remove") for t in args.remove}
        if not add and not remove:
            for day in sorted(tariff.holidays):
                print(day.isoformat())
            return 0
        new = tariff.with_rows(holidays=(set(tariff.holidays) | add) - remove)
        return _save(data_dir, tariff, new, "holidays")
    raise TariffUsageError(f"unknown action {action!r}")


def _built_in_only(data_dir: Path) -> bool:
    """Whether a reading command runs where there is no server data at all: no ``--data``
    (the default folder), nothing there, and no demo data either. It then reads the
    built-in tariff (as ``rate`` rates with it), rather than refusing; a ``--data`` given
    without server data is still refused (a mistyped path)."""
    return (Path(data_dir) == default_data_dir() and not has_store(data_dir)
            and not (Path(data_dir) / TARIFF_FILE).is_file() and not has_store(demo_data_dir()))


def _read_built_in(args: argparse.Namespace, action: str) -> int:
    """show, export or list the holidays of the built-in tariff (there are none)."""
    tariff = load_data_tariff(None)
    if action == "show":
        return _show(tariff, args.json)
    if action == "export":
        return _export(tariff, args)
    return 0


def _export(tariff: Tariff, args: argparse.Namespace) -> int:
    rows = tariff.holiday_rows if args.holiday else tariff.rows
    write_tariff_rows(rows, args.file)
    print(f"{len(rows)} rows written to {args.file}")
    return 0


def _show(tariff: Tariff, as_json: bool) -> int:
    rows = [{"prefix": r.prefix, "description": r.description,
             "initial_seconds": r.initial_seconds, "initial_charge": str(r.initial_charge),
             "interval_seconds": r.interval_seconds, "interval_charge": str(r.interval_charge),
             "service_type": r.service_type} for r in tariff.rows]
    if as_json:
        print(json.dumps({"version": tariff.version, "rows": rows,
                          "holidays": sorted(d.isoformat() for d in tariff.holidays)},
                         ensure_ascii=False))
        return 0
    print(f"tariff {tariff.version}: {len(rows)} rows, {len(tariff.holiday_rows)} holiday rows, "
          f"{len(tariff.holidays)} holidays")
    table = [["字头", "起步时间", "起步费率", "计费间隔", "计费费率", "业务类型", "字头说明"]]
    table += [[r.prefix, str(r.initial_seconds), str(r.initial_charge), str(r.interval_seconds),
               str(r.interval_charge), str(r.service_type), r.description] for r in tariff.rows]
    print_table(table, sys.stdout, right={1, 2, 3, 4, 5})
    return 0


def _save(data_dir: Path, old: Tariff, new: Tariff, what: str) -> int:
    open_store(data_dir)  # the audit entry lives in the store
    save_tariff(data_dir, new, cli_user(), what)
    print(f"tariff {old.version} -> {new.version}: {len(new.rows)} rows, "
          f"{len(new.holiday_rows)} holiday rows, {len(new.holidays)} holidays")
    return 0


def _rerate(data_dir: Path, tariff: Tariff, first: date, last: date) -> int:
    open_store(data_dir)
    zone = ZoneInfo(str(get_setting("timezone")))
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    result = rerate(tariff, start, end, cli_user())
    print(f"re-rated {first}..{last} with tariff {tariff.version}: {result.changed} of "
          f"{result.examined} calls changed, total {result.cost_delta_fen / 100:+.2f}, "
          f"{result.ledger_adjustments} prepaid adjustments")
    # Archived months are closed periods: their calls keep the rating they were billed with.
    archived = summarize(database, Filters(start_from=start, start_before=end)).total.count \
        - result.examined
    if archived > 0:
        print(f"{archived} calls of this range are in monthly archives (closed periods) and "
              f"keep their rating")
    return 0
