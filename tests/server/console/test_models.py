"""The console's models and presenters without Tk: the catalogue, the entry checks, the
monitor's model and layout, the status bar's facts, the font choice."""

from __future__ import annotations

from typing import Any

import pytest

from callcenter.common.tkfonts import pick_family
from callcenter.server.console.credentials import login_problem, new_password_problem
from callcenter.server.console.monitor_model import (
    ALL,
    EXTENSION_COLOURS,
    TRUNK_COLOURS,
    MonitorLayout,
    MonitorModel,
)
from callcenter.server.console.status_model import StatusModel
from callcenter.server.console.strings import TEXTS, Catalogue


def snapshot(extensions: int = 3, trunks: int = 2, *, part: int = 1, parts: int = 1,
             link: str = "up", agents: int = 0, first: int = 1) -> dict[str, Any]:
    return {"event": "snapshot", "seq": part, "part": part, "parts": parts, "link": link,
            "extensions": [{"port": f"{p:03d}", "number": f"8{p:03d}", "name": "",
                            "state": "idle", "peer": "", "trunk": "", "call_id": 0,
                            "forward": "", "dnd": False}
                           for p in range(first, first + extensions)],
            "trunks": [{"trunk": f"{t:02d}", "state": "idle", "number": "", "port": "",
                        "call_id": 0} for t in range(1, trunks + 1)],
            "park_slots": [{"slot": s, "occupied": False, "number": "", "port": "",
                            "call_id": 0} for s in range(1, 7)] if part == parts else [],
            "calls": [],
            "agents": [{"user": f"a{i}", "extension": f"{i + 1:03d}", "device": "normal",
                        "since": ""} for i in range(agents)]}


# ---------------------------------------------------------------------- the catalogue
def test_every_text_has_chinese_and_english_and_the_manual_terms() -> None:
    for key, (zh, en) in TEXTS.items():
        assert zh and en, key
    catalogue = Catalogue()
    assert [catalogue.text(f"module.{m}") for m in (
        "system", "parameters", "monitor", "records", "rooms", "backup", "help")] == [
        "系统设置", "参数设置", "实时监控", "话单查询", "话务管理", "资料备份", "帮助"]
    assert [catalogue.text(f"parameters.{p}") for p in ("extension", "trunk", "switches",
                                                         "other")] == [
        "分机参数", "外线参数", "开关参数", "其它参数"]
    assert catalogue.text("app.title").startswith("CALLCENTER")


def test_language_switch_tells_listeners_once() -> None:
    catalogue = Catalogue()
    heard: list[str] = []
    catalogue.add_listener(lambda: heard.append(catalogue.language))
    catalogue.set_language("en")
    catalogue.set_language("en")
    assert heard == ["en"]
    assert catalogue.text("module.monitor") == "Live monitor"
    assert catalogue.text("app.title").startswith("CALLCENTER")
    with pytest.raises(ValueError, match="allowed zh, en"):
        catalogue.set_language("fr")


def test_errors_are_told_by_their_code() -> None:
    catalogue = Catalogue()
    assert catalogue.error("auth_failed", "wrong user name or password") == "用户名或密码错误"
    assert "no such action" in catalogue.error("unknown_action", "no such action")
    assert catalogue.error("unavailable", "refused").startswith("无法连接服务")


# ---------------------------------------------------------------------- entry checks
def test_login_and_new_password_checks() -> None:
    assert login_problem("") == "login.need_user"
    assert login_problem("  ") == "login.need_user"
    assert login_problem("x" * 65) == "login.user_too_long"
    assert login_problem("admin") is None
    assert new_password_problem("admin", "short", "short") == "password.too_short"
    assert new_password_problem("admin", "x" * 129, "x" * 129) == "password.too_long"
    assert new_password_problem("secret1", "secret1", "secret1") == "password.same"
    assert new_password_problem("admin", "secret1", "secret2") == "password.mismatch"
    assert new_password_problem("admin", "secret1", "secret1") is None


def test_font_choice_prefers_noto_then_falls_back() -> None:
    assert pick_family(["DejaVu Sans", "noto sans cjk sc", "SimSun"]) == "noto sans cjk sc"
    assert pick_family(["SimSun", "Arial"]) == "SimSun"
    assert pick_family(["DejaVu Sans"]) is None


# ---------------------------------------------------------------------- 实时监控
def test_snapshot_then_state_events() -> None:
    model = MonitorModel()
    assert model.apply(snapshot()) == {ALL}
    assert list(model.extensions) == ["001", "002", "003"]
    assert model.fill("ext:002") == EXTENSION_COLOURS["idle"]
    changed = model.apply({"event": "extension_state", "port": "002", "state": "talking",
                           "peer": "13800138000", "trunk": "01", "call_id": 7})
    assert changed == {"ext:002"}
    assert model.fill("ext:002") == EXTENSION_COLOURS["talking"]
    assert model.lines("ext:002") == ("002 8002", "13800138000")
    assert model.apply({"event": "trunk_state", "trunk": "01", "state": "incoming",
                        "number": "13800138000", "port": "", "call_id": 7}) == {"trunk:01"}
    assert model.fill("trunk:01") == TRUNK_COLOURS["incoming"]
    assert model.lines("trunk:01") == ("T01", "13800138000")
    assert model.apply({"event": "park_slot", "slot": 2, "occupied": True,
                        "number": "13800138000", "port": "002", "call_id": 7}) == {"park:2"}
    assert model.counts() == {"extensions": 3, "talking": 1, "ringing": 0, "offhook": 0,
                              "trunks": 2, "busy_trunks": 1, "parked": 1}
    # the same state again, an unknown port, an unknown event: nothing to redraw
    assert model.apply({"event": "extension_state", "port": "002", "state": "talking",
                        "peer": "13800138000", "trunk": "01", "call_id": 7}) == set()
    assert model.apply({"event": "extension_state", "port": "099", "state": "talking"}) == set()
    assert model.apply({"event": "weather", "sunny": True}) == set()


def test_a_snapshot_in_parts_is_swapped_in_whole() -> None:
    model = MonitorModel()
    model.apply(snapshot(3))
    model.apply({"event": "extension_state", "port": "001", "state": "ringing"})
    assert model.apply(snapshot(200, 0, part=1, parts=2)) == set()
    assert len(model.extensions) == 3 and model.extensions["001"].state == "ringing"
    assert model.apply(snapshot(100, 8, part=2, parts=2, first=201, link="down")) == {ALL}
    assert len(model.extensions) == 300 and len(model.trunks) == 8
    assert model.extensions["001"].state == "idle"  # replaced, as the protocol says
    assert model.link_up is False


def test_layout_draws_only_the_visible_band() -> None:
    model = MonitorModel()
    model.apply(snapshot(100, 0, part=1, parts=2))
    model.apply(snapshot(200, 16, part=2, parts=2, first=101))
    layout = MonitorLayout(cell_width=96, cell_height=48, gap=6, heading=26, margin=8)
    layout.arrange(model, 1000)
    assert layout.columns == 9  # (1000 - 16 + 6) // 102
    assert [s.title_key for s in layout.sections] == ["monitor.extensions", "monitor.trunks",
                                                      "monitor.park"]
    top = layout.visible(0, 500)
    assert top[0] == "ext:001" and len(top) < 100
    assert all(k.startswith("ext:") for k in top)
    _x, y = layout.position("ext:300") or (0, 0)
    assert "ext:300" in layout.visible(y, y + 10)
    assert "ext:001" not in layout.visible(y, y + 10)
    assert layout.visible(layout.height - 60, layout.height)[-1] == "park:6"
    assert layout.height > 34 * 54  # 300 / 9 rows of extensions at least


# ---------------------------------------------------------------------- status bar
def test_status_texts_follow_events_and_link_state() -> None:
    catalogue = Catalogue()
    status = StatusModel()
    assert status.texts(catalogue)["link"] == "交换机：—"
    status.connection = "connected"
    status.user = "boss"
    status.apply(snapshot(agents=2))
    status.apply_link_state({"url": "socket://127.0.0.1:4001", "up": True,
                             "verification": {"state": "done", "done": 52, "total": 52}})
    assert status.texts(catalogue) == {"link": "交换机：已连接 socket://127.0.0.1:4001",
                                       "verification": "数据校验：完成",
                                       "clients": "CRM客户端：2", "user": "用户：boss"}
    status.apply({"event": "agent_joined", "user": "c", "extension": "009"})
    status.apply({"event": "link", "state": "down", "reason": "no answer"})
    status.apply({"event": "verification_progress", "done": 9, "total": 52})
    texts = status.texts(catalogue)
    assert texts["link"].startswith("交换机：未连接")
    assert texts["clients"] == "CRM客户端：3"
    assert texts["verification"] == "数据校验：9/52"
    status.apply({"event": "agent_left", "user": "c", "extension": "009"})
    status.connection = "lost"
    catalogue.set_language("en")
    texts = status.texts(catalogue)
    assert texts["clients"] == "CRM clients: 2"
    assert texts["link"].startswith("Connection to the service lost")
