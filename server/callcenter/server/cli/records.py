"""``callcenter-server records list|summary|export|verify|archive`` (S-38, S-40, B-4).

Exit statuses: 0 done (also for an empty result), 1 the store failed, ``verify`` found
problems or ``--data`` holds no server data (nothing is created there), 2 a bad argument (the
message names it and what is allowed), 141 the reader of standard output went away (``| head``;
quietly, as a process ended by SIGPIPE). Safe while the service runs: reads use one read
snapshot, SQLite waits for locks (busy timeout). Results go to standard output, messages to
standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import sys
import zoneinfo
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from callcenter.common.pipes import EXIT_BROKEN_PIPE, discard_stdout
from callcenter.server.cli.common import (
    add_data_argument,
    open_existing_store,
    print_table,
)
from callcenter.server.query.export import (
    CSV_HEADER,
    report_title,
    row_values,
    write_csv,
    write_xlsx,
)
from callcenter.server.query.filters import SORT_COLUMNS, FilterError, Filters, parse_filters
from callcenter.server.query.pdf import ReportTooLarge, render_pdf
from callcenter.server.query.search import RecordView, count_records, iter_records, search
from callcenter.server.query.summary import GROUPS, Summary, summarize
from callcenter.server.query.verify_all import verify_records
from callcenter.server.store.archive import run_retention
from callcenter.server.store.db import NoServerData, StoreError
from callcenter.server.store.settings import get_setting

_FILTER_FLAGS = (
    ("from", "DATETIME", "calls starting at or after (YYYY-MM-DD[ HH:MM[:SS]] or ISO 8601 with "
     "offset; without one, in the store's timezone setting)"),
    ("to", "DATETIME", "calls starting before (a date alone: up to the end of that day)"),
    ("month", "YYYY-MM", "calls of one month (instead of --from/--to)"),
    ("port", "PORT", "extension port"),
    ("extension", "NUMBER", "extension number at the time of the call"),
    ("trunk", "TRUNK", "trunk (outside line)"),
    ("number", "NUMBER", "dialled/calling number (digits 0-9, * and #): exact, 138* prefix, "
     "*888* contains"),
    ("number-prefix", "DIGITS", "number starting with DIGITS (0-9, * and #)"),
    ("number-contains", "DIGITS", "number containing DIGITS (0-9, * and #)"),
    ("duration-min", "SECONDS", "at least this long"),
    ("duration-max", "SECONDS", "at most this long"),
    ("cost-min", "YUAN", "costing at least (e.g. 0.44)"),
    ("cost-max", "YUAN", "costing at most"),
    ("service-type", "CODE", "tariff service type code (业务类型)"),
    ("call-type", "TYPE", "OUT, IN or INT"),
    ("account", "ACCOUNT", "personal / DISA password account"),
    ("unknown", "yes|no", "only calls to numbers with (yes) / without (no) a tariff row"),
    ("pbx", "PBX", "one PBX of several"),
)


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_data_argument(parser)
    parser.add_argument("--db", default=None, metavar="URL",
                        help="postgresql://... store (remembered in DIR); default: the one "
                             "remembered in DIR, or SQLite in DIR")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (all optional; combined with AND)")
    for flag, metavar, text in _FILTER_FLAGS:
        group.add_argument("--" + flag, dest="f_" + flag.replace("-", "_"), metavar=metavar,
                           help=text)


def add_records_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``records ...`` to a ``callcenter-server`` subparsers object; the caller runs
    ``run_records(args)`` when ``args.command == "records"``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "records", help="query, summarise, export, verify and archive call records",
        description="Call records, archives included. See docs/records.md.")
    actions = parser.add_subparsers(dest="records_action", required=True,
                                    metavar="list|summary|export|verify|archive")
    list_ = actions.add_parser("list", help="matching records, a page at a time")
    summary = actions.add_parser("summary", help="count, duration and cost per group")
    export = actions.add_parser("export", help="every matching record as CSV, XLSX or PDF")
    verify = actions.add_parser("verify", help="check the hash chain, archives included")
    archive = actions.add_parser("archive", help="move records older than retention_days "
                                 "to the monthly archives now")
    for sub in (list_, summary, export, verify, archive):
        _add_common(sub)
    for sub in (list_, summary, export):
        _add_filters(sub)
    sorts = ", ".join(SORT_COLUMNS)
    list_.add_argument("--format", choices=("table", "csv", "json"), default="table")
    list_.add_argument("--sort", choices=tuple(SORT_COLUMNS), default="start", metavar="COL",
                       help=f"sort column: {sorts} (default start)")
    list_.add_argument("--desc", action="store_true", help="descending order")
    list_.add_argument("--limit", type=_count, default=50, metavar="N",
                       help="records per page (default 50)")
    list_.add_argument("--offset", type=_count, default=0, metavar="N",
                       help="skip the first N records")
    summary.add_argument("--by", choices=tuple(GROUPS), default=None,
                         help="group by (default: totals only)")
    summary.add_argument("--format", choices=("table", "csv", "json"), default="table")
    export.add_argument("--format", choices=("csv", "xlsx", "pdf"), default="csv")
    export.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="write to FILE (CSV: standard output without it)")
    export.add_argument("--excel", action="store_true",
                        help="CSV: start with a UTF-8 byte-order mark, for Excel")
    export.add_argument("--title", default=None, help="XLSX/PDF report title")
    export.add_argument("--by", choices=tuple(GROUPS), default=None,
                        help="PDF: add per-group totals after the records")
    verify.add_argument("--pbx", default=None, help="check one PBX only")
    return parser


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: allowed: a whole number 0 or more")
    return int(text)


def _filters(args: argparse.Namespace) -> Filters:
    values = {flag.replace("-", "_"): getattr(args, "f_" + flag.replace("-", "_"))
              for flag, _m, _t in _FILTER_FLAGS}
    return parse_filters(values, zoneinfo.ZoneInfo(str(get_setting("timezone"))))


def filter_message(exc: FilterError) -> str:
    """A filter error as this command line says it: the filter named by its flag."""
    if not exc.field:
        return exc.detail
    return f"--{exc.field.replace('_', '-')} {exc.detail}"


@contextlib.contextmanager
def _stdout_text() -> Iterator[IO[str]]:
    """Standard output as UTF-8 text with no newline translation (exact CSV bytes)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        yield sys.stdout
        return
    sys.stdout.flush()
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    try:
        yield wrapper
        wrapper.flush()
    except BrokenPipeError:
        discard_stdout()  # so that detaching (which flushes) cannot fail again
        raise
    finally:
        # Always detach: a wrapper left attached would close sys.stdout's buffer when freed.
        wrapper.detach()


def run_records(args: argparse.Namespace) -> int:
    """Run ``records ...``; returns the exit status."""
    err = sys.stderr
    action = str(args.records_action)
    if action == "export" and args.format != "csv" and args.out is None:
        print(f"records export: --out FILE is required for --format {args.format}", file=err)
        return 2
    try:
        # A mistyped --data must not create an empty store and answer from it.
        db = open_existing_store(Path(args.data), args.db)
    except (NoServerData, StoreError) as exc:
        print(f"records {action}: {exc}", file=err)
        return 1
    try:
        return _run(action, args, db)
    except BrokenPipeError:  # `records export | head`: the reader has what it wanted
        discard_stdout()
        return EXIT_BROKEN_PIPE
    except FilterError as exc:
        print(f"records {action}: {filter_message(exc)}", file=err)
        return 2
    except ReportTooLarge as exc:
        print(f"records {action}: {exc}", file=err)
        return 2
    except (StoreError, OSError) as exc:
        print(f"records {action}: {exc}", file=err)
        return 1
    finally:
        db.close()


def _run(action: str, args: argparse.Namespace, db: Any) -> int:
    out = sys.stdout
    if action == "verify":
        checked, problems = verify_records(db, args.pbx)
        if args.pbx is not None and not checked and not problems and \
                args.pbx != get_setting("pbx.id"):
            print(f"records verify: --pbx {args.pbx!r}: the store has no records of that PBX "
                  f"(this server's PBX is {get_setting('pbx.id')!r})", file=sys.stderr)
            return 2
        for problem in problems:
            print(problem.text, file=out)
        if problems:
            print(f"{len(problems)} problem(s) in {checked} records", file=sys.stderr)
            return 1
        print(f"chain intact: {checked} records", file=out)
        return 0
    if action == "archive":
        results = run_retention(db)
        for result in results:
            print(f"{result.month}: {result.moved} record(s) moved, {result.archived} in the "
                  "archive", file=out)
        if not results:
            print("nothing to archive", file=out)
        return 0
    filters = _filters(args)
    if action == "list":
        rows = search(db, filters, sort=args.sort, desc=args.desc, limit=args.limit,
                      offset=args.offset)
        _print_list(rows, args.format, out)
        if args.format == "table":
            total = count_records(db, filters)
            print(_page_note(len(rows), total, args), file=out)
        return 0
    if action == "summary":
        _print_summary(summarize(db, filters, args.by), args.format, out)
        return 0
    title = args.title or report_title(filters)
    if args.format == "csv":
        if args.out is None:
            with _stdout_text() as text:
                write_csv(iter_records(db, filters), text, excel=args.excel)
        else:
            with args.out.open("w", encoding="utf-8", newline="") as text:
                write_csv(iter_records(db, filters), text, excel=args.excel)
    elif args.format == "xlsx":
        write_xlsx(iter_records(db, filters), args.out, title)
    else:
        summary = summarize(db, filters, args.by) if args.by else None
        render_pdf(iter_records(db, filters), summary, title, args.out)
    return 0


def _json_row(view: RecordView) -> dict[str, Any]:
    values: dict[str, Any] = dict(zip(CSV_HEADER, row_values(view), strict=True))
    values.update(seq=view.seq, duration=view.duration, unknown=view.unknown,
                  service_type=view.service_type)
    return values


def _print_list(rows: list[RecordView], fmt: str, out: IO[str]) -> None:
    if fmt == "json":
        json.dump([_json_row(r) for r in rows], out, ensure_ascii=False, indent=1)
        out.write("\n")
        return
    if fmt == "csv":
        with _stdout_text() if out is sys.stdout else contextlib.nullcontext(out) as text:
            write_csv(iter(rows), text)
        return
    header = ("seq", "start", "port", "ext", "trunk", "number", "duration", "cost", "type",
              "svc", "description")
    table = [header] + [(str(r.seq), r.start.strftime("%Y-%m-%d %H:%M:%S"), r.port, r.extension,
                         r.trunk, r.number, str(r.duration), f"{r.cost:.2f}", r.call_type,
                         "" if r.service_type is None else str(r.service_type),
                         r.description + (" (unknown number)" if r.unknown else ""))
                        for r in rows]
    _print_table(table, out, right={0, 6, 7})


def _page_note(shown: int, total: int, args: argparse.Namespace) -> str:
    """The line under a listed page: how many, in which order, and how to page or reverse,
    e.g. ``(50 of 120 record(s) from 1, oldest first; next page: --offset 50; newest first:
    --desc)``."""
    first = args.offset + 1 if shown else 0
    order = (f"{'descending' if args.desc else 'ascending'} by {args.sort}"
             if args.sort != "start" else "newest first" if args.desc else "oldest first")
    hints = []
    if args.offset + shown < total:
        hints.append(f"next page: --offset {args.offset + shown}")
    if args.sort == "start" and not args.desc:
        hints.append("newest first: --desc")
    return f"({shown} of {total} record(s) from {first}, {order}" + "".join(
        f"; {hint}" for hint in hints) + ")"


def _print_table(table: Sequence[Sequence[str]], out: IO[str], right: set[int]) -> None:
    print_table(table, out, right=right)


def _print_summary(summary: Summary, fmt: str, out: IO[str]) -> None:
    rows = [*summary.rows, summary.total]
    key = summary.by or "total"
    if fmt == "json":
        json.dump({"by": summary.by, "groups": [
            {"key": r.key, "label": r.label, "count": r.count, "duration": r.duration,
             "cost": f"{r.cost:.2f}"} for r in summary.rows],
            "total": {"count": summary.total.count, "duration": summary.total.duration,
                      "cost": f"{summary.total.cost:.2f}"}}, out, ensure_ascii=False, indent=1)
        out.write("\n")
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow((key, "count", "duration", "cost"))
        writer.writerows(("total" if r is summary.total else r.key, r.count, r.duration,
                          f"{r.cost:.2f}") for r in rows)
        return
    table = [(key, "count", "duration", "cost")] + [
        ("total" if r is summary.total else r.label, str(r.count), str(r.duration),
         f"{r.cost:.2f}") for r in rows]
    _print_table(table, out, right={1, 2, 3})
