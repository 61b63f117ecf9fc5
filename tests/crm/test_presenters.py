"""The CRM main window's presenters without Tk: the dial pad, the function buttons' state, the
status bar's texts, titles, the monitor icons, the catalogue, the worker queue and the
start options."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest

from callcenter.common.agent.client import HubUnavailable, RequestFailed
from callcenter.crm_client.cli.gui_start import OptionError, add_gui_arguments, options_from
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.options import GuiOptions, merged_settings
from callcenter.crm_client.gui.presenters import (
    PARK_FLASH,
    DialPad,
    FunctionState,
    StatusInfo,
    dial_string,
    ink_on,
    pop_title,
    state_colour,
    status_texts,
    window_title,
)
from callcenter.crm_client.gui.presenters_monitor import (
    Icon,
    LineState,
    MonitorPresenter,
    check_port,
)
from callcenter.crm_client.gui.strings import TEXTS, Catalogue, add_texts
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.settings import CrmSettings


def test_the_dial_pad_takes_pad_keys_only_and_edits() -> None:
    pad = DialPad()
    for key in "9013x8*#":
        pad.press(key)
    assert pad.text == "90138*#"
    assert pad.backspace() == "90138*"
    assert pad.number() == "90138*"
    assert pad.clear() == ""
    pad.press("1" * 40)  # one key at a time only
    assert pad.text == ""
    for _ in range(40):
        pad.press("1")
    assert len(pad.text) == 32


def test_a_dial_string_drops_separators_and_names_what_is_wrong() -> None:
    assert dial_string(" 9 138-0013 (8000). ") == "913800138000"
    with pytest.raises(ValueError, match=r"dial\.need_number"):
        dial_string(" - ")
    with pytest.raises(ValueError, match=r"dial\.bad_number"):
        dial_string("+8613800138000")
    with pytest.raises(ValueError, match=r"dial\.bad_number"):
        dial_string("12ab")
    with pytest.raises(ValueError, match=r"dial\.bad_number"):
        dial_string("1" * 33)


def test_the_function_state_picks_the_hub_action_of_each_button() -> None:
    state = FunctionState()
    catalogue = Catalogue()
    assert (state.hold_action(), state.hold_label(catalogue)) == ("hold", "保留")
    state.holding = True
    assert (state.hold_action(), state.hold_label(catalogue)) == ("retrieve", "取回")
    assert state.park_action(3) == "park"
    assert state.set_park(3, True) and not state.set_park(3, True)
    assert not state.set_park(7, True)  # there are six slots
    assert state.park_action(3) == "unpark"
    assert state.any_park_taken()


def test_a_taken_park_slot_alternates_its_colour_and_a_free_one_does_not() -> None:
    state = FunctionState()
    state.set_park(2, True)
    seen = set()
    for _ in range(4):
        seen.add(state.park_colour(2))
        assert state.park_colour(1) is None
        state.tick()
    assert seen == set(PARK_FLASH)
    state.set_park(2, False)
    assert state.park_colour(2) is None and not state.any_park_taken()


def test_the_status_texts_in_both_languages() -> None:
    info = StatusInfo(link="up", server="127.0.0.1:7600", extension="001", user="alice",
                      phone_state="talking")
    assert status_texts(Catalogue("zh"), info) == {
        "link": "已连接 127.0.0.1:7600", "extension": "分机：001", "user": "座席：alice",
        "phone": "话机：通话"}
    assert status_texts(Catalogue("en"), info) == {
        "link": "Connected 127.0.0.1:7600", "extension": "Extension: 001",
        "user": "Agent: alice", "phone": "Phone: talking"}
    down = StatusInfo(link="down", server="h:1", detail="用户名或密码错误")
    assert status_texts(Catalogue(), down)["link"] == "未连接 h:1  用户名或密码错误"
    pbx = StatusInfo(link="up", server="h:1", pbx_up=False, phone_state="weird")
    texts = status_texts(Catalogue(), pbx)
    assert texts["link"] == "已连接 h:1  交换机未连接" and texts["phone"] == "话机：未知"


def test_titles_begin_with_crm_and_the_pop_names_the_caller_as_received() -> None:
    assert window_title(Catalogue(), "001", "alice") == "CRM 客户关系管理 - 分机 001 - alice"
    assert window_title(Catalogue("en"), "", "").startswith("CRM")
    assert pop_title("013800138000", "王建国") == "013800138000 王建国"
    assert pop_title("+86 138", "") == "+86 138"
    assert pop_title("", "") == "—"


def test_state_colours_and_ink() -> None:
    assert state_colour("talking") == "#e53935" and ink_on("#e53935") == "#ffffff"
    assert state_colour("idle") == "#d9f2d9" and ink_on("#d9f2d9") == "#000000"
    assert state_colour("nonsense") == "#ffffff"


def test_monitor_icons_are_placed_in_free_cells_and_checked() -> None:
    monitor = MonitorPresenter(Catalogue(), columns=2)
    monitor.set_icons([Icon("001", x=8, y=8), Icon("002")])
    assert (monitor.icons["002"].x, monitor.icons["002"].y) == (116, 8)
    third = monitor.add("003", " 前台 ")
    assert (third.x, third.y, third.label) == (8, 78, "前台")
    with pytest.raises(ValueError, match="port '000'"):
        monitor.add("000")
    with pytest.raises(ValueError, match="has an icon already"):
        monitor.add("001")
    with pytest.raises(ValueError, match="three digits"):
        check_port("12")
    moved = monitor.update("003", "004", "总机")
    assert (moved.port, moved.x, moved.y) == ("004", 8, 78) and "003" not in monitor.icons
    assert monitor.take_changed() >= {"001", "002", "003", "004"}
    assert [icon.port for icon in monitor.saved()] == ["001", "002", "004"]


def test_monitor_icons_show_the_label_name_and_state_of_their_port() -> None:
    monitor = MonitorPresenter(Catalogue())
    monitor.set_icons([Icon("005"), Icon("006", "前台")])
    monitor.take_changed()
    monitor.set_line("005", LineState("8005", "王工", "talking", "13800138000"))
    monitor.set_line("009", LineState("8009", "", "ringing"))  # no icon: nothing to redraw
    assert monitor.take_changed() == {"005"}
    assert monitor.texts("005") == ("005 王工", "通话", "13800138000")
    assert monitor.texts("006") == ("006 前台", "—", "")
    assert monitor.fill("005") == state_colour("talking")
    assert monitor.number_of("005") == "8005"


def test_the_catalogue_has_every_text_in_both_languages_and_errors_in_words() -> None:
    for key, pair in TEXTS.items():
        assert len(pair) == 2 and all(pair), key
    zh, en = Catalogue("zh"), Catalogue("en")
    assert zh.error("needs_offhook", "extension 002 is a normal phone") == "请先摘机"
    assert en.error("needs_offhook", "x") == "Lift the handset first"
    assert zh.error("pbx_refused", "extension 002 is not ringing") == \
        "交换机拒绝：extension 002 is not ringing"
    assert zh.error("something_new", "what") == "操作失败：what"
    with pytest.raises(ValueError, match="language 'fr'"):
        Catalogue("fr")
    with pytest.raises(KeyError, match="defined twice"):
        add_texts({"dial.call": ("通话", "Call")})
    with pytest.raises(ValueError, match="needs a"):
        add_texts({"test.bad": ("only one",)})  # type: ignore[dict-item]


def test_listeners_hear_a_language_switch_once() -> None:
    catalogue = Catalogue()
    heard: list[str] = []

    def listener() -> None:
        heard.append(catalogue.language)
    catalogue.add_listener(listener)
    catalogue.set_language("en")
    catalogue.set_language("en")
    catalogue.remove_listener(listener)
    catalogue.set_language("zh")
    assert heard == ["en"]


def drain_until(runner: TaskRunner, done: list[object], count: int) -> None:
    deadline = time.monotonic() + 10
    while len(done) < count:
        runner.drain()
        assert time.monotonic() < deadline, "the worker's results never came"
        time.sleep(0.005)


def test_the_worker_hands_results_and_errors_back_only_in_drain() -> None:
    runner = TaskRunner(2)
    done: list[object] = []
    runner.submit(lambda: 6 * 7, done.append)
    runner.submit(lambda: 1 // 0, done.append, done.append)
    runner.post(lambda: done.append("posted"))
    drain_until(runner, done, 3)
    assert 42 in done and "posted" in done
    assert any(isinstance(item, ZeroDivisionError) for item in done)
    runner.close(wait=True)
    runner.submit(lambda: 1, done.append)  # closed: nothing more
    assert runner.drain() == 0


def test_dialog_context_puts_failures_in_words() -> None:
    ctx = DialogContext(Catalogue(), TaskRunner(1))
    assert ctx.error_text(RequestFailed("needs_offhook", "lift it")) == "请先摘机"
    assert ctx.error_text(HubUnavailable("connection refused")) == \
        "无法连接服务器：connection refused"
    assert ctx.error_text(ValueError("field 'name': required")) == "field 'name': required"
    assert ctx.error_text(RuntimeError("boom")) == "操作失败：boom"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data")
    parser.add_argument("--shared")
    add_gui_arguments(parser)
    return parser.parse_args(list(argv))


def test_the_start_flags_become_options_and_bad_ones_are_named(tmp_path: Path) -> None:
    options = options_from(parse("--server", "10.0.0.5:7601", "--extension", "001",
                                 "--user", "alice", "--device", "headset", "--lang", "en",
                                 "--data", str(tmp_path)),
                           {"CALLCENTER_PASSWORD": "pw"})
    assert (options.server_host, options.server_port, options.extension, options.user,
            options.device, options.language, options.password, options.data_dir) == (
        "10.0.0.5", 7601, "001", "alice", "headset", "en", "pw", tmp_path)
    assert options.unattended and not options.tls
    assert options_from(parse("--server", "hub"), {}).server_port == 7600
    assert not options_from(parse("--server", "hub", "--user", "a"), {}).unattended
    with pytest.raises(OptionError, match="--extension '1'"):
        options_from(parse("--extension", "1"), {})
    with pytest.raises(OptionError, match="--server"):
        options_from(parse("--server", "host:port"), {})
    with pytest.raises(OptionError, match="--trust"):
        options_from(parse("--trust", str(tmp_path / "missing.pem")), {})


def test_the_flags_go_over_the_saved_settings_and_unattended_turns_protection_off(
        tmp_path: Path) -> None:
    saved = CrmSettings(server_host="old", extension="002", user="bob",
                        language="en").with_password_protection(True)
    options = GuiOptions(data_dir=tmp_path, server_host="new", server_port=7700,
                         extension="003", user="carol", password="pw")
    merged = merged_settings(saved, options)
    assert (merged.server_host, merged.server_port, merged.extension, merged.user,
            merged.language, merged.password_protection) == (
        "new", 7700, "003", "carol", "en", False)
    assert merged_settings(saved, GuiOptions(data_dir=tmp_path)) is saved
