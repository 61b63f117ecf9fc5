"""``pbx status`` (the current state of every port and trunk) and ``pbx monitor``'s start
(link_up first, then the starting state, then records and events), on the port and through
the running service: the real simulator, the real service and hub (issue 11 items 3, 8)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from callcenter.pbxsim.app import Simulator
from callcenter.server.runtime import ServerRuntime
from tests.server.pbxlink_support import FAST, ask, no_leaked_threads, sim, wait_until
from tests.server.test_pbx_cli_service import Lines, run

__all__ = ["no_leaked_threads", "sim"]


def _row(stdout: str, port: str) -> list[str]:
    return next(line.split() for line in stdout.splitlines() if line.startswith(port + " "))


def test_status_on_the_port(sim: Simulator) -> None:
    ask(sim, {"cmd": "ring", "extension": "003", "caller": "13800138000"})
    result = run("pbx", "status", "--pbx", sim.url)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert re.fullmatch(r"PBX GW-SIM firmware \S+: 24 extensions \(23 idle, 1 ringing\), "
                        r"8 trunks \(7 idle, 1 incoming\)", first), first
    assert _row(result.stdout, "003")[1:4] == ["ringing", "13800138000", "01"]
    assert _row(result.stdout, "001")[1:] == ["idle"]
    assert "park slots: all 6 free" in result.stdout
    result = run("pbx", "status", "--json", "--pbx", sim.url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["link"]["model"] == "GW-SIM" and len(data["extensions"]) == 24
    ringing = [e for e in data["extensions"] if e["state"] == "ringing"]
    assert [(e["port"], e["peer"]) for e in ringing] == [("003", "13800138000")]
    assert [t["state"] for t in data["trunks"]].count("incoming") == 1


def test_status_and_monitor_through_the_service(sim: Simulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ServerRuntime(sim.url, data, agent_port=0, agent_host="127.0.0.1",
                       sync_clock=False, link_options=FAST) as runtime:
        runtime.service.wait_ready(20)
        ask(sim, {"cmd": "ring", "extension": "003", "caller": "13800138000"})
        results = []

        def status() -> bool:
            results.append(run("pbx", "status", "--data", str(data)))
            return results[-1].returncode == 0 and " 1 ringing" in results[-1].stdout

        wait_until(status, 30, "the service's state to show the ring")
        result = results[-1]
        assert " 24 extensions (23 idle, 1 ringing)" in result.stdout.splitlines()[0]
        # through the service the ports have their numbers
        assert _row(result.stdout, "003")[1:5] == ["8003", "ringing", "13800138000", "01"]
        monitor = Lines("pbx", "monitor", "--data", str(data))
        try:
            wait_until(lambda: len(monitor.events()) >= 2, 20, "link_up and the state")
            link_up, state = monitor.events()[:2]
            assert link_up["event"] == "link_up" and state["event"] == "state"
            assert len(state["extensions"]) == 24  # type: ignore[arg-type]
            assert {"port": "003", "state": "ringing"}.items() <= next(
                e for e in state["extensions"]  # type: ignore[attr-defined]
                if e["port"] == "003").items()
        finally:
            code, err = monitor.stop()
        assert code == 0, err


def test_monitor_on_the_port_starts_with_link_up_and_the_state(sim: Simulator) -> None:
    ask(sim, {"cmd": "ring", "extension": "003", "caller": "13800138000"})
    ask(sim, {"cmd": "burst", "count": 2})  # records waiting in the PBX's buffer
    monitor = Lines("pbx", "monitor", "--pbx", sim.url)
    try:
        wait_until(lambda: sum(e["event"] == "record" for e in monitor.events()) >= 2, 20,
                   "the waiting records")
        events = monitor.events()
        assert [e["event"] for e in events[:2]] == ["link_up", "state"], events[:3]
        ringing = [e for e in events[1]["extensions"]  # type: ignore[attr-defined]
                   if e["state"] == "ringing"]
        assert [e["port"] for e in ringing] == ["003"]
        assert all(e["event"] in ("record", "extension", "trunk") for e in events[2:])
    finally:
        code, err = monitor.stop()
    assert code == 0, err
