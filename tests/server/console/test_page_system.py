"""系统设置: the models without Tk, the page under Xvfb on the real embedded service and
simulator, driven through its widgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from callcenter.common.agent.client import HubClient
from callcenter.server.accounts import find_account
from callcenter.server.console.system_model import (
    ClientsModel,
    TariffModel,
    audit_params,
    link_params,
    modules_of,
    modules_value,
    port_problem,
    rerate_params,
    version_row,
)
from callcenter.server.rating.tariff_io import load_data_tariff
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.settings import get_setting
from tests.server.console.console_support import PASSWORD, ask, pump_until, wait_for

if TYPE_CHECKING:
    import tkinter as tk

    from tkcalendar import DateEntry

    from callcenter.pbxsim.app import Simulator
    from callcenter.server.console.app import ConsoleApp
    from callcenter.server.console.connection import ServiceAddress
    from callcenter.server.console.pages.system import SystemPage
    from callcenter.server.runtime import ServerRuntime


# ---------------------------------------------------------------------- the models
def test_operator_modules_round_trip_in_the_main_windows_order() -> None:
    assert modules_of("monitor, records,rooms") == {"monitor", "records", "rooms"}
    assert modules_value({"rooms", "system", "monitor"}) == "system,monitor,rooms"
    assert modules_value(set()) == ""


def test_the_port_form_is_checked_before_it_is_sent() -> None:
    assert port_problem("") == "link.need_port"
    assert port_problem("COM3") is None and port_problem("/dev/ttyUSB0") is None
    assert port_problem("socket://10.0.0.5:4001") is None
    assert port_problem("socket://nohost") == "link.bad_url"
    assert port_problem("bogus://x") == "link.bad_url"
    assert link_params("COM3", "9600", "8", "N", "1") == {
        "url": "COM3", "baud": 9600, "bytesize": 8, "stopbits": 1, "parity": "N"}
    assert link_params("COM3", "9601", "8", "N", "1") == "link.bad_line"


def test_clients_follow_the_events() -> None:
    model = ClientsModel()
    model.load([{"address": "10.0.0.2", "remote_port": 5000, "user": "admin"}])
    assert model.apply({"event": "client_connected", "address": "10.0.0.3",
                        "remote_port": 6000, "user": "li", "role": "agent",
                        "extension": "002"})
    assert [row[2] for row in model.rows()] == ["admin", "li"]
    assert model.apply({"event": "client_disconnected", "address": "10.0.0.2",
                        "remote_port": 5000})
    assert not model.apply({"event": "client_disconnected", "address": "x",
                            "remote_port": 1})
    assert [row[2] for row in model.rows()] == ["li"]


def test_the_tariff_table_is_checked_before_it_is_saved() -> None:
    model = TariffModel()
    model.load({"version": "v1", "tariff": {"format": "callcenter-tariff/1", "version": "v1",
                                            "rows": [{"prefix": "12315", "description": "x",
                                                      "initial_seconds": 180,
                                                      "initial_charge": "0.22",
                                                      "interval_seconds": 60,
                                                      "interval_charge": "0.11",
                                                      "service_type": 3}],
                                            "holidays": []}})
    assert model.set_cell(0, "prefix", "12a") == "tariff.bad_prefix"
    assert model.set_cell(0, "initial_charge", "-1") == "tariff.bad_money"
    assert model.set_cell(0, "interval_charge", "0.15") is None and model.dirty
    saved = model.to_save()
    assert isinstance(saved, dict) and "version" not in saved
    assert saved["rows"][0]["interval_charge"] == "0.15"
    assert saved["rows"][0]["initial_seconds"] == 180
    model.add_row()
    assert model.to_save() == (1, "tariff.bad_prefix")


def test_holidays_and_the_rerate_form_are_checked_before_they_are_sent() -> None:
    model = TariffModel()
    model.load({"version": "v1", "tariff": {"rows": [], "holidays": ["2024-10-01"]}})
    assert model.holidays == ["2024-10-01"] and [model.dirty] == [False]
    assert model.add_holiday("2024-5-1") == "tariff.bad_day"
    assert model.add_holiday("2024-05-01") is None and model.dirty
    assert model.add_holiday("2024-05-01") is None  # listed once
    assert model.holidays == ["2024-05-01", "2024-10-01"]
    model.remove_holiday("2024-10-01")
    saved = model.to_save()
    assert isinstance(saved, dict) and saved["holidays"] == ["2024-05-01"]
    assert rerate_params("2024-06-01", "2024-06-30") == {"from": "2024-06-01",
                                                          "to": "2024-06-30"}
    assert rerate_params("2024-06-30", "2024-06-01") == "tariff.bad_range"
    assert rerate_params("2024-06-31", "2024-07-01") == "tariff.bad_day"
    assert version_row({"version": "abc", "how": "save", "who": "admin",
                        "saved_at": "2024-07-01T08:00:00+00:00"}) == (
        "2024-07-01 08:00:00", "abc", "save", "admin")


def test_audit_filters_are_dates_in_the_sites_zone() -> None:
    assert audit_params("2024-06-01", "2024-06-01", " wang ", "", "Asia/Shanghai") == {
        "from": "2024-06-01T00:00:00+08:00", "to": "2024-06-02T00:00:00+08:00",
        "who": "wang"}
    assert audit_params("6/1", "", "", "", "Asia/Shanghai") == "audit.bad_date"


# ---------------------------------------------------------------------- the page
@pytest.fixture
def app(tk_root: tk.Tk, address: ServiceAddress,
        account: Callable[..., str]) -> Iterator[ConsoleApp]:
    from callcenter.server.console.app import ConsoleApp

    tk_root.geometry("1024x720")
    console = ConsoleApp(tk_root, address, embedded=True, user=account("sys-admin"),
                         password=PASSWORD, _utest=True)
    console.start()
    pump_until(tk_root, lambda: "system" in console.window.modules, what="the modules")
    yield console
    console.close()


def open_system(app: ConsoleApp) -> SystemPage:
    from tkinter import ttk

    from callcenter.server.console.pages.system import SystemPage

    button = app.window.toolbar_button("system")
    assert isinstance(button, ttk.Button)
    button.invoke()
    page = app.pages["system"]
    assert isinstance(page, SystemPage)
    return page


def test_adding_an_account_shows_it_in_the_list_and_the_audit_log(
        tk_root: tk.Tk, app: ConsoleApp) -> None:
    from callcenter.server.console.pages.system import AccountsTab, AuditTab

    app.confirm = lambda title, text: True  # before the page takes it: "remove?" yes
    page = open_system(app)
    selected = page.select("accounts")
    assert isinstance(selected, AccountsTab)
    tab = selected
    assert page.notebook.tab(0, "text") == "口令设置"
    pump_until(tk_root, lambda: "sys-admin" in tab.users(), what="the accounts")
    tab.set_entry("user", "night-clerk")
    tab.set_entry("role", "operator")
    tab.set_entry("password", "clerk-pass-1")
    tab.buttons["add"].invoke()
    pump_until(tk_root, lambda: "night-clerk" in tab.users(), what="the new account listed")
    found = find_account("night-clerk")
    assert found is not None and found.role == "operator"
    assert tab.tree.set("night-clerk", "role") == "操作员"
    assert "已添加" in tab.message.cget("text")
    audit = page.select("audit")
    assert isinstance(audit, AuditTab)
    audit.filters["who"].insert(0, "sys-admin")
    audit.button_query.invoke()
    pump_until(tk_root, lambda: any(r[3] == "account.night-clerk" for r in audit.rows()),
               what="the account's audit entry")
    # and remove it again (the confirmation answered yes)
    assert page.select("accounts") is tab
    tab.tree.selection_set("night-clerk")
    tab.tree.event_generate("<<TreeviewSelect>>")
    tk_root.update()
    tab.buttons["remove"].invoke()
    pump_until(tk_root, lambda: "night-clerk" not in tab.users(), what="removed")
    assert find_account("night-clerk") is None


def test_operator_modules_are_check_boxes_saved_as_the_setting(
        tk_root: tk.Tk, app: ConsoleApp) -> None:
    from callcenter.server.console.pages.system import AccountsTab

    tab = open_system(app).select("accounts")
    assert isinstance(tab, AccountsTab)
    pump_until(tk_root, lambda: tab.chosen_modules() == {"monitor", "records", "rooms"},
               what="the default modules ticked")
    tab.module_checks["backup"].invoke()
    tab.button_modules.invoke()
    pump_until(tk_root, lambda: "已保存" in tab.message.cget("text"), what="saved")
    assert get_setting("console.operator_modules") == "monitor,records,rooms,backup"
    tab.module_checks["backup"].invoke()
    tab.button_modules.invoke()
    pump_until(tk_root, lambda: get_setting("console.operator_modules")
               == "monitor,records,rooms", what="put back")


def test_changing_the_retention_setting(tk_root: tk.Tk, app: ConsoleApp) -> None:
    from callcenter.server.console.pages.system import SettingsTab

    tab = open_system(app).select("data")
    assert isinstance(tab, SettingsTab)
    pump_until(tk_root, lambda: "retention_days" in tab.widgets, what="the data settings")
    assert tab.value("retention_days") == str(get_setting("retention_days"))
    tab.set_value("retention_days", "120")
    tab.button_save.invoke()
    pump_until(tk_root, lambda: get_setting("retention_days") == 120, what="saved")
    pump_until(tk_root, lambda: "已保存" in tab.message.cget("text"), what="said")
    tab.set_value("retention_days", "99999")  # refused by the service, the reason shown
    tab.button_save.invoke()
    pump_until(tk_root, lambda: "1-3650" in tab.message.cget("text"), what="the refusal")
    assert get_setting("retention_days") == 120
    tab.set_value("retention_days", "90")
    tab.button_save.invoke()
    pump_until(tk_root, lambda: get_setting("retention_days") == 90, what="put back")


def test_the_clients_tab_shows_a_connected_agent(
        tk_root: tk.Tk, app: ConsoleApp, address: ServiceAddress,
        account: Callable[..., str]) -> None:
    from callcenter.server.console.pages.system import ClientsTab

    tab = open_system(app).select("clients")
    assert isinstance(tab, ClientsTab)
    pump_until(tk_root, lambda: any(r[2] == "sys-admin" for r in tab.rows()),
               what="this console listed")
    agent = HubClient(address.host, address.port, timeout=10)
    try:
        agent.login(account("agent-zhao", "agent"), PASSWORD, extension="003")
        pump_until(tk_root, lambda: any(r[2] == "agent-zhao" and r[4] == "003"
                                        for r in tab.rows()), what="the agent listed")
        assert "客户端" in tab.count.cget("text")
    finally:
        agent.close()
    pump_until(tk_root, lambda: not any(r[2] == "agent-zhao" for r in tab.rows()),
               what="the agent gone")


def test_the_tariff_calculator_and_a_saved_change(tk_root: tk.Tk, app: ConsoleApp) -> None:
    from callcenter.server.console.pages.system import TariffTab

    tab = open_system(app).select("tariff")
    assert isinstance(tab, TariffTab)
    pump_until(tk_root, lambda: tab.model.rows, what="the tariff")
    version = tab.model.version
    row = tab.model.rows[0]
    tab.calc_number.insert(0, row["prefix"] + "8888")
    tab.calc_seconds.insert(0, "300")
    tab.button_rate.invoke()
    pump_until(tk_root, lambda: "元" in tab.calc_result.cget("text"), what="the cost")
    old = row["description"]
    editor = tab.begin_edit(0, "description")
    editor.delete(0, "end")
    editor.insert(0, "测试说明")
    tk_root.update()  # the editor has the focus: keys go there
    editor.event_generate("<Return>")
    tk_root.update()
    assert "已修改" in tab.version.cget("text")
    tab.buttons["save"].invoke()
    pump_until(tk_root, lambda: tab.model.version != version and not tab.model.dirty,
               what="the new version")
    assert tab.model.rows[0]["description"] == "测试说明"
    tab.model.set_cell(0, "description", old)
    tab.buttons["save"].invoke()
    pump_until(tk_root, lambda: tab.model.rows[0]["description"] == old, what="put back")


def test_the_alerts_tab_lists_without_error(tk_root: tk.Tk, app: ConsoleApp) -> None:
    from callcenter.server.console.pages.system import AlertsTab

    page = open_system(app)
    tab = page.select("alerts")
    assert isinstance(tab, AlertsTab)
    tab.check_unresolved.invoke()  # all alerts, not only the open ones
    tk_root.update()
    app.set_language("en")
    assert page.notebook.tab(0, "text") == "Accounts"
    assert tab.button_resolve.cget("text") == "Mark resolved"
    app.set_language("zh")
    assert tab.message.cget("text") == ""


def test_the_tariff_exported_to_this_computer_and_imported_back(
        tk_root: tk.Tk, app: ConsoleApp, tmp_path: Path) -> None:
    from callcenter.server.console.pages.system import TariffTab

    tab = open_system(app).select("tariff")
    assert isinstance(tab, TariffTab)
    pump_until(tk_root, lambda: tab.model.rows, what="the tariff")
    rows = len(tab.model.rows)
    target = tmp_path / "tariff.csv"
    tab.export_file(target)
    pump_until(tk_root, lambda: "已导出" in tab.message.cget("text"), what="the export")
    assert target.read_bytes().count(b"\n") >= rows
    tab.import_file(target)
    pump_until(tk_root, lambda: "已导入" in tab.message.cget("text"), what="the import")
    assert f"已导入 {rows} 行" in tab.message.cget("text")


def _set_day(picker: DateEntry, day: date) -> None:
    picker.set_date(day)


def test_holidays_are_edited_and_saved_with_the_tariff(tk_root: tk.Tk, app: ConsoleApp,
                                                       runtime: ServerRuntime) -> None:
    from callcenter.server.console.pages.system import TariffTab

    tab = open_system(app).select("tariff")
    assert isinstance(tab, TariffTab)
    pump_until(tk_root, lambda: tab.model.version, what="the tariff")
    version = tab.model.version
    _set_day(tab.holiday_date, date(2031, 1, 2))
    tab.button_holiday_add.invoke()
    assert "2031-01-02" in tab.holiday_list.get(0, "end")
    assert "已修改" in tab.version.cget("text")
    tab.buttons["save"].invoke()
    pump_until(tk_root, lambda: tab.model.version != version and not tab.model.dirty,
               what="the new version")
    assert date(2031, 1, 2) in load_data_tariff(runtime.data_dir).holidays
    pump_until(tk_root, lambda: tab.versions.get_children()
               and tab.versions.item(tab.versions.get_children()[0], "values")[1]
               == tab.model.version, what="the versions list")
    index = list(tab.holiday_list.get(0, "end")).index("2031-01-02")
    tab.holiday_list.selection_set(index)
    tab.button_holiday_remove.invoke()
    tab.buttons["save"].invoke()
    pump_until(tk_root, lambda: tab.model.version == version and not tab.model.dirty,
               what="the holiday removed")
    assert "2031-01-02" not in tab.holiday_list.get(0, "end")


def test_rerating_a_period_through_the_tab(tk_root: tk.Tk, app: ConsoleApp,
                                           sim: Simulator) -> None:
    """A stored call, a dearer tariff saved in the tab, the call's day re-rated there: the
    store's cost follows, and the tab says what changed."""
    from callcenter.server.console.pages.system import TariffTab

    ask(sim, {"cmd": "call", "extension": "006", "number": "88315666", "duration": 300})
    query = CallRecordRow.select().where(CallRecordRow.number == "88315666")
    wait_for(lambda: query.count() == 1, what="the call stored")
    row = query.get()
    assert row.cost_fen == 44
    zone = ZoneInfo(str(get_setting("timezone")))
    day = row.start.replace(tzinfo=UTC).astimezone(zone).date()
    tab = open_system(app).select("tariff")
    assert isinstance(tab, TariffTab)
    pump_until(tk_root, lambda: tab.model.rows, what="the tariff")
    version = tab.model.version
    index = next(i for i, r in enumerate(tab.model.rows) if r["prefix"] == "8")
    old = tab.model.rows[index]["initial_charge"]
    assert tab.model.set_cell(index, "initial_charge", "1.22") is None
    tab.buttons["save"].invoke()
    pump_until(tk_root, lambda: tab.model.version != version and not tab.model.dirty,
               what="the dearer tariff")
    try:
        _set_day(tab.rerate_from, day)
        _set_day(tab.rerate_to, day)
        tab.button_rerate.invoke()
        assert tab.button_rerate.instate(["disabled"])
        assert tab.button_rerate_cancel.instate(["!disabled"])
        pump_until(tk_root, lambda: "已用版本" in tab.rerate_result.cget("text"),
                   timeout=60, what="the re-rate")
        text = tab.rerate_result.cget("text")
        assert tab.model.version in text and "0 条在月归档中" in text, text
        assert query.get().cost_fen == 144
        assert tab.button_rerate_cancel.instate(["disabled"])
        assert float(tab.rerate_bar.cget("value")) == float(tab.rerate_bar.cget("maximum"))
    finally:
        tab.model.set_cell(index, "initial_charge", old)
        tab.buttons["save"].invoke()
        pump_until(tk_root, lambda: tab.model.version == version, what="put back")
    tab.button_rerate.invoke()
    pump_until(tk_root, lambda: tab.button_rerate.instate(["!disabled"]), timeout=60,
               what="the second re-rate")
    assert query.get().cost_fen == 44
    # a range backwards is refused in the tab, nothing sent
    _set_day(tab.rerate_from, day + timedelta(days=1))
    tab.button_rerate.invoke()
    assert tab.rerate_result.cget("text") == "结束日期不能早于开始日期"
    assert tab.button_rerate.instate(["!disabled"])
