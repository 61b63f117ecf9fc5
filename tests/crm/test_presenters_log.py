"""来电记录区's presenter on a real CRM store (SQLite in tmp_path), without Tk: pages newest
first numbered from the newest down, the search, stale answers dropped, the 描述 column and
what a call back dials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from callcenter.crm_client.gui.presenters_log import (
    CallLogPresenter,
    call_back_number,
    fetch,
)
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.store import CallEntry, CrmStore

BEIJING = timezone(timedelta(hours=8))


def log_calls(store: CrmStore, count: int, start: datetime) -> None:
    for n in range(count):
        store.log_call(CallEntry(key=f"011/{n + 1}/t", time=start + timedelta(minutes=n),
                                 number=f"0108289{n:04d}", name="王建国" if n % 10 == 0 else "",
                                 answered=n % 3 != 0, extension="011", user="alice"))


def test_pages_are_newest_first_and_numbered_down_from_the_newest(crm_store: CrmStore) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    log_calls(crm_store, 120, start)
    presenter = CallLogPresenter(Catalogue(), BEIJING, page_size=50)
    assert presenter.apply(fetch(crm_store, presenter.query(), BEIJING))
    assert (presenter.total, presenter.pages, presenter.page_text()) == (120, 3, "第 1/3 页")
    rows = presenter.rows()
    assert len(rows) == 50
    first = rows[0]
    assert first[0] == "120" and first[1] == "01082890119" and first[4] == "011"
    newest = start + timedelta(minutes=119)
    assert first[5] == newest.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    assert not presenter.has_previous() and presenter.has_next()
    last_page = presenter.go(2)
    assert last_page is not None and presenter.apply(fetch(crm_store, last_page, BEIJING))
    assert [row[0] for row in presenter.rows()] == [f"{n:03d}" for n in range(20, 0, -1)]
    assert presenter.go(3) is None and presenter.go(2) is None


def test_the_search_starts_at_page_one_and_a_stale_answer_is_dropped(
        crm_store: CrmStore) -> None:
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    log_calls(crm_store, 30, max(now - timedelta(hours=1), midnight))  # all of them today
    presenter = CallLogPresenter(Catalogue(), UTC, page_size=10)
    older = presenter.query()
    newer = presenter.set_search("王建国")
    assert not presenter.apply(fetch(crm_store, older, UTC))  # asked before the search
    assert presenter.apply(fetch(crm_store, newer, UTC))
    assert presenter.total == 3 and {row[2] for row in presenter.rows()} == {"王建国"}
    assert presenter.today_text() == "今日来电：30"


def test_the_description_column_says_what_was_done_or_what_the_call_was(
        crm_store: CrmStore) -> None:
    presenter = CallLogPresenter(Catalogue(), UTC)
    now = datetime.now(UTC)
    missed = CallEntry(key="a", time=now, number="1", answered=False)
    saved = CallEntry(key="b", time=now, number="2", description="保存到常用电话")
    out = CallEntry(key="c", time=now, number="3", direction="out", answered=True)
    answered = CallEntry(key="d", time=now, number="4", answered=True)
    assert [presenter.description(e) for e in (missed, saved, out, answered)] == [
        "未接", "保存到常用电话", "去电", ""]


def test_a_page_past_the_end_shows_the_last_page(crm_store: CrmStore) -> None:
    log_calls(crm_store, 12, datetime.now(UTC) - timedelta(hours=1))
    presenter = CallLogPresenter(Catalogue(), UTC, page_size=5)
    presenter.apply(fetch(crm_store, presenter.query(), UTC))
    query = presenter.go(2)
    assert query is not None
    crm_store.clear_calls()
    log_calls(crm_store, 3, datetime.now(UTC) - timedelta(hours=1))
    assert presenter.apply(fetch(crm_store, query, UTC))
    assert presenter.page == 0 and len(presenter.rows()) == 3


def test_a_call_back_dials_outside_numbers_behind_the_access_code() -> None:
    assert call_back_number("01082895782", ["8001", "8002"]) == "901082895782"
    assert call_back_number("8002", ["8001", "8002"]) == "8002"
    with pytest.raises(ValueError, match=r"dial\.need_number"):
        call_back_number("", [])


def test_a_call_back_uses_this_pcs_outside_line_prefix_and_none_for_extensions() -> None:
    internal = ["8001", "8002"]
    assert call_back_number("13800138000", internal, "") == "13800138000"
    assert call_back_number("13800138000", internal, "0") == "013800138000"
    assert call_back_number("13800138000", internal, "*9#") == "*9#13800138000"
    assert call_back_number("8002", internal, "0") == "8002"


def test_the_call_still_ringing_is_not_called_missed() -> None:
    presenter = CallLogPresenter(Catalogue(), UTC)
    ringing = CallEntry(key="011/7/20261203T091502", time=datetime.now(UTC), number="1")
    assert presenter.description(ringing) == "未接"
    presenter.live_prefix = "011/7/"
    assert presenter.description(ringing) == "振铃中"
    presenter.live_state = "talking"  # answered: written as answered only when it ends
    assert presenter.description(ringing) == "通话中"
    presenter.live_state = "held"
    assert presenter.description(ringing) == "通话中"
