"""``accounts list``: a locked account's "locked until" is in the site's zone (setting
``timezone``), not this computer's (issue 11, item 5)."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter.server.accounts import service
from callcenter.server.cli.accounts import format_accounts
from callcenter.server.store.account_models import Account
from callcenter.server.store.db import database, open_store
from callcenter.server.store.models import utc_now
from callcenter.server.store.settings import set_setting


def test_locked_until_is_in_the_site_zone(tmp_path: Path) -> None:
    open_store(tmp_path)
    try:
        set_setting("timezone", "Pacific/Kiritimati", "test")  # UTC+14: never the PC's
        service.add_account("alice", "agent", "s3cret-Pass", port="002")
        until = (utc_now() + timedelta(minutes=5)).replace(microsecond=0)
        Account.update(locked_until=until).where(Account.user == "alice").execute()
        lines = format_accounts(service.list_accounts())
    finally:
        database.close()
    local = until.replace(tzinfo=UTC).astimezone(ZoneInfo("Pacific/Kiritimati"))
    [line] = [x for x in lines if x.startswith("alice")]
    assert f"locked until {local:%Y-%m-%d %H:%M:%S}" in line, line
