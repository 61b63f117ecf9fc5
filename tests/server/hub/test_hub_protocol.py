"""The agent hub's protocol side with a real client on 127.0.0.1: hello, login, lock-out,
permissions, errors, limits and timers (docs/agent-protocol.md sections 2-6)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from callcenter.common.agent.catalog import ACTIONS, PROTOCOL_VERSION, ROLES, role_allows
from callcenter.common.agent.messages import validate_hello, validate_result
from callcenter.server.accounts import add_account
from callcenter.server.hub import AgentHub
from callcenter.server.pbx.service import PbxService
from callcenter.server.store.settings import set_setting
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.hub.hub_support import TEST_OPTIONS

Connect = Callable[..., AgentClient]


def test_hello_comes_first_and_is_valid(connect: Connect) -> None:
    client = connect()
    hello = validate_hello(client.hello)
    assert not isinstance(hello, Exception), hello
    assert hello.protocol == PROTOCOL_VERSION
    assert (hello.max_line, hello.login_timeout, hello.idle_timeout) == (65536, 30, 90)
    assert hello.password_required is True


def test_login_ok_then_snapshot_with_seq_1(connect: Connect, account: Callable[..., str]
                                           ) -> None:
    account("alice")
    client = connect()
    answer = client.login("alice", extension="002", device="headset")
    assert answer == {"type": "response", "id": answer["id"], "ok": True, "user": "alice",
                      "role": "agent", "extension": "002", "number": "8002",
                      "device": "headset", "must_change_password": False}
    assert validate_result("login", answer) is None
    snapshot = client.read()  # the very next line
    assert (snapshot["event"], snapshot["seq"]) == ("snapshot", 1)
    assert len(snapshot["extensions"]) == 24 and len(snapshot["trunks"]) == 8
    assert [s["slot"] for s in snapshot["park_slots"]] == [1, 2, 3, 4, 5, 6]
    assert snapshot["link"] == "up"
    assert [a["user"] for a in snapshot["agents"]] == ["alice"]
    assert snapshot["extensions"][1]["number"] == "8002"
    ping = client.request("ping")
    assert ping["ok"] and "time" in ping


def test_wrong_password_and_unknown_user_are_delayed_and_alike(
        make_hub: Callable[..., AgentHub], account: Callable[..., str]) -> None:
    hub = make_hub(failure_delay=0.5)
    account("bob")
    with AgentClient(hub.address) as client:
        started = time.monotonic()
        wrong = client.login("bob", "not-it", "003")
        took = time.monotonic() - started
        unknown = client.login("nobody", "whatever", "003")
        assert wrong["error"] == unknown["error"] == {
            "code": "auth_failed", "message": "wrong user name or password"}
        assert 0.5 <= took < 3.0
        assert client.login("bob", PASSWORD, "003")["ok"]  # the session lived on


def test_five_failures_lock_the_account(connect: Connect, account: Callable[..., str]) -> None:
    account("carol")
    client = connect()
    for _ in range(5):
        assert client.login("carol", "wrong-pw", "004")["error"]["code"] == "auth_failed"
    started = time.monotonic()
    locked = client.login("carol", PASSWORD, "004")
    assert locked["error"]["code"] == "locked_out"
    assert time.monotonic() - started >= TEST_OPTIONS.failure_delay  # as slow as a failure
    from callcenter.server.accounts import find_account, set_password
    info = find_account("carol")
    assert info is not None and info.locked()
    set_password("carol", PASSWORD)  # the administrator lifts it
    assert client.login("carol", PASSWORD, "004")["ok"]


def test_success_resets_the_failure_count(connect: Connect, account: Callable[..., str]
                                          ) -> None:
    account("dave")
    for _ in range(2):
        client = connect()
        for _ in range(4):
            assert client.login("dave", "wrong-pw", "005")["error"]["code"] == "auth_failed"
        assert client.login("dave", PASSWORD, "005")["ok"]


def test_initial_admin_must_change_password_first(connect: Connect) -> None:
    client = connect()
    answer = client.login("admin", "admin", "001", device="normal")
    assert answer["ok"] and answer["must_change_password"] is True
    assert client.request("agents")["error"]["code"] == "password_change_required"
    assert client.request("dial", number="8002")["error"]["code"] == "password_change_required"
    assert client.request("ping")["ok"]
    assert client.drain_events(0.2) == []  # no events before the change
    assert client.request("change_password", old="admin", new="admin1")["ok"]
    snapshot = client.wait_event("snapshot")
    assert snapshot["seq"] == 1
    assert client.request("agents")["ok"]
    with connect() as again:
        assert again.login("admin", "admin", "001")["error"]["code"] == "auth_failed"
        answer = again.login("admin", "admin1", "001")
        assert answer["ok"] and answer["must_change_password"] is False


def test_change_password_rules(agent: Callable[..., AgentClient]) -> None:
    client = agent("erin", "006")
    same_as_user = client.request("change_password", old=PASSWORD, new="ERIN")
    assert same_as_user["error"]["code"] == "bad_request"  # too short anyway
    named = client.request("change_password", old=PASSWORD, new="erin")
    assert named["error"]["code"] == "bad_request"
    assert client.request("change_password", old=PASSWORD, new="eriN99")["ok"]
    wrong_old = client.request("change_password", old="nope-nope", new="another-1")
    assert wrong_old["error"]["code"] == "auth_failed"


def test_change_password_rejects_the_user_name(agent: Callable[..., AgentClient]) -> None:
    client = agent("frankie", "007")
    answer = client.request("change_password", old=PASSWORD, new="Frankie")
    assert answer["error"] == {"code": "bad_request",
                               "message": "field 'new': the password must not be the user name"}


def test_only_login_and_ping_before_login(connect: Connect) -> None:
    client = connect()
    assert client.request("ping")["ok"]
    for action in ("agents", "dial", "change_password", "clients"):
        params: dict[str, Any] = {"number": "8002"} if action == "dial" else (
            {"old": "abcdefg", "new": "hijklmn"} if action == "change_password" else {})
        answer = client.request(action, **params)
        assert answer["error"]["code"] == "not_logged_in", (action, answer)


def test_unauthenticated_connection_closed_after_login_timeout(
        make_hub: Callable[..., AgentHub]) -> None:
    hub = make_hub(login_timeout=0.5)
    with AgentClient(hub.address) as client:
        assert client.hello["login_timeout"] == 1
        started = time.monotonic()
        client.send({"type": "request", "id": 1, "action": "ping"})  # talking does not help
        assert client.closed_by_hub(5)
        assert 0.4 < time.monotonic() - started < 3


def test_logged_in_connection_dropped_after_idle_timeout(
        make_hub: Callable[..., AgentHub], account: Callable[..., str]) -> None:
    hub = make_hub(idle_timeout=0.6)
    account("gina")
    with AgentClient(hub.address) as client:
        assert client.login("gina", extension="008")["ok"]
        for _ in range(3):  # pings keep it alive
            time.sleep(0.3)
            assert client.request("ping")["ok"]
        assert client.closed_by_hub(5)


def test_cap_on_unauthenticated_connections(make_hub: Callable[..., AgentHub],
                                            account: Callable[..., str]) -> None:
    hub = make_hub(max_unauthenticated=3)
    account("hank")
    waiting = [AgentClient(hub.address) for _ in range(3)]
    try:
        with AgentClient(hub.address) as extra:
            refused = extra.read()
            assert refused["id"] is None and refused["error"]["code"] == "rate_limited"
            assert extra.closed_by_hub(5)
        assert waiting[0].login("hank", extension="009")["ok"]  # one fewer waiting
        with AgentClient(hub.address) as now_fits:
            assert now_fits.request("ping")["ok"]
    finally:
        for client in waiting:
            client.close()


@pytest.mark.parametrize(("line", "code", "has_id"), [
    (b"{not json\n", "bad_json", False),
    (b"[1,2]\n", "bad_json", False),
    (b"\xff\xfe\n", "bad_json", False),
    (b'{"type":"greeting","id":5}\n', "unknown_type", True),
    (b'{"type":"request","id":6,"action":"reboot"}\n', "unknown_action", True),
    (b'{"type":"request","id":7,"action":"dnd","on":"yes"}\n', "bad_request", True),
    (b'{"type":"request","id":8,"action":"park","slot":9}\n', "bad_request", True),
    (b'{"type":"request","id":9,"action":"park","slot":"1"}\n', "bad_request", True),
    (b'{"type":"request","action":"ping"}\n', "bad_request", False),
    (b'{"type":"request","id":true,"action":"ping"}\n', "bad_request", False),
    (b'{"type":"login","id":10,"user":"x","password":"y","extension":"3"}\n', "bad_request",
     True),
])
def test_malformed_lines_get_an_error_and_the_session_lives_on(
        agent: Callable[..., AgentClient], line: bytes, code: str, has_id: bool) -> None:
    client = agent("ivan", "010")
    client.send_raw(line)
    answer = client.read()
    while answer["type"] == "event":
        answer = client.read()
    assert answer["ok"] is False and answer["error"]["code"] == code, answer
    assert (answer["id"] is not None) == has_id
    assert answer["error"]["message"]
    assert client.request("ping")["ok"]


def test_wrong_field_type_names_the_field(agent: Callable[..., AgentClient]) -> None:
    client = agent("judy", "011")
    answer = client.request("dnd", on="yes")
    assert answer["error"] == {"code": "bad_request", "message": "field 'on' must be true or false"}
    answer = client.request("send_message", to="ALL", text=5)
    assert answer["error"]["message"] == "field 'text' must be a string"


def test_over_long_line_is_answered_and_the_session_lives_on(connect: Connect) -> None:
    client = connect()
    client.send_raw(b'{"type":"request","id":1,"action":"ping","pad":"' + b"x" * 70000
                    + b'"}\n')
    answer = client.read()
    assert answer["id"] is None and answer["error"]["code"] == "line_too_long"
    assert client.request("ping")["ok"]


def test_second_login_is_refused(agent: Callable[..., AgentClient]) -> None:
    client = agent("kate", "012")
    assert client.login("kate", extension="012")["error"]["code"] == "already_logged_in"


def test_bound_account_and_unknown_port(connect: Connect, account: Callable[..., str]) -> None:
    account("leo", port="013")
    client = connect()
    assert client.login("leo", extension="014")["error"]["code"] == "forbidden"
    assert client.login("leo", extension="999")["error"]["code"] == "forbidden"
    account("mia")
    assert client.login("mia", extension="099")["error"]["code"] == "not_found"
    assert client.login("leo", extension="013")["ok"]


def test_port_probe_is_harmless(hub: AgentHub, connect: Connect) -> None:
    for _ in range(20):
        with socket.create_connection(hub.address, timeout=2):
            pass
    probe = socket.create_connection(hub.address, timeout=2)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    probe.close()  # a reset instead of a close
    assert connect().request("ping")["ok"]
    assert hub.call(lambda: len(hub.handler.sessions)) == 1


def test_password_protection_off_accepts_any_password(
        make_hub: Callable[..., AgentHub], account: Callable[..., str]) -> None:
    account("nina")
    set_setting("agent.password_required", "false", "test")
    try:
        hub = make_hub()
        with AgentClient(hub.address) as client:
            assert client.hello["password_required"] is False
            assert client.login("nina", "", "015")["ok"]
        with AgentClient(hub.address) as client:
            assert client.login("nobody", "", "015")["error"]["code"] == "auth_failed"
    finally:
        set_setting("agent.password_required", "true", "test")


def test_admin_only_actions_setting(connect: Connect, account: Callable[..., str]) -> None:
    set_setting("agent.admin_only_actions", "agents", "test")
    try:
        account("olga")
        account("root", "admin")
        client = connect()
        assert client.login("olga", extension="016")["ok"]
        assert client.request("agents")["error"]["code"] == "forbidden"
        admin = connect()
        assert admin.login("root", extension="017")["ok"]
        assert admin.request("agents")["ok"]
    finally:
        set_setting("agent.admin_only_actions", "", "test")


# Every action of the catalogue, for every role: allowed or ``forbidden`` exactly as the
# catalogue says.  Parameters are chosen so that an allowed action gets past the role check
# without changing the PBX (errors other than forbidden are fine).  One hub and one logged-in
# client per role serve all of them.
_PARAMS: dict[str, dict[str, object]] = {
    "subscribe": {"events": ["ring"]}, "unsubscribe": {"events": ["weather"]},
    "change_password": {"old": "wrong-old-pw", "new": "new-pw-123"},
    "dial": {"number": "8099"}, "transfer": {"target": "099"}, "page": {"target": "099"},
    "pickup": {"target": "099"}, "park": {"slot": 1}, "unpark": {"slot": 1},
    "forward": {"on": False}, "dnd": {"on": False}, "send_message": {"to": "ALL", "text": "x"},
}
# The admin API's actions (1.1): their catalogue examples.
_PARAMS.update({a.name: dict(a.examples[-1]) for a in ACTIONS.values() if a.examples})
_OPERATOR_MODULES = ("monitor", "records", "rooms")  # console.operator_modules by default


@pytest.fixture(scope="module")
def role_clients(service: PbxService) -> Iterator[dict[str, AgentClient]]:
    with AgentHub(service, host="127.0.0.1", port=0, options=TEST_OPTIONS) as hub:
        clients = {}
        for role in ROLES:
            add_account(f"perm-{role}", role, PASSWORD)
            client = AgentClient(hub.address)
            assert client.login(f"perm-{role}", extension="018")["ok"]
            clients[role] = client
        yield clients
        for client in clients.values():
            client.close()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_permission_per_role_per_action(role_clients: dict[str, AgentClient], role: str,
                                        action: str) -> None:
    params: dict[str, Any] = _PARAMS.get(action, {})
    answer = role_clients[role].request(action, **params)
    module = ACTIONS[action].module
    if (role == "operator" and role_allows(role, ACTIONS[action].role) and module
            and module not in _OPERATOR_MODULES):
        assert answer["error"]["code"] == "forbidden", answer
        assert f"console module {module!r}" in answer["error"]["message"]
    elif role_allows(role, ACTIONS[action].role):
        assert answer.get("error", {}).get("code") != "forbidden", answer
    else:
        assert answer["error"] == {"code": "forbidden",
                                   "message": f"action {action!r} needs role "
                                              f"{ACTIONS[action].role}"}
