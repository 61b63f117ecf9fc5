"""Extension names (protocol 1.2): the admin API's ``extension_names`` and
``extension_names_set`` against the real hub and simulator; the snapshot carries the names,
a change sends every session a new snapshot, a hub that starts again still has them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callcenter.server.accounts.extension_names import extension_names
from callcenter.server.hub import AgentHub
from callcenter.server.store.models import AuditEntry
from tests.server.hub.agent_client import AgentClient
from tests.server.hub.test_hub_actions import checked, ok

Agent = Callable[..., AgentClient]


def _console(connect: Callable[..., AgentClient], account: Callable[..., str], user: str,
             role: str) -> AgentClient:
    account(user, role)
    client = connect()
    assert client.login(user, extension="")["ok"]
    client.wait_event("snapshot")
    return client


def _names(snapshot: dict[str, Any]) -> dict[str, str]:
    return {e["port"]: e["name"] for e in snapshot["extensions"] if e["name"]}


def test_names_set_by_an_admin_reach_every_session_in_a_new_snapshot(
        agent: Agent, connect: Callable[..., AgentClient], account: Callable[..., str]
        ) -> None:
    admin = _console(connect, account, "names-admin", "admin")
    alice = agent("names-alice", "003")
    done = ok(admin.request("extension_names_set", names={"001": "前台", "002": "销售一"}),
              "extension_names_set")
    assert done["names"] == {"001": "前台", "002": "销售一"}
    snapshot = checked(alice.wait_event("snapshot"))
    assert _names(snapshot) == {"001": "前台", "002": "销售一"}
    assert [e["number"] for e in snapshot["extensions"][:2]] == ["8001", "8002"]

    listed = ok(admin.request("extension_names"), "extension_names")
    assert listed["names"] == {"001": "前台", "002": "销售一"}

    ok(admin.request("extension_names_set", names={"002": ""}), "extension_names_set")
    assert _names(alice.wait_event("snapshot")) == {"001": "前台"}
    assert extension_names() == {"001": "前台"}
    audit = [(a.who, a.key, a.old, a.new) for a in AuditEntry.select()
             .where(AuditEntry.what == "extension name").order_by(AuditEntry.id)]
    assert audit[-1] == ("names-admin", "extension.002.name", "销售一", None)


def test_bad_names_are_refused_naming_the_field_and_nothing_changes(
        connect: Callable[..., AgentClient], account: Callable[..., str]) -> None:
    admin = _console(connect, account, "names-admin2", "admin")
    before = ok(admin.request("extension_names"), "extension_names")["names"]
    for names, code, named in (
            ({}, "bad_request", "field 'names'"),
            ({"004": 5}, "bad_request", "field 'names.004'"),
            ({"004": "x" * 33}, "bad_request", "field 'names.004': the name of 004 has 33"),
            ({"004": "a\nb"}, "bad_request", "field 'names.004'"),
            ({"4": "x"}, "bad_request", "field 'names.4'"),
            ({"004": "好", "099": "x"}, "not_found", "no extension port 099")):
        answer = admin.request("extension_names_set", names=names)
        assert answer["error"]["code"] == code, (names, answer)
        assert named in answer["error"]["message"], (names, answer)
    assert ok(admin.request("extension_names"), "extension_names")["names"] == before


def test_who_may_read_and_set_names(agent: Agent, connect: Callable[..., AgentClient],
                                    account: Callable[..., str]) -> None:
    operator = _console(connect, account, "names-oper", "operator")
    ok(operator.request("extension_names"), "extension_names")
    refused = operator.request("extension_names_set", names={"005": "x"})
    assert refused["error"]["code"] == "forbidden"
    bob = agent("names-bob", "006")  # agents have the names in the snapshot
    for action, params in (("extension_names", {}), ("extension_names_set",
                                                     {"names": {"005": "x"}})):
        assert bob.request(action, **params)["error"]["code"] == "forbidden"


def test_a_hub_that_starts_again_carries_the_names(
        hub: AgentHub, make_hub: Callable[..., AgentHub], connect: Callable[..., AgentClient],
        account: Callable[..., str]) -> None:
    admin = _console(connect, account, "names-admin3", "admin")
    ok(admin.request("extension_names_set", names={"007": "仓库"}), "extension_names_set")
    hub.stop()
    later = make_hub()
    account("names-carl")
    with AgentClient(later.address) as carl:
        assert carl.login("names-carl", extension="008")["ok"]
        assert _names(carl.wait_event("snapshot"))["007"] == "仓库"
