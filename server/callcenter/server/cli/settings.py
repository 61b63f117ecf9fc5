"""``callcenter-server settings get|set``: read or change the server settings of a data
folder (the registry is ``store/settings.py``; docs/store.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from callcenter.server.cli.common import (
    add_data_argument,
    cli_who,
    open_existing_store,
    open_or_create_store,
)
from callcenter.server.store.db import NoServerData, StoreError
from callcenter.server.store.settings import (
    SETTINGS,
    SettingError,
    all_settings,
    format_value,
    get_setting,
    set_setting,
    spec_for,
)


def add_settings_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``settings get|set`` to a ``callcenter-server`` subparsers object; the caller runs
    ``run_settings(args)`` when ``args.command == "settings"``."""
    keys = "; ".join(f"{s.key} ({s.allowed})" for s in SETTINGS)
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "settings", help="read or change server settings stored in the data folder",
        description=f"Server settings. Keys: {keys}.")
    actions = parser.add_subparsers(dest="settings_action", metavar="get|set", required=True)
    get = actions.add_parser("get", help="print one setting, or all as KEY=VALUE lines")
    set_ = actions.add_parser("set", help="change a setting (validated) and print its new value")
    for sub in (get, set_):
        add_data_argument(sub)
        sub.add_argument("--db", default=None, metavar="URL",
                         help="postgresql://... store (remembered in DIR); default: SQLite in DIR")
    get.add_argument("key", nargs="?", metavar="KEY")
    set_.add_argument("assignment", metavar="KEY=VALUE")
    return parser


def run_settings(args: argparse.Namespace) -> int:
    """Run ``settings get|set``: 0 on success, 2 for a bad key or value, 1 if the store fails
    or (``get``) ``--data`` holds no server data."""
    out, err = sys.stdout, sys.stderr
    assignment: tuple[str, str] | None = None
    if args.settings_action == "set":
        key, sep, text = str(args.assignment).partition("=")
        if not sep or not key:
            print(f"settings set: expected KEY=VALUE, got {args.assignment!r}", file=err)
            return 2
        assignment = (key.strip(), text)
    wanted: Sequence[str] = ([assignment[0]] if assignment else
                             [args.key] if args.key else [])
    for key in wanted:  # a bad key or value is reported before the store is even opened
        try:
            spec = spec_for(key)
        except SettingError as exc:
            print(f"settings: {exc}", file=err)
            return 2
        if assignment is not None:
            try:
                spec.validate_new(assignment[1])
            except SettingError as exc:
                print(f"settings set: {exc}", file=err)
                return 2
    try:
        # A mistyped --data: `get` refuses it; `set` creates the store and says so.
        db = (open_or_create_store(args.data, args.db, "settings set", err)
              if assignment is not None else open_existing_store(args.data, args.db))
    except (NoServerData, StoreError) as exc:
        print(f"settings {args.settings_action}: {exc}", file=err)
        return 1
    try:
        if assignment is not None:
            try:
                value = set_setting(assignment[0], assignment[1], cli_who())
            except SettingError as exc:
                print(f"settings set: {exc}", file=err)
                return 2
            print(format_value(value), file=out)
        elif args.key:
            print(format_value(get_setting(args.key)), file=out)
        else:
            for key, value in all_settings().items():
                print(f"{key}={format_value(value)}", file=out)
    finally:
        db.close()
    return 0
