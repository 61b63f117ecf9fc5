"""callcenter-crm's command line: bulk import/export of customers and the call log, and the
start of the window.

    callcenter-crm customers import FILE [--map HEADER=field,...]
    callcenter-crm customers export [--format csv|xlsx] [--out FILE]
    callcenter-crm calls export [--format csv|xlsx] [--out FILE]
    callcenter-crm [--server HOST:PORT --extension PORT --user NAME ...]   (the window)

Every command takes ``--data DIR`` (this PC's data folder; default per user, see
``store.default_data_dir``) and ``--shared FOLDER`` (network mode: the shared folder holding
``crm-shared.db``; without it, the one saved in ``DIR/settings.json`` by the window, if any).
Without a subcommand the window starts (``cli.gui_start``; Tk is imported only then). Errors
the user can fix (a bad file, an unknown header mapping, a share that cannot be reached) print
one line on standard error and exit 2, without a traceback; an import exits 0 only after its
rows are committed (to the shared file in network mode: an import never waits in the
outbox). A reader of standard output that goes away (``... | head``) ends the command quietly
with exit 141, as SIGPIPE would.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from callcenter.common.pipes import EXIT_BROKEN_PIPE, discard_stdout
from callcenter.common.shortcut import (
    Shortcut,
    add_shortcut_parser,
    program_command,
    run_shortcut,
)
from callcenter.crm_client.cli import gui_start
from callcenter.crm_client.settings import SettingsError, load_settings
from callcenter.crm_client.store import CrmStore, ShareUnavailable, StoreError, default_data_dir

__all__ = ["build_parser", "main"]

PROG = "callcenter-crm"
#: C-1: the start-menu shortcut opens the agent's window.
SHORTCUT = Shortcut("callcenter-crm", "CRM", "The call-center agent's CRM client",
                    "呼叫中心坐席客户端", program_command(PROG))


def _folders(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument("--data", metavar="DIR", default=default,
                        help=f"this PC's data folder (default: {default_data_dir()})")
    parser.add_argument("--shared", metavar="FOLDER", default=default,
                        help="network mode: the shared folder holding crm-shared.db")


def _export_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("csv", "xlsx"), default=None,
                        help="file format (default: from --out's suffix, else csv)")
    parser.add_argument("--out", metavar="FILE",
                        help="write to FILE (without it CSV goes to standard output)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="The CRM agent client: without a command, the window; "
        "with one, bulk work on customers and the call log.")
    _folders(parser, None)
    gui_start.add_gui_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Subcommands accept --data/--shared too; SUPPRESS keeps a value given before the command.
    folders = argparse.ArgumentParser(add_help=False)
    _folders(folders, argparse.SUPPRESS)

    customers = commands.add_parser("customers", help="import or export customer records")
    customer_commands = customers.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = customer_commands.add_parser(
        "import", parents=[folders], help="import customers from a CSV or XLSX file",
        description="Headers are recognised in Chinese or English, any case (姓名/name, "
        "电话/phone, 手机/mobile, 公司/company, 部门/department, 邮箱/email, VIP, "
        "黑名单/blacklist, "
        "备注/notes and the other fields by the manual's labels). All rows taken, or none.")
    imp.add_argument("file", metavar="FILE", help="a .csv (UTF-8 or GBK) or .xlsx file")
    imp.add_argument("--map", metavar="HEADER=field,...", default="",
                     help="the field of other headers, e.g. --map '座机=phones,Firma=company'")
    exp = customer_commands.add_parser("export", parents=[folders], help="export customers")
    _export_flags(exp)

    calls = commands.add_parser("calls", help="export the call log")
    call_commands = calls.add_subparsers(dest="action", metavar="ACTION", required=True)
    _export_flags(call_commands.add_parser("export", parents=[folders],
                                           help="export the call log (newest first)"))
    add_shortcut_parser(commands, SHORTCUT.name)
    return parser


def _open(args: argparse.Namespace) -> CrmStore:
    data = Path(args.data) if args.data else default_data_dir()
    shared = Path(args.shared) if args.shared else None
    if shared is None and (data / "settings.json").is_file():
        try:
            saved = load_settings(data).shared_folder
        except SettingsError as exc:
            raise StoreError(f"{data / 'settings.json'}: {exc}") from None
        shared = Path(saved) if saved else None
    store = CrmStore.open(data, shared)
    if shared is not None:
        store.check_share()
    return store


def _import(args: argparse.Namespace) -> int:
    from callcenter.crm_client.store.importer import (  # noqa: PLC0415 - loaded when used
        import_customers,
        parse_mapping,
    )

    mapping = parse_mapping(args.map)
    path = Path(args.file)
    store = _open(args)
    try:
        report = import_customers(store, path, mapping)
    finally:
        store.close()
    print(f"{path.name}: {report.taken} customers imported, {len(report.refused)} rows refused"
          + (f" (into {args.shared})" if args.shared else ""))
    if report.ignored:
        print(f"ignored columns: {', '.join(report.ignored)} (map them with --map HEADER=field)")
    for row, reason in report.refused:
        print(f"row {row}: refused: {reason}")
    return 0


def _export(args: argparse.Namespace, what: str) -> int:
    from callcenter.crm_client.store.exporter import (  # noqa: PLC0415 - loaded when used
        export_calls,
        export_customers,
    )

    fmt = args.format or ("xlsx" if args.out and args.out.lower().endswith(".xlsx") else "csv")
    if fmt == "xlsx" and not args.out:
        raise StoreError("--format xlsx needs --out FILE (a workbook is not written to a terminal)")
    store = _open(args)
    try:
        export = export_customers if what == "customers" else export_calls
        if args.out:
            out = Path(args.out)
            if not out.parent.is_dir():
                raise StoreError(f"--out {args.out}: the folder {out.parent} does not exist")
            count = export(store, out, fmt)
            print(f"{count} {what} written to {out}", file=sys.stderr)
        else:
            sys.stdout.reconfigure(encoding="utf-8", newline="")  # type: ignore[union-attr]
            export(store, sys.stdout, fmt)
            sys.stdout.flush()
    finally:
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run callcenter-crm with ``argv`` (default: the process's); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return int(gui_start.start(args))
        if args.command == "shortcut":
            return run_shortcut(args, SHORTCUT, PROG)
        if args.command == "customers" and args.action == "import":
            return _import(args)
        return _export(args, args.command)
    except ShareUnavailable as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... export | head`: the reader has what it wanted
        discard_stdout()
        return EXIT_BROKEN_PIPE
