"""``callcenter-server extensions names|name``: on the store when no service runs, through
the running service (the real ServerRuntime with its hub and the simulator) when one does:
every session then gets the new name in a new snapshot."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account
from callcenter.server.cli.main import main
from callcenter.server.runtime import ServerRuntime
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.pbxlink_support import FAST, no_leaked_threads
from tests.server.store_fixtures import StoreTarget

__all__ = ["no_leaked_threads"]

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    str(ROOT / d) for d in ("common", "pbxsim", "server", "crm_client"))}


def extensions(target: StoreTarget, *argv: str) -> tuple[int, str, str]:
    """The command in this process (no service runs for the folder)."""
    extra = ["--db", target.url] if target.url else []
    action, *rest = argv
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(["extensions", action, "--data", str(target.data_dir), *extra, *rest])
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def test_names_on_the_store(store_db: StoreTarget) -> None:
    code, out, _ = extensions(store_db, "names")
    assert (code, out) == (0, "no extension port has a name\n")
    code, out, _ = extensions(store_db, "name", "001", " 前台 ")
    assert code == 0 and out.startswith("001: 前台\n") and "next start" in out
    assert extensions(store_db, "name", "012", "Sales 1")[0] == 0
    code, out, _ = extensions(store_db, "names")
    assert code == 0 and out.splitlines() == ["PORT  NAME", "001   前台", "012   Sales 1"]
    code, out, _ = extensions(store_db, "name", "012", "")
    assert code == 0 and out.startswith("012: no name")
    assert extensions(store_db, "names")[1].splitlines()[1:] == ["001   前台"]


@pytest.mark.parametrize(("argv", "named"), [
    (("name", "1", "x"), "PORT: '1' is not an extension port"),
    (("name", "000", "x"), "PORT"),
    (("name", "001", "x" * 33), "TEXT: the name of 001 has 33 characters; at most 32"),
    (("name", "001", "a\tb"), "TEXT: the name of 001 must not contain control characters"),
])
def test_bad_input_exits_2_naming_it(store_db: StoreTarget, argv: tuple[str, ...],
                                     named: str) -> None:
    code, out, err = extensions(store_db, *argv)
    assert code == 2 and out == "" and named in err, err
    assert extensions(store_db, "names")[1] == "no extension port has a name\n"


def test_a_folder_without_server_data_exits_1(tmp_path: Path) -> None:
    code, _, err = extensions(StoreTarget("sqlite", tmp_path / "none", None), "names")
    assert code == 1 and "extensions names" in err
    assert not (tmp_path / "none").exists()


# ---------------------------------------------------------------------- while it runs

def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "callcenter.server", "extensions", *args,
                             "--data", str(data_dir)], capture_output=True, text=True,
                            env=ENV, timeout=120, check=False)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerRuntime, Path]]:
    data_dir = tmp_path_factory.mktemp("names-service")
    with Simulator(SimulatorConfig(seed=5)) as sim, \
            ServerRuntime(sim.url, data_dir, agent_port=0, agent_host="127.0.0.1",
                          sync_clock=False, link_options=FAST) as runtime:
        runtime.service.wait_ready(20)
        yield runtime, data_dir


def test_names_go_through_the_running_service(running: tuple[ServerRuntime, Path]) -> None:
    runtime, data_dir = running
    add_account("names-cli-amy", "agent", PASSWORD)  # the runtime's store, in this process
    assert runtime.hub is not None
    with AgentClient(runtime.hub.address) as amy:
        assert amy.login("names-cli-amy", extension="004")["ok"]
        amy.wait_event("snapshot")
        done = run(data_dir, "name", "003", "客服")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("003: 客服\n") and "running service" in done.stdout
        snapshot = amy.wait_event("snapshot")
        assert [e["name"] for e in snapshot["extensions"] if e["port"] == "003"] == ["客服"]
    listed = run(data_dir, "names")
    assert listed.returncode == 0 and listed.stdout.splitlines() == ["PORT  NAME", "003   客服"]
    lacking = run(data_dir, "name", "025", "x")
    assert lacking.returncode == 2 and lacking.stdout == ""
    assert "PORT: the PBX has no extension port 025" in lacking.stderr
