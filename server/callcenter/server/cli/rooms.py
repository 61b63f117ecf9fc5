"""``callcenter-server rooms topup|clear|adjust|balance|ledger|release``: prepaid rooms,
personal passwords and DISA passwords from the command line (safe while the service runs).

While the service runs for the data folder (``DIR/service.json``), money changes go through
it (the admin API's ``rooms_*`` actions, logged in with the local token): it commits them and
sets the PBX's over-limit switch at once. Without a running service they are committed to the
store here; the PBX switch is then set at once through a direct link when ``--pbx URL`` is
given, otherwise the service applies it at its next reconcile (within its interval, 30 s).
A port the PBX does not have (``025`` on a 24-extension PBX; the count from the service, or
from its saved parameter image ``DIR/image.json``) is refused either way. Reads (``balance``,
``ledger``) read the store (safe while the service runs).
Exit status: 0 done, 2 bad input (named), 1 the store, the service or the PBX failed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from callcenter.common.agent.client import HubClient, HubUnavailable, RequestFailed
from callcenter.server.cli.common import add_data_argument, open_existing_store, running_service
from callcenter.server.prepaid import ledger
from callcenter.server.prepaid.ledger import FIELD_WORDS, AccountRef, AccountState, LedgerError
from callcenter.server.store.db import NoServerData, StoreError, database, read_snapshot
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.prepaid_models import DISA, EXTENSION, PASSWORD
from callcenter.server.store.settings import cli_user, site_zone

ACTIONS = ("topup", "clear", "adjust", "balance", "ledger", "release")
#: The inputs as this command line names them (LedgerError.field -> argument or flag).
_CLI_NAMES = {"port": "PORT", "amount": "AMOUNT", "password": "--password", "disa": "--disa"}
_ACCOUNT_KINDS = {EXTENSION: "room", PASSWORD: "password", DISA: "disa"}


def _message(exc: LedgerError) -> str:
    """A ledger error as this command line says it: the input named by its argument."""
    text = str(exc)
    words = FIELD_WORDS.get(exc.field, "")
    if words and text.startswith(words):
        return _CLI_NAMES[exc.field] + text[len(words):]
    return text


def _service_message(exc: RequestFailed) -> str:
    """A failed request of the service as this command line says it."""
    text = exc.message
    if text.startswith("field '") and "': " in text:
        text = text.split("': ", 1)[1]
    for field, words in FIELD_WORDS.items():
        if text.startswith(words + " "):
            return _CLI_NAMES[field] + text[len(words):]
    return text


def add_rooms_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``rooms ...`` to a ``callcenter-server`` subparsers object; the caller runs
    ``run_rooms(args)`` when ``args.command == "rooms"``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "rooms", help="prepaid rooms, personal and DISA passwords: top up, clear, balance, "
                      "ledger",
        description="Prepaid rooms (extension ports), personal passwords and DISA passwords. "
                    "PORT is the extension port (001-999); --password ROW names "
                    "a personal-password row (01-50) and --disa ROW a DISA-password row "
                    "(01-10) instead. AMOUNT is in yuan, > 0, at most 2 decimal places, at "
                    "most 100000 (adjust: signed).")
    actions = parser.add_subparsers(dest="rooms_action", metavar="|".join(ACTIONS),
                                    required=True)
    helps = {"topup": "add money (accumulates); puts the room on prepaid",
             "clear": "set the balance to zero",
             "adjust": "a signed correction, e.g. -3.20 or 3.20",
             "balance": "one account's balance, or every prepaid account",
             "ledger": "every entry of one account with the running balance",
             "release": "take the room off prepaid (normal class; the ledger stays)"}
    for name in ACTIONS:
        sub = actions.add_parser(name, help=helps[name], description=helps[name])
        add_data_argument(sub)
        sub.add_argument("--db", default=None, metavar="URL",
                         help="postgresql://... store (remembered in DIR)")
        which = sub.add_mutually_exclusive_group()
        which.add_argument("--password", default=None, metavar="ROW",
                           help="a personal-password row (01-50) instead of a room")
        which.add_argument("--disa", default=None, metavar="ROW",
                           help="a DISA-password row (01-10) instead of a room")
        if name not in ("balance", "ledger"):
            sub.add_argument("--pbx", default=None, metavar="URL",
                             help="set the PBX switch now through this port "
                                  "(COM3, /dev/ttyUSB0, socket://HOST:PORT)")
            sub.add_argument("--note", default="", help="a note kept with the entry")
        sub.add_argument("--timeout", type=float, default=10.0, help=argparse.SUPPRESS)
        sub.add_argument("words", nargs="*", metavar="PORT [AMOUNT]")
    return parser


def _target(args: argparse.Namespace, words: list[str], extensions: int | None
            ) -> tuple[AccountRef | None, list[str]]:
    if args.password is not None:
        return ledger.password(args.password), words
    if args.disa is not None:
        return ledger.disa(args.disa), words
    if not words:
        return None, words
    return ledger.room(words[0], extensions), words[1:]


def _parse(args: argparse.Namespace, extensions: int | None = None
           ) -> tuple[AccountRef | None, Decimal | None]:
    """The account and amount of the command line; LedgerError naming what is wrong.
    ``extensions``: the PBX's extension ports when known (a port beyond them is refused)."""
    action = args.rooms_action
    ref, rest = _target(args, list(args.words), extensions)
    if ref is None and action != "balance":
        raise LedgerError(f"rooms {action}: PORT (or --password ROW, or --disa ROW) is "
                          "required")
    needs_amount = action in ("topup", "adjust")
    if needs_amount and len(rest) != 1:
        raise LedgerError(f"rooms {action}: AMOUNT is required (one amount in yuan)")
    if not needs_amount and rest:
        raise LedgerError(f"rooms {action}: unexpected {' '.join(rest)!r}")
    amount = ledger.parse_amount(rest[0], signed=action == "adjust") if needs_amount else None
    return ref, amount


def run_rooms(args: argparse.Namespace, out: TextIO | None = None,
              err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        ref, amount = _parse(args)
    except LedgerError as exc:
        print(f"rooms: {_message(exc)}", file=err)
        return 2
    if args.rooms_action not in ("balance", "ledger"):
        try:
            client = running_service(Path(args.data))
        except HubUnavailable as exc:
            print(f"rooms: the service of {args.data} does not answer: {exc}", file=err)
            return 1
        if client is not None:
            assert ref is not None
            with contextlib.closing(client):
                return _through_service(client, args, ref, amount, out=out, err=err)
    try:
        db = open_existing_store(args.data, args.db)  # a mistyped --data creates nothing
    except (NoServerData, StoreError) as exc:
        print(f"rooms: {exc}", file=err)
        return 1
    try:
        ref, amount = _parse(args, ledger.saved_extensions(Path(args.data)))
        return _run(args, ref, amount, out, err)
    except LedgerError as exc:
        print(f"rooms {args.rooms_action}: {_message(exc)}", file=err)
        return 2
    finally:
        db.close()


def _print_state(ref: AccountRef, balance: object, over_limit: bool, active: bool,
                 out: TextIO) -> None:
    """The account after a change: its balance and the class the PBX is to be set to (the
    next line says when: now by the service or through --pbx, else at its next reconcile)."""
    print(f"{ref}: balance {balance} (PBX to be set to "
          f"{'over limit' if over_limit else 'normal class'}"
          f"{'' if active else ', not on prepaid'})", file=out)


def _through_service(client: HubClient, args: argparse.Namespace, ref: AccountRef,
                     amount: Decimal | None, *, out: TextIO, err: TextIO) -> int:
    """A money change made by the running service (which also sets the PBX switch)."""
    action = args.rooms_action
    params: dict[str, Any] = {"account": _ACCOUNT_KINDS[ref.kind], "port": ref.ident}
    if amount is not None:
        params["amount"] = str(amount)
    if action != "release":
        params["note"] = str(args.note)
    try:
        done = client.request(f"rooms_{action}", **params)
    except RequestFailed as exc:
        print(f"rooms {action}: {_service_message(exc)}", file=err)
        return 2 if exc.code in ("bad_request", "not_found") else 1
    except HubUnavailable as exc:
        print(f"rooms {action}: the service of {args.data} does not answer: {exc}", file=err)
        return 1
    _print_state(ref, done["balance"], bool(done["over_limit"]), bool(done["prepaid"]), out)
    print("recorded by the running service, which sets the PBX's over-limit switch now",
          file=out)
    return 0


def _run(args: argparse.Namespace, ref: AccountRef | None, amount: Decimal | None,
         out: TextIO, err: TextIO) -> int:
    action, who = args.rooms_action, cli_user()
    if action == "balance":
        _print_balances(args.data, [] if ref is None else [ref], out)
        return 0
    assert ref is not None
    if action == "ledger":
        _print_ledger(ref, out)
        return 0
    note = str(args.note)
    if action == "topup":
        assert amount is not None
        done = ledger.top_up(ref, amount, who, note)
    elif action == "adjust":
        assert amount is not None
        done = ledger.adjust(ref, amount, who, note)
    elif action == "clear":
        done = ledger.clear(ref, who, note)
    else:
        done = ledger.release(ref, who)
    _print_state(ref, done.balance, done.over_limit, done.active, out)
    return _apply(args, out, err)


def _apply(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.pbx:
        print("recorded; the service sets the PBX's over-limit switch at its next reconcile "
              "(or give --pbx URL to set it now)", file=out)
        return 0
    from callcenter.common.schema import build_schema  # noqa: PLC0415 - only with --pbx
    from callcenter.server.pbx.link import LinkOptions, PbxError, PbxLink  # noqa: PLC0415
    from callcenter.server.prepaid.control import LinkControl, reconcile  # noqa: PLC0415

    link = PbxLink(args.pbx, None, log_failures=False,
                   options=LinkOptions(identify_timeout=args.timeout))
    link.start()
    try:
        identity = link.wait_up(args.timeout + 5, fail_fast=True)
        control = LinkControl(link, build_schema(identity.extensions, identity.trunks),
                              args.timeout)
        result = reconcile(control, database)
    except PbxError as exc:
        print(f"rooms: recorded, but the PBX at {args.pbx} was not updated: {exc} "
              "(the service sets it at its next reconcile)", file=err)
        return 1
    finally:
        link.stop()
    for key, value in result.written:
        print(f"{key} = {value} (verified)", file=out)
    for key, reason in result.failed:
        print(f"rooms: {key}: {reason}", file=err)
    return 0 if result.ok else 1


def _extension_numbers(data_dir: Path, ports: list[str]) -> dict[str, str]:
    """Each port's extension number: the service's parameter image, else the last record."""
    numbers: dict[str, str] = {}
    try:
        from callcenter.server.pbx.image import ParameterImage  # noqa: PLC0415

        image = ParameterImage.load(data_dir / "image.json")
        numbers = {p: image.params[k] for p in ports
                   if (k := f"extension.{p}.number") in image.params}
    except Exception:  # no image yet (or unreadable): the records still know
        numbers = {}
    for port in ports:
        if port not in numbers:
            row = (CallRecordRow.select(CallRecordRow.extension_number)
                   .where(CallRecordRow.port == port).order_by(CallRecordRow.id.desc()).first())
            numbers[port] = "" if row is None else str(row.extension_number)
    return numbers


def _print_balances(data_dir: Path, refs: list[AccountRef], out: TextIO) -> None:
    with read_snapshot(database):
        if refs:
            found = ledger.state(refs[0])
            states: list[AccountState] = [found] if found else []
            if not states:
                print(f"{refs[0]}: not on prepaid (never topped up)", file=out)
                return
        else:
            states = ledger.all_states()
        numbers = _extension_numbers(data_dir, [s.ref.ident for s in states
                                                if s.ref.kind == EXTENSION])
    print(f"{'account':<9} {'port':<4} {'number':<8} {'balance':>12}  state", file=out)
    for s in states:
        kind = ledger.KIND_WORDS.get(s.ref.kind, s.ref.kind)
        number = numbers.get(s.ref.ident, "") if s.ref.kind == EXTENSION else ""
        what = ("over limit" if s.over_limit else "normal") if s.active else "released"
        print(f"{kind:<9} {s.ref.ident:<4} {number:<8} {s.balance!s:>12}  {what}", file=out)


def _print_ledger(ref: AccountRef, out: TextIO) -> None:
    with read_snapshot(database):
        rows = ledger.entries(ref)
        zone = site_zone() or UTC
    if not rows:
        print(f"{ref}: no ledger entries (never topped up)", file=out)
        return
    print(f"{'id':>6}  {f'at ({zone})':<19}  {'kind':<10} {'amount':>10} {'balance':>10}  "
          f"{'who':<16} record", file=out)
    for e in rows:
        record = "" if e.record_id is None else f"#{e.record_id} {e.note}"
        if e.record_id is None and e.note:
            record = e.note
        print(f"{e.id:>6}  {_in_zone(e.at, zone):%Y-%m-%d %H:%M:%S}  {e.kind:<10} {e.amount!s:>10} "
              f"{e.balance!s:>10}  {e.who:<16} {record}", file=out)


def _in_zone(at: datetime, zone: tzinfo) -> datetime:
    """A stored time (UTC; naive as SQLite gives it back) in ``zone``."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone)
