"""Helpers of the console tests: a virtual display, a Tk root that fails the test when a Tk
callback raised, waits that pump the Tk loop, the real embedded service with the simulator,
and accounts in its store."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import subprocess
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.control import ControlClient
from callcenter.server.accounts import add_account, find_account
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.runtime import ServerRuntime

if TYPE_CHECKING:  # Tk is imported by the window tests only: the model tests run without it
    import tkinter as tk

PASSWORD = "console-pw-1"
_KEEP_ROOTS: list[object] = []  # see tk_root


class TkCallbackError(AssertionError):
    """A Tk callback raised (Tk itself would only print it)."""


def start_xvfb() -> tuple[subprocess.Popen[bytes] | None, str]:
    """A virtual X display on a free number, when there is none; (process, DISPLAY)."""
    if os.environ.get("DISPLAY"):
        return None, os.environ["DISPLAY"]
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.skip("no DISPLAY and no Xvfb binary (apt-get install xvfb): the console's "
                    "window tests need a display")
    for number in range(90, 120):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen([binary, f":{number}", "-screen", "0", "1024x768x24",
                                 "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return proc, f":{number}"
            time.sleep(0.02)
        proc.kill()
        proc.wait(5)
    pytest.fail("Xvfb did not start on any display :90-:119")


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    proc, name = start_xvfb()
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = name
    yield name
    if proc is not None:
        proc.terminate()
        proc.wait(10)
        if old is None:
            os.environ.pop("DISPLAY", None)


@pytest.fixture(scope="module")
def collect_in_this_thread() -> Iterator[None]:
    """While Tk objects live, garbage is collected only here, in the Tk (main) thread.

    Tcl aborts the whole process when one of its objects (an interpreter, a Tcl_Obj a
    widget holds) is freed by another thread, and Python's automatic collection runs in
    whichever thread happens to allocate: the service's hub or link threads of these very
    tests.  So automatic collection is off while a module of window tests runs, and each
    test's garbage is collected in its teardown (``tk_root``), in this thread."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()


@pytest.fixture
def tk_root(display: str, collect_in_this_thread: None) -> Iterator[tk.Tk]:
    """A Tk root (with the console's CJK font); a Tk callback that raised fails the test."""
    import tkinter as tk

    from callcenter.common.tkfonts import apply_cjk_font

    root = tk.Tk(className="callcenter-test")
    apply_cjk_font(root)
    errors: list[str] = []

    def report(exc: type[BaseException], value: BaseException,
               tb: TracebackType | None) -> None:
        errors.append("".join(traceback.format_exception(exc, value, tb)))
    root.report_callback_exception = report
    root.callback_errors = errors  # type: ignore[attr-defined]
    yield root
    with contextlib.suppress(tk.TclError):  # destroyed by the test already
        root.destroy()
    # A Tcl interpreter freed in another thread makes Tcl abort the whole process, and a
    # widget a test left in a reference cycle keeps its interpreter alive until some
    # thread's garbage collection frees both (the hub's, in a later test).  So every root
    # stays referenced until the interpreter exits (in the main thread); what it held is
    # collected here, in this (the Tk) thread.
    _KEEP_ROOTS.append(root)
    del root
    gc.collect()
    if errors:
        pytest.fail("a Tk callback raised:\n" + "\n".join(errors))


def pump_until(root: tk.Tk, condition: Callable[[], object], timeout: float = 15.0,
               what: str = "condition") -> None:
    """Run the Tk loop (``update()``) until ``condition`` holds; fail after ``timeout`` s
    or as soon as a Tk callback raised."""
    deadline = time.monotonic() + timeout
    errors: list[str] = getattr(root, "callback_errors", [])
    while True:
        root.update()
        if errors:
            raise TkCallbackError("a Tk callback raised:\n" + "\n".join(errors))
        if condition():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.005)  # a polling step, not a wait for something to happen


def wait_for(condition: Callable[[], object], timeout: float = 15.0,
             what: str = "condition") -> None:
    """Poll ``condition`` (no Tk) until true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.01)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(seed=1)) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def runtime(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerRuntime]:
    """The whole service, embedded as ``callcenter-server`` embeds it, on the simulator."""
    data_dir = tmp_path_factory.mktemp("console-data")
    service = ServerRuntime.embed(sim.url, data_dir, agent_port=0, agent_host="127.0.0.1",
                                  sync_clock=False)
    try:
        service.service.wait_ready(20)
        yield service
    finally:
        service.stop()


@pytest.fixture
def address(runtime: ServerRuntime) -> ServiceAddress:
    host, port = runtime.hub_address
    return ServiceAddress(host, port)


@pytest.fixture
def account(runtime: ServerRuntime) -> Callable[..., str]:
    """``account(user, role)``: that account in the service's store, password PASSWORD."""
    def make(user: str, role: str = "admin") -> str:
        found = find_account(user)
        if found is None:
            add_account(user, role, PASSWORD)
        else:
            assert found.role == role, f"{user} used with two roles"
        return user
    return make


def ask(sim: Simulator, request: dict[str, object]) -> dict[str, Any]:
    """A command to the simulator's control port (ring, offhook, hangup ...)."""
    address = sim.control_address
    assert address is not None
    with ControlClient(*address) as client:
        answer = client.request(request)
    assert answer.get("ok") is not False, answer
    return answer
