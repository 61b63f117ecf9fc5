"""``callcenter-crm`` without a subcommand, as a process of its own: the unattended start
connects to the real hub (another agent sees it logged in) and SIGTERM closes it cleanly;
a bad flag or a missing display is said in one line (exit 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from callcenter.common.agent.client import HubClient
from tests.crm.conftest import PASSWORD, wait_until
from tests.crm.gui.window_support import display, window_xvfb

__all__ = ["display", "window_xvfb"]

MAIN = "import sys; from callcenter.crm_client.cli import main; sys.exit(main())"


def crm(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", MAIN, *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def logged_in(client: HubClient) -> set[str]:
    agents: list[dict[str, Any]] = client.request("agents")["agents"]
    return {str(agent["user"]) for agent in agents}


def test_the_command_starts_unattended_and_sigterm_closes_it(
        display: str, hub_address: tuple[str, int], agent_account: Callable[..., str],
        tmp_path: Path) -> None:
    user = agent_account("proc-kim")
    watcher = agent_account("proc-watch")
    env = {**os.environ, "DISPLAY": display, "CALLCENTER_PASSWORD": PASSWORD}
    process = crm("--data", str(tmp_path / "data"), "--server",
                  f"{hub_address[0]}:{hub_address[1]}", "--extension", "022", "--user", user,
                  "--device", "headset", env=env)
    try:
        with HubClient(*hub_address, timeout=5) as client:
            client.login(watcher, PASSWORD, extension="023")
            wait_until(lambda: user in logged_in(client) or process.poll() is not None, 30,
                       "the window's agent logged in")
            assert process.poll() is None, process.communicate()
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0
            wait_until(lambda: user not in logged_in(client), 10, "the agent gone")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    _out, err = process.communicate()
    assert "Traceback" not in err
    assert (tmp_path / "data" / "crm.db").exists()


def test_a_bad_flag_or_no_display_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    bad = crm("--data", str(tmp_path), "--extension", "1", env=env)
    out, err = bad.communicate(timeout=60)
    assert bad.returncode == 2 and "--extension '1'" in err and "Traceback" not in err
    headless = crm("--data", str(tmp_path), "--server", "127.0.0.1:9", "--extension", "001",
                   "--user", "nobody", env={**env, "CALLCENTER_PASSWORD": "x"})
    out, err = headless.communicate(timeout=60)
    assert headless.returncode == 2, (out, err)
    assert "no display" in err and "Traceback" not in err
