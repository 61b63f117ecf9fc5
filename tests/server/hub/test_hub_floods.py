"""Floods against the hub (issue 10, items 2 and 7): one host holding idle sockets or
pipelining logins cannot keep others out, the password checks stay bounded, and messages are
limited per account and kept only for the retention.  Real hub on 127.0.0.1, real sockets;
the second host is 127.0.0.2 (all of 127/8 is loopback on Linux)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from callcenter.server.accounts import passwords
from callcenter.server.accounts.service import message_history, record_message
from callcenter.server.hub import AgentHub
from callcenter.server.store.account_models import AgentMessage
from callcenter.server.store.models import utc_now
from callcenter.server.store.settings import set_setting
from tests.server.hub.agent_client import AgentClient
from tests.server.pbxlink_support import wait_until

OTHER_HOST = "127.0.0.2"


def _other_host_works() -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind((OTHER_HOST, 0))
        except OSError:
            return False
    return True


needs_other_host = pytest.mark.skipif(not _other_host_works(),
                                      reason=f"{OTHER_HOST} is not a loopback address here")


@needs_other_host
def test_idle_sockets_of_one_host_do_not_keep_another_out(
        make_hub: Callable[..., AgentHub], account: Callable[..., str]) -> None:
    """Before: 64 idle sockets in all filled the only cap and every login was refused."""
    hub = make_hub()  # the default caps
    account("flood-victim")
    idle: list[AgentClient] = []
    try:
        for _ in range(100):  # one host opens 100 sockets and sends nothing
            idle.append(AgentClient(hub.address))
        with AgentClient(hub.address, source=OTHER_HOST) as other:
            answer = other.login("flood-victim", extension="011")
            assert answer["ok"], answer
        # Each client has read its hello, so the hub has admitted or refused it already.
        limit = hub.options.max_unauthenticated_per_address
        wait_until(lambda: hub.call(lambda: len(hub.handler.sessions)) == limit, 10,
                   f"{limit} connections of 127.0.0.1 kept, the others refused")
        refused = idle[-1].read()
        assert refused["id"] is None and refused["error"]["code"] == "rate_limited"
        assert "127.0.0.1" in refused["error"]["message"]
    finally:
        for client in idle:
            client.close()


def test_the_global_cap_still_holds(make_hub: Callable[..., AgentHub]) -> None:
    hub = make_hub(max_unauthenticated=3, max_unauthenticated_per_address=10)
    waiting = [AgentClient(hub.address) for _ in range(3)]
    try:
        with AgentClient(hub.address) as extra:
            refused = extra.read()
            assert refused["id"] is None and refused["error"]["code"] == "rate_limited"
            assert extra.closed_by_hub(5)
    finally:
        for client in waiting:
            client.close()


def test_pipelined_logins_end_with_the_login_timeout(make_hub: Callable[..., AgentHub]
                                                     ) -> None:
    """100 wrong logins in one write: answered one at a time, and the connection closes at
    its login deadline with the rest unanswered (before: all 100 answered, 105 s)."""
    hub = make_hub(login_timeout=2.0, failure_delay=0.3)
    lines = b"".join(json.dumps({"type": "login", "id": n, "user": f"nobody-{n}",
                                 "password": "wrong-password", "extension": "001"}
                                ).encode() + b"\n" for n in range(100))
    with AgentClient(hub.address, timeout=30) as client:
        client.send_raw(lines)
        assert client.closed_by_hub(30), "the hub kept the connection past its deadline"
        answers = [r for r in client.responses if r.get("id") is not None]
    assert all(a["error"]["code"] == "auth_failed" for a in answers)
    # 2 s at 0.3 s per answer (plus scrypt): fewer than 10, nowhere near 100.
    assert len(answers) < 10, len(answers)


def test_a_login_flood_never_runs_more_than_two_password_checks(
        make_hub: Callable[..., AgentHub]) -> None:
    """40 connections each pipelining unknown-user logins (each a full scrypt, as for a
    known user): the process never hashes more than MAX_CONCURRENT_HASHES at once."""
    hub = make_hub(login_timeout=3.0, failure_delay=0.0)
    checks_before = passwords.checks_done
    passwords.hashing_peak = passwords.hashing_now
    lines = b"".join(json.dumps({"type": "login", "id": n, "user": f"ghost-{n}",
                                 "password": "wrong-password", "extension": "001"}
                                ).encode() + b"\n" for n in range(20))
    clients = [AgentClient(hub.address, timeout=30) for _ in range(32)]
    try:
        for client in clients:
            client.send_raw(lines)
        for client in clients:
            assert client.closed_by_hub(30)
    finally:
        for client in clients:
            client.close()
    assert passwords.checks_done > checks_before + 5  # unknown users cost a scrypt each
    assert passwords.hashing_peak <= passwords.MAX_CONCURRENT_HASHES


def test_sessions_per_account_are_bounded(make_hub: Callable[..., AgentHub],
                                          account: Callable[..., str]) -> None:
    hub = make_hub(max_sessions_per_account=2)
    account("flood-many")
    clients = [AgentClient(hub.address) for _ in range(3)]
    try:
        assert clients[0].login("flood-many", extension="012")["ok"]
        assert clients[1].login("flood-many", extension="012")["ok"]
        third = clients[2].login("flood-many", extension="012")
        assert third["error"]["code"] == "rate_limited", third
        clients[0].close()
        wait_until(lambda: hub.call(lambda: sum(
            1 for s in hub.handler.sessions if s.user == "flood-many")) == 1, 5, "closed")
        assert clients[2].login("flood-many", extension="012")["ok"]
    finally:
        for client in clients:
            client.close()


def test_messages_are_limited_per_account(make_hub: Callable[..., AgentHub],
                                          account: Callable[..., str]) -> None:
    """Before: every message was accepted and stored (4 agents, 26.5 MB in 20 s)."""
    hub = make_hub(message_rate=0.01, message_burst=5)
    account("chatty")
    with AgentClient(hub.address) as first, AgentClient(hub.address) as second:
        for client in (first, second):  # two connections: the bucket is the account's
            assert client.login("chatty", extension="013")["ok"]
        answers = [c.request("send_message", to="ALL", text="spam")
                   for _ in range(5) for c in (first, second)]
    codes = [a["error"]["code"] if not a["ok"] else "ok" for a in answers]
    assert codes.count("ok") == 5 and codes.count("rate_limited") == 5, codes
    stored = [m for m in message_history("chatty") if m.sender == "chatty"]
    assert len(stored) == 5


def test_messages_past_the_retention_are_deleted(make_hub: Callable[..., AgentHub]) -> None:
    set_setting("agent.message_retention_days", "30", "test")
    try:
        now = utc_now()
        record_message("old-sender", "ALL", "31 days old", 0, now=now - timedelta(days=31))
        record_message("old-sender", "ALL", "29 days old", 0, now=now - timedelta(days=29))
        make_hub()  # deletes at start, then every message_purge_interval

        def texts() -> set[str]:
            return {str(m.text) for m in AgentMessage.select().where(
                AgentMessage.sender == "old-sender")}
        wait_until(lambda: "31 days old" not in texts(), 5, "the old message deleted")
        assert texts() == {"29 days old"}
    finally:
        set_setting("agent.message_retention_days", "90", "test")
