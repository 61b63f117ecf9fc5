"""话务管理 (S-39): the model without Tk, the page under Xvfb on the real embedded service
and simulator, driven through its widgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.server.console.rooms_model import Edit, RoomsModel, parse_amount
from tests.server.console.console_support import PASSWORD, pump_until

if TYPE_CHECKING:
    import tkinter as tk

    from callcenter.pbxsim.app import Simulator
    from callcenter.server.console.app import ConsoleApp
    from callcenter.server.console.connection import ServiceAddress
    from callcenter.server.console.pages.rooms import RoomsPage


def room(port: str, **values: Any) -> dict[str, Any]:
    base = {"port": port, "number": f"8{port}", "day_class": "11", "night_class": "11",
            "alarm": "", "alarm2": "", "alarm_mode": "once", "over_limit_class": "61",
            "over_limit": "off", "prepaid": False, "balance": "0.00"}
    return {**base, **values}


# ---------------------------------------------------------------------- the model
def test_the_model_shows_the_manuals_columns() -> None:
    model = RoomsModel()
    model.load([room("001"), room("002", alarm="0700", prepaid=True, balance="48.60")])
    assert model.row("001") == ("1", "001", "8001", "11", "11", "---", "---", "once", "61",
                                "", "0.00")
    assert model.row("002")[5] == "0700" and model.row("002")[-2:] == ("✓", "48.60")


def test_a_class_edit_is_checked_then_sent_as_rooms_set() -> None:
    model = RoomsModel()
    model.load([room("001")])
    assert model.edit_request("001", "day_class", "71") == "rooms.bad_class"
    assert model.edit_request("001", "alarm", "2460") == "rooms.bad_alarm"
    assert model.edit_request("001", "number", "8009") == "rooms.not_editable"
    edit = model.edit_request("001", "day_class", "21")
    assert edit == Edit("001", "day_class", "rooms_set", {"port": "001", "day_class": "21"})
    assert model.row_state("001") == "pending"
    model.apply_set_results("001", [{"key": "extension.001.day_class", "value": "21",
                                     "status": "written", "reason": ""}])
    assert model.row("001")[3] == "21" and model.row_state("001") == "written"
    model.edit_request("001", "alarm", "0630")
    model.apply_set_results("001", [{"key": "extension.001.alarm1", "value": "0630",
                                     "status": "refused", "reason": "busy"}])
    assert model.row_state("001") == "refused" and model.reasons("001") == ["alarm: busy"]


def test_the_prepaid_cell_tops_up_and_an_empty_one_clears() -> None:
    model = RoomsModel()
    model.load([room("001"), room("002", prepaid=True, balance="5.00")])
    assert model.edit_request("001", "prepaid", "50") == Edit(
        "001", "prepaid", "rooms_topup", {"port": "001", "amount": "50.00"})
    assert model.edit_request("001", "prepaid", "0") == "rooms.bad_amount"
    assert model.edit_request("001", "prepaid", "1.234") == "rooms.bad_amount"
    assert model.edit_request("001", "prepaid", "") == "rooms.nothing_to_clear"
    assert model.edit_request("002", "prepaid", " ") == Edit(
        "002", "prepaid", "rooms_clear", {"port": "002"})
    assert model.money_request("002", "rooms_adjust", "-3.20", "minibar") == Edit(
        "002", "prepaid", "rooms_adjust", {"port": "002", "note": "minibar",
                                           "amount": "-3.20"})
    model.apply_money({"account": "room", "port": "002", "balance": "1.80", "prepaid": True,
                       "over_limit": False})
    assert model.row("002")[-1] == "1.80"
    assert parse_amount("100000") == Decimal("100000")
    assert parse_amount("100000.01") == "rooms.bad_amount"
    assert parse_amount("abc") == "rooms.bad_amount"


def test_events_update_a_row_or_ask_for_the_balances() -> None:
    model = RoomsModel()
    model.load([room("001")])
    assert model.apply_event({"event": "parameter_changed", "key": "extension.001.alarm1",
                              "old": "", "new": "0800", "by": "pbx"}) == ({"001"}, False)
    assert model.row("001")[5] == "0800"
    assert model.apply_event({"event": "parameter_changed", "key": "trunk.01.route",
                              "new": "3"}) == (set(), False)
    assert model.apply_event({"event": "record_stored", "port": "001"}) == (set(), True)


# ---------------------------------------------------------------------- the page
@pytest.fixture
def app(tk_root: tk.Tk, address: ServiceAddress,
        account: Callable[..., str]) -> Iterator[ConsoleApp]:
    from callcenter.server.console.app import ConsoleApp

    tk_root.geometry("1024x720")
    console = ConsoleApp(tk_root, address, embedded=True, user=account("rooms-op", "operator"),
                         password=PASSWORD, _utest=True)
    console.start()
    pump_until(tk_root, lambda: "rooms" in console.window.modules, what="the modules")
    yield console
    console.close()


def open_rooms(tk_root: tk.Tk, app: ConsoleApp) -> RoomsPage:
    from tkinter import ttk

    from callcenter.server.console.pages.rooms import RoomsPage

    button = app.window.toolbar_button("rooms")
    assert isinstance(button, ttk.Button)
    button.invoke()
    page = app.pages["rooms"]
    assert isinstance(page, RoomsPage)
    pump_until(tk_root, lambda: len(page.tree.get_children()) >= 8, what="the room table")
    return page


def double_click(tk_root: tk.Tk, page: RoomsPage, port: str, column: str) -> None:
    page.tree.see(port)
    tk_root.update()
    bbox = page.tree.bbox(port, column)
    assert bbox, f"cell {port} {column} not visible"
    x, y, width, height = bbox
    for _ in range(2):  # two clicks in a row: Tk makes them a <Double-1>
        for kind in ("<ButtonPress-1>", "<ButtonRelease-1>"):
            page.tree.event_generate(kind, x=x + width // 2, y=y + height // 2)
    tk_root.update()


def type_and_enter(tk_root: tk.Tk, page: RoomsPage, text: str) -> None:
    editor = page.editor
    assert editor is not None
    editor.delete(0, "end")
    editor.insert(0, text)
    editor.event_generate("<Return>")
    tk_root.update()


def test_a_top_up_through_the_page_shows_in_the_table_and_the_ledger(
        tk_root: tk.Tk, app: ConsoleApp) -> None:
    page = open_rooms(tk_root, app)
    assert page.tree.heading("day_class", "text") == "白天服务等级"
    assert page.tree.set("001", "alarm_mode") == "单次"
    double_click(tk_root, page, "006", "prepaid")
    type_and_enter(tk_root, page, "50")
    pump_until(tk_root, lambda: page.tree.set("006", "balance") == "50.00",
               what="the balance after the top-up")
    double_click(tk_root, page, "006", "prepaid")
    type_and_enter(tk_root, page, "12.5")  # accumulates
    pump_until(tk_root, lambda: page.tree.set("006", "balance") == "62.50",
               what="the accumulated balance")
    assert page.tree.set("006", "prepaid") == "✓"
    assert mark_state(tk_root, page, "006", "prepaid") == "written"
    page.refresh()  # what the service's rooms_list says now
    pump_until(tk_root, lambda: not page._loading, what="rooms_list")
    assert page.tree.set("006", "balance") == "62.50"
    page.tree.selection_set("006")
    page.buttons["ledger"].invoke()
    ledger = page.ledger
    assert ledger is not None
    pump_until(tk_root, lambda: len(ledger.rows()) == 2, what="the ledger")
    assert [row[2:4] for row in ledger.rows()] == [("50.00", "50.00"), ("12.50", "62.50")]
    assert ledger.rows()[0][4] == "rooms-op" and ledger.rows()[0][1] == "充值"
    # its times in the site's time zone (the service keeps them in UTC)
    site = ZoneInfo(str(app.whoami["timezone"]))
    shown = datetime.strptime(ledger.rows()[0][0], "%Y-%m-%d %H:%M:%S")
    assert abs((shown - datetime.now(site).replace(tzinfo=None)).total_seconds()) < 120
    # an empty 预设话费 clears it
    double_click(tk_root, page, "006", "prepaid")
    type_and_enter(tk_root, page, "")
    pump_until(tk_root, lambda: page.tree.set("006", "balance") == "0.00", what="cleared")
    pump_until(tk_root, lambda: len(ledger.rows()) == 3, what="the clear in the ledger")
    ledger.button_close.invoke()


def test_a_day_class_set_on_the_page_reaches_the_pbx(
        tk_root: tk.Tk, app: ConsoleApp, sim: Simulator) -> None:
    page = open_rooms(tk_root, app)
    double_click(tk_root, page, "004", "day_class")
    type_and_enter(tk_root, page, "31")
    pump_until(tk_root, lambda: mark_state(tk_root, page, "004", "day_class") == "written",
               what="the cell green")
    # only that cell: the row itself is not coloured, its other cells not marked
    assert page.tree.item("004", "tags") == ""
    assert page.marks.label_at("004", "night_class") is None
    assert sim.call(lambda: sim.pbx.memory.get("extension.004.day_class")) == "31"
    assert page.tree.set("004", "day_class") == "31"
    assert "已写入" in page.message.cget("text")
    # a value the page refuses at once: nothing sent, the reason shown
    double_click(tk_root, page, "004", "alarm")
    type_and_enter(tk_root, page, "2590")
    assert "24小时制" in page.message.cget("text")
    page.cancel_edit()
    sim.call(lambda: sim.pbx.program("extension.004.day_class", "11"))


def _money(tk_root: tk.Tk, page: RoomsPage, port: str, button: str, amount: str) -> None:
    page.tree.selection_set(port)
    page.amount.delete(0, "end")
    page.amount.insert(0, amount)
    page.buttons[button].invoke()
    tk_root.update()


def test_a_room_below_zero_shows_its_balance_in_red_until_a_top_up(
        tk_root: tk.Tk, app: ConsoleApp, sim: Simulator) -> None:
    page = open_rooms(tk_root, app)
    _money(tk_root, page, "007", "topup", "1")
    pump_until(tk_root, lambda: page.tree.set("007", "balance") == "1.00", what="topped up")
    assert mark_state(tk_root, page, "007", "balance") == ""
    _money(tk_root, page, "007", "adjust", "-2.50")
    pump_until(tk_root, lambda: page.tree.set("007", "balance") == "-1.50", what="below zero")
    # the service switches the room's over-limit class on; the balance cell turns red
    pump_until(tk_root, lambda: mark_state(tk_root, page, "007", "balance") == "over_limit",
               what="the balance red")
    assert sim.call(lambda: sim.pbx.memory.get("extension.007.over_limit")) == "on"
    label = page.marks.label_at("007", "balance")
    assert label is not None and label.cget("text") == "-1.50"
    assert "超额等级" in page.marks._reason(("007", "balance"))
    assert mark_state(tk_root, page, "007", "prepaid") != "over_limit"  # that cell alone
    _money(tk_root, page, "007", "topup", "5")
    pump_until(tk_root, lambda: mark_state(tk_root, page, "007", "balance") == "",
               what="the red gone after the top-up")
    assert page.tree.set("007", "balance") == "3.50"
    _money(tk_root, page, "007", "release", "")
    pump_until(tk_root, lambda: page.tree.set("007", "prepaid") == "", what="released")


def test_the_rooms_page_in_english(tk_root: tk.Tk, app: ConsoleApp) -> None:
    page = open_rooms(tk_root, app)
    app.set_language("en")
    assert page.tree.heading("prepaid", "text") == "Prepaid"
    assert page.buttons["topup"].cget("text") == "Top up"
    app.set_language("zh")


def mark_state(tk_root: tk.Tk, page: RoomsPage, port: str, column: str) -> str:
    """The state whose colour the cell shows ("" when it is not marked)."""
    from callcenter.server.console.pages.rooms import TAG_COLOURS

    tk_root.update_idletasks()
    label = page.marks.label_at(port, column)
    if label is None:
        return ""
    colour = str(label.cget("background"))
    return next((state for state, c in TAG_COLOURS.items() if c == colour), colour)


def test_a_refused_cell_alone_turns_yellow_with_its_reason_on_hover(
        tk_root: tk.Tk, app: ConsoleApp, sim: Simulator) -> None:
    page = open_rooms(tk_root, app)
    before = sim.call(lambda: sim.pbx.memory.get("extension.005.day_class"))
    double_click(tk_root, page, "005", "day_class")
    type_and_enter(tk_root, page, "71")  # outgoing level 7 does not exist
    pump_until(tk_root, lambda: mark_state(tk_root, page, "005", "day_class") == "refused",
               what="the cell yellow")
    assert sim.call(lambda: sim.pbx.memory.get("extension.005.day_class")) == before
    label = page.marks.label_at("005", "day_class")
    assert label is not None and label.cget("text") == page.tree.set("005", "day_class")
    assert label.winfo_manager() == "place"
    box = page.tree.bbox("005", "day_class")
    assert isinstance(box, tuple)
    x, y, _width, _height = box
    assert (int(label.place_info()["x"]), int(label.place_info()["y"])) == (x + 1, y + 1)
    reason = page.model.outcomes[("005", "day_class")].reason
    assert reason and reason == page.message.cget("text")
    page.cancel_edit()
    tip = page.marks.tooltips[("005", "day_class")]
    label.event_generate("<Enter>", x=3, y=3)
    assert tip.shown_text() == reason
    label.event_generate("<Leave>")
    assert tip.shown_text() == ""
    # the row is not coloured; another of its cells is not marked
    assert page.tree.item("005", "tags") == ""
    assert page.marks.label_at("005", "alarm") is None

