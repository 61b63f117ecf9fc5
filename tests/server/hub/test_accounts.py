"""Accounts (S-41, B-6) on SQLite and PostgreSQL, and ``callcenter-server accounts`` as a
subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from callcenter.server.accounts import (
    AccountError,
    AuthOutcome,
    add_account,
    authenticate,
    change_password,
    find_account,
    list_accounts,
    remove_account,
    set_password,
)
from callcenter.server.accounts.passwords import hash_password, verify_password
from callcenter.server.store.account_models import Account
from callcenter.server.store.models import AuditEntry, utc_now

PW = "s3cret-pw"


def test_hash_format_and_verify() -> None:
    stored = hash_password("密码-pw1")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert len(salt) == 24 and len(digest) == 44  # 16 and 32 bytes in base64
    assert verify_password("密码-pw1", stored)
    assert not verify_password("密码-pw2", stored)
    assert hash_password("密码-pw1") != stored  # a new salt each time
    for broken in ("", "scrypt$1$8$1$AA==$AA==", "md5$x", stored.replace("$8$", "$x$"),
                   f"scrypt${2**30}$8$1${salt}${digest}"):
        assert not verify_password("密码-pw1", broken)


def test_initial_admin_exists_and_must_change(store_db: Any) -> None:
    admin = find_account("admin")
    assert admin is not None and admin.role == "admin" and admin.must_change_password
    assert authenticate("admin", "admin").outcome is AuthOutcome.OK
    result = change_password("admin", "admin", "better-pw")
    assert result.outcome is AuthOutcome.OK
    assert result.account is not None and not result.account.must_change_password
    assert authenticate("admin", "admin").outcome is AuthOutcome.AUTH_FAILED


def test_add_list_remove_and_rules(store_db: Any) -> None:
    info = add_account("alice", "agent", PW, port="002")
    assert (info.user, info.role, info.bound_port, info.must_change_password) == (
        "alice", "agent", "002", False)
    add_account("bob", "operator", PW)
    assert [a.user for a in list_accounts()] == ["admin", "alice", "bob"]
    for args, argument in ((("alice", "agent", PW), "user"),
                           (("carl", "boss", PW), "role"),
                           (("carl", "agent", "short"), "password"),
                           (("carl", "agent", "Carl"), "password"),
                           (("ALL", "agent", PW), "user"),
                           (("a b", "agent", PW), "user")):
        with pytest.raises(AccountError) as caught:
            add_account(*args)
        assert caught.value.argument == argument
    with pytest.raises(AccountError, match=r"^port: "):
        add_account("carl", "agent", PW, port="1")
    with pytest.raises(AccountError, match="user name"):
        add_account("carlos", "agent", "CARLOS")
    remove_account("bob")
    with pytest.raises(AccountError, match="no account"):
        remove_account("bob")
    with pytest.raises(AccountError, match="last admin"):
        remove_account("admin")
    add_account("root", "admin", PW)
    remove_account("admin")
    assert [a.user for a in list_accounts()] == ["alice", "root"]
    audit = [(e.what, e.key) for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert ("account remove", "account.bob") in audit
    assert all(PW not in str(e.new) for e in AuditEntry.select())


def test_lockout_after_five_failures(store_db: Any) -> None:
    add_account("dora", "agent", PW)
    now = utc_now()
    for _ in range(5):
        assert authenticate("dora", "nope", now=now).outcome is AuthOutcome.AUTH_FAILED
    assert authenticate("dora", PW, now=now).outcome is AuthOutcome.LOCKED_OUT
    later = now + timedelta(minutes=5, seconds=1)
    assert authenticate("dora", PW, now=later).outcome is AuthOutcome.OK
    # the count starts again after a success
    for _ in range(4):
        authenticate("dora", "nope", now=later)
    assert authenticate("dora", PW, now=later).outcome is AuthOutcome.OK
    row = Account.get(Account.user == "dora")
    assert (row.failed_logins, row.locked_until) == (0, None)
    # change_password's wrong old password counts too; set_password lifts the lock
    for _ in range(5):
        assert change_password("dora", "nope", "whatever-1", now=later).outcome is \
            AuthOutcome.AUTH_FAILED
    assert authenticate("dora", PW, now=later).outcome is AuthOutcome.LOCKED_OUT
    set_password("dora", "fresh-pw1")
    assert authenticate("dora", "fresh-pw1", now=later).outcome is AuthOutcome.OK


def test_password_check_off_accepts_any_password(store_db: Any) -> None:
    add_account("eve", "agent", PW)
    assert authenticate("eve", "", check=False).outcome is AuthOutcome.OK
    assert authenticate("nobody", "", check=False).outcome is AuthOutcome.AUTH_FAILED


# ---------------------------------------------------------------------- the CLI

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
COMMAND = [sys.executable, "-m", "callcenter.server", "accounts"]


def accounts_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], input=stdin, capture_output=True, text=True,
                          env=ENV, timeout=60, check=False)


def test_accounts_cli(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    added = accounts_cli("add", "alice", "--role", "agent", "--port", "002",
                         "--password-stdin", "--data", data, stdin="pass word 1\nignored\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout == "added alice (agent, port 002)\n"
    listed = accounts_cli("list", "--data", data)
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == [
        "USER   ROLE   PORT  STATUS",
        "admin  admin  -     must change password",
        "alice  agent  002   ok"]

    def bad(result: subprocess.CompletedProcess[str], text: str) -> None:
        assert result.returncode == 2, result
        assert text in result.stderr and "Traceback" not in result.stderr

    bad(accounts_cli("add", "bob", "--role", "boss", "--password-stdin", "--data", data,
                     stdin="whatever-1\n"), "--role: 'boss' is not allowed")
    bad(accounts_cli("add", "bob", "--role", "agent", "--port", "0001", "--password-stdin",
                     "--data", data, stdin="whatever-1\n"), "--port")
    bad(accounts_cli("add", "bob", "--role", "agent", "--password-stdin", "--data", data,
                     stdin="bob\n"), "password: a password needs at least 6 characters")
    bad(accounts_cli("add", "bobby1", "--role", "agent", "--password-stdin", "--data", data,
                     stdin="BOBBY1\n"), "password: the password must not be the user name")
    bad(accounts_cli("add", "bob", "--role", "agent", "--password-stdin", "--data", data,
                     stdin=""), "--password-stdin: nothing on standard input")
    bad(accounts_cli("add", "alice", "--role", "agent", "--password-stdin", "--data", data,
                     stdin="whatever-1\n"), "USER: an account 'alice' exists already")
    bad(accounts_cli("add", "bob", "--role", "agent", "--data", data, stdin="whatever-1\n"),
        "--password-stdin")
    bad(accounts_cli("passwd", "nobody", "--password-stdin", "--data", data,
                     stdin="whatever-1\n"), "USER: no account 'nobody'")
    bad(accounts_cli("remove", "admin", "--data", data), "last admin")
    # Without --data: the service's folder (issue 11 item 7; tests/server/test_data_folder.py).

    changed = accounts_cli("passwd", "admin", "--password-stdin", "--data", data,
                           stdin="new-admin-pw\r\n")
    assert changed.returncode == 0, changed.stderr
    assert accounts_cli("list", "--data", data).stdout.splitlines()[1] == "admin  admin  -" \
        "     ok"
    removed = accounts_cli("remove", "alice", "--data", data)
    assert (removed.returncode, removed.stdout) == (0, "removed alice\n")

    from callcenter.server.store.db import database, open_store
    db = open_store(Path(data))
    try:
        assert authenticate("admin", "new-admin-pw").outcome is AuthOutcome.OK  # "\r\n" cut
        assert [a.user for a in list_accounts()] == ["admin"]
    finally:
        database.close()
        db.close()
