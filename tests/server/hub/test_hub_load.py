"""Many clients and slow clients: 200 logged-in clients all get a ring; a client that
stops reading overflows and is dropped while the others keep getting their events."""

from __future__ import annotations

from collections.abc import Callable

from callcenter.pbxsim.app import Simulator
from callcenter.server.accounts import add_account, hash_password
from callcenter.server.hub import AgentHub
from callcenter.server.store.account_models import Account
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.pbxlink_support import ask, wait_until

CROWD = 200


def cheap_account(user: str) -> None:
    """An account whose stored hash has a low scrypt cost: verification uses the parameters
    stored with the hash, so 200 logins do not spend 200 x 70 ms of CPU in this test."""
    add_account(user, "agent", PASSWORD)
    Account.update(password_hash=hash_password(PASSWORD, n=2**8)).where(
        Account.user == user).execute()


def test_200_clients_all_get_the_ring(sim: Simulator, make_hub: Callable[..., AgentHub]
                                      ) -> None:
    # One address and one account for all: the caps of issue 10 raised for this test.
    hub = make_hub(max_unauthenticated_per_address=50, max_sessions_per_account=CROWD)
    cheap_account("crowd")
    clients: list[AgentClient] = []
    try:
        for _ in range(0, CROWD, 50):  # batches below the cap on unauthenticated connections
            batch = [AgentClient(hub.address, timeout=20) for _n in range(50)]
            clients += batch
            for client in batch:
                client.send({"type": "login", "id": "in", "user": "crowd",
                             "password": PASSWORD, "extension": "002"})
            for client in batch:
                assert client.read_response("in")["ok"]
                assert client.wait_event("snapshot", timeout=20)["seq"] == 1
        assert hub.call(lambda: len(hub.handler.active)) == CROWD
        rung = ask(sim, {"cmd": "ring", "extension": "002", "caller": "13800138000"})
        for client in clients:
            ring = client.wait_event("ring", timeout=20)
            assert (ring["call_id"], ring["caller"]) == (rung["call_id"], "13800138000")
        ask(sim, {"cmd": "hangup", "extension": "002"})
        for client in clients:
            assert client.wait_event("hangup", timeout=20)["answered"] is False
    finally:
        for client in clients:
            client.close()
    wait_until(lambda: hub.call(lambda: len(hub.handler.sessions)) == 0, 10, "all closed")


def test_stalled_client_overflows_and_others_are_not_slowed(
        sim: Simulator, make_hub: Callable[..., AgentHub]) -> None:
    hub = make_hub(queue_limit=50, write_buffer=16 * 1024, send_buffer=16 * 1024,
                   close_grace=5.0, message_burst=100)  # messages as fast as they go
    for user in ("stall-sender", "stall-healthy", "stall-stuck"):
        add_account(user, "agent", PASSWORD)
    clients = {}
    for user, port in (("stall-sender", "003"), ("stall-healthy", "004"),
                       ("stall-stuck", "005")):
        client = AgentClient(hub.address, rcvbuf=4096 if user == "stall-stuck" else None)
        assert client.login(user, extension=port)["ok"]
        client.wait_event("snapshot")
        clients[user] = client
    sender, healthy, stuck = (clients["stall-sender"], clients["stall-healthy"],
                              clients["stall-stuck"])
    try:
        text = "慢" * 2000  # 6 KB a message event
        sent = 0
        while hub.call(lambda: len(hub.handler.active)) == 3:
            assert sent < 90, "the stalled client never overflowed"
            answer = sender.request("send_message", to="ALL", text=text)
            assert answer["ok"], answer
            sent += 1
            assert healthy.wait_event("message")["text"] == text  # promptly, every one
        assert sent > 10
        # The PBX's events still reach the others at once.
        ask(sim, {"cmd": "ring", "extension": "004", "caller": "13900000004"})
        assert healthy.wait_event("ring")["caller"] == "13900000004"
        # The stalled client finds the overflow event at the end of what it was sent.
        assert stuck.closed_by_hub(10)
        names = [e["event"] for e in stuck.events]
        assert names[-1] == "overflow" and names.count("message") < sent
        overflow = stuck.events[-1]
        assert overflow["limit"] == 50
        seqs = [e["seq"] for e in stuck.events]
        assert seqs[-1] > seqs[-2] + 1  # the lost events show as a gap
    finally:
        for client in clients.values():
            client.close()
