"""The CRM window under Xvfb across a restart of the hub: the real server
(``ServerRuntime``) stops and starts again on the same port; the status bar says the link is
retrying, then connected, and a ring after the reconnect pops."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.crm_client.gui.app import CrmWindowApp
from callcenter.crm_client.gui.options import GuiOptions
from callcenter.pbxsim.app import Simulator
from callcenter.server.accounts import add_account
from callcenter.server.runtime import ServerRuntime
from tests.crm.conftest import PASSWORD, Pbx
from tests.crm.gui.window_support import display, online, wait_online, window_xvfb
from tests.server.console.console_support import collect_in_this_thread, pump_until, tk_root
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import FAST

__all__ = ["collect_in_this_thread", "display", "tk_root", "window_xvfb"]


def start_server(sim: Simulator, data: Path, port: int = 0) -> ServerRuntime:
    server = ServerRuntime.embed(sim.url, data, agent_port=port, agent_host="127.0.0.1",
                                 sync_clock=False, link_options=FAST, hub_options=TEST_OPTIONS)
    try:
        server.service.wait_ready(20)
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture
def servers(sim: Simulator) -> Iterator[list[ServerRuntime]]:
    """The servers a test starts (each stopped at the end)."""
    started: list[ServerRuntime] = []
    yield started
    for server in started:
        server.stop()


def test_the_window_reconnects_after_a_hub_restart_and_pops_again(
        tk_root: tk.Tk, sim: Simulator, pbx: Pbx, servers: list[ServerRuntime],
        tmp_path: Path) -> None:
    data = tmp_path / "server-data"
    servers.append(start_server(sim, data))
    host, port = servers[0].hub_address
    add_account("rc-agent", "agent", PASSWORD)
    app = CrmWindowApp(tk_root, GuiOptions(data_dir=tmp_path / "crm", server_host=host,
                                           server_port=port, extension="001", user="rc-agent",
                                           device="headset", password=PASSWORD),
                       confirm=lambda _t, _x: True)
    app.ctx.extra["modeless"] = True
    try:
        app.start()
        wait_online(tk_root, app)
        assert app.status_bar.text("link").startswith("已连接")
        servers[0].stop()  # the hub goes away
        pump_until(tk_root, lambda: app.status.state == "retrying", timeout=20,
                   what="the link retrying")
        assert app.status_bar.text("link").startswith("未连接")
        assert not online(app)
        servers.append(start_server(sim, data, port))  # the same port again
        pump_until(tk_root, lambda: online(app), timeout=45, what="online again")
        assert app.status_bar.text("link").startswith("已连接")
        pbx.ring("001", "13977778888")
        pump_until(tk_root, lambda: app.pop_window.showing
                   and app.pop_window.title() == "13977778888", what="the pop after it")
        assert app.pop_window.answer_enabled()
    finally:
        app.close()
