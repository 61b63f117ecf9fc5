"""AgentLink against the real hub and simulator: login and snapshot, events on the link's
thread, login errors as a status (wrong password stops, hub down retries), reconnect after
the hub stops and starts again, a seq gap resyncs, a hub of another major version is refused,
the password change state, close() within a bound."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from callcenter.common.agent.client import HubUnavailable
from callcenter.crm_client.link import AgentLink, LinkStatus
from callcenter.server.accounts import add_account
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.runtime import ServerRuntime
from tests.crm.conftest import PASSWORD, Pbx
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import no_leaked_threads, wait_until

__all__ = ["no_leaked_threads"]


class Seen:
    """What a link reported, and on which thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        self.states: list[LinkStatus] = []
        self.threads: set[str] = set()

    def on_event(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(event)
            self.threads.add(threading.current_thread().name)

    def on_state(self, status: LinkStatus) -> None:
        with self.lock:
            self.states.append(status)

    def named(self, name: str, **fields: Any) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.events if e.get("event") == name
                    and all(e.get(k) == v for k, v in fields.items())]

    def state_list(self) -> list[str]:
        with self.lock:
            return [s.state for s in self.states]


@pytest.fixture
def make_link() -> Iterator[Callable[..., tuple[AgentLink, Seen]]]:
    links: list[AgentLink] = []

    def make(address: tuple[str, int], user: str, extension: str, password: str = PASSWORD,
             **options: Any) -> tuple[AgentLink, Seen]:
        seen = Seen()
        link = AgentLink(address[0], address[1], user=user, password=password,
                         extension=extension, device="headset", on_event=seen.on_event,
                         on_state=seen.on_state, **{"backoff_min": 0.05, "backoff_max": 0.4,
                                                    **options})
        links.append(link)
        link.start()
        return link, seen

    yield make
    for link in links:
        link.close()


def test_login_snapshot_and_a_ring_on_the_links_thread(
        hub_address: tuple[str, int], agent_account: Callable[..., str], pbx: Pbx,
        make_link: Callable[..., tuple[AgentLink, Seen]]) -> None:
    link, seen = make_link(hub_address, agent_account("link-ann"), "002")
    wait_until(lambda: link.status.online and seen.named("snapshot"), 10, "online")
    status = link.status
    assert (status.user, status.extension, status.number, status.role) == (
        "link-ann", "002", "8002", "agent")
    assert status.protocol.startswith("1.") and status.session == 1
    assert seen.events[0]["event"] == "snapshot" and seen.events[0]["seq"] == 1
    assert seen.state_list()[:2] == ["connecting", "online"]
    call_id = pbx.ring("002", "13800138000")
    wait_until(lambda: seen.named("ring", call_id=call_id), 10, "the ring")
    assert seen.threads == {"crm-link"}
    assert link.request("answer")["call_id"] == call_id
    assert link.request("ping")["time"]


def test_wrong_password_stops_and_says_so(
        hub_address: tuple[str, int], agent_account: Callable[..., str],
        make_link: Callable[..., tuple[AgentLink, Seen]]) -> None:
    link, seen = make_link(hub_address, agent_account("link-bad"), "003", password="nope")
    wait_until(lambda: link.status.state == "failed", 10, "failed")
    assert link.status.code == "auth_failed"
    assert "password" in link.status.message
    with pytest.raises(HubUnavailable, match="not connected"):
        link.request("ping")
    # it does not try again by itself; reconnect() with the right password does
    assert seen.state_list().count("connecting") == 1
    link.reconnect(PASSWORD)
    wait_until(lambda: link.status.online, 10, "online after reconnect")


def test_hub_down_is_retried_and_the_link_comes_back_after_a_restart(
        runtime: ServerRuntime, agent_account: Callable[..., str],
        make_link: Callable[..., tuple[AgentLink, Seen]]) -> None:
    options = HubOptions(**TEST_OPTIONS.__dict__)
    first = AgentHub(runtime.service, host="127.0.0.1", port=0, options=options)
    first.start()
    address = first.address
    link, seen = make_link(address, agent_account("link-back"), "004")
    try:
        wait_until(lambda: link.status.online, 10, "online")
    finally:
        first.stop()
    wait_until(lambda: link.status.state == "retrying", 10, "retrying")
    # waits grow while the hub is away
    wait_until(lambda: len([s for s in seen.states if s.state == "retrying"]) >= 3, 10,
               "three attempts")
    waits = [s.retry_in for s in seen.states if s.state == "retrying"]
    assert waits[1] > waits[0] and max(waits) <= 0.4
    assert not link.status.online
    second = AgentHub(runtime.service, host="127.0.0.1", port=address[1], options=options)
    second.start()
    try:
        wait_until(lambda: link.status.online and link.status.session >= 2, 10,
                   "online again")
        wait_until(lambda: len(seen.named("snapshot", seq=1)) >= 2, 10, "a second snapshot")
        assert link.request("ping")["time"]
    finally:
        link.close()
        second.stop()


def test_a_seq_gap_reconnects_and_resyncs(
        hub_address: tuple[str, int], agent_account: Callable[..., str],
        make_link: Callable[..., tuple[AgentLink, Seen]]) -> None:
    link, seen = make_link(hub_address, agent_account("link-gap"), "005")
    wait_until(lambda: link.status.online and seen.named("snapshot"), 10, "online")
    session = link.status.session
    # as the reader would pass it: an event whose seq skips numbers (events were lost)
    link._incoming(session, {"type": "event", "event": "dnd", "seq": 9, "port": "005",
                             "on": True})
    wait_until(lambda: link.status.online and link.status.session == session + 1, 10,
               "a new session")
    assert any("events were lost" in s.message for s in seen.states if s.state == "retrying")
    assert not seen.named("dnd", seq=9)  # the event after the gap was not delivered
    wait_until(lambda: len(seen.named("snapshot", seq=1)) == 2, 10, "a new snapshot")


def test_a_hub_of_another_major_version_is_refused(
        make_link: Callable[..., tuple[AgentLink, Seen]]) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b'{"type":"hello","protocol":"2.0.0","server":"future","time":'
                         b'"2026-12-03T09:00:00+08:00","max_line":65536}\n')
            conn.settimeout(5)
            with contextlib.suppress(OSError):
                conn.recv(100)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        link, _seen = make_link(server.getsockname(), "x", "006")
        wait_until(lambda: link.status.state == "failed", 10, "failed")
        assert link.status.code == "version"
        assert "2.0.0" in link.status.message
        link.close()
    finally:
        thread.join(10)
        server.close()


def test_must_change_password_then_online(
        runtime: ServerRuntime, hub_address: tuple[str, int],
        make_link: Callable[..., tuple[AgentLink, Seen]]) -> None:
    add_account("link-new", "agent", PASSWORD, must_change_password=True)
    link, seen = make_link(hub_address, "link-new", "007")
    wait_until(lambda: link.status.state == "password_change", 10, "password change")
    assert link.status.code == "password_change_required" and not seen.named("snapshot")
    link.change_password(PASSWORD, "an0ther-passw0rd")
    wait_until(lambda: link.status.online and seen.named("snapshot"), 10, "online")


def test_close_while_waiting_returns_within_a_bound(
        make_link: Callable[..., tuple[AgentLink, Seen]]) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    address = probe.getsockname()
    probe.close()  # nothing listens there now
    link, seen = make_link(address, "nobody", "008", backoff_min=5.0, backoff_max=30.0)
    wait_until(lambda: link.status.state == "retrying", 10, "retrying")
    assert link.status.code == "unreachable" and link.status.retry_in == 5.0
    link.close(timeout=5)
    assert not link._thread.is_alive()
    assert seen.state_list()[-1] == "closed"


def test_an_overflow_reconnects_and_resyncs(
        hub_address: tuple[str, int], agent_account: Callable[..., str],
        make_link: Callable[..., tuple[AgentLink, Seen]]) -> None:
    link, seen = make_link(hub_address, agent_account("link-over"), "009")
    wait_until(lambda: link.status.online and seen.named("snapshot"), 10, "online")
    session = link.status.session
    # as the reader would pass the hub's last line to a client that read too slowly
    with link._lock:
        seq = link._expected_seq
    link._incoming(session, {"type": "event", "event": "overflow", "seq": seq,
                             "limit": 1000, "message": "client read too slowly; closing"})
    wait_until(lambda: link.status.online and link.status.session == session + 1, 10,
               "a new session")
    assert any("read too slowly" in s.message for s in seen.states if s.state == "retrying")
    # an event of the old session arriving late is dropped
    link._incoming(session, {"type": "event", "event": "dnd", "seq": seq + 1, "port": "009",
                             "on": True})
    assert not seen.named("dnd", seq=seq + 1)
