"""Models of migration 003: prepaid accounts and ledgers (S-39, S-26), the hotel-link queue
(S-43). Created only by ``migrations._m003_prepaid_hotel``; see docs/prepaid.md and
docs/hotel-link.md.

Call records are referred to by id (``record_id``), not by a foreign key: records older than
the retention period move to the monthly archives, and a ledger entry or a queue row must not
stop that (nor be deleted with it).
"""

from __future__ import annotations

from typing import Final

from peewee import (
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    TextField,
)

from callcenter.server.store.models import StoreModel

EXTENSION: Final = "extension"
PASSWORD: Final = "password"
DISA: Final = "disa"
ACCOUNT_KINDS: Final = (EXTENSION, PASSWORD, DISA)

TOPUP: Final = "topup"
CHARGE: Final = "charge"
CLEAR: Final = "clear"
ADJUSTMENT: Final = "adjustment"
ENTRY_KINDS: Final = (TOPUP, CHARGE, CLEAR, ADJUSTMENT)


class PrepaidAccount(StoreModel):
    """An extension (room), a personal-password row or a DISA-password row that has ever
    been put on prepaid.

    ``active``: under prepaid control (set by a top-up, cleared by an explicit release); only
    active accounts are charged and restricted. The balance is the sum of the ledger.
    """

    id = BigAutoField()
    kind = CharField(max_length=16)  # one of ACCOUNT_KINDS
    ident = CharField(max_length=8)  # extension port "001", password or DISA row "03"
    active = BooleanField()
    created_at = DateTimeField()
    changed_at = DateTimeField()

    class Meta:
        table_name = "prepaid_account"


class PrepaidEntry(StoreModel):
    """One ledger entry, append-only: signed fen (a top-up positive, a charge negative).

    A charge names its call record and the rating it used; unique ``(account, record_id)``
    makes charging a record twice impossible.
    """

    id = BigAutoField()
    account = ForeignKeyField(PrepaidAccount, backref="entries", on_delete="RESTRICT")
    kind = CharField(max_length=16)  # one of ENTRY_KINDS
    amount_fen = BigIntegerField()
    record_id = BigIntegerField(null=True)
    rating_id = BigIntegerField(null=True)
    who = TextField()  # the console account, "cli:<OS user>" or "intake:<pbx id>"
    at = DateTimeField()  # UTC
    note = TextField(default="")

    class Meta:
        table_name = "prepaid_entry"


class HotelQueueEntry(StoreModel):
    """A bill line waiting for the hotel file and/or the serial forwarder, in ``id`` order.

    Filled in the intake's transaction; ``file_done`` / ``serial_done`` are set by each
    consumer once the line is on disk / out of the port (True from the start for a consumer
    that is switched off).
    """

    id = BigAutoField()
    record_id = BigIntegerField()
    line = TextField()  # the bill line without CR LF, built at intake
    file_done = BooleanField()
    serial_done = BooleanField()
    queued_at = DateTimeField()

    class Meta:
        table_name = "hotel_queue"


class HotelBillFile(StoreModel):
    """How many bytes of the bill file at ``path`` are known to be ours and acknowledged."""

    path = TextField(primary_key=True)
    size = BigIntegerField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "hotel_bill_file"


PREPAID_MODELS: Final = (PrepaidAccount, PrepaidEntry, HotelQueueEntry, HotelBillFile)
