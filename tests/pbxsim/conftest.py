"""Fixtures of the simulator tests: a running simulator on loopback, a leak check."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from callcenter.pbxsim.app import Simulator
from callcenter.pbxsim.control import ControlClient
from tests.pbxsim.pcclient import fast_config


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a non-daemon thread running (pymodbus-style leak check)."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate()
              if t not in before and t.is_alive() and not t.daemon]
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(fast_config()) as running:
        yield running


@pytest.fixture
def control(sim: Simulator) -> Iterator[ControlClient]:
    address = sim.control_address
    assert address is not None
    with ControlClient(*address) as client:
        yield client
