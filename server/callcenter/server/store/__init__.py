"""The server store (B-3, B-4, B-7): call records with their hash chain, ratings, alerts,
settings and the audit log, in SQLite under the data folder or in PostgreSQL. See docs/store.md.
"""

from callcenter.server.store.db import StoreError, database, open_store
from callcenter.server.store.intake import IntakeResult, RecordIntake
from callcenter.server.store.settings import (
    SettingError,
    all_settings,
    get_setting,
    set_setting,
)
from callcenter.server.store.verify import Problem, verify_chain

__all__ = [
    "IntakeResult",
    "Problem",
    "RecordIntake",
    "SettingError",
    "StoreError",
    "all_settings",
    "database",
    "get_setting",
    "open_store",
    "set_setting",
    "verify_chain",
]
