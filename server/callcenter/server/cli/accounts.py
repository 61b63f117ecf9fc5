"""``callcenter-server accounts add|passwd|list|remove``: the local administrator's tool.

It needs access to the data folder (and the store), not a login: whoever may read DIR may
manage the accounts.  Passwords are never taken from the command line (they would show in
the process list and the shell history): ``--password-stdin`` reads one line from standard
input, without its newline; without it an interactive terminal is asked twice.
Exit statuses: 0 done, 1 the store failed or ``--data`` holds no server data (``add`` creates
the store there instead, and says so in one line), 2 a bad argument (the message names it).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from callcenter.common.agent.catalog import ROLES
from callcenter.server.accounts import service
from callcenter.server.accounts.service import AccountError, AccountInfo
from callcenter.server.cli.common import (
    add_data_argument,
    open_existing_store,
    open_or_create_store,
)
from callcenter.server.store.db import NoServerData, StoreError
from callcenter.server.store.settings import cli_user, get_setting


def add_accounts_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``accounts ...`` to ``callcenter-server``'s subparsers; run with ``run_accounts``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "accounts", help="add, change, list or remove agent-hub accounts",
        description="Accounts of the agent hub (CRM logins). Needs access to the data folder.")
    actions = parser.add_subparsers(dest="accounts_action", metavar="add|passwd|list|remove",
                                    required=True)
    add = actions.add_parser("add", help="create an account")
    passwd = actions.add_parser("passwd", help="set an account's password (also lifts a "
                                               "lock-out)")
    list_ = actions.add_parser("list", help="print every account")
    remove = actions.add_parser("remove", help="delete an account (not the last admin)")
    for sub in (add, passwd, list_, remove):
        add_data_argument(sub)
        sub.add_argument("--db", default=None, metavar="URL",
                         help="postgresql://... store (remembered in DIR); default: SQLite in "
                              "DIR")
    for sub in (add, passwd, remove):
        sub.add_argument("user", metavar="USER", help="account (user) name")
    add.add_argument("--role", required=True, metavar="ROLE",
                     help=f"one of {', '.join(ROLES)}")
    add.add_argument("--port", default="", metavar="PORT",
                     help="bind the account to this extension port (e.g. 001); default: any")
    for sub in (add, passwd):
        sub.add_argument("--password-stdin", action="store_true",
                         help="read the password as one line from standard input")
        sub.add_argument("--must-change", action="store_true",
                         help="the user must change the password at the next login")
    return parser


def read_password(from_stdin: bool, stdin: TextIO | None = None) -> str:
    """The new password: one line of standard input, or asked twice on a terminal."""
    stream = stdin or sys.stdin
    if from_stdin:
        line = stream.readline()
        if not line:
            raise AccountError("--password-stdin", "nothing on standard input")
        return line.removesuffix("\n").removesuffix("\r")
    if not stream.isatty():
        raise AccountError("--password-stdin", "standard input is not a terminal: give the "
                                               "password with --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise AccountError("password", "the two entries differ")
    return first


def _status(info: AccountInfo) -> str:
    notes = []
    if info.locked():
        assert info.locked_until is not None
        # In the site's zone (setting timezone), as every time the commands print.
        until = info.locked_until.replace(tzinfo=UTC).astimezone(
            ZoneInfo(str(get_setting("timezone"))))
        notes.append(f"locked until {until:%Y-%m-%d %H:%M:%S}")
    if info.must_change_password:
        notes.append("must change password")
    return ", ".join(notes) or "ok"


def format_accounts(infos: list[AccountInfo]) -> list[str]:
    rows = [("USER", "ROLE", "PORT", "STATUS")]
    rows += [(i.user, i.role, i.bound_port or "-", _status(i)) for i in infos]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    return [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}"
            for r in rows]


#: The account fields as this command line names them (its arguments and flags).
_ARGUMENT_NAMES = {"user": "USER", "role": "--role", "port": "--port"}


def _message(exc: AccountError) -> str:
    return f"{_ARGUMENT_NAMES.get(exc.argument, exc.argument)}: {exc.message}"


def run_accounts(args: argparse.Namespace) -> int:
    action = str(args.accounts_action)
    err = sys.stderr
    try:
        if action in ("add", "passwd", "remove"):
            service.check_user_name(args.user)
        if action == "add":
            service.check_role(args.role)
            service.check_port(args.port)
        password = ""
        if action in ("add", "passwd"):
            password = read_password(args.password_stdin)
            service.check_password(args.user, password)
    except AccountError as exc:
        print(f"accounts {action}: {_message(exc)}", file=err)
        return 2
    try:
        # A mistyped --data: `add` creates the store and says so; the others refuse it.
        db = (open_or_create_store(args.data, args.db, "accounts add", err)
              if action == "add" else open_existing_store(args.data, args.db))
    except (NoServerData, StoreError) as exc:
        print(f"accounts {action}: {exc}", file=err)
        return 1
    who = cli_user()
    try:
        if action == "add":
            info = service.add_account(args.user, args.role, password, port=args.port,
                                       must_change_password=args.must_change, who=who)
            print(f"added {info.user} ({info.role}"
                  f"{', port ' + info.bound_port if info.bound_port else ''})")
            if info.role == "agent" and not info.bound_port:
                print(f"accounts add: warning: {info.user} may log in at any extension port "
                      "and act on it (forward it, dial out); bind it with --port PORT",
                      file=err)
        elif action == "passwd":
            service.set_password(args.user, password, must_change_password=args.must_change,
                                 who=who)
            print(f"password of {args.user} set")
        elif action == "remove":
            service.remove_account(args.user, who=who)
            print(f"removed {args.user}")
        else:
            for line in format_accounts(service.list_accounts()):
                print(line)
    except AccountError as exc:
        print(f"accounts {action}: {_message(exc)}", file=err)
        return 2
    finally:
        db.close()
    return 0
