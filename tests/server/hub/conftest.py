"""Fixtures of the agent-hub tests: the real simulator over TCP, the real service and store,
the hub on 127.0.0.1 with a free port, accounts, clients.  The store fixtures come from
tests/server/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account, find_account
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.pbx.service import PbxService
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import FAST, make_intake, no_leaked_threads

__all__ = ["no_leaked_threads"]


# One simulator and service per test module (stopping a service takes 0.3 s); each test
# starts its own hub (milliseconds) and uses its own user names and extension ports.
@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(seed=1)) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def service(sim: Simulator, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[PbxService]:
    data = tmp_path_factory.mktemp("data")
    with PbxService(sim.url, data, sink=make_intake(data), link_options=FAST) as svc:
        svc.wait_ready(20)
        yield svc


@pytest.fixture
def make_hub(service: PbxService) -> Iterator[Callable[..., AgentHub]]:
    hubs: list[AgentHub] = []

    def make(**options: Any) -> AgentHub:
        base = {**TEST_OPTIONS.__dict__, **options}
        hub = AgentHub(service, host="127.0.0.1", port=0, options=HubOptions(**base))
        hub.start()
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def hub(make_hub: Callable[..., AgentHub]) -> AgentHub:
    return make_hub()


@pytest.fixture
def account(service: PbxService) -> Callable[..., str]:
    """``account(user, role="agent", port="")`` creates it with password PASSWORD."""
    def make(user: str, role: str = "agent", port: str = "") -> str:
        found = find_account(user)  # the store lives as long as the module's service
        if found is None:
            add_account(user, role, PASSWORD, port=port)
        else:
            assert (found.role, found.bound_port) == (role, port), "user name used twice"
        return user
    return make


@pytest.fixture
def connect(hub: AgentHub) -> Iterator[Callable[..., AgentClient]]:
    clients: list[AgentClient] = []

    def make(**kwargs: Any) -> AgentClient:
        client = AgentClient(hub.address, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def agent(connect: Callable[..., AgentClient], account: Callable[..., str]
          ) -> Callable[..., AgentClient]:
    """``agent(user, extension, role="agent", device="headset")``: a logged-in client whose
    snapshot has been read."""
    def make(user: str, extension: str, role: str = "agent", device: str = "headset",
             create: bool = True) -> AgentClient:
        if create:
            account(user, role)
        client = connect()
        answer = client.login(user, extension=extension, device=device)
        assert answer["ok"], answer
        client.wait_event("snapshot")
        return client
    return make
