"""The console on a big store and on a slow line (issue 8, "Tests and figures").

1. Window shown after start (goal <= 1.5 s with a 10 M-record store): the time from starting
   the embedded service (``ServerRuntime.embed`` on the built-in simulator, as
   ``callcenter-server`` without ``--headless`` does) and the console (a Tk root, then
   ``ConsoleApp`` with ``--user`` and the password given, so nothing is asked) until the main
   window shows its modules (``whoami`` answered, menu and toolbar drawn).  The simulator
   (the PBX) runs before; Python's imports are not counted.
2. 话单查询's first page (goal <= 1 s on 10 M records): the time from ``show_page("records")``
   (the page built, its first ``records_query`` sent) until its list holds the first rows;
   then the same query again from the page (``run_query``), a few times.
3. A cell edit (goal: within the line's time + 100 ms): on a simulator paced like an RS-232
   line at 9600 baud, one day class (白天服务等级) of 分机参数 edited through the page's own
   write path (click, Enter, type, Enter), timed from the editor's Enter until the cell is
   drawn green (written and read back); against the line's time of the bytes exchanged
   meanwhile (every byte the PC wrote, ``PbxLink.bytes_written``, and the PBX sent, the
   simulator's ``bytes_sent``, at the line's byte rate, both directions one after the other,
   as ``bench_admin_pbx.py`` computes it).  Heartbeats are off on both sides, so those bytes
   are the write and read-back frames.

The store is built as ``bench_records.py`` builds it (direct inserts, indexes rebuilt after).
Needs a display (Xvfb is started when DISPLAY is unset).  Prints figures with machine info
and the date; no asserts.

Run: .venv/bin/python bench/bench_console_store.py [--records N] [--dir DIR] [--keep]
                                                   [--edits 5] [--baud 9600]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import tkinter as tk
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_records import build, machine

from callcenter.common.pbx.line import LineSettings
from callcenter.common.tkfonts import apply_cjk_font
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.control import ControlClient
from callcenter.server.accounts import add_account, find_account
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.pbx.link import LinkOptions
from callcenter.server.runtime import ServerRuntime
from callcenter.server.store.db import open_store
from callcenter.server.store.settings import set_setting
from tests.server.console.console_support import start_xvfb

if TYPE_CHECKING:  # the console imports its pages as it starts, which is timed: not here
    from callcenter.server.console.pages.parameters import ParametersPage

USER, PASSWORD = "bench", "bench-console-pw-1"
QUIET = LinkOptions(heartbeat=600.0)  # no keep-alive frames in the measured time
ROOTS: list[tk.Tk] = []  # kept until exit: a Tcl interpreter must die in the main thread


def with_account(data: Path) -> None:
    """The console's admin account in the store (made before the clock starts: the real
    console logs in with an account that exists), and a retention of ten years: the built
    records are of last year, and with the default (90 days) the service's retention loop
    would start moving them to the monthly archives as it starts, which is not what is
    measured here (nor a store that stays the same from one run to the next)."""
    db = open_store(data)
    try:
        if find_account(USER) is None:
            add_account(USER, "admin", PASSWORD)
        set_setting("retention_days", "3650", "bench")
    finally:
        db.close()


def new_root() -> tuple[tk.Tk, list[str]]:
    root = tk.Tk(className="callcenter-bench")
    apply_cjk_font(root)
    root.geometry("1024x720+0+0")
    errors: list[str] = []

    def report(exc: type[BaseException], value: BaseException,
               tb: TracebackType | None) -> None:
        errors.append("".join(traceback.format_exception(exc, value, tb)))
    root.report_callback_exception = report
    ROOTS.append(root)
    return root, errors


def pump(root: tk.Tk, errors: list[str], condition: Callable[[], object],
         timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        root.update()
        if errors:
            raise RuntimeError("a Tk callback raised:\n" + "\n".join(errors))
        if condition():
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.001)


def start_console(url: str, data: Path, **options: object
                  ) -> tuple[ServerRuntime, ConsoleApp, list[str], str, float]:
    """Service + console, timed: (runtime, app, Tk errors, the steps' times as text,
    seconds to the modules shown)."""
    began = time.perf_counter()
    runtime = ServerRuntime.embed(url, data, agent_port=0, agent_host="127.0.0.1",
                                  sync_clock=False, **options)
    embedded = time.perf_counter() - began
    root, errors = new_root()
    app = ConsoleApp(root, ServiceAddress(*runtime.hub_address), embedded=True, user=USER,
                     password=PASSWORD)
    app.start()
    built = time.perf_counter() - began
    pump(root, errors, lambda: app.status.connection == "connected", 60, "the login")
    logged_in = time.perf_counter() - began
    pump(root, errors, lambda: bool(app.window.modules), 60, "the modules")
    root.update_idletasks()  # the menu and toolbar drawn
    shown = time.perf_counter() - began
    steps = (f"embed() returned {embedded * 1000:.0f} ms, window built {built * 1000:.0f} ms, "
             f"logged in {logged_in * 1000:.0f} ms")
    return runtime, app, errors, steps, shown


def bench_store(data: Path, records: int, repeats: int) -> None:
    with_account(data)
    with Simulator(SimulatorConfig(seed=1)) as sim:
        runtime, app, errors, steps, shown = start_console(sim.url, data)
        root = app.root
        try:
            print(f"1. window shown after start, {records:,}-record store: {shown * 1000:.0f} ms "
                  f"({steps}); modules "
                  f"{app.window.toolbar_labels()}; goal 1500 ms", flush=True)
            pump(root, errors, lambda: runtime.service.ready, 120, "the service ready")
            began = time.perf_counter()
            app.show_page("records")
            from callcenter.server.console.pages.records import RecordsPage  # noqa: PLC0415 - timed

            page = app.pages["records"]
            assert isinstance(page, RecordsPage)
            pump(root, errors, lambda: bool(page.tree.get_children()), 60, "the first rows")
            first = time.perf_counter() - began
            rows, total = len(page.tree.get_children()), page.model.total
            again = []
            for _ in range(repeats):
                began = time.perf_counter()
                page.run_query({})
                pump(root, errors, lambda: page.model.pending is None
                     and bool(page.tree.get_children()), 60, "the rows again")
                again.append((time.perf_counter() - began) * 1000)
            print(f"2. 话单查询 first page ({rows} rows of {total:,}, start order): "
                  f"{first * 1000:.0f} ms after show_page; the same query again: median "
                  f"{statistics.median(again):.0f} ms, worst {max(again):.0f} ms over "
                  f"{repeats}; goal 1000 ms", flush=True)
        finally:
            app.close()
            runtime.stop()


def edit_once(app: ConsoleApp, errors: list[str], *, runtime: ServerRuntime,
              sim: Simulator, control: ControlClient, page: ParametersPage, row: int,
              rate: float) -> tuple[float, float]:
    """One day class edited through the page (click, Enter, type, Enter), timed from the
    editor's Enter until the cell is drawn green; (seconds taken, line seconds)."""
    from callcenter.server.console.parameters_model import (  # noqa: PLC0415 - as above
        STATE_FILLS,
        WRITTEN,
    )

    root = app.root
    panel = page.panels["extension"]
    grid = panel.grid_widget
    column = panel.layout.column_of("extension.day_class")
    assert column is not None
    key = panel.layout.key(row, column)
    assert key is not None

    def held() -> str:
        return str(sim.call(lambda: sim.pbx.memory.image()[key]))
    before = held()
    new = "21" if before != "21" else "31"
    grid.see(row, column)
    root.update()
    box = grid.cell_box(row, column)
    assert box is not None
    grid.canvas.event_generate("<Button-1>", x=box[0] + 8, y=box[1] + 8)
    grid.canvas.event_generate("<ButtonRelease-1>", x=box[0] + 8, y=box[1] + 8)
    grid.canvas.event_generate("<Return>")
    editor = grid.editor
    assert editor is not None
    editor.delete(0, "end")  # type: ignore[attr-defined]
    editor.insert(0, new)  # type: ignore[attr-defined]
    editor.focus_force()
    root.update()
    pump(root, errors, lambda: not page.store.busy, 30, "the store idle")
    pc0 = runtime.service.link.bytes_written
    pbx0 = control.request({"cmd": "counters"})["bytes_sent"]
    began = time.perf_counter()
    editor.event_generate("<Return>")
    pump(root, errors, lambda: grid.drawn_fill(row, column) == STATE_FILLS[WRITTEN], 60,
         "the cell green")
    took = time.perf_counter() - began
    pc = runtime.service.link.bytes_written - pc0
    pbx = control.request({"cmd": "counters"})["bytes_sent"] - pbx0
    if held() != new:
        raise RuntimeError(f"{key}: the simulator holds {held()!r}, not {new!r}")
    both, busier = (pc + pbx) / rate, max(pc, pbx) / rate
    print(f"   edit {key} {before} -> {new}: PC {pc} + PBX {pbx} bytes = "
          f"{both * 1000:.0f} ms of line one direction after the other "
          f"({busier * 1000:.0f} ms the busier direction alone); green after "
          f"{took * 1000:.0f} ms (line + {(took - both) * 1000:.0f} ms)", flush=True)
    return took, both


def bench_edit(folder: Path, baud: int, edits: int) -> None:
    line = LineSettings(baud)
    data = folder / "paced"
    shutil.rmtree(data, ignore_errors=True)
    with_account(data)
    with Simulator(SimulatorConfig(seed=1, line=line, heartbeat=600.0)) as sim:
        began = time.perf_counter()
        runtime, app, errors, _embedded, _shown = start_console(sim.url, data,
                                                                link_options=QUIET)
        address = sim.control_address
        assert address is not None
        control = ControlClient(*address)
        try:
            pump(app.root, errors, lambda: runtime.service.ready, 900, "the service ready")
            ready = time.perf_counter() - began
            app.show_page("parameters.extension")
            from callcenter.server.console.pages.parameters import (  # noqa: PLC0415 - timed
                ParametersPage,
            )

            page = app.pages["parameters.extension"]
            assert isinstance(page, ParametersPage)
            pump(app.root, errors, lambda: page.store.loaded and bool(page.panels), 120,
                 "the parameters read")
            results = [edit_once(app, errors, runtime=runtime, sim=sim, control=control,
                                 page=page, row=row, rate=line.bytes_per_second)
                       for row in range(edits)]
            overs = [(took - both) * 1000 for took, both in results]
            print(f"3. cell edit at {baud} baud ({line.bytes_per_second:.0f} B/s; service ready "
                  f"after {ready:.1f} s): green after median "
                  f"{statistics.median(t for t, _ in results) * 1000:.0f} ms, line time median "
                  f"{statistics.median(b for _, b in results) * 1000:.0f} ms, over the line: "
                  f"median {statistics.median(overs):.0f} ms, worst {max(overs):.0f} ms over "
                  f"{len(results)} edits; goal line + 100 ms", flush=True)
        finally:
            control.close()
            app.close()
            runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to build (default: a temporary folder); an existing "
                             "store there of the right size is reused")
    parser.add_argument("--keep", action="store_true", help="keep the built store")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--skip-store", action="store_true", help="only the cell edit")
    parser.add_argument("--skip-edit", action="store_true", help="only the big store")
    args = parser.parse_args()
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb, os.environ["DISPLAY"] = start_xvfb()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench_console_store_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"bench_console_store {dt.datetime.now().isoformat(timespec='seconds')}; "
          f"{machine()}", flush=True)
    try:
        if not args.skip_store:
            data = folder / "store"
            marker = data / "bench.json"
            if marker.exists() and \
                    json.loads(marker.read_text()).get("records") == args.records:
                print(f"reusing the store of {args.records:,} records in {data}")
            else:
                shutil.rmtree(data, ignore_errors=True)
                seconds = build(data, args.records)
                marker.write_text(json.dumps({"records": args.records}))
                print(f"built {args.records:,} records in {seconds:.0f} s")
            bench_store(data, args.records, args.repeats)
        if not args.skip_edit:
            bench_edit(folder, args.baud, args.edits)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)


if __name__ == "__main__":
    main()
