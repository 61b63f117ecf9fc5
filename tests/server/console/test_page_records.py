"""话单查询 (S-38, S-40, B-5): the models and the query check without Tk, then the page
under Xvfb on the real embedded service and simulator, driven through its widgets."""

from __future__ import annotations

import base64
import csv
import io
import sys
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.pbxsim.app import Simulator
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.console.records_model import (
    SUMMARY_BY,
    ExportProgress,
    LiveRecords,
    RecordsList,
    bar_chart,
    cell_text,
    duration_text,
    every_hour,
)
from callcenter.server.console.records_query import QueryForm, check_query
from callcenter.server.console.strings import Catalogue
from callcenter.server.hub import admin_store
from tests.server.console.console_support import PASSWORD, ask, pump_until

# ---------------------------------------------------------------------- the query check


def test_query_check_gives_the_api_filters() -> None:
    form = QueryForm(use_from=True, from_date="2024-06-01", from_time="8:05", use_to=True,
                     to_date="2024-06-30", extension=" 8003 ", trunk="01", number="138",
                     number_match="prefix", call_type="OUT", cost_min="0.5", cost_max="12.30",
                     duration_min="60")
    check = check_query(form, Catalogue())
    assert check.ok, check.error
    assert check.filters == {"from": "2024-06-01 08:05", "to": "2024-06-30",
                             "extension": "8003", "trunk": "01", "number_prefix": "138",
                             "call_type": "OUT", "cost_min": "0.50", "cost_max": "12.30",
                             "duration_min": "60"}
    assert check_query(QueryForm(), Catalogue()).filters == {}
    assert check_query(QueryForm(number="88315888"), Catalogue()).filters == {
        "number": "88315888"}
    assert check_query(QueryForm(month="2024-05"), Catalogue()).filters == {"month": "2024-05"}
    # the dialog reopens on the filters it gave
    assert check_query(QueryForm.from_filters(check.filters), Catalogue()).filters == \
        check.filters


@pytest.mark.parametrize(("form", "field", "zh", "en"), [
    (QueryForm(use_from=True, from_date="2024-6-1"), "from", "开始日期：“2024-6-1”不是日期",
     "From: '2024-6-1' is not a date"),
    (QueryForm(use_to=True, to_date="2024-06-01", to_time="25:00"), "to_time", "结束时间：",
     "To time: '25:00' is not a time"),
    (QueryForm(use_from=True, from_date="2024-06-02", use_to=True, to_date="2024-06-01"),
     "to", "结束日期：结束不能早于开始", "To: must not be before the start"),
    (QueryForm(month="2024-05", use_from=True, from_date="2024-05-01"), "month",
     "月话单库：选了月话单库就不能再选日期范围", "Archived month: choose either"),
    (QueryForm(number="13a"), "number", "号码：“13a”只能含数字", "Number: '13a': only digits"),
    (QueryForm(number="*888"), "number", "号码：精确匹配时", "Number: an exact number"),
    (QueryForm(cost_min="1.234"), "cost_min", "最低话费：“1.234”不是金额",
     "Lowest cost: '1.234' is not an amount"),
    (QueryForm(cost_min="5", cost_max="1"), "cost_max", "最高话费：不能小于下限",
     "Highest cost: must not be below"),
    (QueryForm(duration_max="-3"), "duration_max", "最长时长：“-3”不是秒数",
     "Longest duration: '-3' is not a number of seconds"),
    (QueryForm(extension="80\x0703"), "extension", "分机号：不能含控制字符", "Extension: no "),
])
def test_query_check_names_the_field(form: QueryForm, field: str, zh: str, en: str) -> None:
    check = check_query(form, Catalogue())
    assert not check.ok and check.field == field and check.error.startswith(zh), check.error
    assert check_query(form, Catalogue("en")).error.startswith(en)


# ---------------------------------------------------------------------- the models

def _rows(first: int, count: int) -> list[dict[str, Any]]:
    return [{"id": n, "seq": n, "duration": n} for n in range(first, first + count)]


def test_records_list_pages_sorts_and_drops_stale_answers() -> None:
    model = RecordsList(page_size=10, max_held=30)
    first = model.query({"port": "003"})
    assert first.params == {"port": "003", "sort": "start", "desc": True, "offset": 0,
                            "limit": 10}
    assert model.loaded(first, {"total": 45, "rows": _rows(0, 10)})
    assert model.shown_range == (1, 10) and not model.can_go("previous")
    more = model.more()
    assert more is not None and more.append and more.params["offset"] == 10
    assert model.more() is None  # one at a time
    assert model.loaded(more, {"total": 45, "rows": _rows(10, 10)})
    third = model.more()
    assert third is not None
    assert model.loaded(third, {"total": 45, "rows": _rows(20, 10)})
    assert model.shown_range == (1, 30)
    assert model.more() is None  # holds max_held: the page buttons go on
    following = model.page("next")
    assert following is not None and following.params["offset"] == 10
    # a sort sent before that page came back: the page's answer is stale
    by_duration = model.sort_by("duration")
    assert by_duration is not None and by_duration.params["sort"] == "duration"
    assert by_duration.params["desc"] is True and by_duration.params["offset"] == 0
    assert not model.loaded(following, {"total": 45, "rows": _rows(10, 10)})
    assert model.loaded(by_duration, {"total": 45, "rows": _rows(0, 10)})
    again = model.sort_by("duration")
    assert again is not None and again.params["desc"] is False
    assert model.sort_by("source") is None  # not sortable
    model.loaded(again, {"total": 45, "rows": _rows(0, 10)})
    last = model.page("last")
    assert last is not None and last.params["offset"] == 40
    model.loaded(last, {"total": 45, "rows": _rows(40, 5)})
    assert model.shown_range == (41, 45) and not model.can_go("next")
    assert model.page("next") is None
    failing = model.query()
    assert model.failed(failing, "无法连接服务") and model.error == "无法连接服务"
    assert model.rows  # the rows shown stay


def test_cells_as_the_list_shows_them() -> None:
    row = {"seq": 1042, "start": "2024-06-01T09:31:02+08:00", "duration": 3725,
           "call_type": "OUT", "service_type": 3, "description": "市话", "source": "live"}
    labels = {"OUT": "打出", "live": "主库"}
    assert cell_text(row, "start", labels) == "2024-06-01 09:31:02"
    assert cell_text(row, "duration", labels) == "1:02:05" == duration_text(3725)
    assert cell_text(row, "call_type", labels) == "打出"
    assert cell_text(row, "description", labels) == "3-市话"
    assert cell_text(row, "source", labels) == "主库"
    assert cell_text({"sequence": 7}, "seq", labels) == "7"


def test_live_records_keep_the_newest_and_fill_costs() -> None:
    live = LiveRecords(kept=2)
    assert live.add({"event": "link"}) is None
    for seq in (1, 2, 3):
        live.add({"event": "record_stored", "sequence": seq, "port": "003",
                  "number": "88315888", "cost": "" if seq != 2 else "0.22"})
    assert [r["sequence"] for r in live.rows] == [3, 2] and live.count == 3
    filled = live.fill_costs([{"seq": 3, "port": "003", "number": "88315888",
                               "cost": "0.33"}, {"seq": 9, "port": "1", "number": "1"}])
    assert [r["cost"] for r in filled] == ["0.33"]
    assert str(live.cost) == "0.55"
    assert live.without_cost() == []


def test_bar_chart_scales_to_the_largest() -> None:
    rows = [{"label": "8001", "count": 4, "cost": "2.00"},
            {"label": "8002", "count": 2, "cost": "0.50"}]
    bars = bar_chart(rows, "count", 200, 100)
    assert [(b.label, b.value) for b in bars] == [("8001", "4"), ("8002", "2")]
    assert bars[0].y0 == 0 and bars[1].y0 == 50 and bars[0].y1 == 100
    assert bars[0].x1 <= bars[1].x0 and bars[1].x1 <= 200
    assert [b.value for b in bar_chart(rows, "cost", 200, 100)] == ["2.00", "0.50"]
    assert bar_chart([], "count", 200, 100) == []


def test_every_hour_fills_the_day_in_order() -> None:
    rows = every_hour([{"key": "09", "label": "09", "count": 3, "duration": 90,
                        "cost": "1.10"},
                       {"key": "00", "label": "00", "count": 1, "duration": 5, "cost": "0.00"}])
    assert [r["key"] for r in rows] == [f"{h:02d}" for h in range(24)]
    assert rows[9]["count"] == 3 and rows[0]["count"] == 1
    assert rows[10] == {"key": "10", "label": "10", "count": 0, "duration": 0, "cost": "0.00"}
    assert [b.value for b in bar_chart(rows, "count", 240, 100)][8:11] == ["0", "3", "0"]
    assert every_hour([]) == every_hour([])[:24] and len(every_hour([])) == 24


def test_export_progress_writes_the_file_or_nothing(tmp_path: Path) -> None:
    export = ExportProgress(tmp_path / "out.csv", "csv")
    first = export.exported({"name": "records-1.csv", "size": 6, "records": 2})
    assert first == {"area": "exports", "name": "records-1.csv", "offset": 0,
                     "length": 32768}
    following = export.chunk({"data": base64.b64encode(b"abc").decode(), "eof": False,
                              "size": 6})
    assert following is not None and following["offset"] == 3
    assert export.fraction() == 0.5
    assert export.chunk({"data": base64.b64encode(b"def").decode(), "eof": True}) is None
    assert export.phase == "done" and (tmp_path / "out.csv").read_bytes() == b"abcdef"
    cancelled = ExportProgress(tmp_path / "two.csv", "csv")
    cancelled.exported({"name": "records-2.csv", "size": 6})
    cancelled.cancel_asked = True
    assert cancelled.chunk({"data": "", "eof": False}) is None
    assert cancelled.phase == "cancelled"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# ---------------------------------------------------------------------- the page

@pytest.fixture
def page_of(tk_root: tk.Tk, address: ServiceAddress,
            account: Callable[..., str]) -> Iterator[Callable[[], Any]]:
    apps: list[ConsoleApp] = []

    def make() -> Any:
        tk_root.geometry("1024x720")
        app = ConsoleApp(tk_root, address, embedded=True, user=account("records-admin"),
                         password=PASSWORD, _utest=True)
        apps.append(app)
        app.start()
        pump_until(tk_root, lambda: bool(app.window.modules), what="the modules")
        app.show_page("records")
        page = app.pages["records"]
        from callcenter.server.console.pages.records import RecordsPage

        assert isinstance(page, RecordsPage)
        page.dialog_modal = False
        pump_until(tk_root, lambda: page.model.total is not None, what="the first page")
        return page

    yield make
    for app in apps:
        app.close()


def _call(sim: Simulator, port: str, number: str, duration: int) -> None:
    ask(sim, {"cmd": "call", "extension": port, "number": number, "duration": duration})


def _tree_values(tree: Any, column: str) -> list[str]:
    return [tree.set(item, column) for item in tree.get_children()]


def _settled(page: Any) -> bool:
    return page.model.pending is None and not page._refresh_job


def test_stored_calls_show_live_and_in_the_sorted_list(tk_root: tk.Tk, sim: Simulator,
                                                       page_of: Callable[[], Any]) -> None:
    page = page_of()
    for duration in (61, 125, 62):
        _call(sim, "005", "88315888", duration)
    # the live list: three records, their cost filled in from the store
    pump_until(tk_root, lambda: len(page.live_tree.get_children()) == 3
               and all(page.live_tree.set(i, "cost") for i in page.live_tree.get_children()),
               what="three live records with their cost")
    assert _tree_values(page.live_tree, "duration") == ["0:01:02", "0:02:05", "0:01:01"]
    assert _tree_values(page.live_tree, "cost")[2] == "0.22"
    assert "已存 3 张话单" in page.live_label.cget("text")
    # the list refreshed itself on its first page, newest first
    pump_until(tk_root, lambda: _settled(page) and page.model.total >= 3
               and _tree_values(page.tree, "port")[:3] == ["005"] * 3,
               what="the stored calls in the list")
    assert page.range_label.cget("text").startswith(f"共 {page.model.total} 条")
    # click the 时长 heading: sorted by duration, longest first, then shortest first
    command = page.tree.heading("duration", "command")
    tk_root.tk.call(command)
    pump_until(tk_root, lambda: _settled(page) and page.model.sort == "duration",
               what="sorted by duration")
    durations = [int(r["duration"]) for r in page.model.rows]
    assert durations == sorted(durations, reverse=True)
    assert page.tree.heading("duration", "text") == "时长 ▼"
    tk_root.tk.call(command)
    pump_until(tk_root, lambda: _settled(page) and not page.model.desc, what="ascending")
    durations = [int(r["duration"]) for r in page.model.rows]
    assert durations == sorted(durations)
    # English: the headings and the live counts follow
    page.catalogue.set_language("en")
    assert page.tree.heading("duration", "text") == "Duration ▲"
    assert page.live_label.cget("text").startswith("3 records stored")
    assert set(_tree_values(page.tree, "call_type")) == {"out"}
    assert set(_tree_values(page.live_tree, "call_type")) == {"out"}


def test_the_query_dialog_filters_by_extension(tk_root: tk.Tk, sim: Simulator,
                                               page_of: Callable[[], Any]) -> None:
    page = page_of()
    for duration in (30, 31):
        _call(sim, "007", "88315777", duration)
    _call(sim, "008", "88315777", 32)
    pump_until(tk_root, lambda: page.live.count == 3, what="three stored records")
    extension = next(r["extension"] for r in page.live.rows if r["port"] == "007")
    page.query_button.invoke()
    pump_until(tk_root, lambda: page.dialog is not None and page.dialog.winfo_exists(),
               what="the query dialog")
    dialog = page.dialog
    dialog.entries["cost_min"].insert(0, "1.234")
    dialog.button_ok.invoke()
    assert dialog.error_label.cget("text").startswith("最低话费：“1.234”不是金额")
    dialog.button_clear.invoke()
    dialog.entries["extension"].insert(0, extension)
    dialog.entries["number"].insert(0, "88315777")
    dialog.button_ok.invoke()
    assert not dialog.winfo_exists()
    pump_until(tk_root, lambda: _settled(page) and page.model.filters.get("extension"),
               what="the filtered list")
    assert page.model.total == 2
    assert _tree_values(page.tree, "extension") == [extension, extension]
    assert _tree_values(page.tree, "port") == ["007", "007"]
    assert f"分机号 {extension}" in page.filter_label.cget("text")
    # summaries by extension of the same filters, with their chart
    page.notebook.select(page.summary_tab)
    page.summary_button.invoke()
    pump_until(tk_root, lambda: page.summary_tree.exists("total"), what="the summary")
    assert page.summary_tree.set("total", "count") == "2"
    assert page.summary_tree.set("r0", "key") == extension
    pump_until(tk_root, lambda: len(page.chart.find_all()) > 4, what="the chart")
    page.all_button.invoke()
    pump_until(tk_root, lambda: _settled(page) and not page.model.filters,
               what="all records again")
    assert page.model.total >= 3


def test_export_csv_to_the_consoles_disk(tk_root: tk.Tk, sim: Simulator, tmp_path: Path,
                                         page_of: Callable[[], Any]) -> None:
    page = page_of()
    _call(sim, "010", "88315666", 44)
    pump_until(tk_root, lambda: page.live.count == 1, what="a stored record")
    extension = page.live.rows[0]["extension"]
    page.run_query({"extension": extension})
    pump_until(tk_root, lambda: _settled(page) and page.model.total == 1, what="the query")
    target = tmp_path / "mine" / "话单.csv"
    target.parent.mkdir()
    asked: list[str] = []
    def ask_path(_title: str, name: str) -> str:
        asked.append(name)
        return str(target)

    page.ask_path = ask_path
    page.format_box.current(0)
    page.export_button.invoke()
    pump_until(tk_root, lambda: page.export is not None and not page.export.running,
               what="the export")
    assert page.export.phase == "done", page.export_label.cget("text")
    assert asked == ["records.csv"]
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["seq", "start", "port"]
    assert [r[2] for r in rows[1:]] == ["010"]
    assert "已导出 1 条话单" in page.export_label.cget("text")
    assert list(target.parent.iterdir()) == [target]  # no part file left


def test_cancel_stops_the_export_and_keeps_no_file(
        tk_root: tk.Tk, sim: Simulator, tmp_path: Path,
        page_of: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def held(rows: Iterator[Any], call: Any, total: int) -> Iterator[Any]:
        # the real export, held after its first row until the console cancels it (a small
        # store is written faster than a person, or a test, can press 取消).  It closes
        # the records' generator itself: the service's own _counted leaves it open on a
        # cancel, and the answer is then 'internal' (reported as a service bug)
        try:
            for done, row in enumerate(rows, 1):
                yield row
                call.job.progress(done, total, "records")
                deadline = time.monotonic() + 15
                while not call.job.cancelled and time.monotonic() < deadline:
                    time.sleep(0.01)
                call.job.check(f"{done} of {total} records written; no file was kept")
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()

    monkeypatch.setattr(admin_store, "_counted", held)
    page = page_of()
    _call(sim, "012", "88315555", 40)
    pump_until(tk_root, lambda: page.live.count == 1, what="a stored record")
    exports = Path(page.context.whoami["data_dir"]) / "exports"  # the service's folder
    before = sorted(exports.iterdir()) if exports.exists() else []
    target = tmp_path / "cancelled.csv"
    page.ask_path = lambda title, name: str(target)
    page.format_box.current(0)
    page.export_button.invoke()
    pump_until(tk_root, lambda: page.export.job and page.export.done >= 1,
               what="the export's progress")
    assert page.export_frame.winfo_ismapped() and page.export_bar.cget("value") > 0
    assert page.export_button.instate(["disabled"])
    page.cancel_button.invoke()
    pump_until(tk_root, lambda: not page.export.running, what="the export stopped")
    assert page.export.phase == "cancelled"
    assert page.export_label.cget("text") == "导出已取消，没有保存文件"
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert (sorted(exports.iterdir()) if exports.exists() else []) == before
    assert page.export_button.instate(["!disabled"])


def test_page_buttons_walk_the_pages(tk_root: tk.Tk, sim: Simulator,
                                     page_of: Callable[[], Any]) -> None:
    page = page_of()
    for duration in (11, 12, 13, 14, 15):
        _call(sim, "013", "88315444", duration)
    pump_until(tk_root, lambda: page.live.count == 5, what="five stored records")
    page.model.page_size = 2  # small pages, so five records make three
    page.run_query({"extension": page.live.rows[0]["extension"]})
    pump_until(tk_root, lambda: _settled(page) and page.model.total == 5, what="page 1")
    buttons = page.page_buttons
    assert buttons["previous"].instate(["disabled"]) and buttons["next"].instate(["!disabled"])
    seen = [_tree_values(page.tree, "seq")]
    buttons["next"].invoke()
    pump_until(tk_root, lambda: _settled(page) and page.model.offset == 2, what="page 2")
    seen.append(_tree_values(page.tree, "seq"))
    assert page.range_label.cget("text") == "共 5 条，显示第 3–4 条"
    buttons["last"].invoke()
    pump_until(tk_root, lambda: _settled(page) and page.model.offset == 4, what="page 3")
    seen.append(_tree_values(page.tree, "seq"))
    assert [len(s) for s in seen] == [2, 2, 1]
    assert len({seq for s in seen for seq in s}) == 5  # each record once
    assert buttons["next"].instate(["disabled"]) and buttons["last"].instate(["disabled"])
    buttons["first"].invoke()
    pump_until(tk_root, lambda: _settled(page) and page.model.offset == 0, what="page 1")
    assert _tree_values(page.tree, "seq") == seen[0]


def test_summary_by_hour_shows_the_whole_day(tk_root: tk.Tk, sim: Simulator,
                                             page_of: Callable[[], Any]) -> None:
    page = page_of()
    for duration in (40, 41):
        _call(sim, "011", "88315555", duration)
    pump_until(tk_root, lambda: page.live.count == 2, what="two stored records")
    extension = page.live.rows[0]["extension"]
    page.run_query({"extension": extension})
    pump_until(tk_root, lambda: _settled(page) and page.model.total == 2,
               what="the calls of the extension")
    # the hour of day of the calls' start as the list shows it (the site's local time)
    hours = [cell_text(row, "start", {})[11:13] for row in page.model.rows]
    page.notebook.select(page.summary_tab)
    page.by_box.current(SUMMARY_BY.index("hour"))
    page.by_box.event_generate("<<ComboboxSelected>>")
    assert page.by_box.get() == "按小时（0-23 时）"
    page.summary_button.invoke()
    pump_until(tk_root, lambda: page.summary_tree.exists("total"), what="the summary")
    tree = page.summary_tree
    keys = _tree_values(tree, "key")
    assert keys == [f"{h:02d}" for h in range(24)] + ["合计"]
    counts = {tree.set(i, "key"): int(tree.set(i, "count")) for i in tree.get_children()}
    assert counts["合计"] == 2
    assert {h: c for h, c in counts.items() if c and h != "合计"} == \
        {h: hours.count(h) for h in hours}
    # 24 bars of calls and 24 of cost
    pump_until(tk_root, lambda: len(page.chart.find_withtag("all")) > 4 * 24, what="the chart")
    assert len([i for i in page.chart.find_all()
                if page.chart.type(i) == "rectangle"]) == 48
    page.catalogue.set_language("en")
    assert page.by_box.get() == "by hour of day (0-23)"
    assert _tree_values(tree, "key")[:2] == ["00", "01"]


# ---------------------------------------------------------------------- more of the page
def test_the_open_query_dialog_follows_a_language_switch(
        tk_root: tk.Tk, page_of: Callable[[], Any]) -> None:
    page = page_of()
    page.query_button.invoke()
    pump_until(tk_root, lambda: page.dialog is not None and page.dialog.winfo_exists(),
               what="the query dialog")
    dialog = page.dialog
    dialog.entries["number"].insert(0, "12315")
    dialog.match.current(1)
    words = {str(w.cget("text")) for w, _key in dialog.labelled}
    assert {"开始日期", "号码", "查询"} <= words and dialog.title() == "综合查询"
    page.catalogue.set_language("en")  # as 帮助's language menu: every view relabels
    try:
        words = {str(w.cget("text")) for w, _key in dialog.labelled}
        assert {"From", "Number", "Query"} <= words and "号码" not in words
        assert dialog.title() == "Combined query"
        assert dialog.match.get() == "begins with"  # the choice kept, in English
        assert dialog.entries["number"].get() == "12315"  # what was typed stays
        assert dialog.month.get() == "(by date, all months)"
    finally:
        page.catalogue.set_language("zh")
    assert dialog.match.get() == "开头是"
    dialog.button_cancel.invoke()


def test_a_query_includes_the_archived_months(
        tk_root: tk.Tk, page_of: Callable[[], Any]) -> None:
    """Records older than the retention period moved to their month's archive (as the
    service's daily retention moves them) are found by the console's query."""
    from callcenter.common.pbx.messages import CallRecord
    from callcenter.server.store.archive import run_retention
    from callcenter.server.store.db import database
    from tests.server.query.query_support import store_records

    old = [CallRecord(900 + i, f"202502{10 + i:02d}093000", 60 + i, "805", "8051", "1",
                      "88315999", "OUT") for i in range(3)]
    store_records(old, pbx="pbx-archived")
    moved = {m.month: m.moved for m in run_retention(database)}
    assert moved.get("2025-02") == 3
    page = page_of()
    page.query_button.invoke()
    pump_until(tk_root, lambda: page.dialog is not None and page.dialog.winfo_exists(),
               what="the query dialog")
    dialog = page.dialog
    assert "2025-02" in dialog.month.cget("values")
    dialog.month.current(list(dialog.month.cget("values")).index("2025-02"))
    dialog.button_ok.invoke()
    pump_until(tk_root, lambda: _settled(page) and page.model.filters.get("month"),
               what="the archived month's records")
    assert page.model.total == 3
    assert _tree_values(page.tree, "number") == ["88315999"] * 3
    assert set(_tree_values(page.tree, "source")) == {"2025-02"}
    # and by date, with the archives included (no month chosen)
    page.run_query({"from": "2025-02-01", "to": "2025-02-28"})
    pump_until(tk_root, lambda: _settled(page) and "from" in page.model.filters,
               what="the records of February 2025")
    assert page.model.total == 3


def test_print_preview_shows_the_report_pages(
        tk_root: tk.Tk, sim: Simulator, page_of: Callable[[], Any]) -> None:
    from callcenter.server.console import printing

    if printing.renderer() is None:
        pytest.skip("the preview needs Ghostscript (gs) on this machine")
    page = page_of()
    _call(sim, "013", "88315444", 50)
    pump_until(tk_root, lambda: page.live.count == 1, what="a stored record")
    page.preview_button.invoke()
    pump_until(tk_root, lambda: page.preview is not None and page.preview.winfo_exists(),
               timeout=60, what="the preview window")
    preview = page.preview
    assert preview.title().startswith("打印预览（") and len(preview.images) >= 1
    first = preview.images[0]
    assert first.width() > first.height() > 300  # A4 landscape, drawn
    assert len(preview.canvas.find_withtag("page")) == len(preview.images)
    assert page.export_label.cget("text") == f"预览：{len(preview.images)} 页"
    assert page.export.path.read_bytes()[:5] == b"%PDF-"
    preview.button_close.invoke()
    assert not preview.winfo_exists()


def _fake_command(folder: Path, name: str, exit_code: int, say: str) -> Path:
    """A program on PATH that notes its arguments (one per line) and answers like lp."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{name}.args"
    script = folder / name
    script.write_text(f"#!/bin/sh\nfor a in \"$@\"; do echo \"$a\" >> '{log}'; done\n"
                      f"echo '{say}' >&{2 if exit_code else 1}\nexit {exit_code}\n",
                      encoding="utf-8")
    script.chmod(0o755)
    return log


@pytest.mark.skipif(sys.platform == "win32", reason="lp and lpr are not Windows' way")
def test_print_sends_the_report_to_lp(tk_root: tk.Tk, sim: Simulator, tmp_path: Path,
                                      page_of: Callable[[], Any],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    log = _fake_command(tmp_path / "bin", "lp", 0, "request id is office-7 (1 file(s))")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    page = page_of()
    page.print_button.invoke()
    pump_until(tk_root, lambda: page.print_status[0].startswith("已发送到打印机"), timeout=60,
               what="the report printed")
    assert page.export_label.cget("text") == "已发送到打印机 request id is office-7 (1 file(s))"
    args = log.read_text(encoding="utf-8").splitlines()
    assert args == [str(page.export.path)]
    assert Path(args[0]).read_bytes()[:5] == b"%PDF-"


@pytest.mark.skipif(sys.platform == "win32", reason="lp and lpr are not Windows' way")
def test_without_a_printer_printing_says_so(tk_root: tk.Tk, tmp_path: Path,
                                            page_of: Callable[[], Any],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no lp, no lpr
    page = page_of()
    page.print_button.invoke()
    pump_until(tk_root, lambda: page.print_status[0].startswith("没有可用的打印机"),
               timeout=60, what="the message")
    assert "lp 或 lpr" in page.export_label.cget("text")
    assert str(page.export_label.cget("foreground")) == "#c62828"
    # CUPS installed but no printer: lp's own words, named as "no printer"
    _fake_command(tmp_path / "bin", "lp", 1, "lp: Error - no default destination available.")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    page.print_button.invoke()
    pump_until(tk_root, lambda: "no default destination" in page.print_status[0],
               timeout=60, what="lp's refusal")
    assert page.print_status[0].startswith("没有可用的打印机（请在系统中添加并设为默认打印机）")


@pytest.mark.skipif(sys.platform == "win32", reason="xdg-open is not Windows' way")
def test_without_ghostscript_the_preview_opens_the_system_viewer(
        tk_root: tk.Tk, tmp_path: Path, page_of: Callable[[], Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    log = _fake_command(tmp_path / "bin", "xdg-open", 0, "")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no gs here: xdg-open only
    page = page_of()
    page.preview_button.invoke()
    pump_until(tk_root, lambda: page.print_status[0].startswith("没有 Ghostscript"),
               timeout=60, what="the viewer opened")
    pump_until(tk_root, log.exists, what="xdg-open run")
    assert log.read_text(encoding="utf-8").splitlines() == [str(page.export.path)]
    assert page.preview is None
    (tmp_path / "bin" / "xdg-open").unlink()  # neither Ghostscript nor a viewer
    page.preview_button.invoke()
    pump_until(tk_root, lambda: page.print_status[0].startswith("预览需要 Ghostscript"),
               timeout=60, what="the message")

