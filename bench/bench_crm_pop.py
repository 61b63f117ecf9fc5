"""CRM client: ring at the simulator -> ``Pop`` computed in the app (issue 9).

Run ``python bench/bench_crm_pop.py [--customers 100000] [--rings 50]`` (after ``pip install
-e .``).  The simulator, the whole server (``ServerRuntime``: PBX link, store, agent hub on
127.0.0.1) and the CRM client's ``CrmApp`` (its ``AgentLink``, a standalone ``CrmStore``
holding ``--customers`` customers imported from a CSV file) run in this process.  Each ring
asks the simulator's control port to ring the agent's extension with the number of a
customer picked at random, written in another form than in the record (``0`` + the mobile,
or ``+86 ...``); the time runs from just before that request until the app's listener has
the ``Pop`` with the customer found (the window's part, drawing it, is measured by the GUI's
benchmark).  The call is then hung up (the call log records it) before the next ring.

Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchinfo import cpu_model

from callcenter.crm_client.app import AppUpdate, CrmApp, Pop
from callcenter.crm_client.settings import CrmSettings
from callcenter.crm_client.store import CrmStore
from callcenter.crm_client.store.importer import import_customers

PASSWORD = "bench-crm-pw1"
PORT = "002"


def mobile(i: int) -> str:
    return f"139{i:08d}"


def write_customers(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "电话", "手机", "公司"])
        for i in range(count):
            writer.writerow([f"客户{i:06d}", f"010-{8200_0000 + i % 9_999_999:08d}",
                             f"{mobile(i)[:3]}-{mobile(i)[3:7]}-{mobile(i)[7:]}",
                             f"公司{i % 997}"])


class PopWaiter:
    """The app's listener: hands each pop to the ring waiting for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self.pop: Pop | None = None
        self.at = 0.0

    def __call__(self, update: AppUpdate) -> None:
        if update.kind == "pop" and update.pop is not None:
            with self.lock:
                self.pop, self.at = update.pop, time.perf_counter()
            self.arrived.set()


def run(args: argparse.Namespace) -> None:
    from callcenter.pbxsim.app import Simulator, SimulatorConfig  # noqa: PLC0415
    from callcenter.pbxsim.control import ControlClient  # noqa: PLC0415
    from callcenter.server.accounts import add_account  # noqa: PLC0415
    from callcenter.server.runtime import ServerRuntime  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        source = base / "customers.csv"
        started = time.perf_counter()
        write_customers(source, args.customers)
        store = CrmStore.open(base / "crm")
        report = import_customers(store, source)
        built = time.perf_counter() - started
        print(f"store: {report.taken} customers imported ({len(report.refused)} refused) in "
              f"{built:.1f} s (CSV written and imported)")
        lookup = lookups(store, args)
        with Simulator(SimulatorConfig(seed=1)) as sim:
            runtime = ServerRuntime.embed(sim.url, base / "server", agent_port=0,
                                          agent_host="127.0.0.1", sync_clock=False)
            try:
                runtime.service.wait_ready(30)
                add_account("bench-agent", "agent", PASSWORD)
                host, port = runtime.hub_address
                waiter = PopWaiter()
                app = CrmApp(store, CrmSettings(server_host=host, server_port=port,
                                                extension=PORT, device="headset",
                                                user="bench-agent"), listener=waiter)
                app.connect(PASSWORD)
                deadline = time.monotonic() + 20
                while not (app.online and app.desk.synced) and time.monotonic() < deadline:
                    time.sleep(0.02)
                if not app.online:
                    sys.exit(f"the app did not come online: {app.status}")
                address = sim.control_address
                assert address is not None
                timings, found = ring_many(app, waiter, ControlClient(*address), args)
                app.close()
            finally:
                runtime.stop()
        store.close()
    report_figures(args, timings, found)
    print(f"the lookup alone (compute_pop of a ring event, {len(lookup)} numbers): median "
          f"{statistics.median(lookup):.2f} ms, max {max(lookup):.2f} ms")


def lookups(store: CrmStore, args: argparse.Namespace) -> list[float]:
    from callcenter.crm_client.app.pop import compute_pop  # noqa: PLC0415

    pick = random.Random(11)
    timings = []
    for _ in range(200):
        caller = "+86 " + mobile(pick.randrange(args.customers))
        start = time.perf_counter()
        pop = compute_pop(store, {"event": "ring", "call_id": 1, "caller": caller,
                                  "extension": PORT})
        timings.append((time.perf_counter() - start) * 1000)
        assert pop.customer is not None
    return timings


def ring_many(app: CrmApp, waiter: PopWaiter, control: object, args: argparse.Namespace
              ) -> tuple[list[float], int]:
    pick = random.Random(7)
    timings: list[float] = []
    found = 0
    with control:  # type: ignore[attr-defined]
        for n in range(args.rings + args.warmup):
            i = pick.randrange(args.customers)
            caller = "0" + mobile(i) if n % 2 else "0086" + mobile(i)
            waiter.arrived.clear()
            start = time.perf_counter()
            answer = control.request({"cmd": "ring", "extension": PORT,  # type: ignore[attr-defined]
                                      "caller": caller})
            if not answer.get("ok", True) or not waiter.arrived.wait(10):
                sys.exit(f"no pop for ring {n}: {answer}")
            pop = waiter.pop
            assert pop is not None
            if n >= args.warmup:
                timings.append((waiter.at - start) * 1000)
                found += pop.customer is not None and pop.customer.name == f"客户{i:06d}"
            control.request({"cmd": "hangup", "extension": PORT})  # type: ignore[attr-defined]
            deadline = time.monotonic() + 10
            while app.desk.my_call is not None and time.monotonic() < deadline:
                time.sleep(0.005)
    return timings, found


def report_figures(args: argparse.Namespace, timings: list[float], found: int) -> None:
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, "
          f"{datetime.date.today().isoformat()}")
    print(f"ring -> Pop in the app, {len(timings)} rings, {args.customers} customers: "
          f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
          f"max {timings[-1]:.1f} ms; customer found {found}/{len(timings)} (goal p95 ≤ 300 ms "
          f"ring to pop on screen)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rings", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
