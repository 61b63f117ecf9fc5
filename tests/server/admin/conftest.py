"""Fixtures of the admin-API tests: the real simulator over TCP, the real service and store,
the hub on 127.0.0.1 with a free port and an ``AdminBackend``, console sessions.

One simulator and service per test module; each test starts its own hub.  Tests that change
the PBX's parameters must put back what they changed (or use their own ports), because the
module's other tests share the simulator.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account, find_account
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.hub.admin import AdminBackend
from callcenter.server.pbx.service import PbxService
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import FAST, make_intake, no_leaked_threads

__all__ = ["no_leaked_threads"]

TOKEN = secrets.token_hex(16)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(seed=1)) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def service(sim: Simulator, data_dir: Path) -> Iterator[PbxService]:
    with PbxService(sim.url, data_dir, sink=make_intake(data_dir), link_options=FAST) as svc:
        svc.wait_ready(20)
        yield svc


@pytest.fixture
def backend(service: PbxService, data_dir: Path) -> AdminBackend:
    return AdminBackend(service, data_dir, token=TOKEN)


@pytest.fixture
def hub(service: PbxService, backend: AdminBackend) -> Iterator[AgentHub]:
    with AgentHub(service, host="127.0.0.1", port=0, options=HubOptions(
            **TEST_OPTIONS.__dict__), admin=backend) as running:
        yield running


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
def console(connect: Callable[..., AgentClient], account: Callable[..., str]
            ) -> Callable[..., AgentClient]:
    """``console(user, role="admin")``: a logged-in console session (no extension port)
    whose snapshot has been read."""
    def make(user: str, role: str = "admin", extension: str = "") -> AgentClient:
        account(user, role)
        client = connect()
        answer = client.login(user, extension=extension)
        assert answer["ok"], answer
        client.wait_event("snapshot")
        return client
    return make


@pytest.fixture
def admin(console: Callable[..., AgentClient]) -> AgentClient:
    return console("admin-t", "admin")


@pytest.fixture
def operator(console: Callable[..., AgentClient]) -> AgentClient:
    return console("oper-t", "operator")
