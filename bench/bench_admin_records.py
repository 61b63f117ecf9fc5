"""Admin-API records benchmark (issue 7, section 8): ``records_query`` on a 1 M-record store.

Builds a SQLite store of N records (default 1 million) as ``bench_records.py`` does, runs the
real service against the built-in simulator on that data folder and the agent hub with the
admin API on 127.0.0.1, logs in as a console with the local token (``HubClient``), and times
the round trip of ``records_query`` (request written -> response read and decoded) for:
- the first page of everything (50 rows, start order, with the total count);
- the first page of one extension port over one month;
- the first page of everything sorted by cost, descending.
Goal: the first page within 100 ms. Prints figures with machine info and the date; no asserts.
Run: .venv/bin/python bench/bench_admin_records.py [--records N] [--dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_records import PORTS, YEAR, build, machine

from callcenter.common.agent.client import HubClient
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.hub.admin import AdminBackend
from callcenter.server.pbx.service import PbxService
from callcenter.server.runtime import TariffSource
from callcenter.server.store.db import open_store
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.settings import get_setting


def round_trips(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """(first, median, worst of the rest) in milliseconds."""
    times = []
    for _ in range(repeats + 1):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return times[0], statistics.median(times[1:]), max(times[1:])


def measure(data: Path, repeats: int) -> None:
    token = secrets.token_hex(16)
    with Simulator(SimulatorConfig(seed=1)) as sim, \
            PbxService(sim.url, data, verify_at_start=False, sink=RecordIntake(
                open_store(data), str(get_setting("pbx.id")), TariffSource(data))) as service:
        service.wait_ready(30)
        backend = AdminBackend(service, data, token=token)
        with AgentHub(service, host="127.0.0.1", port=0, options=HubOptions(),
                      admin=backend) as hub:
            host, port = hub.address[0], hub.address[1]
            client = HubClient(host, port, timeout=60)
            try:
                client.login("cli:bench", token=token)
                cases = (
                    ("everything, start order", {}),
                    (f"one port over {YEAR}-07", {"month": f"{YEAR}-07", "port": PORTS[7]}),
                    ("everything, by cost descending", {"sort": "cost", "desc": True}),
                )
                for label, params in cases:
                    answer = client.request("records_query", limit=50, **params)
                    first, median, worst = round_trips(
                        lambda p=params: client.request("records_query", limit=50, **p),
                        repeats)
                    print(f"records_query first page ({label}; {len(answer['rows'])} rows "
                          f"of {answer['total']:,}): first {first:.1f} ms, then median "
                          f"{median:.1f} ms, worst {worst:.1f} ms over {repeats} "
                          "(goal 100 ms)", flush=True)
            finally:
                client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to build (default: a temporary folder); an existing "
                             "store there of the right size is reused")
    parser.add_argument("--keep", action="store_true", help="keep the built store")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench_admin_records_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"bench_admin_records {dt.datetime.now().isoformat(timespec='seconds')}; "
          f"{machine()}")
    data = folder / "store"
    marker = data / "bench.json"
    if marker.exists() and json.loads(marker.read_text()).get("records") == args.records:
        print(f"reusing the store of {args.records:,} records in {data}")
    else:
        shutil.rmtree(data, ignore_errors=True)
        seconds = build(data, args.records)
        marker.write_text(json.dumps({"records": args.records}))
        print(f"built {args.records:,} records in {seconds:.0f} s")
    try:
        measure(data, args.repeats)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
