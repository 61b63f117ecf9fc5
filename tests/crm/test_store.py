"""CrmStore on real SQLite files (standalone mode): customers, the number index, search, version
conflicts, call log, phonebooks, local tables, migrations."""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from callcenter.crm_client.store import (
    CallEntry,
    CrmStore,
    Customer,
    MessageEntry,
    MonitorIcon,
    PhonebookEntry,
    ShareUnavailable,
    StoreError,
    VersionConflict,
)

BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CrmStore]:
    s = CrmStore.open(tmp_path / "data")
    yield s
    s.close()


def yang() -> Customer:
    """The manual's example record (2-4)."""
    return Customer(name="杨庆丰", extension="128", email="yangqf@cesllr.com",
                    phones=("13509636630", "83988807"), mobile="13509636630", fax="83568607",
                    position="总经理", kind="合群商", customer_no="002", company="赛格科技",
                    handler="001", department="技术服务部", notes="软件确认内容")


def test_a_customer_is_saved_read_and_every_field_kept(store: CrmStore, tmp_path: Path) -> None:
    saved = store.save_customer(replace(yang(), vip=True, blacklist=True,
                                        blacklist_reason="欠费"))
    assert saved.id > 0 and saved.version == 1
    assert saved == replace(yang(), id=saved.id, version=1, vip=True, blacklist=True,
                            blacklist_reason="欠费")
    assert store.customer(saved.id) == saved
    assert store.mode == "standalone"
    assert (tmp_path / "data" / "crm.db").is_file()
    store.close()
    again = CrmStore.open(tmp_path / "data")
    assert again.customer(saved.id) == saved
    again.close()


@pytest.mark.parametrize("caller", [
    "13509636630", "+86 135-0963-6630", "0086 13509636630", "013509636630", "83988807",
    "8613509636630",
])
def test_a_customer_is_found_by_any_spelling_of_its_numbers(store: CrmStore, caller: str) -> None:
    saved = store.save_customer(yang())
    store.save_customer(Customer(name="别人", phones=("13800138000",)))
    assert store.find_by_number(caller) == saved


def test_numbers_in_one_field_and_landlines_are_indexed(store: CrmStore) -> None:
    saved = store.save_customer(Customer(name="北京", phones=("010-82895782, 13912345678",)))
    assert store.find_by_number("+86 10 8289 5782") == saved
    assert store.find_by_number("13912345678") == saved
    # A local call's caller ID without the area code finds the number by its ending...
    assert store.find_by_number("82895782") == saved
    # ... unless two customers' numbers end so (then nobody: a pop must not guess), even when
    # one of them has several such numbers.
    store.save_customer(replace(saved, phones=("010-82895782", "0755-82895782", "13912345678")))
    assert store.find_by_number("82895782") is not None
    store.save_customer(Customer(name="上海", phones=("021-82895782",)))
    assert store.find_by_number("82895782") is None
    assert store.find_by_number("5782") is None
    assert store.find_by_number("") is None
    assert store.find_by_number("13000000000") is None


def test_an_edit_moves_the_number_index(store: CrmStore) -> None:
    saved = store.save_customer(yang())
    edited = store.save_customer(replace(saved, phones=("075526515007",), mobile=""))
    assert edited.version == 2
    assert store.find_by_number("13509636630") is None
    assert store.find_by_number("0755-2651-5007") == edited
    store.delete_customer(edited.id, edited.version)
    assert store.find_by_number("0755-2651-5007") is None
    assert store.customer(edited.id) is None
    assert store.count_customers() == 0


def test_search_by_name_company_number_in_name_order(store: CrmStore) -> None:
    for name, company, phone in [("王伟", "赛格科技", "13800138000"),
                                 ("Alice Wong", "ACME Ltd", "010-82895782"),
                                 ("李娜", "唐信科技", "13912345678"),
                                 ("Bob", "赛纳", "+86 755 26515007")]:
        store.save_customer(Customer(name=name, company=company, phones=(phone,)))
    names = [c.name for c in store.search_customers("科技")]
    assert names == sorted(["王伟", "李娜"])
    assert [c.name for c in store.search_customers("wong")] == ["Alice Wong"]
    assert [c.name for c in store.search_customers("acme")] == ["Alice Wong"]
    assert [c.name for c in store.search_customers("1380013")] == ["王伟"]
    assert [c.name for c in store.search_customers("+86 138 0013")] == ["王伟"]
    assert [c.name for c in store.search_customers("8289-5782")] == ["Alice Wong"]
    assert [c.name for c in store.search_customers("0755 2651")] == ["Bob"]
    assert store.count_customers("") == 4
    assert store.count_customers("nobody") == 0
    assert [c.name for c in store.search_customers("", limit=2, offset=1)] == [
        c.name for c in store.search_customers("")][1:3]
    # the cached scan sees a new customer at once
    store.save_customer(Customer(name="王芳", company="赛格科技"))
    assert store.count_customers("赛格") == 2


def test_a_save_from_a_stale_version_raises_version_conflict(store: CrmStore,
                                                             tmp_path: Path) -> None:
    first = store.save_customer(yang())
    other_window = CrmStore.open(tmp_path / "data")
    theirs = other_window.save_customer(replace(first, notes="他们的修改"))
    with pytest.raises(VersionConflict) as conflict:
        store.save_customer(replace(first, notes="我的修改"))
    assert conflict.value.current == theirs
    assert store.customer(first.id) == theirs
    with pytest.raises(VersionConflict):
        store.delete_customer(first.id, first.version)
    other_window.delete_customer(theirs.id, theirs.version)
    with pytest.raises(VersionConflict) as gone:
        store.save_customer(replace(theirs, notes="again"))
    assert gone.value.current is None
    other_window.close()


@pytest.mark.parametrize(("customer", "field"), [
    (Customer(), "a customer needs a name or a phone number"),
    (Customer(name="x", email="not an address"), "邮箱 (email)"),
    (Customer(name="x", phones=("abc",)), "电话号码 (phones)"),
    (Customer(name="x", mobile="---"), "手机 (mobile)"),
    (Customer(name="x" * 201), "客户名称 (name): at most 200"),
])
def test_a_bad_customer_is_refused_naming_the_field(store: CrmStore, customer: Customer,
                                                     field: str) -> None:
    with pytest.raises(StoreError, match=field.replace("(", r"\(").replace(")", r"\)")):
        store.save_customer(customer)
    assert store.count_customers() == 0


def call(key: str, minutes_ago: int = 0, **kw: object) -> CallEntry:
    t = datetime.now(BEIJING) - timedelta(minutes=minutes_ago)
    return CallEntry(key=key, time=t, **{"number": "01082895782", **kw})  # type: ignore[arg-type]


def test_the_call_log_is_newest_first_and_keyed(store: CrmStore) -> None:
    assert store.log_call(call("a", 30, number="08515829398"))
    assert store.log_call(call("b", 20, number="13576611624", name="张三"))
    assert store.log_call(call("c", 10, description="回叫01082895782", extension="003"))
    assert [e.key for e in store.calls()] == ["c", "b", "a"]
    assert store.count_calls() == 3
    assert [e.key for e in store.calls("张三")] == ["b"]
    assert [e.key for e in store.calls("回叫")] == ["c"]
    assert [e.key for e in store.calls("8515 9999")] == []
    assert [e.key for e in store.calls("515-8293")] == ["a"]
    assert [e.key for e in store.calls(limit=1, offset=1)] == ["b"]
    entry = store.calls("回叫")[0]
    assert entry.time.utcoffset() == timedelta(hours=8)
    assert entry.extension == "003"


def test_logging_a_call_again_merges_into_one_entry(store: CrmStore) -> None:
    ring = call("port001/42/20261203T080000")
    assert store.log_call(ring) is True
    ended = replace(ring, answered=True, duration=75, name="杨庆丰", user="agent1",
                    time=ring.time + timedelta(seconds=90))
    assert store.log_call(ended) is False
    assert store.log_call(ring) is False  # a late replay of the ring changes nothing
    [entry] = store.calls()
    assert entry == replace(ended, time=ring.time)
    assert store.count_calls() == 1


def test_today_count_and_clear(store: CrmStore) -> None:
    store.log_call(call("today"))
    store.log_call(CallEntry(key="old", time=datetime(2008, 5, 4, 16, 54, 30, tzinfo=BEIJING),
                             number="01082895782"))
    assert store.today_count(BEIJING) == 1
    assert store.today_count(UTC) in (0, 1, 2)  # depends on the hour: only that it runs
    assert store.clear_calls() == 2
    assert store.calls() == [] and store.today_count(BEIJING) == 0


@pytest.mark.parametrize(("entry", "field"), [
    (CallEntry(key="", time=datetime.now(UTC), number="1"), "call key"),
    (CallEntry(key="k", time=datetime(2026, 1, 1), number="1"), "call time"),
    (CallEntry(key="k", time=datetime.now(UTC), number="1", direction="up"), "call direction"),
    (CallEntry(key="k", time=datetime.now(UTC), number="1", duration=-1), "call duration"),
])
def test_a_bad_call_is_refused(store: CrmStore, entry: CallEntry, field: str) -> None:
    with pytest.raises(StoreError, match=field):
        store.log_call(entry)
    assert store.count_calls() == 0


def test_phonebooks(store: CrmStore) -> None:
    a = store.save_phonebook_entry(PhonebookEntry(book="common", name="前台", number="800"))
    b = store.save_phonebook_entry(PhonebookEntry(book="company", name="赛纳",
                                                  number="0755-26515007", company="赛纳科技"))
    assert store.phonebook("common") == [a]
    assert store.phonebook("company", "26515007") == [b]
    assert store.phonebook("company", "赛纳") == [b]
    assert store.phonebook("customer") == []
    edited = store.save_phonebook_entry(replace(b, notes="技术服务"))
    assert store.phonebook("company") == [edited]
    store.delete_phonebook_entry(a.id)
    assert store.phonebook("common") == []
    with pytest.raises(StoreError, match="phonebook book"):
        store.save_phonebook_entry(PhonebookEntry(book="friends", number="1"))
    with pytest.raises(StoreError, match="phonebook number"):
        store.save_phonebook_entry(PhonebookEntry(book="common", number="none"))


def test_monitor_icons_and_messages_are_kept(store: CrmStore) -> None:
    icons = [MonitorIcon("003", "前台", 10, 20), MonitorIcon("001", "经理", 80, 20)]
    store.save_monitor_icons(icons)
    assert store.monitor_icons() == icons
    store.save_monitor_icons(icons[1:])
    assert store.monitor_icons() == icons[1:]
    with pytest.raises(StoreError, match="one icon per port"):
        store.save_monitor_icons([MonitorIcon("001"), MonitorIcon("001")])
    t = datetime(2026, 12, 3, 9, 0, tzinfo=BEIJING)
    first = MessageEntry("17", t, "agent1", "ALL", "大家好")
    assert store.log_message(first) is True
    assert store.log_message(first) is False
    assert store.log_message(MessageEntry("18", t + timedelta(minutes=1), "agent2", "agent1",
                                          "收到"))
    assert [m.key for m in store.messages()] == ["17", "18"]
    assert [m.key for m in store.messages(limit=1)] == ["18"]
    assert store.messages()[0] == first
    assert store.pending_writes() == 0 and store.replay_outbox() == 0


def test_migrations_are_recorded_once_and_a_newer_schema_refused(tmp_path: Path) -> None:
    CrmStore.open(tmp_path / "d").close()
    CrmStore.open(tmp_path / "d").close()
    db = sqlite3.connect(tmp_path / "d" / "crm.db")
    rows = db.execute("SELECT chain, number FROM schema_version ORDER BY chain").fetchall()
    assert rows == [("local", 1), ("shared", 1)]
    db.execute("INSERT INTO schema_version VALUES ('shared', 99, 'future', '')")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this program"):
        CrmStore.open(tmp_path / "d")


def test_a_data_folder_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="data folder"):
        CrmStore.open(tmp_path / "file" / "data")


@pytest.mark.parametrize("index_limit", [5_000, 3])
def test_every_search_path_finds_what_a_plain_substring_test_finds(
        store: CrmStore, monkeypatch: pytest.MonkeyPatch, index_limit: int) -> None:
    """Trigram index (3+ characters), trigram list (2), scan (1), each selective or broad
    (more than INDEX_LIMIT): the same answers as ``needle in text``, in name order, page by
    page, also after edits and deletes."""
    from callcenter.crm_client.store import search

    monkeypatch.setattr(search, "INDEX_LIMIT", index_limit)
    rnd = random.Random(5)
    surnames, given = "王李张刘陈杨", "伟芳娜秀英敏静丽强"
    saved = []
    for i in range(300):
        name = rnd.choice(surnames) + rnd.choice(given) + rnd.choice(("", rnd.choice(given)))
        saved.append(store.save_customer(Customer(
            name=name if i % 7 else name + " Lee", company=rnd.choice(("赛格科技", "ACME", "唐信")),
            mobile=f"13{rnd.randrange(10**9):09d}", customer_no=f"NO{i}")))
    for c in saved[:40]:
        store.save_customer(replace(c, name=c.name + "改", mobile=""))
    for c in saved[40:60]:
        store.delete_customer(c.id, c.version)
    everyone = store.search_customers("", limit=1000)
    assert len(everyone) == 280

    def text(c: Customer) -> str:
        return "\x1f".join((c.name.lower(), c.company.lower(), c.customer_no.lower(),
                            c.mobile))

    needles = ["王", "伟芳", "王伟芳", "改", "a", "ac", "acme", "lee", "科技", "NO1", "no12", "13",
               "135", "8", "00", "伟改", "无此人", saved[100].mobile[3:9], saved[5].name[:2]]
    for needle in needles:
        expected = [c.id for c in everyone if needle.lower() in text(c)]
        found = [c.id for c in store.search_customers(needle, limit=1000)]
        assert found == expected, needle
        assert store.count_customers(needle) == len(expected)
        pages = [c.id for offset in range(0, len(expected) + 7, 7)
                 for c in store.search_customers(needle, limit=7, offset=offset)]
        assert pages == expected, needle


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_new_data_folder_and_its_database_are_private(tmp_path: Path) -> None:
    CrmStore.open(tmp_path / "new" / "data").close()
    assert (tmp_path / "new" / "data").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "new" / "data" / "crm.db").stat().st_mode & 0o777 == 0o600


def test_a_local_file_locked_through_every_try_is_a_store_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from callcenter.crm_client.store import engine

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(engine, "FIRST_BACKOFF", 0.01)
    monkeypatch.setattr(engine, "MAX_ATTEMPTS", 2)
    store = CrmStore.open(tmp_path / "d")
    other = sqlite3.connect(tmp_path / "d" / "crm.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError, match="stayed locked by another program") as error:
        store.save_customer(Customer(name="x"))
    assert not isinstance(error.value, ShareUnavailable)
    other.execute("ROLLBACK")
    other.close()
    assert store.save_customer(Customer(name="x")).id == 1
    store.close()
