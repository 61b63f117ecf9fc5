"""The one composition root: the whole service embedded in a program, stopped and started
again in one process, found by commands through DIR/service.json."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from callcenter.common.agent.client import HubClient, RequestFailed
from callcenter.pbxsim.app import Simulator
from callcenter.server.cli.common import running_service
from callcenter.server.demo import DemoConfig
from callcenter.server.prepaid.ledger import all_states
from callcenter.server.runtime import ServerRuntime
from callcenter.server.service_file import SERVICE_FILE, read_service_file
from tests.server.pbxlink_support import no_leaked_threads, sim, wait_until

__all__ = ["no_leaked_threads", "sim"]


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.is_alive()}


def test_embedded_twice_in_one_process_leaves_nothing_running(sim: Simulator,
                                                              tmp_path: Path) -> None:
    before = threading.active_count()
    for _round in range(2):
        runtime = ServerRuntime.embed(sim.url, tmp_path, agent_port=0, agent_host="127.0.0.1",
                                      sync_clock=False)
        try:
            runtime.service.wait_ready(20)
            info = read_service_file(tmp_path)
            assert info is not None and info.port == runtime.hub_address[1]
            assert info.host == "127.0.0.1" and len(info.token) == 32
            mode = stat.S_IMODE((tmp_path / SERVICE_FILE).stat().st_mode)
            assert mode == 0o600, oct(mode)
            client = running_service(tmp_path)
            assert client is not None
            with client:
                answer = client.request("whoami")
                assert answer["role"] == "admin" and answer["user"].startswith("cli:")
                assert answer["data_dir"] == str(tmp_path)
        finally:
            runtime.stop()
        assert not (tmp_path / SERVICE_FILE).exists()
        runtime.stop()  # idempotent
    wait_until(lambda: threading.active_count() <= before, 10, "threads to end")
    assert running_service(tmp_path) is None


def test_a_stale_service_file_is_ignored(sim: Simulator, tmp_path: Path) -> None:
    runtime = ServerRuntime.embed(sim.url, tmp_path, agent_port=0, agent_host="127.0.0.1",
                                  sync_clock=False)
    stale = (tmp_path / SERVICE_FILE).read_bytes()
    runtime.stop()
    (tmp_path / SERVICE_FILE).write_bytes(stale)  # as a killed service leaves it
    assert running_service(tmp_path) is None


def test_the_token_is_checked(sim: Simulator, tmp_path: Path) -> None:
    with ServerRuntime(sim.url, tmp_path, agent_port=0, agent_host="127.0.0.1",
                       sync_clock=False) as runtime:
        host, port = runtime.hub_address
        with HubClient(host, port) as client:
            try:
                client.login("cli:intruder", token="0" * 32)
            except RequestFailed as exc:
                assert exc.code == "auth_failed"
            else:
                raise AssertionError("a wrong token logged in")


def test_demo_runs_its_simulator_inside_the_runtime(tmp_path: Path) -> None:
    before = _threads()
    runtime = ServerRuntime.embed("", tmp_path, agent_port=0, agent_host="127.0.0.1",
                                  sync_clock=False, demo=DemoConfig(traffic=0))
    try:
        assert runtime.simulator is not None
        identity = runtime.service.wait_ready(20)
        assert identity.extensions == 24
        assert (tmp_path / "demo-pbx.json").parent == tmp_path
        # without traffic no opening call, so no demo hotel (its opening call is part of it)
        assert runtime.demo_hotel is None and all_states() == []
    finally:
        runtime.stop()
    wait_until(lambda: _threads() <= before, 10, "the demo's threads to end")
