"""CRM client window: start to a usable window, and ring at the simulator -> pop window on
screen (issue 9; the app's part alone is bench_crm_pop.py).

Run ``DISPLAY=:64 python bench/bench_crm_window.py [--customers 100000] [--rings 40]
[--starts 5]`` (after ``pip install -e .``; any X display, e.g. ``Xvfb :64``).  The
simulator and the whole server (``ServerRuntime``) run in this process; the CRM data folder
holds ``--customers`` customers imported from a CSV file.

- **Start**: ``--starts`` times, a fresh Python process runs ``callcenter-crm``'s window
  start unattended (``--server --extension --user``, the password in the environment) on
  that data folder; it reports, counted from its interpreter's first line, when the window
  was usable offline (mapped, the store open, the call log's first page drawn) and when it
  was online (connected, the snapshot drawn).  The first start of the series also pays for
  a cold file cache.
- **Ring to pop**: in this process, the window started the same way; each ring asks the
  simulator's control port to ring the agent's extension with a customer's number (written
  in another form than in the record); the time runs from just before that request until
  the pop window's ``<Map>`` event (its title names the caller).  The pop is then closed
  and the call hung up before the next ring.

Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # the child's start: before any import of the program

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

PASSWORD = "bench-crm-window-1"
PORT = "003"
USER = "bench-window"


def child_start(args: argparse.Namespace) -> None:
    """One start, timed from this interpreter's first line; prints a JSON line."""
    import tkinter as tk  # noqa: PLC0415

    from callcenter.common.tkfonts import apply_cjk_font  # noqa: PLC0415
    from callcenter.crm_client.gui.app import CrmWindowApp  # noqa: PLC0415
    from callcenter.crm_client.gui.options import GuiOptions  # noqa: PLC0415

    root = tk.Tk(className="callcenter-crm")
    apply_cjk_font(root)
    app = CrmWindowApp(root, GuiOptions(
        data_dir=Path(args.data), server_host=args.host, server_port=args.port,
        extension=PORT, user=USER, device="headset", password=PASSWORD))
    app.start()
    usable = online = 0.0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not online:
        root.update()
        if not usable and root.winfo_ismapped() and app.store is not None \
                and app.log_presenter.total > 0 and app.call_log.row_values():
            usable = time.perf_counter() - T0
        if usable and app.crm is not None and app.status.online and app.crm.desk.synced \
                and app.info.monitor.icon_fill(PORT) is not None:
            online = time.perf_counter() - T0
        time.sleep(0.002)
    app.close()
    root.destroy()
    print(json.dumps({"usable": usable, "online": online}))


def prepare(base: Path, customers: int) -> Path:
    """A data folder with ``customers`` imported customers and a few calls in the log."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_crm_pop import write_customers  # noqa: PLC0415

    from callcenter.crm_client.store import CallEntry, CrmStore  # noqa: PLC0415
    from callcenter.crm_client.store.importer import import_customers  # noqa: PLC0415

    data = base / "crm"
    source = base / "customers.csv"
    started = time.perf_counter()
    write_customers(source, customers)
    store = CrmStore.open(data)
    report = import_customers(store, source)
    now = datetime.datetime.now(datetime.UTC)
    for n in range(200):
        store.log_call(CallEntry(key=f"bench/{n}", time=now - datetime.timedelta(minutes=n),
                                 number=f"0139{n:08d}", extension=PORT, user=USER))
    store.close()
    print(f"data: {report.taken} customers imported ({len(report.refused)} refused), 200 calls "
          f"logged, in {time.perf_counter() - started:.1f} s")
    return data


def measure_starts(data: Path, host: str, port: int, count: int) -> list[dict[str, float]]:
    results = []
    env = {**os.environ, "CALLCENTER_PASSWORD": PASSWORD}
    for _ in range(count):
        done = subprocess.run(
            [sys.executable, __file__, "--child-start", "--data", str(data), "--host", host,
             "--port", str(port)], capture_output=True, text=True, timeout=120, env=env,
            check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            sys.exit(f"a start failed:\n{done.stdout}\n{done.stderr}")
        results.append(json.loads(lines[-1]))
    return results


def measure_rings(data: Path, address: tuple[str, int], control: Any,
                  args: argparse.Namespace) -> tuple[list[float], int]:
    host, port = address
    customers, rings, warmup = args.customers, args.rings, args.warmup
    import tkinter as tk  # noqa: PLC0415

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_crm_pop import mobile  # noqa: PLC0415

    from callcenter.common.tkfonts import apply_cjk_font  # noqa: PLC0415
    from callcenter.crm_client.gui.app import CrmWindowApp  # noqa: PLC0415
    from callcenter.crm_client.gui.options import GuiOptions  # noqa: PLC0415

    root = tk.Tk(className="callcenter-crm")
    apply_cjk_font(root)
    app = CrmWindowApp(root, GuiOptions(
        data_dir=data, server_host=host, server_port=port, extension=PORT, user=USER,
        device="headset", password=PASSWORD))
    app.start()
    mapped: list[float] = []
    app.pop_window.bind("<Map>", lambda _e: mapped.append(time.perf_counter()), add="+")

    def pump(condition: Any, what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                sys.exit(f"timed out waiting for {what}")
            root.update()
            time.sleep(0.001)

    pump(lambda: app.crm is not None and app.status.online and app.crm.desk.synced, "online")
    pick = random.Random(5)
    timings: list[float] = []
    found = 0
    with control:
        for n in range(rings + warmup):
            i = pick.randrange(customers)
            caller = "0" + mobile(i) if n % 2 else "0086" + mobile(i)
            mapped.clear()
            start = time.perf_counter()
            answer = control.request({"cmd": "ring", "extension": PORT, "caller": caller})
            if not answer.get("ok", True):
                sys.exit(f"the simulator refused ring {n}: {answer}")
            pump(lambda: bool(mapped), f"the pop of ring {n}")
            if n >= warmup:
                timings.append((mapped[0] - start) * 1000)
                found += app.pop_window.title() == f"{caller} 客户{i:06d}"
            app.pop_window.hide()
            control.request({"cmd": "hangup", "extension": PORT})
            pump(lambda: app.crm is not None and app.crm.desk.my_call is None, "the hang-up")
    app.close()
    root.destroy()
    return timings, found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def run(args: argparse.Namespace) -> None:
    from benchinfo import cpu_model  # noqa: PLC0415

    from callcenter.pbxsim.app import Simulator, SimulatorConfig  # noqa: PLC0415
    from callcenter.pbxsim.control import ControlClient  # noqa: PLC0415
    from callcenter.server.accounts import add_account  # noqa: PLC0415
    from callcenter.server.runtime import ServerRuntime  # noqa: PLC0415

    if not os.environ.get("DISPLAY"):
        sys.exit("no DISPLAY: run under an X display (e.g. Xvfb :64 & DISPLAY=:64 ...)")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        data = prepare(base, args.customers)
        with Simulator(SimulatorConfig(seed=1)) as sim:
            runtime = ServerRuntime.embed(sim.url, base / "server", agent_port=0,
                                          agent_host="127.0.0.1", sync_clock=False)
            try:
                runtime.service.wait_ready(30)
                add_account(USER, "agent", PASSWORD)
                host, port = runtime.hub_address
                starts = measure_starts(data, host, port, args.starts)
                address = sim.control_address
                assert address is not None
                timings, found = measure_rings(data, (host, port), ControlClient(*address),
                                               args)
            finally:
                runtime.stop()
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, "
          f"{datetime.date.today().isoformat()}, display {os.environ['DISPLAY']}")
    usable = [s["usable"] for s in starts]
    online = [s["online"] for s in starts]
    print(f"start to a usable window ({len(starts)} starts, {args.customers} customers): "
          f"usable offline median {statistics.median(usable):.2f} s (max {max(usable):.2f}), "
          f"online median {statistics.median(online):.2f} s (max {max(online):.2f}); "
          f"each: {', '.join(f'{u:.2f}/{o:.2f}' for u, o in zip(usable, online, strict=True))}"
          f" (goal ≤ 1 s)")
    print(f"ring -> pop window mapped, {len(timings)} rings, {args.customers} customers: "
          f"median {statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms,"
          f" max {max(timings):.1f} ms; title with the customer's name {found}/{len(timings)} "
          f"(goal p95 ≤ 300 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rings", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--child-start", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_start:
        child_start(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
