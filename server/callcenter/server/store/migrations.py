"""Numbered schema migrations, recorded in the ``schema_version`` table.

Theory of operation
-------------------
Each migration is a function that brings the schema from version N-1 to N. It freezes what it
creates: it declares its *own* copies of the models (or plain SQL) as they were when it was
written, never the live classes of ``models.py``, so a migration means the same thing forever.
A later change is a new migration (``002_...``) that alters what 001 made (``playhouse.migrate``
``SchemaMigrator`` helpers, or SQL), and ``models.py`` is changed to match.

``migrate()`` runs all pending migrations and their ``schema_version`` rows in one transaction,
under a lock taken *before* reading the version, so two processes starting at once (the service
and a CLI command) cannot both apply one: on SQLite ``BEGIN IMMEDIATE`` (the database write lock,
the other process waits up to the busy timeout), on PostgreSQL a transaction-scoped advisory lock.
Both databases have transactional DDL, so a migration that fails leaves no half-made schema.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from peewee import (
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from callcenter.server.store.engine import AnyDatabase, StoreError, is_sqlite
from callcenter.server.store.models import utc_now

log = logging.getLogger(__name__)

#: pg_advisory_xact_lock key: "CCMIGRAT" read as a 64-bit number, so no other lock collides.
PG_MIGRATION_LOCK: Final = int.from_bytes(b"CCMIGRAT", "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    apply: Callable[[AnyDatabase], None]


def _m001_initial(db: AnyDatabase) -> None:
    """Call records with their hash chain, ratings, alerts, settings and the audit log."""

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class CallRecord(Base):
        id = BigAutoField()
        pbx_id = TextField()
        sequence = BigIntegerField()
        chain_pos = BigIntegerField()
        start = DateTimeField()
        utc_offset_minutes = IntegerField()
        local_start = CharField(max_length=14)
        month = CharField(max_length=7, index=True)
        duration = IntegerField()
        port = TextField()
        extension_number = TextField()
        trunk = TextField()
        number = TextField(index=True)
        call_type = CharField(max_length=3)
        caller = TextField()
        account = TextField()
        ring_seconds = IntegerField()
        raw_json = TextField(column_name="raw")
        received_at = DateTimeField()
        prev_hash = CharField(max_length=64)
        hash = CharField(max_length=64)
        cost_fen = BigIntegerField(default=0)
        service_type = IntegerField(null=True)
        unknown = BooleanField(default=False)

        class Meta:
            table_name = "call_record"
            indexes = (
                (("pbx_id", "sequence"), True),
                (("pbx_id", "chain_pos"), True),
                (("start",), False),
                (("port", "start"), False),
                (("trunk", "start"), False),
            )

    class Rating(Base):
        id = BigAutoField()
        record = ForeignKeyField(CallRecord, on_delete="RESTRICT")  # indexed by peewee
        tariff_version = TextField()
        cost_fen = BigIntegerField()
        prefix = TextField()
        description = TextField()
        service_type = IntegerField(null=True)
        unknown = BooleanField()
        holiday = BooleanField()
        receipt = TextField()
        rated_at = DateTimeField()
        reason = TextField()

        class Meta:
            table_name = "rating"

    class ChainHead(Base):
        pbx_id = TextField(primary_key=True)
        last_hash = CharField(max_length=64)
        records = BigIntegerField()
        max_sequence = BigIntegerField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "chain_head"

    class MalformedRecord(Base):
        id = BigAutoField()
        pbx_id = TextField()
        raw_text = TextField(column_name="raw")
        reason = TextField()
        received_at = DateTimeField()

        class Meta:
            table_name = "malformed_record"

    class Alert(Base):
        id = BigAutoField()
        kind = TextField()
        pbx_id = TextField(default="")
        text = TextField()
        detail = TextField(default="{}")
        created_at = DateTimeField()
        resolved = BooleanField(default=False, index=True)
        resolved_at = DateTimeField(null=True)

        class Meta:
            table_name = "alert"

    class Setting(Base):
        key = TextField(primary_key=True)
        value = TextField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "setting"

    class Audit(Base):
        id = BigAutoField()
        who = TextField()
        what = TextField()
        key = TextField()
        old = TextField(null=True)
        new = TextField(null=True)
        at = DateTimeField(index=True)

        class Meta:
            table_name = "audit"

    db.create_tables([CallRecord, Rating, ChainHead, MalformedRecord, Alert, Setting, Audit])


def _m002_archives(db: AnyDatabase) -> None:
    """The archive catalog (S-40) and an index for queries by extension number.

    ``archive_month``: one row per archived month; ``committed_batch`` is the last archive move
    whose deletion from ``call_record`` committed (archive rows of a later batch are not yet
    visible, see query/archive.py). ``archive_range``: lowest and highest sequence per month and
    PBX, so intake can look a retransmitted old sequence up in the right archives only.
    """

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class ArchiveMonth(Base):
        month = CharField(max_length=7, primary_key=True)
        location = TextField()
        committed_batch = IntegerField()
        records = BigIntegerField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "archive_month"

    class ArchiveRange(Base):
        month = CharField(max_length=7)
        pbx_id = TextField()
        min_sequence = BigIntegerField()
        max_sequence = BigIntegerField()

        class Meta:
            table_name = "archive_range"
            primary_key = CompositeKey("month", "pbx_id")

    db.create_tables([ArchiveMonth, ArchiveRange])
    db.execute_sql("CREATE INDEX IF NOT EXISTS call_record_extension_number_start "
                   "ON call_record (extension_number, start)")


def _m003_prepaid_hotel(db: AnyDatabase) -> None:
    """Prepaid accounts and their append-only ledger (S-39, S-26); the hotel-link queue and
    the bill file's written size (S-43). See docs/prepaid.md and docs/hotel-link.md."""

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class PrepaidAccount(Base):
        id = BigAutoField()
        kind = CharField(max_length=16)  # "extension" or "password"
        ident = CharField(max_length=8)  # extension port "001" / password row "03"
        active = BooleanField()
        created_at = DateTimeField()
        changed_at = DateTimeField()

        class Meta:
            table_name = "prepaid_account"
            indexes = ((("kind", "ident"), True),)

    class PrepaidEntry(Base):
        id = BigAutoField()
        account = ForeignKeyField(PrepaidAccount, on_delete="RESTRICT")
        kind = CharField(max_length=16)  # topup / charge / clear / adjustment
        amount_fen = BigIntegerField()
        record_id = BigIntegerField(null=True)
        rating_id = BigIntegerField(null=True)
        who = TextField()
        at = DateTimeField()
        note = TextField(default="")

        class Meta:
            table_name = "prepaid_entry"
            indexes = ((("account", "record_id"), True),)

    class HotelQueue(Base):
        id = BigAutoField()
        record_id = BigIntegerField()
        line = TextField()
        file_done = BooleanField()
        serial_done = BooleanField()
        queued_at = DateTimeField()

        class Meta:
            table_name = "hotel_queue"
            indexes = ((("file_done", "id"), False), (("serial_done", "id"), False))

    class HotelBillFile(Base):
        path = TextField(primary_key=True)
        size = BigIntegerField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "hotel_bill_file"

    db.create_tables([PrepaidAccount, PrepaidEntry, HotelQueue, HotelBillFile])


def _m004_accounts(db: AnyDatabase) -> None:
    """Agent-hub accounts (S-41, B-6) and the internal-message history (C-3), and the initial
    ``admin`` account with password ``admin`` that must be changed at first use. See
    account_models.py and docs/hub.md."""
    # Frozen here rather than imported from accounts.passwords, so this migration always
    # means the same thing; the format is the one verify_password reads.
    import base64  # noqa: PLC0415 - kept with the only migration that needs them
    import hashlib  # noqa: PLC0415
    import os  # noqa: PLC0415

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Account(Base):
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

    class AgentMessage(Base):
        id = BigAutoField()
        sender = CharField(max_length=64)
        recipient = CharField(max_length=64)
        text = TextField()
        sent_at = DateTimeField(index=True)
        delivered = IntegerField()

        class Meta:
            table_name = "agent_message"

    db.create_tables([Account, AgentMessage])
    salt = os.urandom(16)
    digest = hashlib.scrypt(b"admin", salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024,
                            dklen=32)
    hashed = (f"scrypt${2**14}$8$1${base64.b64encode(salt).decode()}$"
              f"{base64.b64encode(digest).decode()}")
    now = utc_now()
    Account.insert(user="admin", role="admin", password_hash=hashed, must_change_password=True,
                   bound_port="", failed_logins=0, locked_until=None, created_at=now,
                   updated_at=now).execute()


def _m005_audit_result(db: AnyDatabase) -> None:
    """The audit log's ``result`` (B-4): how a change ended where that can differ, e.g. a PBX
    parameter write that was ``written`` or ``refused: ...``; ``""`` for earlier entries."""
    db.execute_sql("ALTER TABLE audit ADD COLUMN result TEXT NOT NULL DEFAULT ''")


def _m006_account_generation(db: AnyDatabase) -> None:
    """A counter of account changes (issue 10 item 4): one row, raised in the same
    transaction as every change of an account's role, port, password or existence, so a
    running hub notices a change made by another process with one cheap read."""

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class AccountGeneration(Base):
        id = IntegerField(primary_key=True)
        generation = BigIntegerField()

        class Meta:
            table_name = "account_generation"

    db.create_tables([AccountGeneration])
    AccountGeneration.insert(id=1, generation=0).execute()


def _m007_agent_desk(db: AnyDatabase) -> None:
    """What the agent hub keeps for the desks (protocol 1.2, issue 9): messages waiting for
    an offline receiver, missed calls per extension port, extension names. See
    desk_models.py and docs/hub.md."""

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class PendingMessage(Base):
        id = BigAutoField()
        message_id = BigIntegerField(index=True)
        recipient = CharField(max_length=64, index=True)

        class Meta:
            table_name = "pending_message"

    class MissedCall(Base):
        id = BigAutoField()
        port = CharField(max_length=3)
        call_id = BigIntegerField()
        caller = TextField()
        trunk = CharField(max_length=2)
        number = TextField()
        rang_at = DateTimeField()
        ended_at = DateTimeField(index=True)

        class Meta:
            table_name = "missed_call"
            indexes = ((("port", "ended_at"), False),)

    class ExtensionName(Base):
        port = CharField(max_length=3, primary_key=True)
        name = TextField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "extension_name"

    db.create_tables([PendingMessage, MissedCall, ExtensionName])


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "001_initial", _m001_initial),
    Migration(2, "002_archives", _m002_archives),
    Migration(3, "003_prepaid_hotel", _m003_prepaid_hotel),
    Migration(4, "004_accounts", _m004_accounts),
    Migration(5, "005_audit_result", _m005_audit_result),
    Migration(6, "006_account_generation", _m006_account_generation),
    Migration(7, "007_agent_desk", _m007_agent_desk),
)

_VERSION_TABLE_SQL: Final = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, applied_at VARCHAR(32) NOT NULL)"
)


def latest_version() -> int:
    return MIGRATIONS[-1].number


def schema_versions(db: AnyDatabase) -> list[tuple[int, str]]:
    """The applied migrations as (number, name), in order."""
    cursor = db.execute_sql("SELECT version, name FROM schema_version ORDER BY version")
    return [(int(v), str(n)) for v, n in cursor.fetchall()]


def migrate(db: AnyDatabase) -> list[str]:
    """Apply every pending migration; returns the names applied (none when up to date).

    Safe to call from several processes at once and any number of times.
    """
    applied_now: list[str] = []
    with db.atomic("IMMEDIATE") if is_sqlite(db) else db.atomic():
        if not is_sqlite(db):
            db.execute_sql(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})")
        db.execute_sql(_VERSION_TABLE_SQL)
        done = {number for number, _ in schema_versions(db)}
        if done and max(done) > latest_version():
            raise StoreError(
                f"the store has schema version {max(done)}, newer than this program knows "
                f"({latest_version()}): update the program")
        for migration in MIGRATIONS:
            if migration.number in done:
                continue
            log.info("store: applying migration %s", migration.name)
            migration.apply(db)
            db.execute_sql(
                f"INSERT INTO schema_version (version, name, applied_at) "
                f"VALUES ({db.param}, {db.param}, {db.param})",
                (migration.number, migration.name, utc_now().isoformat(timespec="seconds")))
            applied_now.append(migration.name)
    return applied_now
