"""Shared fixtures of the CRM client tests: the real simulator over TCP, the whole server
(``ServerRuntime``: PBX link, store, agent hub on 127.0.0.1 with a free port), agent accounts,
a PBX driver that rings extensions, and a local CRM store.

- ``sim`` (module): the simulator; ``runtime`` (module): the server on it, PBX link ready;
  ``hub_address``: (host, port) of its hub.
- ``agent_account(user, port="")``: creates (once per module) an agent account with password
  ``PASSWORD``; returns the user name.
- ``pbx``: a ``Pbx`` driving the simulator's control port (``ring``, ``answer``, ``hangup``,
  ``offhook``, ``state``); after the test every port is hung up (the module shares one
  simulator: use your own extension ports per test).
- ``crm_store``: a standalone ``CrmStore`` in a fresh data folder (``crm_data``).
- ``crm_app(user, port, device="headset", store=None, journal=True)``: a ``CrmApp`` on the
  hub (the account made, connected, its snapshot applied) and its ``Updates`` (every
  ``AppUpdate`` it reported, ``wait_for(kind, test)``); closed after the test.
- ``wait_until`` (re-exported): a bounded poll.

GUI tests use them too (tests/crm/gui): ``from tests.crm.conftest import PASSWORD, Pbx``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.crm_client.app import AppUpdate, CrmApp
from callcenter.crm_client.settings import CrmSettings
from callcenter.crm_client.store import CrmStore
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account, find_account
from callcenter.server.runtime import ServerRuntime
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import FAST, ask, wait_until

__all__ = ["PASSWORD", "Pbx", "Updates", "wait_until"]

#: Password of every account made by ``agent_account``.
PASSWORD = "crm-s3cret-pw"


class Pbx:
    """The simulator's control port, for tests: make calls happen at extension ports."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        return ask(self.sim, request)

    def ring(self, port: str, caller: str, trunk: str = "") -> int:
        """An outside call from ``caller`` (digits) rings ``port``; its call_id."""
        request: dict[str, Any] = {"cmd": "ring", "extension": port, "caller": caller}
        if trunk:
            request["trunk"] = trunk
        return int(self.ask(request)["call_id"])

    def answer(self, port: str) -> int:
        """The phone at ``port`` answers its ringing call (the handset lifted)."""
        return int(self.ask({"cmd": "answer", "extension": port}).get("call_id", 0))

    def hangup(self, port: str) -> None:
        self.ask({"cmd": "hangup", "extension": port})

    def caller_hangs_up(self, trunk: str) -> None:
        self.ask({"cmd": "hangup", "trunk": trunk})

    def offhook(self, port: str) -> None:
        self.ask({"cmd": "offhook", "extension": port})

    def dial(self, port: str, digits: str) -> None:
        """The phone at ``port`` dials ``digits`` itself (off-hook first)."""
        self.ask({"cmd": "dial", "extension": port, "digits": digits})

    def state(self) -> dict[str, Any]:
        return self.ask({"cmd": "state"})

    def extension(self, port: str) -> dict[str, Any]:
        return next(e for e in self.state()["extensions"] if e["port"] == port)

    def all_idle(self) -> None:
        for e in self.state()["extensions"]:
            if e["state"] != "idle" or e["call_id"]:
                self.hangup(e["port"])


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(seed=1)) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def runtime(sim: Simulator, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[ServerRuntime]:
    data = tmp_path_factory.mktemp("server-data")
    server = ServerRuntime.embed(sim.url, data, agent_port=0, agent_host="127.0.0.1",
                                 sync_clock=False, link_options=FAST, hub_options=TEST_OPTIONS)
    try:
        server.service.wait_ready(20)
        yield server
    finally:
        server.stop()


@pytest.fixture
def hub_address(runtime: ServerRuntime) -> tuple[str, int]:
    return runtime.hub_address


@pytest.fixture
def agent_account(runtime: ServerRuntime) -> Callable[..., str]:
    """``agent_account(user, port="", role="agent")``: the account, made with PASSWORD."""
    def make(user: str, port: str = "", role: str = "agent") -> str:
        found = find_account(user)  # the server's store lives as long as the module's runtime
        if found is None:
            add_account(user, role, PASSWORD, port=port)
        else:
            assert (found.role, found.bound_port) == (role, port), "user name used twice"
        return user
    return make


@pytest.fixture
def pbx(sim: Simulator) -> Iterator[Pbx]:
    driver = Pbx(sim)
    yield driver
    driver.all_idle()


@pytest.fixture
def crm_data(tmp_path: Path) -> Path:
    folder = tmp_path / "crm-data"
    folder.mkdir()
    return folder


@pytest.fixture
def crm_store(crm_data: Path) -> Iterator[CrmStore]:
    store = CrmStore.open(crm_data)
    try:
        yield store
    finally:
        store.close()


class Updates:
    """Every ``AppUpdate`` a CrmApp reported (thread-safe), and bounded waits for them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[AppUpdate] = []

    def __call__(self, update: AppUpdate) -> None:
        with self.lock:
            self.items.append(update)

    def of(self, kind: str) -> list[AppUpdate]:
        with self.lock:
            return [u for u in self.items if u.kind == kind]

    def wait_for(self, kind: str, test: Callable[[AppUpdate], object] = lambda u: True,
                 timeout: float = 10.0) -> AppUpdate:
        found: list[AppUpdate] = []

        def seen() -> bool:
            found[:] = [u for u in self.of(kind) if test(u)]
            return bool(found)
        wait_until(seen, timeout, f"an update {kind!r}")
        return found[0]


@pytest.fixture
def crm_app(hub_address: tuple[str, int], crm_store: CrmStore, crm_data: Path,
            agent_account: Callable[..., str]) -> Iterator[Callable[..., tuple[CrmApp, Updates]]]:
    apps: list[CrmApp] = []

    def make(user: str, port: str, device: str = "headset", store: CrmStore | None = None,
             journal: bool = True) -> tuple[CrmApp, Updates]:
        agent_account(user)
        settings = CrmSettings(server_host=hub_address[0], server_port=hub_address[1],
                               extension=port, device=device, user=user)
        updates = Updates()
        app = CrmApp(store or crm_store, settings, listener=updates,
                     journal=crm_data / f"open-calls-{port}.json" if journal else None)
        apps.append(app)
        app.connect(PASSWORD)
        wait_until(lambda: app.online and app.desk.synced, 10,
                   f"{user} online (now {app.status.state}: {app.status.message})")
        return app, updates

    yield make
    for app in apps:
        app.close()


def poll(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition"
         ) -> None:
    """``wait_until`` under another name, for modules that define their own wait."""
    wait_until(condition, timeout, what)
