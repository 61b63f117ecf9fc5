"""Accounts of the agent hub (S-41, B-6): add, change, remove, authenticate, lock out.

Every function works on the open store (the ``database`` proxy); writes run inside
``write_transaction`` and leave an ``AuditEntry`` (never a password). The scrypt work of
``authenticate`` and ``change_password`` happens outside any transaction: it takes tens of
milliseconds of CPU and must not hold the store's write lock.

Lock-out: ``MAX_FAILURES`` consecutive failures (wrong password at login, or a wrong old
password in ``change_password``) lock the account until ``locked_until``; while locked even
the right password is refused. A successful login resets the count; so does ``set_password``
(the administrator's ``accounts passwd``), which also lifts the lock. Each password check is
reserved in the store before scrypt runs (see ``authenticate``), so no number of concurrent
logins gets more than ``MAX_FAILURES`` wrong passwords checked before the lock; while an
account is locked ``failed_logins`` stays at ``MAX_FAILURES``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from callcenter.common.agent.catalog import MAX_LOGIN_FAILURES, PORT_PATTERN, ROLES
from callcenter.server.accounts.passwords import (
    dummy_hash,
    hash_password,
    password_problem,
    verify_password,
)
from callcenter.server.store.account_models import Account, AccountGeneration, AgentMessage
from callcenter.server.store.db import database, write_transaction
from callcenter.server.store.desk_models import PendingMessage
from callcenter.server.store.models import AuditEntry, utc_now

MAX_FAILURES: Final = MAX_LOGIN_FAILURES
DEFAULT_LOCKOUT: Final = timedelta(minutes=5)
RESERVED_USERS: Final = frozenset({"ALL"})  # "ALL" addresses every agent in send_message
_PORT_RE: Final = re.compile(PORT_PATTERN)


class AccountError(ValueError):
    """A bad account operation; ``argument`` names the field that was wrong in the domain's
    words (``user``, ``role``, ``port``, ``password``, ``new``), ``message`` what is wrong
    with it; a command line may name the field by its own flag instead."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument
        self.message = message


class AuthOutcome(StrEnum):
    OK = "ok"
    AUTH_FAILED = "auth_failed"
    LOCKED_OUT = "locked_out"


@dataclass(frozen=True)
class AccountInfo:
    """An account as the services see it (no password hash)."""

    user: str
    role: str
    bound_port: str
    must_change_password: bool
    failed_logins: int
    locked_until: datetime | None  # naive UTC
    created_at: datetime
    updated_at: datetime

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utc_now())


@dataclass(frozen=True)
class AuthResult:
    """What ``authenticate`` decided; ``account`` is set for OK (and LOCKED_OUT)."""

    outcome: AuthOutcome
    account: AccountInfo | None = None


def _info(row: Account) -> AccountInfo:
    return AccountInfo(str(row.user), str(row.role), str(row.bound_port or ""),
                       bool(row.must_change_password), int(row.failed_logins),
                       row.locked_until, row.created_at, row.updated_at)


# ---------------------------------------------------------------------- validation

def check_user_name(user: str) -> str:
    if not 1 <= len(user) <= 64:
        raise AccountError("user", "a user name has 1-64 characters")
    if not user.isprintable() or any(c.isspace() for c in user):
        raise AccountError("user", f"{user!r} must not contain spaces or control characters")
    if user in RESERVED_USERS:
        raise AccountError("user", f"{user!r} is reserved (it addresses every agent)")
    return user


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("role", f"{role!r} is not allowed (allowed: {', '.join(ROLES)})")
    return role


def check_port(port: str) -> str:
    """``""`` (not bound) or an extension port ``001``-``999``."""
    if port and not _PORT_RE.fullmatch(port):
        raise AccountError("port", f"{port!r} is not an extension port (three digits "
                                     "001-999, such as 001)")
    return port


def check_password(user: str, password: str) -> str:
    problem = password_problem(user, password)
    if problem:
        raise AccountError("password", problem)
    return password


def _audit(who: str, what: str, user: str, *, old: str | None, new: str | None,
           now: datetime) -> None:
    AuditEntry.insert(who=who, what=what, key=f"account.{user}", old=old, new=new,
                      at=now).execute()


def _bump_generation() -> None:
    """Raise the counter of account changes, inside the change's own transaction (so a hub
    that reads the new value also reads the change)."""
    (AccountGeneration.update(generation=AccountGeneration.generation + 1)
     .where(AccountGeneration.id == 1).execute())


def account_generation() -> int:
    """The counter of account changes (migration 006): one indexed read, polled by the hub
    about twice a second to let open sessions follow changes made by any process."""
    row = (AccountGeneration.select(AccountGeneration.generation)
           .where(AccountGeneration.id == 1).scalar())
    return int(row or 0)


def accounts_of(users: set[str]) -> dict[str, AccountInfo]:
    """The accounts named in ``users`` that exist, by user name."""
    if not users:
        return {}
    return {str(row.user): _info(row)
            for row in Account.select().where(Account.user.in_(sorted(users)))}


# ---------------------------------------------------------------------- administration

def add_account(user: str, role: str, password: str, *, port: str = "",
                must_change_password: bool = False, who: str = "system") -> AccountInfo:
    """Create an account; AccountError (naming the argument) when anything is wrong."""
    check_user_name(user)
    check_role(role)
    check_port(port)
    check_password(user, password)
    hashed = hash_password(password)
    now = utc_now()
    with write_transaction(database):
        if Account.get_or_none(Account.user == user) is not None:
            raise AccountError("user", f"an account {user!r} exists already")
        Account.insert(user=user, role=role, password_hash=hashed,
                       must_change_password=must_change_password, bound_port=port,
                       failed_logins=0, locked_until=None, created_at=now,
                       updated_at=now).execute()
        _audit(who, "account add", user, old=None, new=f"role={role} port={port or '-'}",
               now=now)
        _bump_generation()
    info = find_account(user)
    assert info is not None
    return info


def set_password(user: str, password: str, *, must_change_password: bool = False,
                 who: str = "system") -> None:
    """The administrator sets a password: clears the lock-out and the failure count."""
    check_password(user, password)
    hashed = hash_password(password)
    now = utc_now()
    with write_transaction(database):
        updated = (Account.update(password_hash=hashed,
                                  must_change_password=must_change_password,
                                  failed_logins=0, locked_until=None, updated_at=now)
                   .where(Account.user == user).execute())
        if not updated:
            raise AccountError("user", f"no account {user!r}")
        _audit(who, "account password", user, old=None,
               new="must change" if must_change_password else "set", now=now)
        _bump_generation()


def remove_account(user: str, *, who: str = "system") -> None:
    """Delete an account; the last admin cannot be removed."""
    now = utc_now()
    with write_transaction(database):
        row = Account.get_or_none(Account.user == user)
        if row is None:
            raise AccountError("user", f"no account {user!r}")
        if row.role == "admin":
            admins = Account.select().where(Account.role == "admin").count()
            if admins <= 1:
                raise AccountError("user", f"{user!r} is the last admin account; add another "
                                           "admin first")
        Account.delete().where(Account.id == row.id).execute()
        _audit(who, "account remove", user, old=f"role={row.role}", new=None, now=now)
        _bump_generation()


def change_account(user: str, *, role: str | None = None, port: str | None = None,
                   who: str = "system") -> AccountInfo:
    """Change an account's role and/or bound port (``""``: any port); audited. The last
    admin cannot be given another role."""
    if role is not None:
        check_role(role)
    if port is not None:
        check_port(port)
    now = utc_now()
    with write_transaction(database):
        row = Account.get_or_none(Account.user == user)
        if row is None:
            raise AccountError("user", f"no account {user!r}")
        changes: dict[str, object] = {}
        old, new = [], []
        if role is not None and role != row.role:
            if row.role == "admin" and Account.select().where(
                    Account.role == "admin").count() <= 1:
                raise AccountError("role", f"{user!r} is the last admin account; add another "
                                           "admin first")
            changes["role"] = role
            old.append(f"role={row.role}")
            new.append(f"role={role}")
        if port is not None and port != (row.bound_port or ""):
            changes["bound_port"] = port
            old.append(f"port={row.bound_port or '-'}")
            new.append(f"port={port or '-'}")
        if changes:
            Account.update(**changes, updated_at=now).where(Account.id == row.id).execute()
            _audit(who, "account change", user, old=" ".join(old), new=" ".join(new), now=now)
            _bump_generation()
    info = find_account(user)
    assert info is not None
    return info


def list_accounts() -> list[AccountInfo]:
    return [_info(row) for row in Account.select().order_by(Account.user)]


def find_account(user: str) -> AccountInfo | None:
    row = Account.get_or_none(Account.user == user)
    return None if row is None else _info(row)


def account_exists(user: str) -> bool:
    return Account.select().where(Account.user == user).exists()


# ---------------------------------------------------------------------- logging in

def authenticate(user: str, password: str, *, now: datetime | None = None,
                 lockout: timedelta = DEFAULT_LOCKOUT, check: bool = True) -> AuthResult:
    """Check ``user``/``password`` and keep the lock-out bookkeeping.

    Each check of a password first reserves one of the account's ``MAX_FAILURES`` attempts
    with one conditional UPDATE in the store (``_reserve_attempt``), so that however many
    logins run at once, in threads or in other processes, at most ``MAX_FAILURES`` wrong
    passwords are ever checked before the account locks. A login that finds no attempt left
    is answered ``LOCKED_OUT`` without a check. A right password gives the attempt back (the
    count starts again) unless a lock was set meanwhile: a lock once set stays until it
    expires (or ``set_password`` lifts it).

    ``check=False`` (password protection off): any password is accepted for an existing
    account, and nothing is counted.
    """
    now = now or utc_now()
    row = Account.get_or_none(Account.user == user)
    if row is None:
        if check:
            verify_password(password, dummy_hash())
        return AuthResult(AuthOutcome.AUTH_FAILED)
    if not check:
        return AuthResult(AuthOutcome.OK, _info(row))
    if not _reserve_attempt(user, now):
        return _locked_out(user, row)
    if not verify_password(password, str(row.password_hash)):
        _count_failure(user, now, lockout)
        return AuthResult(AuthOutcome.AUTH_FAILED)
    with write_transaction(database):
        # The reserved attempt is given back: a success starts the count again. Not while a
        # lock is set: wrong passwords checked meanwhile locked the account.
        given_back = (Account.update(failed_logins=0, locked_until=None)
                      .where((Account.user == user) & Account.locked_until.is_null())
                      .execute())
        fresh = Account.get_or_none(Account.user == user)
    if fresh is None:  # removed meanwhile
        return AuthResult(AuthOutcome.AUTH_FAILED)
    if not given_back:
        return AuthResult(AuthOutcome.LOCKED_OUT, _info(fresh))
    return AuthResult(AuthOutcome.OK, _info(fresh))


def _reserve_attempt(user: str, now: datetime) -> bool:
    """Take one of the account's attempts (``failed_logins`` + 1) if it is not locked and
    fewer than ``MAX_FAILURES`` are taken; False when none is left. One conditional UPDATE
    decides, so concurrent logins cannot all see "4 failures so far": SQLite runs it under
    its write lock (BEGIN IMMEDIATE), PostgreSQL re-checks the condition on the row after
    waiting for its lock."""
    with write_transaction(database):
        # A lock that has expired ends here: the count starts again.
        Account.update(failed_logins=0, locked_until=None).where(
            (Account.user == user) & (Account.locked_until <= now)).execute()
        taken = (Account.update(failed_logins=Account.failed_logins + 1)
                 .where((Account.user == user) & Account.locked_until.is_null()
                        & (Account.failed_logins < MAX_FAILURES))
                 .execute())
    return bool(taken)


def _locked_out(user: str, row: Account) -> AuthResult:
    fresh = Account.get_or_none(Account.user == user)
    return AuthResult(AuthOutcome.LOCKED_OUT, _info(fresh if fresh is not None else row))


def _count_failure(user: str, now: datetime, lockout: timedelta) -> None:
    """A reserved attempt was a wrong password (it is counted already): lock the account
    when no attempt is left."""
    with write_transaction(database):
        locked = (Account.update(locked_until=now + lockout)
                  .where((Account.user == user) & Account.locked_until.is_null()
                         & (Account.failed_logins >= MAX_FAILURES))
                  .execute())
        if locked:
            _audit("hub", "account locked", user, old=None,
                   new=f"{MAX_FAILURES} failed logins", now=now)


def change_password(user: str, old: str, new: str, *, now: datetime | None = None,
                    lockout: timedelta = DEFAULT_LOCKOUT) -> AuthResult:
    """The account holder changes the password (``old`` checked like a login).

    AccountError("new", ...) when ``new`` breaks the password rules.
    """
    now = now or utc_now()
    result = authenticate(user, old, now=now, lockout=lockout)
    if result.outcome is not AuthOutcome.OK:
        return result
    problem = password_problem(user, new)
    if problem:
        raise AccountError("new", problem)
    if new == old:
        raise AccountError("new", "the new password must differ from the old one")
    hashed = hash_password(new)
    with write_transaction(database):
        Account.update(password_hash=hashed, must_change_password=False, failed_logins=0,
                       locked_until=None, updated_at=now).where(Account.user == user).execute()
        _audit(f"agent:{user}", "account password", user, old=None, new="changed by the user",
               now=now)
        _bump_generation()
    info = find_account(user)
    return AuthResult(AuthOutcome.OK, info)


# ---------------------------------------------------------------------- messages

def record_message(sender: str, recipient: str, text: str, delivered: int,
                   now: datetime | None = None, *, keep: bool = False) -> int:
    """Keep an internal message in the history (C-3); its id. ``keep``: the receiver is
    offline, so the message also waits for its next login (``take_pending``)."""
    with write_transaction(database):
        message_id = int(AgentMessage.insert(sender=sender, recipient=recipient, text=text,
                                             sent_at=now or utc_now(),
                                             delivered=delivered).execute())
        if keep:
            PendingMessage.insert(message_id=message_id, recipient=recipient).execute()
    return message_id


def take_pending(user: str) -> list[AgentMessage]:
    """The messages kept for ``user`` while it was offline, oldest first, and no longer
    kept: one transaction reads and removes them, so each is delivered once, to the one
    login that took it. A login with nothing kept (the usual case) only reads."""
    if not PendingMessage.select().where(PendingMessage.recipient == user).exists():
        return []
    with write_transaction(database):
        ids = [int(r.message_id) for r in PendingMessage.select(PendingMessage.message_id)
               .where(PendingMessage.recipient == user)]
        if not ids:
            return []
        PendingMessage.delete().where((PendingMessage.recipient == user)
                                      & PendingMessage.message_id.in_(ids)).execute()
        return list(AgentMessage.select().where(AgentMessage.id.in_(ids))
                    .order_by(AgentMessage.id))


def delivered_pending(user: str, message_ids: list[int]) -> int:
    """Forget that these messages wait for ``user`` (they are delivered now); how many were
    still waiting. A message is delivered once: whoever removes it delivers it."""
    if not message_ids:
        return 0
    with write_transaction(database):
        return int(PendingMessage.delete().where(
            (PendingMessage.recipient == user)
            & PendingMessage.message_id.in_(message_ids)).execute())


def purge_messages(before: datetime) -> int:
    """Delete the messages sent before ``before`` (naive UTC): the history's retention
    (setting ``agent.message_retention_days``); how many were deleted."""
    with write_transaction(database):
        old = AgentMessage.select(AgentMessage.id).where(AgentMessage.sent_at < before)
        PendingMessage.delete().where(PendingMessage.message_id.in_(old)).execute()
        return int(AgentMessage.delete().where(AgentMessage.sent_at < before).execute())


def message_history(user: str, limit: int = 100, before: int | None = None
                    ) -> list[AgentMessage]:
    """The newest ``limit`` messages from, to, or broadcast to ``user`` (with an id below
    ``before`` when given), oldest first."""
    mine = ((AgentMessage.sender == user) | (AgentMessage.recipient == user)
            | (AgentMessage.recipient == "ALL"))
    if before is not None:
        mine &= AgentMessage.id < before
    query = AgentMessage.select().where(mine).order_by(AgentMessage.id.desc()).limit(limit)
    return list(reversed(list(query)))
