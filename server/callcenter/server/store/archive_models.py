"""The archive catalog (S-40): which months were moved out of ``call_record`` and where.

Created by migration ``002_archives``. The archives themselves (per-month SQLite files or
PostgreSQL tables) are managed by ``callcenter.server.store.archive``; see docs/records.md.
"""

from __future__ import annotations

from peewee import BigIntegerField, CharField, CompositeKey, DateTimeField, IntegerField, TextField

from callcenter.server.store.models import StoreModel


class ArchiveMonth(StoreModel):
    """One archived month: ``location`` is the file name (SQLite, relative to the archive
    folder) or the table name (PostgreSQL); archive rows with ``archive_batch`` up to
    ``committed_batch`` are visible; ``records`` is how many there are."""

    month = CharField(max_length=7, primary_key=True)
    location = TextField()
    committed_batch = IntegerField()
    records = BigIntegerField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "archive_month"


class ArchiveRange(StoreModel):
    """Lowest and highest archived sequence of one PBX in one archived month."""

    month = CharField(max_length=7)
    pbx_id = TextField()
    min_sequence = BigIntegerField()
    max_sequence = BigIntegerField()

    class Meta:
        table_name = "archive_range"
        primary_key = CompositeKey("month", "pbx_id")
