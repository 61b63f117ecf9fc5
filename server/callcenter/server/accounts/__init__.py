"""Accounts of the agent hub and, later, the console (S-41, B-6): roles, scrypt passwords,
lock-out; ``callcenter-server accounts ...`` is ``cli.py``. See docs/hub.md."""

from callcenter.server.accounts.passwords import hash_password, password_problem, verify_password
from callcenter.server.accounts.service import (
    AccountError,
    AccountInfo,
    AuthOutcome,
    AuthResult,
    account_exists,
    add_account,
    authenticate,
    change_password,
    find_account,
    list_accounts,
    record_message,
    remove_account,
    set_password,
)

__all__ = [
    "AccountError", "AccountInfo", "AuthOutcome", "AuthResult", "account_exists",
    "add_account", "authenticate", "change_password", "find_account", "hash_password",
    "list_accounts", "password_problem", "record_message", "remove_account", "set_password",
    "verify_password",
]
