"""The prepaid ledger (S-39 rooms, S-26 personal and DISA passwords): append-only, integer fen.

Theory of operation
-------------------
An *account* is an extension port (a hotel room), a personal-password row or a DISA-password
row. It comes under prepaid control with its first top-up and stays there until an explicit
``release``; only accounts under control are charged and ever restricted. Every change of money
is one ``PrepaidEntry`` row (top-up +, call charge -, clear = minus the balance, adjustment
+/-), and the balance is the sum of the entries: nothing is ever updated or deleted, so the
ledger explains every fen.

Call charges are written by ``charge_calls``, the intake's ``after_insert`` hook, inside the
very transaction that inserts the call records: a record and its charge are committed together
or not at all, and unique ``(account, record_id)`` makes a second charge of one record
impossible. A call made with a personal password (``record.account`` = its row, ``03``) is
charged to that password if it is prepaid, and never to the room's account; a DISA call
(``record.account`` = ``D`` + its row, ``D03``; no extension) to that DISA password.

Every write locks the account rows it reads (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already serialises writers), so a clear computed from the balance cannot
race a charge. The PBX side (the over-limit switch) is outside the transaction; see
``control.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from peewee import JOIN, fn

from callcenter.common.pbx.messages import DISA_ACCOUNT_PREFIX
from callcenter.common.schema.catalog import DISA_PASSWORDS
from callcenter.server.pbx.image import ImageFileError, ParameterImage
from callcenter.server.store.db import database, is_sqlite, write_transaction
from callcenter.server.store.intake import StoredCall
from callcenter.server.store.models import RatingRow, from_fen, to_fen, utc_now
from callcenter.server.store.prepaid_models import (
    ADJUSTMENT,
    CHARGE,
    CLEAR,
    DISA,
    EXTENSION,
    PASSWORD,
    TOPUP,
    PrepaidAccount,
    PrepaidEntry,
)

log = logging.getLogger(__name__)

MAX_AMOUNT: Final = Decimal(100_000)
"""The largest top-up or adjustment accepted at once, in yuan."""

IMAGE_FILE: Final = "image.json"  # the service's saved parameter image in the data folder
PASSWORD_ROWS: Final = 50  # personal_password.01 .. .50
DISA_ROWS: Final = DISA_PASSWORDS  # disa_password.01 .. .10

_TABLES: Final = {EXTENSION: "extension", PASSWORD: "personal_password", DISA: "disa_password"}
#: How each kind of account is named to people ("room 001", "DISA 03").
KIND_WORDS: Final = {EXTENSION: "room", PASSWORD: "password", DISA: "DISA"}


class LedgerError(ValueError):
    """A bad amount, account or operation; the text names it and what is allowed.

    ``field`` is the input the text is about (``"port"``, ``"amount"``, ``"password"``,
    ``"disa"``; ``""`` for the operation as a whole), and the text starts with its name in
    words (``FIELD_WORDS``), so a command line can show its own name for it instead.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


#: How each input is named in messages (a command line may replace it with its own name).
FIELD_WORDS: Final = {"port": "port", "amount": "amount", "password": "personal-password row",
                      "disa": "DISA-password row"}


@dataclass(frozen=True)
class AccountRef:
    """Which account: ``("extension", "001")``, ``("password", "03")`` or ``("disa", "03")``;
    shown as ``room 001``, ``password 03``, ``DISA 03``."""

    kind: str
    ident: str

    def __str__(self) -> str:
        return f"{KIND_WORDS.get(self.kind, self.kind)} {self.ident}"

    @property
    def over_limit_key(self) -> str:
        """The PBX switch this account's balance drives."""
        return f"{_TABLES[self.kind]}.{self.ident}.over_limit"


def room(port: str, extensions: int | None = None) -> AccountRef:
    """The account of extension port ``port`` ("1", "01" and "001" are the same port).

    ``extensions``: how many extension ports the PBX has (its schema, or the saved parameter
    image); a port beyond them is refused. ``None`` when not known: any port 001-999."""
    text = port.strip()
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 3 and int(text) >= 1):
        raise LedgerError(f"port {port!r} is not an extension port (allowed: 001-999)", "port")
    if extensions is not None and int(text) > extensions:
        raise LedgerError(f"port {port!r}: this PBX has {extensions} extension ports "
                          f"(allowed: 001-{extensions:03d})", "port")
    return AccountRef(EXTENSION, f"{int(text):03d}")


def saved_extensions(data_dir: Path) -> int | None:
    """How many extension ports the PBX of ``data_dir`` has, as the service last saw it (its
    saved parameter image ``DIR/image.json``); None when not known (no image yet)."""
    path = data_dir / IMAGE_FILE
    if not path.exists():
        return None
    try:
        count = ParameterImage.load(path).extensions
    except ImageFileError:
        return None
    return count or None


def password(row: str) -> AccountRef:
    """The account of personal-password row ``row`` (1-50)."""
    return _password_row(row, PASSWORD, PASSWORD_ROWS, "password")


def disa(row: str) -> AccountRef:
    """The account of DISA-password row ``row`` (1-10)."""
    return _password_row(row, DISA, DISA_ROWS, "disa")


def _password_row(row: str, kind: str, rows: int, field: str) -> AccountRef:
    text = row.strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= rows):
        raise LedgerError(f"{FIELD_WORDS[field]} {row!r} does not exist (allowed: 01-{rows})",
                          field)
    return AccountRef(kind, f"{int(text):02d}")


def parse_amount(text: str, *, signed: bool = False, what: str = "amount") -> Decimal:
    """A money amount typed by a user: a decimal with at most 2 places, > 0 (or != 0 when
    ``signed``), at most MAX_AMOUNT yuan; LedgerError naming ``what`` otherwise."""
    allowed = (f"a non-zero amount in yuan from -{MAX_AMOUNT} to {MAX_AMOUNT} with at most 2 "
               f"decimal places, e.g. -3.20 or 12.5" if signed else
               f"an amount in yuan greater than 0 and at most {MAX_AMOUNT}, with at most 2 "
               f"decimal places, e.g. 50 or 12.5")
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise LedgerError(f"{what} {text!r} is not a number; allowed: {allowed}",
                          "amount") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise LedgerError(f"{what} {text!r}: allowed: {allowed}", "amount")
    if (amount == 0 or (amount < 0 and not signed)) or abs(amount) > MAX_AMOUNT:
        raise LedgerError(f"{what} {text!r}: allowed: {allowed}", "amount")
    return amount.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Entry:
    """A ledger entry as reports show it, with the balance after it."""

    id: int
    at: datetime
    kind: str
    amount: Decimal
    balance: Decimal
    who: str
    record_id: int | None
    rating_id: int | None
    note: str


@dataclass(frozen=True)
class AccountState:
    """An account with its balance and what the PBX switch should be."""

    ref: AccountRef
    active: bool
    balance_fen: int

    @property
    def balance(self) -> Decimal:
        return from_fen(self.balance_fen)

    @property
    def over_limit(self) -> bool:
        """Restricted: under prepaid control and below zero."""
        return self.active and self.balance_fen < 0


# ---------------------------------------------------------------------- helpers

def _locked(query: Any) -> Any:
    """``query`` with FOR UPDATE on PostgreSQL (SQLite: BEGIN IMMEDIATE already locks)."""
    return query if is_sqlite(database) else query.for_update()


def _account(ref: AccountRef, *, create: bool, now: datetime) -> PrepaidAccount | None:
    if create:
        PrepaidAccount.insert(kind=ref.kind, ident=ref.ident, active=False, created_at=now,
                              changed_at=now).on_conflict_ignore().execute()
    found: PrepaidAccount | None = _locked(PrepaidAccount.select().where(
        (PrepaidAccount.kind == ref.kind) & (PrepaidAccount.ident == ref.ident))).first()
    return found


def _balance_fen(account_id: int) -> int:
    total = (PrepaidEntry.select(fn.COALESCE(fn.SUM(PrepaidEntry.amount_fen), 0))
             .where(PrepaidEntry.account == account_id).scalar())
    return int(total or 0)


def _append(account: PrepaidAccount, kind: str, amount_fen: int, *, who: str, now: datetime,
            note: str = "") -> None:
    PrepaidEntry.insert(account=account.id, kind=kind, amount_fen=amount_fen, who=who, at=now,
                        note=note).execute()


def _check_who(who: str) -> None:
    if not who:
        raise LedgerError("who: every ledger entry needs the account or cli:<user> behind it")


# ---------------------------------------------------------------------- operations

def top_up(ref: AccountRef, amount: Decimal, who: str, note: str = "") -> AccountState:
    """Add ``amount`` (> 0) to the balance; puts the account under prepaid control."""
    _check_who(who)
    fen = to_fen(parse_amount(str(amount)))
    now = utc_now()
    with write_transaction(database):
        account = _account(ref, create=True, now=now)
        assert account is not None
        if not account.active:
            PrepaidAccount.update(active=True, changed_at=now).where(
                PrepaidAccount.id == account.id).execute()
        _append(account, TOPUP, fen, who=who, now=now, note=note)
        balance = _balance_fen(account.id)
    log.info("prepaid %s: top-up %s by %s, balance %s", ref, from_fen(fen), who,
             from_fen(balance))
    return AccountState(ref, True, balance)


def clear(ref: AccountRef, who: str, note: str = "") -> AccountState:
    """Set the balance to zero by one entry of minus the balance (none when already zero)."""
    _check_who(who)
    now = utc_now()
    with write_transaction(database):
        account = _account(ref, create=False, now=now)
        if account is None:
            raise LedgerError(f"{ref} has never been topped up (not on prepaid)")
        balance = _balance_fen(account.id)
        if balance:
            _append(account, CLEAR, -balance, who=who, now=now, note=note)
    log.info("prepaid %s: cleared by %s (was %s)", ref, who, from_fen(balance))
    return AccountState(ref, bool(account.active), 0)


def adjust(ref: AccountRef, amount: Decimal, who: str, note: str = "") -> AccountState:
    """A correction of +/- ``amount`` (a refund of a wrongly charged call, ...)."""
    _check_who(who)
    fen = to_fen(parse_amount(str(amount), signed=True))
    now = utc_now()
    with write_transaction(database):
        account = _account(ref, create=False, now=now)
        if account is None:
            raise LedgerError(f"{ref} has never been topped up (not on prepaid)")
        _append(account, ADJUSTMENT, fen, who=who, now=now, note=note)
        balance = _balance_fen(account.id)
    log.info("prepaid %s: adjustment %s by %s", ref, from_fen(fen), who)
    return AccountState(ref, bool(account.active), balance)


def release(ref: AccountRef, who: str) -> AccountState:
    """Take the account off prepaid control (the ledger and its balance stay as they are; the
    next reconcile restores the normal class). A later top-up puts it back under control."""
    _check_who(who)
    now = utc_now()
    with write_transaction(database):
        account = _account(ref, create=False, now=now)
        if account is None:
            raise LedgerError(f"{ref} has never been topped up (not on prepaid)")
        PrepaidAccount.update(active=False, changed_at=now).where(
            PrepaidAccount.id == account.id).execute()
        balance = _balance_fen(account.id)
    log.info("prepaid %s: released by %s with balance %s", ref, who, from_fen(balance))
    return AccountState(ref, False, balance)


def state(ref: AccountRef) -> AccountState | None:
    """The account's balance and control state; None when it was never on prepaid."""
    account = PrepaidAccount.get_or_none((PrepaidAccount.kind == ref.kind)
                                         & (PrepaidAccount.ident == ref.ident))
    if account is None:
        return None
    return AccountState(ref, bool(account.active), _balance_fen(account.id))


def all_states(*, active_only: bool = False) -> list[AccountState]:
    """Every account ever on prepaid (or only those under control), rooms first, by id."""
    total = fn.COALESCE(fn.SUM(PrepaidEntry.amount_fen), 0)
    query = (PrepaidAccount.select(PrepaidAccount.kind, PrepaidAccount.ident,
                                   PrepaidAccount.active, total.alias("balance"))
             .join(PrepaidEntry, on=(PrepaidEntry.account == PrepaidAccount.id),
                   join_type=JOIN.LEFT_OUTER)
             .group_by(PrepaidAccount.id, PrepaidAccount.kind, PrepaidAccount.ident,
                       PrepaidAccount.active))
    if active_only:
        query = query.where(PrepaidAccount.active == True)  # noqa: E712 - SQL
    rows: Any = query.tuples()
    found = [AccountState(AccountRef(str(kind), str(ident)), bool(active), int(balance))
             for kind, ident, active, balance in rows]
    order = {kind: i for i, kind in enumerate((EXTENSION, PASSWORD, DISA))}
    return sorted(found, key=lambda s: (order.get(s.ref.kind, len(order)), s.ref.ident))


def entries(ref: AccountRef) -> list[Entry]:
    """The account's ledger in order, each entry with the balance after it."""
    account = PrepaidAccount.get_or_none((PrepaidAccount.kind == ref.kind)
                                         & (PrepaidAccount.ident == ref.ident))
    if account is None:
        return []
    out: list[Entry] = []
    running = 0
    for row in PrepaidEntry.select().where(PrepaidEntry.account == account.id).order_by(
            PrepaidEntry.id):
        running += int(row.amount_fen)
        out.append(Entry(int(row.id), row.at, str(row.kind), from_fen(int(row.amount_fen)),
                         from_fen(running), str(row.who), row.record_id, row.rating_id,
                         str(row.note)))
    return out


# ---------------------------------------------------------------------- the intake hook

def charged_account(call: StoredCall) -> AccountRef | None:
    """Whose money a call would take: its personal password's (account ``03``), its DISA
    password's (account ``D03``), else its room's. A call with any other account is nobody's
    prepaid charge, and never a room's."""
    account = call.record.account.strip()
    if account:
        try:
            if account[0].upper() == DISA_ACCOUNT_PREFIX:
                return disa(account[1:])
            return password(account)
        except LedgerError:
            return None
    try:
        return room(call.record.port)
    except LedgerError:
        return None


def charge_calls(calls: Sequence[StoredCall], who: str = "intake") -> list[AccountRef]:
    """The intake's ``after_insert`` hook: a call-charge entry for every call of an account
    under prepaid control that costs anything. Runs inside the intake's transaction (call it
    nowhere else). Returns the accounts charged (so the caller can reconcile them)."""
    wanted: dict[AccountRef, list[StoredCall]] = {}
    for call in calls:
        if call.cost_fen <= 0:
            continue
        ref = charged_account(call)
        if ref is not None:
            wanted.setdefault(ref, []).append(call)
    if not wanted:
        return []
    accounts = _active_accounts(wanted)
    if not accounts:
        return []
    charged = [call for ref in accounts for call in wanted[ref]]
    ratings = _current_ratings([c.record_id for c in charged])
    now = utc_now()
    rows = [{"account": accounts[ref], "kind": CHARGE, "amount_fen": -call.cost_fen,
             "record_id": call.record_id, "rating_id": ratings.get(call.record_id), "who": who,
             "at": now, "note": f"call {call.record.sequence} to {call.record.number}, "
                                f"{call.record.duration} s"}
            for ref in accounts for call in wanted[ref]]
    PrepaidEntry.insert_many(rows).execute()
    return list(accounts)


def _active_accounts(wanted: Iterable[AccountRef]) -> dict[AccountRef, int]:
    """The accounts among ``wanted`` under prepaid control -> their ids (rows locked)."""
    by_kind: dict[str, list[str]] = {}
    for ref in wanted:
        by_kind.setdefault(ref.kind, []).append(ref.ident)
    found: dict[AccountRef, int] = {}
    for kind, idents in by_kind.items():
        query = _locked(PrepaidAccount.select(PrepaidAccount.id, PrepaidAccount.ident).where(
            (PrepaidAccount.kind == kind) & PrepaidAccount.ident.in_(idents)
            & (PrepaidAccount.active == True)))  # noqa: E712 - SQL
        found.update((AccountRef(kind, str(ident)), int(id_)) for id_, ident in query.tuples())
    return found


def _current_ratings(record_ids: list[int]) -> dict[int, int]:
    """record id -> id of its newest rating row (the one the charge used)."""
    query = (RatingRow.select(RatingRow.record, fn.MAX(RatingRow.id))
             .where(RatingRow.record.in_(record_ids)).group_by(RatingRow.record))
    rows: Any = query.tuples()
    return {int(record): int(rating) for record, rating in rows}
