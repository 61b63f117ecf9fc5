"""Fixtures shared by every server test folder: the store on SQLite and PostgreSQL."""

from tests.server.store_fixtures import pg_url, sqlite_template, store_db, store_target

__all__ = ["pg_url", "sqlite_template", "store_db", "store_target"]
