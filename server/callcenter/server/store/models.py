"""The store's tables as peewee models, bound to the ``database`` proxy.

These are the *current* models that the services use. The schema itself is created and changed
only by the numbered migrations in ``migrations.py``, which freeze their own copies, so editing a
model here never changes a table by itself: a new column is a new migration.

Conventions
-----------
- Times are naive ``datetime`` values in UTC (``utc_now()``); a call's PBX-local start is kept
  as the raw text beside it, with the PBX's UTC offset.
- Money is integer fen (1/100 yuan) in ``BigIntegerField`` columns named ``*_fen``: exact on
  SQLite (which has no decimal type; its NUMERIC affinity would store 0.44 as a float) and on
  PostgreSQL, and exact when summed in SQL. ``to_fen()`` / ``from_fen()`` convert to and from
  ``Decimal`` at the edges.
- JSON columns are text holding canonical JSON (sorted keys where it is an object).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from peewee import (
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from callcenter.server.store.engine import database

FEN_PER_YUAN: Final = 100


def utc_now() -> datetime:
    """The current time as the store keeps it: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_fen(amount: Decimal) -> int:
    """``Decimal`` yuan -> integer fen; raises ValueError for a fraction of a fen."""
    scaled = amount * FEN_PER_YUAN
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of fen")
    return int(scaled)


def from_fen(fen: int) -> Decimal:
    """Integer fen -> ``Decimal`` yuan with two places (``44`` -> ``Decimal("0.44")``)."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


class StoreModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class CallRecordRow(StoreModel):
    """One call record as the PBX sent it (immutable, hash-chained) plus its current cost.

    ``raw_json`` (column ``raw``) is the record's wire fields as canonical JSON; every other
    call column is derived from it at intake and ``verify`` checks they still agree.
    ``chain_pos`` is the record's place in its PBX's hash chain (1, 2, ...: intake order, which
    is not sequence order when a late record fills a gap);
    ``hash`` = sha256(``prev_hash`` + ``raw_json``).

    ``cost_fen``, ``service_type`` and ``unknown`` cache the record's *current* rating (its
    newest ``RatingRow``) so that queries can filter, sort and sum by cost without a join;
    re-rating rewrites them in the transaction that appends the new rating row. They are outside
    the hash (the raw record is what the PBX said; the cost is our opinion of it), and
    ``verify`` checks that they agree with the newest rating.
    """

    id = BigAutoField()
    pbx_id = TextField()
    sequence = BigIntegerField()  # 32-bit unsigned on the wire: does not fit a PG integer
    chain_pos = BigIntegerField()
    start = DateTimeField()  # UTC
    utc_offset_minutes = IntegerField()
    local_start = CharField(max_length=14)  # YYYYMMDDhhmmss as the PBX sent it
    month = CharField(max_length=7)  # "2026-11", from the PBX-local start: the archive key
    duration = IntegerField()
    port = TextField()
    extension_number = TextField()  # the extension's number at the time of the call
    trunk = TextField()
    number = TextField()
    call_type = CharField(max_length=3)  # OUT / IN / INT
    caller = TextField()
    account = TextField()  # personal / DISA password account, "" if none
    ring_seconds = IntegerField()
    raw_json = TextField(column_name="raw")  # `raw` would hide peewee's Model.raw()
    received_at = DateTimeField()
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    cost_fen = BigIntegerField(default=0)
    service_type = IntegerField(null=True)
    unknown = BooleanField(default=False)

    class Meta:
        table_name = "call_record"


class RatingRow(StoreModel):
    """One rating of a record; append-only. A record's current rating is its newest row.

    ``reason`` is ``"intake"`` or ``"re-rate <who> <range>"``.
    """

    id = BigAutoField()
    record = ForeignKeyField(CallRecordRow, backref="ratings", on_delete="RESTRICT")
    tariff_version = TextField()
    cost_fen = BigIntegerField()
    prefix = TextField()  # "" when no row matched
    description = TextField()
    service_type = IntegerField(null=True)
    unknown = BooleanField()
    holiday = BooleanField()
    receipt = TextField()
    rated_at = DateTimeField()
    reason = TextField()

    class Meta:
        table_name = "rating"


class ChainHead(StoreModel):
    """The end of one PBX's record chain: detects a removed last record and gives intake the
    previous hash and highest sequence in O(1), even when older records are archived."""

    pbx_id = TextField(primary_key=True)
    last_hash = CharField(max_length=64)
    records = BigIntegerField()  # chain length = chain_pos of the last record
    max_sequence = BigIntegerField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "chain_head"


class MalformedRecord(StoreModel):
    """A record from the PBX that could not be parsed, kept as received."""

    id = BigAutoField()
    pbx_id = TextField()
    raw_text = TextField(column_name="raw")
    reason = TextField()
    received_at = DateTimeField()

    class Meta:
        table_name = "malformed_record"


class Alert(StoreModel):
    """Something the console should show: a sequence gap, a malformed record, an unknown
    number, ... ``detail`` is JSON for programs (e.g. ``{"first": 8, "last": 9}``)."""

    id = BigAutoField()
    kind = TextField()
    pbx_id = TextField(default="")
    text = TextField()
    detail = TextField(default="{}")
    created_at = DateTimeField()
    resolved = BooleanField(default=False)
    resolved_at = DateTimeField(null=True)

    class Meta:
        table_name = "alert"


class Setting(StoreModel):
    """A server setting; ``value`` is JSON. Unset keys take the registry's default."""

    key = TextField(primary_key=True)
    value = TextField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "setting"


class AuditEntry(StoreModel):
    """Who changed what, and how it ended (B-4). Append-only; written by ``store/audit.py``
    ``add_entry`` (and by the settings, accounts and re-rate code in their transactions)."""

    id = BigAutoField()
    who = TextField()
    what = TextField()  # "pbx", "tariff", "setting", "account add", "room", "rerate", ...
    key = TextField()
    old = TextField(null=True)
    new = TextField(null=True)
    result = TextField(default="")  # "" when it simply happened; "written", "refused: ..."
    at = DateTimeField()

    class Meta:
        table_name = "audit"


MODELS: Final = (CallRecordRow, RatingRow, ChainHead, MalformedRecord, Alert, Setting, AuditEntry)
