"""PbxLink against the real simulator over TCP and over a pseudo-terminal."""

from __future__ import annotations

import queue

import pytest

from callcenter.common.pbx.line import LineSettings
from callcenter.common.pbx.messages import ParameterBlock, ParameterRead, StateRequest
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.pbx.link import (
    CLOSED_AT_ONCE,
    LinkDown,
    LinkNotice,
    LinkUp,
    PbxLink,
    PbxTimeout,
    PbxUnavailable,
)
from tests.server.pbxlink_support import FAST, ask, no_leaked_threads, pty_sim, sim, wait_until

__all__ = ["no_leaked_threads", "pty_sim", "sim"]


@pytest.mark.parametrize("fixture", ["sim", "pty_sim"])
def test_identify_and_request(fixture: str, request: pytest.FixtureRequest) -> None:
    simulator: Simulator = request.getfixturevalue(fixture)
    with PbxLink(simulator.url, options=FAST) as link:
        identity = link.wait_up(10, fail_fast=True)
        assert (identity.extensions, identity.trunks) == (24, 8)
        assert {g for g, _ in identity.checksums} == {"extension", "trunk", "switches", "other"}
        block = link.request(lambda r: ParameterRead(r, "trunk", 0, 2), 5)
        assert isinstance(block, ParameterBlock)
        assert [row for row, _ in block.rows] == ["trunk.01", "trunk.02"]
        # Several requests at once are matched by request id.
        futures = [link.submit(StateRequest) for _ in range(5)]
        answers = [link.result(f, 5) for f in futures]
        assert len({a.request_id for a in answers}) == 5  # type: ignore[attr-defined]


def test_missing_port_is_a_clear_error() -> None:
    with PbxLink("/dev/ttyNO_SUCH_PORT", options=FAST) as link, \
            pytest.raises(PbxUnavailable) as info:
        link.wait_up(5, fail_fast=True)
    assert str(info.value).startswith("cannot open PBX port /dev/ttyNO_SUCH_PORT: ")


def test_refused_tcp_port_is_a_clear_error(sim: Simulator) -> None:
    url = sim.url
    sim.stop()
    with PbxLink(url, options=FAST) as link, pytest.raises(PbxUnavailable) as info:
        link.wait_up(5, fail_fast=True)
    assert f"cannot open PBX port {url}" in str(info.value)


def test_second_owner_over_tcp_is_told_the_port_is_in_use(sim: Simulator) -> None:
    with PbxLink(sim.url, options=FAST) as first:
        first.wait_up(10)
        with PbxLink(sim.url, options=FAST) as second, pytest.raises(PbxUnavailable) as info:
            second.wait_up(10, fail_fast=True)
        assert str(info.value) == CLOSED_AT_ONCE
        assert first.is_up


def test_second_owner_of_a_pty_is_told_the_port_is_in_use(pty_sim: Simulator) -> None:
    with PbxLink(pty_sim.url, options=FAST) as first:
        first.wait_up(10)
        with PbxLink(pty_sim.url, options=FAST) as second, \
                pytest.raises(PbxUnavailable) as info:
            second.wait_up(10, fail_fast=True)
        assert "in use by another program" in str(info.value)


@pytest.mark.parametrize("kind", ["disconnect", "reboot"])
def test_reconnects_after_the_line_drops(sim: Simulator, kind: str) -> None:
    notices: queue.SimpleQueue[LinkNotice] = queue.SimpleQueue()
    seen: list[LinkNotice] = []
    with PbxLink(sim.url, options=FAST, listener=notices.put) as link:
        link.wait_up(10)
        ask(sim, {"cmd": "fault", "kind": kind})

        def reconnected() -> bool:
            while not notices.empty():
                seen.append(notices.get())
            downs = [i for i, n in enumerate(seen) if isinstance(n, LinkDown)]
            return bool(downs) and any(isinstance(n, LinkUp) for n in seen[downs[0]:])

        wait_until(reconnected, 15, "link down then up again")
        assert isinstance(link.request(StateRequest, 5), object)


def test_pty_reconnect_after_disconnect(pty_sim: Simulator) -> None:
    ups: list[LinkNotice] = []
    with PbxLink(pty_sim.url, options=FAST,
                 listener=lambda n: ups.append(n) if isinstance(n, LinkUp) else None) as link:
        link.wait_up(10)
        ask(pty_sim, {"cmd": "fault", "kind": "disconnect"})
        wait_until(lambda: len(ups) >= 2, 15, "identify again after the PBX side restarted")
        link.request(StateRequest, 5)


def test_unanswered_request_times_out_clearly(sim: Simulator) -> None:
    with PbxLink(sim.url, options=FAST) as link:
        link.wait_up(10)
        ask(sim, {"cmd": "fault", "kind": "delay", "seconds": 1.5})
        with pytest.raises(PbxTimeout, match=r"no answer from the PBX .* to a state request"):
            link.request(StateRequest, 0.3)
        link.request(StateRequest, 10)  # the link lives on


def test_reopen_moves_the_link_to_another_port_in_the_same_thread(sim: Simulator) -> None:
    """The console's 'change the port': the link closes its port and opens the new one
    (also from a port that never answered); listeners see it go down and come up there."""
    notices: queue.SimpleQueue[LinkNotice] = queue.SimpleQueue()
    with Simulator(SimulatorConfig(seed=3, extensions=48)) as other, \
            PbxLink("socket://127.0.0.1:9", options=FAST, listener=notices.put) as link:
        wait_until(lambda: link.last_error, 10, "the dead port's error")
        thread = link._thread
        link.reopen(sim.url)
        assert link.wait_up(10).extensions == 24 and link.url == sim.url
        link.reopen(other.url, LineSettings(19200))
        wait_until(lambda: link.identity is not None and link.identity.extensions == 48, 10,
                   "the other PBX identified")
        assert (link.url, link.line.baud) == (other.url, 19200)
        assert link._thread is thread
        seen = []
        while not notices.empty():
            seen.append(notices.get())
        reasons = [n.reason for n in seen if isinstance(n, LinkDown)]
        assert "the PBX port was changed" in reasons
        assert [n.identity.extensions for n in seen if isinstance(n, LinkUp)] == [24, 48]
        with PbxLink(sim.url, options=FAST) as again:  # the first port was closed
            assert again.wait_up(10, fail_fast=True).extensions == 24
