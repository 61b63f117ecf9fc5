"""Helpers for the PBX link, service and CLI tests: a real simulator, bounded waits, leak check.

Imported by test_link.py, test_service.py and test_cli.py (not a conftest, so that the
other server tests are not affected by the autouse thread-leak check).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.control import ControlClient
from callcenter.server.pbx.link import LinkOptions
from callcenter.server.rating.tariff_io import load_data_tariff
from callcenter.server.store.db import open_store
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.settings import get_setting

#: Faster link timing than a real line needs, so fault tests finish quickly.
FAST = LinkOptions(ack_timeout=0.5, max_retries=2, heartbeat=2.0, identify_timeout=5.0,
                   backoff_min=0.1, backoff_max=0.5)


def make_intake(data_dir: Path) -> RecordIntake:
    """The store of ``data_dir`` (opened, made if missing) and its record intake: the sink
    a ``PbxService`` hands its call records to."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return RecordIntake(open_store(data_dir), str(get_setting("pbx.id")),
                        lambda: load_data_tariff(data_dir))


def wait_until(condition: Callable[[], object], timeout: float = 10.0,
               what: str = "condition") -> None:
    """Poll ``condition`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    def leaked() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in before and t.is_alive()]
    deadline = time.monotonic() + 10
    while leaked() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not leaked(), f"threads left running: {leaked()}"


def control(sim: Simulator) -> ControlClient:
    address = sim.control_address
    assert address is not None
    return ControlClient(*address)


def ask(sim: Simulator, request: dict[str, object]) -> dict[str, Any]:
    with control(sim) as client:
        answer = client.request(request)
    assert answer.get("ok") is not False, answer
    return answer


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(seed=1)) as simulator:
        yield simulator


@pytest.fixture
def pty_sim() -> Iterator[Simulator]:
    # Quick link timing on the PBX side too: after a line restart the simulator waits for
    # its own retries to run out before it resynchronises (see test_link).
    config = SimulatorConfig(seed=1, pty=True, listen=None, ack_timeout=0.5, max_retries=2,
                             heartbeat=2.0)
    with Simulator(config) as simulator:
        yield simulator
