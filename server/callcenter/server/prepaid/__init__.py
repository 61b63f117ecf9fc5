"""Prepaid rooms, personal and DISA passwords (S-39, S-26): the ledger, PBX reconcile, the
``rooms`` command. See docs/prepaid.md."""

from callcenter.server.prepaid.ledger import (
    AccountRef,
    AccountState,
    LedgerError,
    adjust,
    all_states,
    charge_calls,
    clear,
    disa,
    entries,
    password,
    release,
    room,
    state,
    top_up,
)

__all__ = [
    "AccountRef",
    "AccountState",
    "LedgerError",
    "adjust",
    "all_states",
    "charge_calls",
    "clear",
    "disa",
    "entries",
    "password",
    "release",
    "room",
    "state",
    "top_up",
]
