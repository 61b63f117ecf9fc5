"""计费设置 (S-35) on a fresh store of its own: the versions list before and after the first
save (the built-in tariff in force, times in the site's time zone), and re-rating a period
cancelled from the tab, under Xvfb on the real embedded service and simulator.

The models' side (``version_rows``, ``local_time``) is tested without Tk first."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from callcenter.server.console.system_model import version_rows
from callcenter.server.console.times import clock_text, local_time
from callcenter.server.store import audit
from callcenter.server.store.engine import SQLITE_FILE
from callcenter.server.store.models import CallRecordRow, RatingRow
from callcenter.server.store.settings import get_setting
from tests.server.console.console_support import PASSWORD, ask, pump_until, wait_for

if TYPE_CHECKING:
    import tkinter as tk

    from callcenter.pbxsim.app import Simulator
    from callcenter.server.console.app import ConsoleApp
    from callcenter.server.console.connection import ServiceAddress
    from callcenter.server.console.pages.system import TariffTab
    from callcenter.server.runtime import ServerRuntime


# ---------------------------------------------------------------------- the model
def test_times_are_shown_in_the_sites_zone() -> None:
    assert local_time("2024-07-01T08:00:00+00:00", "Asia/Shanghai") == "2024-07-01 16:00:00"
    assert local_time("2024-07-01T08:00:00", "Asia/Shanghai") == "2024-07-01 16:00:00"  # UTC
    assert local_time("2024-07-01T08:00:00+00:00", "No/Such_Zone") == "2024-07-01 08:00:00"
    assert local_time("yesterday", "Asia/Shanghai") == "yesterday"
    noon_utc = datetime(2024, 7, 1, 12, 0, 5, tzinfo=UTC)
    assert clock_text(noon_utc, "Asia/Shanghai") == "2024-07-01 20:00:05"
    assert clock_text(noon_utc, "America/New_York") == "2024-07-01 08:00:05"
    assert clock_text(noon_utc, None) == noon_utc.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def test_the_versions_list_names_the_version_in_force_and_the_first_one() -> None:
    zone = "Asia/Shanghai"
    assert version_rows([], "b1", "b1", zone) == [("", "b1", "built_in_in_force", "")]
    assert version_rows([], "f1", "b1", zone) == [("", "f1", "in_force", "")]
    saved = [{"version": "v2", "old_version": "v1", "how": "save", "who": "li",
              "saved_at": "2024-07-01T08:00:00+00:00"},
             {"version": "v1", "old_version": "b1", "how": "import rates.csv", "who": "li",
              "saved_at": "2024-06-01T08:00:00+00:00"}]
    assert version_rows(saved, "v2", "b1", zone) == [
        ("2024-07-01 16:00:00", "v2", "save", "li"),
        ("2024-06-01 16:00:00", "v1", "import rates.csv", "li"),
        ("", "b1", "built_in", "")]
    # a tariff file no save recorded leads; a list not loaded to its end has no last row
    assert version_rows(saved, "x9", "b1", zone, complete=False)[0] == ("", "x9", "in_force",
                                                                        "")
    assert len(version_rows(saved, "x9", "b1", zone, complete=False)) == 3


# ---------------------------------------------------------------------- the tab
@pytest.fixture
def app(tk_root: tk.Tk, address: ServiceAddress,
        account: Callable[..., str]) -> Iterator[ConsoleApp]:
    from callcenter.server.console.app import ConsoleApp

    tk_root.geometry("1024x720")
    console = ConsoleApp(tk_root, address, embedded=True, user=account("tariff-admin"),
                         password=PASSWORD, _utest=True)
    console.start()
    pump_until(tk_root, lambda: "system" in console.window.modules, what="the modules")
    yield console
    console.close()


def tariff_tab(tk_root: tk.Tk, app: ConsoleApp) -> TariffTab:
    from callcenter.server.console.pages.system import SystemPage, TariffTab

    app.show_page("system")
    page = app.pages["system"]
    assert isinstance(page, SystemPage)
    tab = page.select("tariff")
    assert isinstance(tab, TariffTab)
    pump_until(tk_root, lambda: tab.model.rows and tab.versions_loaded, what="the tariff")
    return tab


def version_lines(tab: TariffTab) -> list[tuple[str, ...]]:
    return [tuple(str(v) for v in tab.versions.item(i, "values"))
            for i in tab.versions.get_children()]


def test_a_fresh_store_lists_the_built_in_tariff_then_the_saved_version_in_local_time(
        tk_root: tk.Tk, app: ConsoleApp) -> None:
    from callcenter.server.console.pages.system import BUILT_IN_VERSION

    tab = tariff_tab(tk_root, app)
    assert tab.model.version == BUILT_IN_VERSION
    assert version_lines(tab) == [("", BUILT_IN_VERSION, "出厂内置（在用）", "")]
    index = next(i for i, r in enumerate(tab.model.rows) if r["prefix"] == "12315")
    old = tab.model.rows[index]["initial_charge"]
    assert tab.model.set_cell(index, "initial_charge", "0.55") is None
    tab.buttons["save"].invoke()
    pump_until(tk_root, lambda: len(version_lines(tab)) == 2, what="the saved version listed")
    _total, entries = audit.entries(what="tariff")
    saved_utc = datetime.fromisoformat(str(entries[0]["at"]))
    if saved_utc.tzinfo is None:
        saved_utc = saved_utc.replace(tzinfo=UTC)
    zone = ZoneInfo(str(get_setting("timezone")))
    shown = saved_utc.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    assert zone.utcoffset(saved_utc.replace(tzinfo=None)), "the test needs a zone off UTC"
    assert version_lines(tab) == [(shown, tab.model.version, "保存", "tariff-admin"),
                                  ("", BUILT_IN_VERSION, "出厂内置", "")]
    app.catalogue.set_language("en")
    try:
        assert version_lines(tab)[1] == ("", BUILT_IN_VERSION, "built-in", "")
        assert version_lines(tab)[0][2] == "saved"
    finally:
        app.catalogue.set_language("zh")
    assert tab.model.set_cell(index, "initial_charge", old) is None
    tab.buttons["save"].invoke()
    pump_until(tk_root, lambda: tab.model.version == BUILT_IN_VERSION and not tab.model.dirty,
               what="the built-in tariff back")


def test_a_rerate_cancelled_in_the_tab_leaves_every_rating_as_it_was(
        tk_root: tk.Tk, app: ConsoleApp, sim: Simulator, runtime: ServerRuntime) -> None:
    """The re-rate waits for the store's write lock (held here, by another SQLite
    connection) while 取消 reaches the service; once the lock is free it stops at its first
    step and rolls back: the call keeps its cost, no rating row is added."""
    ask(sim, {"cmd": "call", "extension": "007", "number": "12315777", "duration": 300})
    query = CallRecordRow.select().where(CallRecordRow.number == "12315777")
    wait_for(lambda: query.count() == 1, what="the call stored")
    call = query.get()
    cost, ratings = call.cost_fen, RatingRow.select().where(RatingRow.record == call.id).count()
    zone = ZoneInfo(str(get_setting("timezone")))
    day = call.start.replace(tzinfo=UTC).astimezone(zone).date()
    tab = tariff_tab(tk_root, app)
    version = tab.model.version
    index = next(i for i, r in enumerate(tab.model.rows) if r["prefix"] == "12315")
    old = tab.model.rows[index]["initial_charge"]
    assert tab.model.set_cell(index, "initial_charge", "2.22") is None
    tab.buttons["save"].invoke()
    pump_until(tk_root, lambda: tab.model.version != version and not tab.model.dirty,
               what="the dearer tariff")
    lock = sqlite3.connect(str(runtime.data_dir / SQLITE_FILE), timeout=30,
                           isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")  # the store's write lock: the re-rate waits for it
        tab.rerate_from.set_date(day)
        tab.rerate_to.set_date(day)
        tab.button_rerate.invoke()
        job = tab.rerate_job
        assert job is not None
        assert tab.button_rerate.instate(["disabled"])
        assert tab.button_rerate_cancel.instate(["!disabled"])
        assert tab.rerate_bar.winfo_viewable() and tab.button_rerate_cancel.winfo_viewable()
        pump_until(tk_root, lambda: job.id, what="the re-rate sent")
        tab.button_rerate_cancel.invoke()
        assert tab.button_rerate_cancel.instate(["disabled"])
        pump_until(tk_root, lambda: job.cancel_acknowledged, what="the service's yes")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    try:
        pump_until(tk_root, lambda: not tab.rerating, timeout=60, what="the re-rate's end")
        assert tab.rerate_result.cget("text") == "重新计费已取消：话单计费未改变"
        assert tab.button_rerate.instate(["!disabled"])
        assert query.get().cost_fen == cost
        assert RatingRow.select().where(RatingRow.record == call.id).count() == ratings
    finally:
        tab.model.set_cell(index, "initial_charge", old)
        tab.buttons["save"].invoke()
        pump_until(tk_root, lambda: tab.model.version == version, what="put back")
    # not cancelled, the same period is re-rated with the tariff in force (unchanged cost)
    tab.button_rerate.invoke()
    pump_until(tk_root, lambda: not tab.rerating, timeout=60, what="the second re-rate")
    assert "已用版本" in tab.rerate_result.cget("text")
    assert query.get().cost_fen == cost
