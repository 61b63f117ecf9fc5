"""``callcenter-server rooms ...`` as subprocesses with no flag but ``--data DIR`` while the
service runs for DIR (the real ServerRuntime with its hub, store and the simulator): money
changes go through the service, which sets the PBX switch at once; ports the PBX lacks are
refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.runtime import ServerRuntime
from tests.server.pbxlink_support import FAST, ask, no_leaked_threads, wait_until

__all__ = ["no_leaked_threads"]

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    str(ROOT / d) for d in ("common", "pbxsim", "server", "crm_client"))}


def rooms(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "callcenter.server", "rooms", *args,
                             "--data", str(data_dir)], capture_output=True, text=True,
                            env=ENV, timeout=120, check=False)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    data_dir = tmp_path_factory.mktemp("rooms-service")
    with Simulator(SimulatorConfig(seed=5)) as sim, \
            ServerRuntime(sim.url, data_dir, agent_port=0, agent_host="127.0.0.1",
                          sync_clock=False, link_options=FAST) as runtime:
        runtime.service.wait_ready(20)
        yield sim, data_dir


def test_ports_the_pbx_lacks_are_refused(running: tuple[Simulator, Path]) -> None:
    _, data_dir = running
    for port in ("025", "999"):
        result = rooms(data_dir, "topup", port, "5")
        assert result.returncode == 2 and result.stdout == ""
        assert (f"rooms topup: PORT '{port}': this PBX has 24 extension ports (allowed: "
                "001-024)") in result.stderr


def test_money_changes_go_through_the_service(running: tuple[Simulator, Path]) -> None:
    sim, data_dir = running
    done = rooms(data_dir, "topup", "005", "1")
    assert done.returncode == 0, done.stderr
    assert "room 005: balance 1.00 (PBX to be set to normal class)" in done.stdout
    assert "recorded by the running service" in done.stdout
    over = rooms(data_dir, "adjust", "005", "-2")
    assert over.returncode == 0 and "balance -1.00 (PBX to be set to over limit)" in over.stdout
    wait_until(lambda: ask(sim, {"cmd": "get", "key": "extension.005.over_limit"})["value"]
               == "on", 20, "the service to set the over-limit switch")
    assert rooms(data_dir, "topup", "005", "5").returncode == 0
    wait_until(lambda: ask(sim, {"cmd": "get", "key": "extension.005.over_limit"})["value"]
               == "off", 20, "the service to clear the over-limit switch")
    ledger = rooms(data_dir, "ledger", "005")
    assert ledger.returncode == 0 and ledger.stdout.count("cli:") == 3
    bad = rooms(data_dir, "adjust", "005", "0")
    assert bad.returncode == 2 and "AMOUNT '0'" in bad.stderr
    never = rooms(data_dir, "clear", "006")
    assert never.returncode == 2 and "never been topped up" in never.stderr
