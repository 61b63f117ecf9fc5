"""Protocol 1.2 (issue 9, the CRM client's needs) against the real hub and simulator: hook
flash, kept messages, history and directory, missed calls kept by the hub (docs/agent-protocol.md
section 12)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callcenter.common.agent.catalog import PROTOCOL_VERSION
from callcenter.pbxsim.app import Simulator
from callcenter.server.accounts import add_account
from callcenter.server.hub import AgentHub
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.hub.test_hub_actions import checked, ext, hang_up_everything, ok
from tests.server.pbxlink_support import ask

__all__ = ["hang_up_everything"]  # the module's autouse fixture: every port idle afterwards

Agent = Callable[..., AgentClient]


def test_hello_says_protocol_1_2(connect: Callable[..., AgentClient]) -> None:
    assert PROTOCOL_VERSION == "1.2.0"
    assert connect().hello["protocol"] == "1.2.0"


# ---------------------------------------------------------------------- flash

def test_flash_holds_the_call_then_takes_it_back(sim: Simulator, agent: Agent) -> None:
    amy = agent("flash-amy", "002")
    rung = ask(sim, {"cmd": "ring", "extension": "002", "caller": "13800138000"})
    amy.wait_event("ring", extension="002")
    ok(amy.request("answer"), "answer")
    assert ext(sim, "002")["state"] == "talking"

    flashed = ok(amy.request("flash"), "flash")  # 闪断: the call in progress is held
    assert flashed["call_id"] == rung["call_id"]
    assert ext(sim, "002")["state"] == "held"
    amy.wait_event("extension_state", port="002", state="held")

    again = ok(amy.request("flash"), "flash")  # 接答: the held call is taken back
    assert again["call_id"] == rung["call_id"]
    assert ext(sim, "002")["state"] == "talking"
    assert ext(sim, "002")["peer"] == "13800138000"


def test_flash_picks_up_a_call_ringing_in_the_group(sim: Simulator, agent: Agent) -> None:
    for port in ("004", "005"):
        ask(sim, {"cmd": "set", "key": f"extension.{port}.groups", "value": "3"})
    bo = agent("flash-bo", "005")
    rung = ask(sim, {"cmd": "ring", "extension": "004", "caller": "02087654321"})
    bo.wait_event("extension_state", port="004", state="ringing")
    picked = ok(bo.request("flash"), "flash")
    assert picked["call_id"] == rung["call_id"]
    assert ext(sim, "005")["state"] == "talking"
    assert ext(sim, "004")["state"] == "idle"


def test_flash_with_nothing_to_flash_is_refused_with_the_pbx_reason(sim: Simulator,
                                                                     agent: Agent) -> None:
    cy = agent("flash-cy", "006")
    refused = cy.request("flash")
    assert refused["error"]["code"] == "pbx_refused"
    assert "006" in refused["error"]["message"]
    assert ext(sim, "006")["state"] == "idle"
    normal = agent("flash-dee", "007", device="normal")
    assert normal.request("flash")["error"]["code"] == "needs_offhook"


# ---------------------------------------------------------------------- messages

def test_message_to_an_offline_user_is_kept_and_delivered_once_at_login(
        agent: Agent, account: Callable[..., str], connect: Callable[..., AgentClient]
        ) -> None:
    eve = agent("keep-eve", "008")
    account("keep-finn")
    sent = ok(eve.request("send_message", to="keep-finn", text="请回电 13800138000"),
              "send_message")
    assert (sent["delivered"], sent["kept"]) == (0, True)
    everyone = ok(eve.request("send_message", to="ALL", text="全体：下午开会"), "send_message")
    assert everyone["kept"] is False  # to ALL: only those logged in; kept in the history

    finn = connect()
    assert finn.login("keep-finn", extension="009")["ok"]
    first = finn.read()
    assert first["event"] == "snapshot"
    kept = checked(finn.read())  # right after the snapshot
    assert kept["event"] == "message"
    assert (kept["from"], kept["to"], kept["text"]) == ("keep-eve", "keep-finn",
                                                         "请回电 13800138000")
    assert kept["offline"] is True
    assert kept["sent"] <= kept["time"]
    assert not [e for e in finn.drain_events() if e["event"] == "message"]  # not the ALL one
    finn.close()

    again = connect()
    assert again.login("keep-finn", extension="009")["ok"]
    again.wait_event("snapshot")
    assert not [e for e in again.drain_events() if e["event"] == "message"]  # once only

    history = ok(again.request("message_history"), "message_history")["messages"]
    texts = [m["text"] for m in history]
    assert texts[-2:] == ["请回电 13800138000", "全体：下午开会"]
    assert history[-2]["id"] == kept["id"] and history[-2]["time"] == kept["sent"]


def test_live_messages_carry_id_and_sent(agent: Agent) -> None:
    gus = agent("live-gus", "010")
    hana = agent("live-hana", "011")
    sent = ok(gus.request("send_message", to="live-hana", text="在吗？"), "send_message")
    assert (sent["delivered"], sent["kept"]) == (1, False)
    got = checked(hana.wait_event("message"))
    assert got["offline"] is False
    assert got["id"] >= 1 and got["sent"]
    reply = ok(hana.request("send_message", to="live-gus", text="在"), "send_message")
    assert reply["kept"] is False
    assert gus.wait_event("message")["id"] > got["id"]


def test_message_history_pages_back_with_before(agent: Agent) -> None:
    ida = agent("page-ida", "012")
    agent("page-jo", "013")
    for number in range(5):
        ok(ida.request("send_message", to="page-jo", text=f"第{number}条"), "send_message")
    newest = ok(ida.request("message_history", limit=2), "message_history")["messages"]
    assert [m["text"] for m in newest] == ["第3条", "第4条"]
    older = ok(ida.request("message_history", limit=2, before=newest[0]["id"]),
               "message_history")["messages"]
    assert [m["text"] for m in older] == ["第1条", "第2条"]
    assert all(m["from"] == "page-ida" and m["to"] == "page-jo" for m in older)
    bad = ida.request("message_history", limit=501)
    assert bad["error"]["code"] == "bad_request" and "limit" in bad["error"]["message"]


def test_directory_lists_every_account_with_its_port_and_whether_online(
        agent: Agent, account: Callable[..., str]) -> None:
    kim = agent("dir-kim", "014")
    account("dir-lee", port="015")
    accounts = ok(kim.request("directory"), "directory")["accounts"]
    by_user = {a["user"]: a for a in accounts}
    assert by_user["dir-kim"]["online"] is True
    assert (by_user["dir-lee"]["online"], by_user["dir-lee"]["extension"]) == (False, "015")
    assert by_user["admin"]["role"] == "admin"
    assert [a["user"] for a in accounts] == sorted(by_user)


# ---------------------------------------------------------------------- missed calls

def _missed(client: AgentClient, call_id: int) -> list[dict[str, Any]]:
    calls = ok(client.request("missed_calls"), "missed_calls")["calls"]
    return [c for c in calls if c["call_id"] == call_id]


def test_a_ring_nobody_answers_is_missed_and_survives_a_hub_restart(
        sim: Simulator, agent: Agent, hub: AgentHub, make_hub: Callable[..., AgentHub]
        ) -> None:
    mo = agent("miss-mo", "016")
    rung = ask(sim, {"cmd": "ring", "extension": "016", "caller": "02087654321"})
    ring = mo.wait_event("ring", extension="016")
    trunk = ext(sim, "016")["trunk"]
    ask(sim, {"cmd": "hangup", "trunk": trunk})  # the caller gives up
    assert mo.wait_event("hangup", extension="016")["answered"] is False
    [missed] = _missed(mo, int(str(rung["call_id"])))
    assert (missed["caller"], missed["trunk"], missed["number"]) == ("02087654321", trunk,
                                                                     "8016")
    assert missed["time"] <= missed["ended"]
    assert ring["call_id"] == missed["call_id"]

    hub.stop()  # a client that was off, and a hub that restarted, still see it
    later = make_hub()
    with AgentClient(later.address) as again:
        assert again.login("miss-mo", extension="016")["ok"]
        again.wait_event("snapshot")
        assert _missed(again, int(str(rung["call_id"]))) == [missed]


def test_a_group_ring_answered_at_one_port_is_missed_only_at_the_others(
        sim: Simulator, agent: Agent) -> None:
    # Every port's ring assignment is "all" trunks (the factory default): an outside call
    # rings every idle extension at once; 017 answers it.
    nell = agent("group-nell", "017")
    otto = agent("group-otto", "018")
    rung = ask(sim, {"cmd": "incoming", "caller": "13512345678"})
    call_id = int(str(rung["call_id"]))
    nell.wait_event("ring", extension="017", call_id=call_id)
    otto.wait_event("ring", extension="018", call_id=call_id)
    assert ext(sim, "019")["state"] == "ringing"  # nobody is logged in there
    ok(nell.request("answer"), "answer")
    assert ext(sim, "017")["state"] == "talking"
    assert otto.wait_event("hangup", extension="018", call_id=call_id)["answered"] is False
    assert [c["caller"] for c in _missed(otto, call_id)] == ["13512345678"]
    assert _missed(nell, call_id) == []
    # The hub decided 019's missed call before it told anybody that 019 stopped ringing.
    otto.wait_event("extension_state", port="019", state="idle", call_id=0)
    pat = agent("group-pat", "019")  # a port nobody watched missed it too
    assert [c["number"] for c in _missed(pat, call_id)] == ["8019"]


def test_a_call_transferred_back_and_answered_is_not_missed(sim: Simulator,
                                                           agent: Agent) -> None:
    # 020 misses the group ring, then 021 (who answered) transfers it to 020, who answers:
    # 020 answered the call after all.
    quin = agent("back-quin", "020")
    rosa = agent("back-rosa", "021")
    rung = ask(sim, {"cmd": "incoming", "caller": "13600001111"})
    call_id = int(str(rung["call_id"]))
    rosa.wait_event("ring", extension="021", call_id=call_id)
    ok(rosa.request("answer"), "answer")
    quin.wait_event("hangup", extension="020", call_id=call_id)
    assert len(_missed(quin, call_id)) == 1
    ok(rosa.request("transfer", target="020"), "transfer")
    quin.wait_event("ring", extension="020", call_id=call_id)
    ok(quin.request("answer"), "answer")
    quin.wait_event("answer", extension="020", call_id=call_id)
    assert _missed(quin, call_id) == []


def test_kept_messages_wait_for_a_password_change_then_follow_the_snapshot(
        agent: Agent, connect: Callable[..., AgentClient]) -> None:
    add_account("keep-gil", "agent", PASSWORD, must_change_password=True)
    hal = agent("keep-hal", "022")
    assert ok(hal.request("send_message", to="keep-gil", text="新密码记得改"),
              "send_message")["kept"] is True
    gil = connect()
    assert gil.login("keep-gil", extension="023")["ok"]
    assert gil.drain_events() == []  # nothing before the password is changed
    assert gil.request("change_password", old=PASSWORD, new="another-pw-1")["ok"]
    assert gil.read()["event"] == "snapshot"
    kept = checked(gil.read())
    assert (kept["event"], kept["text"], kept["offline"]) == ("message", "新密码记得改", True)
