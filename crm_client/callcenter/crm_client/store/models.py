"""The CRM tables as peewee models, bound to one database each.

A PC may hold two CRM databases at once (its own ``crm.db`` and the shared file), and a test or
a benchmark several stores in one process, so the models are not bound to a global proxy:
``shared_models(db)`` and ``local_models(db)`` build the model classes bound to one database.
The tables themselves are created by ``migrations.py`` (frozen SQL); these classes match them
(the full-text table ``customer_fts`` has no model: it is written and queried in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import (
    AutoField,
    BooleanField,
    CompositeKey,
    Database,
    IntegerField,
    Model,
    TextField,
)

__all__ = ["LocalModels", "SharedModels", "local_models", "shared_models"]


@dataclass(frozen=True)
class SharedModels:
    """The tables of customers, call log and phonebooks (shared in network mode)."""

    customer: Any
    phone: Any
    search: Any
    call: Any
    phonebook: Any


@dataclass(frozen=True)
class LocalModels:
    """The tables that stay on this PC."""

    outbox: Any
    message: Any
    monitor_icon: Any


def shared_models(db: Database) -> SharedModels:
    """The shared tables' models bound to ``db``."""

    class Base(Model):
        class Meta:
            database = db

    class Customer(Base):
        id = AutoField()
        uuid = TextField(unique=True)
        name = TextField(default="")
        extension = TextField(default="")
        email = TextField(default="")
        phones = TextField(default="[]")  # JSON list of the numbers as typed
        mobile = TextField(default="")
        fax = TextField(default="")
        position = TextField(default="")
        kind = TextField(default="")
        customer_no = TextField(default="")
        company = TextField(default="")
        address = TextField(default="")
        handler = TextField(default="")
        department = TextField(default="")
        notes = TextField(default="")
        vip = BooleanField(default=False)
        blacklist = BooleanField(default=False)
        blacklist_reason = TextField(default="")
        version = IntegerField(default=1)
        last_write = TextField(default="")  # id of the last write applied (replays skip it)
        updated_at = TextField()

        class Meta:
            table_name = "customer"

    class CustomerPhone(Base):
        customer_id = IntegerField()
        digits = TextField(index=True)
        rdigits = TextField(index=True)

        class Meta:
            table_name = "customer_phone"
            primary_key = CompositeKey("customer_id", "digits")
            without_rowid = True

    class CustomerSearch(Base):
        customer_id = IntegerField(primary_key=True)
        name_key = TextField()
        text = TextField()

        class Meta:
            table_name = "customer_search"
            indexes = ((("name_key", "customer_id"), False),)

    class CallLog(Base):
        id = AutoField()
        key = TextField(unique=True)
        time_utc = TextField()
        utc_offset = IntegerField()  # minutes east of UTC, as the call was logged
        number = TextField()
        digits = TextField()
        name = TextField(default="")
        direction = TextField()
        answered = BooleanField(default=False)
        duration = IntegerField(default=0)
        extension = TextField(default="")
        user = TextField(default="")
        description = TextField(default="")

        class Meta:
            table_name = "call_log"

    class Phonebook(Base):
        id = AutoField()
        uuid = TextField(unique=True)
        book = TextField()
        name = TextField(default="")
        number = TextField()
        digits = TextField()
        company = TextField(default="")
        notes = TextField(default="")

        class Meta:
            table_name = "phonebook"

    return SharedModels(Customer, CustomerPhone, CustomerSearch, CallLog, Phonebook)


def local_models(db: Database) -> LocalModels:
    """The local tables' models bound to ``db``."""

    class Base(Model):
        class Meta:
            database = db

    class Outbox(Base):
        id = AutoField()
        op = TextField()
        payload = TextField()  # JSON
        queued_at = TextField()
        status = TextField(default="pending")  # pending | conflict
        problem = TextField(default="")

        class Meta:
            table_name = "outbox"

    class Message(Base):
        id = AutoField()
        key = TextField(unique=True)
        time_utc = TextField()
        utc_offset = IntegerField()
        sender = TextField()
        recipient = TextField()
        text = TextField()

        class Meta:
            table_name = "message"

    class MonitorIcon(Base):
        port = TextField(primary_key=True)
        label = TextField(default="")
        x = IntegerField(default=0)
        y = IntegerField(default=0)
        position = IntegerField(default=0)

        class Meta:
            table_name = "monitor_icon"

    return LocalModels(Outbox, Message, MonitorIcon)
