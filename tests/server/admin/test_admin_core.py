"""The admin API's core against the real hub, service and simulator: console sessions,
token logins, roles and console modules, admin events to operators and admins only."""

from __future__ import annotations

from collections.abc import Callable

from callcenter.server.store.settings import set_setting
from tests.server.admin.conftest import TOKEN
from tests.server.hub.agent_client import AgentClient


def test_console_session_has_no_phone(admin: AgentClient) -> None:
    answer = admin.request("whoami")
    assert answer["ok"] and answer["role"] == "admin" and answer["extension"] == ""
    assert answer["modules"] == ["system", "parameters", "monitor", "records", "rooms",
                                 "backup"]
    assert all(a["user"] != "admin-t" for a in admin.request("agents")["agents"])
    # the site's time zone, in which a console shows times (and follows a change)
    assert answer["timezone"] == "Asia/Shanghai"
    set_setting("timezone", "Europe/Paris", "tester")
    try:
        assert admin.request("whoami")["timezone"] == "Europe/Paris"
    finally:
        set_setting("timezone", "Asia/Shanghai", "tester")


def test_agent_needs_an_extension(connect: Callable[..., AgentClient],
                                  account: Callable[..., str]) -> None:
    account("agent-noext")
    client = connect()
    answer = client.login("agent-noext", extension="")
    assert answer["error"]["code"] == "bad_request"
    assert "'extension' is required for agents" in answer["error"]["message"]


def test_token_login(connect: Callable[..., AgentClient]) -> None:
    client = connect()
    answer = client.token_login("cli:tester", TOKEN)
    assert answer["ok"] and answer["role"] == "admin" and answer["user"] == "cli:tester"
    assert client.request("whoami")["role"] == "admin"
    wrong = connect()
    assert wrong.token_login("cli:tester", "0" * 32)["error"]["code"] == "auth_failed"


def test_operator_modules_follow_the_setting(console: Callable[..., AgentClient]) -> None:
    operator = console("oper-mod", "operator")
    assert operator.request("whoami")["modules"] == ["monitor", "records", "rooms"]
    set_setting("console.operator_modules", "records", "test")
    try:
        later = console("oper-mod2", "operator")
        assert later.request("whoami")["modules"] == ["records"]
    finally:
        set_setting("console.operator_modules", "monitor,records,rooms", "test")


def test_client_events_reach_operators_not_agents(console: Callable[..., AgentClient],
                                                  connect: Callable[..., AgentClient],
                                                  account: Callable[..., str]) -> None:
    watcher = console("oper-watch", "operator")
    account("agent-ev")
    agent = connect()
    assert agent.login("agent-ev", extension="005")["ok"]
    agent.wait_event("snapshot")
    joined = watcher.wait_event("client_connected", user="agent-ev")
    assert joined["role"] == "agent" and joined["extension"] == "005"
    late = console("oper-late", "operator")
    watcher.wait_event("client_connected", user="oper-late")
    late.close()
    watcher.wait_event("client_disconnected", user="oper-late")
    assert not [e for e in agent.drain_events() if e.get("event", "").startswith("client_")]


def test_cancel_of_no_job(operator: AgentClient) -> None:
    answer = operator.request("cancel", job="nope")
    assert answer["ok"] and answer["cancelled"] is False
