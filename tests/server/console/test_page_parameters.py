"""参数设置 pages: the model without Tk, then the grid under Xvfb on the real embedded service
and simulator, driven through its widgets, checking what reached the simulator's memory."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from callcenter.common.schema.core import ParameterError
from callcenter.pbxsim.app import Simulator
from callcenter.server.console.parameters_model import (
    INVALID,
    NOT_SENT,
    PENDING,
    STATE_FILLS,
    VERIFIED,
    WRITTEN,
    ParameterSchema,
    ParameterStore,
    ParameterValues,
    PlanError,
    accepts_keystroke,
    editor_kind,
    form_layout,
    format_set,
    grid_layout,
    other_system_tabs,
    parse_set,
    renumber_plan,
    set_members,
    swap_plan,
    system_keys,
)
from callcenter.server.hub.admin_pbx import CLASS_LEVEL_ENTRIES, schema_listing
from tests.server.console.console_support import PASSWORD, ask, pump_until

if TYPE_CHECKING:
    import tkinter as tk

    from callcenter.server.console.app import ConsoleApp
    from callcenter.server.console.connection import ServiceAddress
    from callcenter.server.console.pages.parameters import GridPanel, ParametersPage, SetPicker


# ---------------------------------------------------------------------- the model, no Tk
def schema_pages(extensions: int = 24, trunks: int = 8, size: int = 500) -> list[dict[str, Any]]:
    """``parameter_schema`` pages as the service answers them (its own listing)."""
    listing = schema_listing(extensions, trunks)
    pages = []
    for start in range(0, len(listing.keys), size):
        chunk = list(listing.keys[start:start + size])
        ids = dict.fromkeys(k["parameter"] for k in chunk)
        pages.append({"extensions": extensions, "trunks": trunks, "total": len(listing.keys),
                      "offset": start, "keys": chunk,
                      "parameters": [listing.parameters[i] for i in ids],
                      "class_levels": list(CLASS_LEVEL_ENTRIES)})
    return pages


def test_the_schema_pages_make_grids_forms_and_tabs() -> None:
    schema = ParameterSchema(schema_pages())
    assert len(schema.keys) == 1254
    extensions = grid_layout(schema, "extension")
    assert extensions.rows[:2] == ["001", "002"] and len(extensions.rows) == 24
    day = extensions.column_of("extension.day_class")
    assert day is not None
    assert extensions.key(0, day) == "extension.001.day_class"
    assert extensions.position("extension.024.day_class") == (23, day)
    trunks = grid_layout(schema, "trunk")
    assert len(trunks.rows) == 8
    switches = form_layout(schema, system_keys(schema, "switches"))
    assert switches.form and switches.key(0, 0) == "system.duration_warning_outgoing_only"
    assert switches.setting_at(0, 0).id == "system.duration_warning_outgoing_only"
    tabs = dict(other_system_tabs(schema))
    assert tabs["day_night"] == ["system.day_start", "system.night_start"]
    assert "system.pilot_number" in tabs["misc"]
    assert "restriction_code" in schema.prefixes("table")


def test_values_are_checked_before_sending_with_the_allowed_text() -> None:
    schema = ParameterSchema(schema_pages())
    assert schema.validate("extension.001.day_class", "21") == "21"
    with pytest.raises(ParameterError, match="allowed: two digits"):
        schema.validate("extension.001.day_class", "71")
    setting = schema.setting("extension.001.caller_id_display")
    assert schema.validate("extension.001.caller_id_display", setting.choices[1].label_zh) == "on"
    assert editor_kind(setting) == "choice"
    alarm = schema.setting("extension.001.alarm1")
    assert accepts_keystroke(alarm, "130") and not accepts_keystroke(alarm, "13a")
    assert not accepts_keystroke(alarm, "13000")
    assert "class" in schema.help_text(schema.setting("extension.001.day_class"), "en")


def test_what_is_allowed_is_said_in_chinese_for_every_setting() -> None:
    from callcenter.server.console.parameter_texts import allowed_text, key_name, show_set

    schema = ParameterSchema(schema_pages())
    english = {s.id: allowed_text(s, "zh") for s in schema.settings.values()
               if re.search(r"[a-z]{4,}", allowed_text(s, "zh").replace("none", "")
                            .replace("all", ""))}
    assert english == {}  # every kind's sentence is known in Chinese
    day = schema.setting("extension.001.day_class")
    assert allowed_text(day, "en") == day.allowed
    help_zh = schema.help_text(day, "zh")
    assert "允许：两位数字：先呼出等级 1-6，再呼入等级 1-4" in help_zh and "allowed" not in help_zh
    number = schema.setting("extension.001.number")
    assert allowed_text(number, "zh") == "2-8 位数字"
    assert allowed_text(schema.setting("system.did_prefix"), "zh") == "1-12 位数字，或空"
    access = schema.setting("extension.001.day_trunk_access")
    assert [show_set(access, v, "zh") for v in ("all", "none", "01,03,04,05,08")] == [
        "全使用", "全取消", "外线1,3-5,8"]
    assert show_set(access, "01,02", "en") == "trunks 1,2"
    assert access.show("all", "zh") == "全使用"
    groups = schema.setting("extension.001.groups")
    assert [show_set(groups, v, "zh") for v in ("all", "none", "1,2")] == ["全部组", "不入组",
                                                                           "组1,2"]
    assert show_set(day, "21", "zh") is None
    assert key_name(day, "extension.003.day_class", "zh") == "分机003 白天服务等级"
    assert key_name(day, "extension.003.day_class", "en").startswith("Ext. 003 ")
    night = schema.setting("system.day_start")
    assert key_name(night, "system.day_start", "zh") == night.label_zh


def test_trunk_sets_are_picked_from_the_trunks() -> None:
    schema = ParameterSchema(schema_pages())
    access = schema.setting("extension.001.day_trunk_access")
    assert editor_kind(access) == "set"
    members = set_members(access)
    assert members == [str(n) for n in range(1, 9)]
    assert set_members(schema.setting("extension.001.groups")) == [
        str(n) for n in range(1, 13)]
    assert parse_set("all", members) == set(members) and parse_set("none", members) == set()
    assert parse_set("1,3", members) == parse_set("01,03", members) == {"1", "3"}
    assert format_set({"1", "3"}, members) == "1,3"
    assert format_set(set(members), members) == "all" and format_set(set(), members) == "none"
    assert editor_kind(schema.setting("group.01.priority")) == "text"  # an ordered list


def test_results_colour_the_cells() -> None:
    values = ParameterValues()
    values.apply_image({"source": "pbx", "params": [
        {"key": "a", "value": "11", "state": "verified", "reason": ""},
        {"key": "b", "value": "11", "state": "verified", "reason": ""},
        {"key": "c", "value": "x", "state": "refused", "reason": "no"}]})
    assert values.cell("c").state == "refused"
    values.mark_pending(["a", "b"])
    assert values.cell("a").state == PENDING
    # the event of our own write comes first, then the results
    values.apply_event({"event": "parameter_changed", "key": "a", "old": "11", "new": "21"})
    assert values.cell("a").state == PENDING
    values.apply_results([
        {"key": "a", "value": "21", "old": "11", "status": "written", "reason": ""},
        {"key": "b", "value": "8001", "old": "11", "status": "invalid", "reason": "clash"}])
    assert (values.cell("a").value, values.cell("a").state) == ("21", WRITTEN)
    assert (values.cell("b").value, values.cell("b").state) == ("11", INVALID)
    assert values.cell("b").reason == "clash"
    # somebody else's change
    values.apply_event({"event": "parameter_changed", "key": "a", "old": "21", "new": "31"})
    assert (values.cell("a").value, values.cell("a").state) == ("31", VERIFIED)
    assert STATE_FILLS[WRITTEN] != STATE_FILLS[VERIFIED] != STATE_FILLS[INVALID]


def test_batches_are_planned() -> None:
    assert renumber_plan(["001", "002", "003"], "3001") == {
        "001": "3001", "002": "3002", "003": "3003"}
    assert renumber_plan(["001"], "08") == {"001": "08"}
    for bad in ("30a", "9", "99"):
        with pytest.raises(PlanError):
            renumber_plan(["001", "002"], bad)
    assert swap_plan({"001": "8001", "002": "8002"}, "001", "002") == {
        "001": "8002", "002": "8001"}


class FakeRequest:
    """A request's handle, as ``connection.Job``: whether it was cancelled."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeConnection:
    """Answers as the service would, one request at a time, when told to."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.pending: list[Callable[[], None]] = []
        self.requests: list[FakeRequest] = []

    def request(self, action: str, on_done: Callable[[dict[str, Any]], None],
                on_error: Callable[[str, str], None], *,
                on_progress: Callable[[int, int, str], None] | None = None,
                timeout: float | None = None, **params: Any) -> FakeRequest:
        self.asked.append((action, params))
        self.requests.append(FakeRequest())
        if action == "parameters_write":
            results = [{"key": k, "value": v, "old": "", "status": "written", "reason": ""}
                       for k, v in params["values"].items()]
            self.pending.append(lambda: on_done({"results": results}))
        return self.requests[-1]

    def answer(self) -> None:
        self.pending.pop(0)()


def test_a_batch_is_written_in_chunks_and_a_cancel_stops_between_them() -> None:
    connection = FakeConnection()
    store = ParameterStore(connection)
    store.schema = ParameterSchema(schema_pages())
    values = {f"extension.{p:03d}.caller_id_display": "on" for p in range(1, 25)}
    values |= {f"extension.{p:03d}.alarm_mode": "daily" for p in range(1, 25)}
    values |= {f"extension.{p:03d}.dnd_mode": "none" for p in range(1, 25)}
    seen: list[int] = []
    store.job_listeners.append(lambda job: seen.append(job.done))
    job = store.write(values)
    assert job is not None and job.total == 72
    assert store.write({"system.night": "on"}) is None  # one job at a time
    assert [a for a, _ in connection.asked] == ["parameters_write"]
    assert len(connection.asked[0][1]["values"]) == 50
    connection.answer()
    assert job.done == 50 and len(connection.asked) == 2
    store.cancel()
    assert connection.requests[1].cancelled  # the service is asked to stop the chunk
    connection.answer()  # the chunk under way finishes; nothing more is sent
    assert job.finished and len(connection.asked) == 2
    assert job.counts == {"written": 72}
    assert store.values.cell("extension.024.dnd_mode").state == WRITTEN
    job2 = store.write(values)
    assert job2 is not None
    store.cancel()
    connection.answer()
    assert job2.finished and job2.counts[NOT_SENT] == 22
    assert store.values.cell("extension.024.dnd_mode").state == NOT_SENT


# ---------------------------------------------------------------------- the pages, Xvfb
class BigSource:
    """300 extensions x 28 settings, as the grid's source."""

    def row_count(self) -> int:
        return 300

    def column_count(self) -> int:
        return 28

    def heading(self, column: int) -> str:
        return f"设置 {column}"

    def row_label(self, row: int) -> str:
        return f"{row + 1:03d}"

    def cell(self, row: int, column: int) -> tuple[str, str]:
        return f"{row}.{column}", "#ffffff"


def test_a_300_by_28_grid_draws_only_the_cells_in_view(tk_root: tk.Tk) -> None:
    from callcenter.server.console.parameter_grid import ParameterGrid

    tk_root.geometry("1024x720")
    edited: list[tuple[int, int]] = []
    grid = ParameterGrid(tk_root, BigSource(), on_edit=lambda r, c: edited.append((r, c)))
    grid.pack(fill="both", expand=True)
    pump_until(tk_root, lambda: grid.drawn_count() > 0, what="the grid drawn")
    assert grid.drawn_count() < 600  # of 8400 cells: the ~30 x 17 in view
    assert grid.drawn_text(0, 0) == "0.0"
    grid.select_cell(299, 27)  # the last cell: scrolled into view
    tk_root.update()
    assert grid.drawn_text(299, 27) == "299.27" and grid.drawn_text(0, 0) is None
    assert grid.drawn_count() < 600
    grid.canvas.focus_force()
    tk_root.update()
    grid.canvas.event_generate("<Up>")
    grid.canvas.event_generate("<Return>")
    assert edited == [(298, 27)]
    grid.destroy()



@pytest.fixture
def app(tk_root: tk.Tk, address: ServiceAddress,
        account: Callable[..., str]) -> Iterator[ConsoleApp]:
    from callcenter.server.console.app import ConsoleApp

    tk_root.geometry("1024x720")
    console = ConsoleApp(tk_root, address, embedded=True, user=account("boss"),
                         password=PASSWORD, _utest=True)
    console.start()
    pump_until(tk_root, lambda: bool(console.window.modules), what="the main window")
    yield console
    console.close()


def memory(sim: Simulator) -> dict[str, str]:
    return sim.call(lambda: dict(sim.pbx.memory.image()))


def open_page(app: ConsoleApp, page_id: str) -> ParametersPage:
    from callcenter.server.console.pages.parameters import ParametersPage

    app.show_page(page_id)
    page = app.pages[page_id]
    assert isinstance(page, ParametersPage)
    pump_until(app.root, lambda: page.store.loaded and bool(page.panels),
               what="the parameters read")
    return page


def click_cell(panel: GridPanel, row: int, column: int, state: int = 0) -> None:
    grid = panel.grid_widget
    grid.see(row, column)
    box = grid.cell_box(row, column)
    assert box is not None
    grid.canvas.event_generate("<Button-1>", x=box[0] + 8, y=box[1] + 8, state=state)
    grid.canvas.event_generate("<ButtonRelease-1>", x=box[0] + 8, y=box[1] + 8, state=state)


def edit_cell(panel: GridPanel, row: int, column: int) -> None:
    """Click the cell, then Enter: the editor opens over it."""
    click_cell(panel, row, column)
    panel.grid_widget.canvas.event_generate("<Return>")
    assert panel.grid_widget.editor is not None


def type_into_editor(app: ConsoleApp, panel: GridPanel, text: str) -> None:
    editor = panel.grid_widget.editor
    assert editor is not None
    editor.delete(0, "end")  # type: ignore[attr-defined]
    editor.insert(0, text)  # type: ignore[attr-defined]
    editor.focus_force()
    app.root.update()
    editor.event_generate("<Return>")
    app.root.update()


def test_editing_a_day_class_reaches_the_pbx_and_turns_the_cell_green(
        app: ConsoleApp, sim: Simulator) -> None:
    page = open_page(app, "parameters.extension")
    panel = page.panels["extension"]
    column = panel.layout.column_of("extension.day_class")
    assert column is not None
    assert panel.heading(column) == "白天服务等级"
    before = memory(sim)["extension.001.day_class"]
    new = "21" if before != "21" else "31"
    edit_cell(panel, 0, column)
    try:
        type_into_editor(app, panel, new)
        pump_until(app.root, lambda: memory(sim)["extension.001.day_class"] == new,
                   what="the class in the simulator")
        pump_until(app.root, lambda: panel.grid_widget.drawn_fill(0, column)
                   == STATE_FILLS[WRITTEN], what="the cell green")
        assert panel.grid_widget.drawn_text(0, column) == new
        assert "已写入并读回" in page.status.cget("text")
    finally:
        page.store.write({"extension.001.day_class": before})
        pump_until(app.root, lambda: not page.store.busy, what="the class put back")
    assert memory(sim)["extension.001.day_class"] == before


def test_an_invalid_or_refused_value_turns_yellow_and_nothing_is_written(
        app: ConsoleApp, sim: Simulator) -> None:
    page = open_page(app, "parameters.extension")
    panel = page.panels["extension"]
    grid = panel.grid_widget
    day = panel.layout.column_of("extension.day_class")
    number = panel.layout.column_of("extension.number")
    assert day is not None and number is not None
    before = memory(sim)
    # refused before sending: outgoing level 7 does not exist
    edit_cell(panel, 1, day)
    type_into_editor(app, panel, "71")
    grid.redraw()
    assert grid.drawn_fill(1, day) == STATE_FILLS[INVALID]
    # what is allowed, in Chinese (the schema sends it in English)
    assert "未发送" in page.status.cget("text") and "“71” 不允许（允许：两位数字：先呼出等级 1-6" \
        in page.status.cget("text"), page.status.cget("text")
    assert "allowed" not in page.status.cget("text")
    assert not page.store.busy
    # refused by the service's rules: 002 may not take 001's number
    edit_cell(panel, 1, number)
    type_into_editor(app, panel, before["extension.001.number"])
    pump_until(app.root, lambda: not page.store.busy and grid.drawn_fill(1, number)
               == STATE_FILLS[INVALID], what="the number refused")
    assert "拒绝" in page.status.cget("text")
    assert grid.drawn_text(1, number) == before["extension.002.number"]
    assert panel.hover_text(1, number)  # the reason, shown on hover
    assert memory(sim) == before


def test_a_trunk_set_is_picked_with_check_boxes(app: ConsoleApp, sim: Simulator) -> None:
    from callcenter.server.console.pages.parameters import SetPicker

    page = open_page(app, "parameters.extension")
    panel = page.panels["extension"]
    column = panel.layout.column_of("extension.day_trunk_access")
    assert column is not None
    before = memory(sim)["extension.001.day_trunk_access"]
    edit_cell(panel, 0, column)
    picker = panel.grid_widget.editor
    assert isinstance(picker, SetPicker)
    assert picker_labels(picker)[:2] == ["外线01", "外线02"]
    for member in picker.members:
        picker.vars[member].set(True)
    picker.boxes["2"].invoke()  # 部分使用: every trunk but 2
    picker.button_ok.invoke()
    try:
        pump_until(app.root, lambda: memory(sim)["extension.001.day_trunk_access"]
                   == "01,03,04,05,06,07,08", what="the trunk set in the simulator")
        pump_until(app.root, lambda: panel.grid_widget.drawn_fill(0, column)
                   == STATE_FILLS[WRITTEN], what="the cell green")
        # the trunks by their numbers, as the manual writes a set (not the codes)
        assert panel.grid_widget.drawn_text(0, column) == "外线1,3-8"
    finally:
        page.store.write({"extension.001.day_trunk_access": before})
        pump_until(app.root, lambda: not page.store.busy, what="put back")


def picker_labels(picker: SetPicker) -> list[str]:
    return [str(picker.boxes[m].cget("text")) for m in picker.members]


def test_swapping_two_extension_numbers_from_the_context_menu(
        app: ConsoleApp, sim: Simulator) -> None:
    page = open_page(app, "parameters.extension")
    panel = page.panels["extension"]
    number = panel.layout.column_of("extension.number")
    assert number is not None
    before = memory(sim)
    first, second = before["extension.001.number"], before["extension.002.number"]

    def swap_by_menu() -> None:
        click_cell(panel, 0, number)
        click_cell(panel, 1, number, state=0x4)  # Ctrl-click: both rows selected
        assert panel.grid_widget.selected == {0, 1}
        menu = panel.build_menu(number)
        labels = [menu.entrycget(i, "label") for i in range(int(menu.index("end") or 0) + 1)]
        menu.invoke(labels.index("交换所选两个分机的号码"))
        pump_until(app.root, lambda: not page.store.busy, what="the swap done")

    swap_by_menu()
    try:
        assert memory(sim)["extension.001.number"] == second
        assert memory(sim)["extension.002.number"] == first
        assert panel.grid_widget.drawn_fill(0, number) == STATE_FILLS[WRITTEN]
        assert panel.grid_widget.drawn_text(1, number) == first
    finally:
        swap_by_menu()
    assert memory(sim)["extension.001.number"] == first
    assert memory(sim)["extension.002.number"] == second


def test_a_column_for_the_selected_rows_with_the_batch_dialog(
        app: ConsoleApp, sim: Simulator) -> None:
    page = open_page(app, "parameters.extension")
    panel = page.panels["extension"]
    column = panel.layout.column_of("extension.alarm_mode")
    assert column is not None
    before = memory(sim)
    click_cell(panel, 2, column)
    click_cell(panel, 4, column, state=0x1)  # Shift-click: rows 003-005
    menu = panel.build_menu(column)
    menu.invoke(0)
    dialog = page.dialog
    assert dialog is not None
    dialog.set_value("每天")
    dialog.button_ok.invoke()
    try:
        pump_until(app.root, lambda: not page.store.busy, what="the batch")
        after = memory(sim)
        assert [after[f"extension.00{p}.alarm_mode"] for p in (3, 4, 5)] == ["daily"] * 3
        assert after["extension.006.alarm_mode"] == before["extension.006.alarm_mode"]
        assert "完成" in page.status.cget("text")
    finally:
        page.store.write({f"extension.00{p}.alarm_mode": before[f"extension.00{p}.alarm_mode"]
                          for p in (3, 4, 5)})
        pump_until(app.root, lambda: not page.store.busy, what="put back")


def test_the_other_pages_are_built_from_the_schema(app: ConsoleApp) -> None:
    trunk = open_page(app, "parameters.trunk")
    assert len(trunk.panels["trunk"].layout.rows) == 8
    switches = open_page(app, "parameters.switches")
    assert switches.panels["switches"].layout.form
    other = open_page(app, "parameters.other")
    assert other.notebook is not None
    assert "restriction_code" in other.panels and "day_night" in other.panels
    app.set_language("en")
    try:
        assert other.title.cget("text") == "Other parameters"
        assert trunk.panels["trunk"].heading(0) != ""
    finally:
        app.set_language("zh")


def shown(widget: tk.Misc) -> bool:
    """Placed in the page's bar (the page itself may be behind another window here)."""
    return widget.winfo_manager() == "grid"


def invoke_menu(panel: GridPanel, column: int, label: str) -> None:
    """The right-click menu's entry that begins with ``label``, invoked."""
    menu = panel.build_menu(column)
    labels = [menu.entrycget(i, "label") for i in range(int(menu.index("end") or 0) + 1)]
    found = [i for i, text in enumerate(labels) if text.startswith(label)]
    assert found, labels
    menu.invoke(found[0])


def extension_values(sim: Simulator, name: str) -> dict[str, str]:
    return {key.split(".")[1]: value for key, value in memory(sim).items()
            if key.startswith("extension.") and key.endswith(f".{name}")}


def test_renumbering_from_a_start_number_and_again_after_a_swap(
        app: ConsoleApp, sim: Simulator) -> None:
    page = open_page(app, "parameters.extension")
    panel = page.panels["extension"]
    number = panel.layout.column_of("extension.number")
    assert number is not None
    ports = list(panel.layout.rows)
    original = extension_values(sim, "number")
    wanted = {port: str(3001 + i) for i, port in enumerate(ports)}

    def renumber_from(start: str) -> None:
        click_cell(panel, 0, number)  # one row selected: every extension is renumbered
        invoke_menu(panel, number, "重新编号（从起始号码）")
        dialog = page.dialog
        assert dialog is not None and "24 个分机" in dialog_prompt(dialog)
        dialog.set_value(start)
        dialog.button_ok.invoke()
        assert shown(page.progress) and shown(page.cancel_button)  # while it runs
        pump_until(app.root, lambda: not page.store.busy, timeout=60, what="the renumbering")

    try:
        renumber_from("3001")
        assert extension_values(sim, "number") == wanted
        assert panel.grid_widget.drawn_text(0, number) == "3001"
        assert panel.grid_widget.drawn_fill(2, number) == STATE_FILLS[WRITTEN]
        assert "完成：写入 24" in page.status.cget("text")
        assert not shown(page.progress)
        # 001 and 002 swapped, then renumbered from 3001 again: the renumbering swaps them
        # back (each takes the other's number, the service orders the writes)
        click_cell(panel, 0, number)
        click_cell(panel, 1, number, state=0x4)
        invoke_menu(panel, number, "交换所选两个分机的号码")
        pump_until(app.root, lambda: not page.store.busy, what="the swap")
        assert extension_values(sim, "number")["001"] == "3002"
        renumber_from("3001")
        assert extension_values(sim, "number") == wanted
    finally:
        page.store.renumber(original)
        pump_until(app.root, lambda: not page.store.busy, timeout=60, what="put back")
    assert extension_values(sim, "number") == original
    # a start number that does not keep its length is refused, nothing sent
    renumber_from_bad = "9999"
    click_cell(panel, 0, number)
    invoke_menu(panel, number, "重新编号（从起始号码）")
    assert page.dialog is not None
    page.dialog.set_value(renumber_from_bad)
    page.dialog.button_ok.invoke()
    assert page.status.cget("text") == "起始号码应为 2-8 位数字，且编号后位数不变"
    assert not page.store.busy and extension_values(sim, "number") == original


def dialog_prompt(dialog: tk.Toplevel) -> str:
    texts: list[str] = []
    stack: list[tk.Misc] = [dialog]
    while stack:
        widget = stack.pop()
        stack.extend(widget.winfo_children())
        if widget.winfo_class() == "TLabel":
            texts.append(str(widget.cget("text")))
    return " ".join(texts)


def test_a_column_for_all_rows_and_the_groups_and_caller_id_batches(
        app: ConsoleApp, sim: Simulator) -> None:
    page = open_page(app, "parameters.extension")
    panel = page.panels["extension"]
    schema = page.store.schema
    assert schema is not None
    alarm = panel.layout.column_of("extension.alarm_mode")
    groups = panel.layout.column_of("extension.groups")
    cid = panel.layout.column_of("extension.caller_id_display")
    assert alarm is not None and groups is not None and cid is not None
    before = memory(sim)
    names = ("alarm_mode", "groups", "caller_id_display")
    try:
        click_cell(panel, 5, alarm)
        invoke_menu(panel, alarm, "设置“闹铃模式”（全部行）")
        assert page.dialog is not None
        page.dialog.set_value("每天")
        page.dialog.button_ok.invoke()
        pump_until(app.root, lambda: not page.store.busy, what="the column for all rows")
        assert set(extension_values(sim, "alarm_mode").values()) == {"daily"}
        for label, name, text in (("全部分机入组", "groups", "all"),
                                  ("全部分机出组", "groups", "none"),
                                  ("来电显示全开", "caller_id_display", "on"),
                                  ("来电显示全关", "caller_id_display", "off")):
            invoke_menu(panel, alarm, label)
            pump_until(app.root, lambda: not page.store.busy, what=label)
            canonical = schema.validate("extension.001." + name, text)
            assert set(extension_values(sim, name).values()) == {canonical}, label
            assert "完成" in page.status.cget("text")
        # a set shown as the manual writes it, not as its codes
        panel.grid_widget.see(0, groups)
        app.root.update()
        assert panel.grid_widget.drawn_text(0, groups) == "不入组"
    finally:
        page.store.write({k: v for k, v in before.items()
                          if k.startswith("extension.") and k.rsplit(".", 1)[1] in names})
        pump_until(app.root, lambda: not page.store.busy, timeout=60, what="put back")
    assert memory(sim) == before


def test_a_batch_shows_its_progress_and_stops_at_cancel(
        app: ConsoleApp, sim: Simulator) -> None:
    """The PBX answers slowly (the simulator's delay fault): 取消 in the window stops the
    batch after the key under way; what was written stays, the rest is not sent."""
    page = open_page(app, "parameters.extension")
    panel = page.panels["extension"]
    cid = panel.layout.column_of("extension.caller_id_display")
    assert cid is not None
    before = extension_values(sim, "caller_id_display")
    target = "off" if list(before.values()).count("on") >= 12 else "on"
    ask(sim, {"cmd": "fault", "kind": "delay", "seconds": 1.5})
    try:
        invoke_menu(panel, cid, "来电显示全开" if target == "on" else "来电显示全关")
        assert shown(page.progress) and shown(page.cancel_button)
        assert page.cancel_button.instate(["!disabled"])
        page.cancel_button.invoke()
        assert page.cancel_button.instate(["disabled"])
        assert page.status.cget("text") == "正在取消…"
        pump_until(app.root, lambda: not page.store.busy, timeout=60, what="the stop")
        job = page.store.job
        assert job is not None and job.cancelled
        after = extension_values(sim, "caller_id_display")
        changed = [port for port in after if after[port] != before[port]]
        assert len(changed) < sum(1 for v in before.values() if v != target)
        assert job.counts.get("not_sent", 0) >= 1
        assert page.status.cget("text").startswith("已取消：写入 "), page.status.cget("text")
        assert page.status.cget("text").endswith(f"未发送 {job.counts['not_sent']}")
        assert not shown(page.progress)
    finally:
        page.store.write({f"extension.{port}.caller_id_display": value
                          for port, value in before.items()})
        pump_until(app.root, lambda: not page.store.busy, timeout=60, what="put back")
    assert extension_values(sim, "caller_id_display") == before


def test_the_system_time_is_sent_with_update(app: ConsoleApp, sim: Simulator) -> None:
    page = open_page(app, "parameters.other")
    assert page.notebook is not None and page.clock_button is not None
    page.notebook.select(len(page.notebook.tabs()) - 1)
    assert page.clock_button.cget("text") == "更新"
    page.clock_button.invoke()
    assert page.clock_result is not None
    pump_until(app.root, lambda: "生效" in page.clock_result.cget("text"),  # type: ignore[union-attr]
               what="the PBX's answer")
    shown = page.clock_result.cget("text")
    # what reached the simulator: a new time waiting for the next minute of its clock (or,
    # should that minute have begun meanwhile, already taken)
    pending = sim.call(lambda: sim.pbx.clock._pending)
    pbx_now = sim.call(lambda: sim.pbx.clock.now().strftime("%Y-%m-%d %H:%M"))
    assert pending is not None or pbx_now in shown, (shown, pbx_now)

