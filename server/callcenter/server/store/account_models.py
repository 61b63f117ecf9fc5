"""Models of migration 004: agent-hub accounts (S-41, B-6) and internal messages (C-3), and
of migration 006: the counter of account changes.

Created only by ``migrations._m004_accounts``; the services are in ``callcenter.server.accounts``
and the agent hub. See docs/hub.md.
"""

from __future__ import annotations

from peewee import (
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    IntegerField,
    TextField,
)

from callcenter.server.store.models import StoreModel


class Account(StoreModel):
    """A person who may log in to the agent hub (and, later, the console).

    ``password_hash`` is ``scrypt$N$r$p$salt_b64$hash_b64`` (see ``accounts.passwords``);
    ``bound_port`` is ``""`` or the one extension port an agent may log in at.
    ``failed_logins`` counts consecutive failures; the fifth sets ``locked_until`` (UTC).
    The column is ``user_name`` because ``user`` is a reserved word in PostgreSQL.
    """

    id = BigAutoField()
    user = CharField(max_length=64, unique=True, column_name="user_name")
    role = CharField(max_length=16)
    password_hash = TextField()
    must_change_password = BooleanField()
    bound_port = CharField(max_length=3, default="")
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "account"


class AgentMessage(StoreModel):
    """An internal message sent through the hub: the history of C-3 (append-only)."""

    id = BigAutoField()
    sender = CharField(max_length=64)
    recipient = CharField(max_length=64)  # a user name, or "ALL"
    text = TextField()
    sent_at = DateTimeField(index=True)  # naive UTC
    delivered = IntegerField()  # connections it reached

    class Meta:
        table_name = "agent_message"


class AccountGeneration(StoreModel):
    """One row (``id`` 1): raised with every change of an account that open sessions must
    follow (added, removed, role, bound port, password); the hub polls it (migration 006)."""

    id = IntegerField(primary_key=True)
    generation = BigIntegerField()

    class Meta:
        table_name = "account_generation"
