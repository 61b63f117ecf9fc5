"""The CRM client's own data: customers, call log, phonebooks, messages, monitor icons (peewee).

``CrmStore.open(DIR)`` (standalone: ``DIR/crm.db``) or ``CrmStore.open(DIR, shared=FOLDER)``
(network mode: customers, phonebooks and call log in ``FOLDER/crm-shared.db``). See
``crm_store`` for the theory of operation and docs/crm-store.md.
"""

from callcenter.crm_client.store.crm_store import CrmStore, OutboxConflict
from callcenter.crm_client.store.engine import LOCAL_FILE, SHARED_FILE, default_data_dir
from callcenter.crm_client.store.records import (
    BOOKS,
    CUSTOMER_LABELS,
    DIRECTIONS,
    CallEntry,
    Customer,
    MessageEntry,
    MonitorIcon,
    PhonebookEntry,
    ShareUnavailable,
    StoreError,
    VersionConflict,
)

__all__ = [
    "BOOKS", "CUSTOMER_LABELS", "DIRECTIONS", "LOCAL_FILE", "SHARED_FILE", "CallEntry",
    "CrmStore", "Customer", "MessageEntry", "MonitorIcon", "OutboxConflict", "PhonebookEntry",
    "ShareUnavailable", "StoreError", "VersionConflict", "default_data_dir",
]
