"""Admin API benchmarks of the PBX parameters (issue 7, section 8).

1. Renumbering 24 extensions through the admin API (``extensions_renumber``) over a
   simulator line paced like a real RS-232 line at 9600 baud: the time from the request to
   its response against the time its frames need on the line: every byte the PC sent
   (``PbxLink.bytes_written``) and the PBX sent (the simulator's ``bytes_sent``) divided
   by the line's byte rate, both directions one after the other, and (a lower bound, as
   RS-232 carries both directions at once) the busier direction alone (goal: at most
   1.5x).  Two cases: a rotation (every
   number moves to the next port: one temporary number) and a shift to new numbers.
2. Schema and image of a 999-extension x 99-trunk PBX delivered to a client: every page
   of ``parameter_schema`` and ``parameter_image`` read one after the other (goal: at most
   1 s); the first delivery after the service is ready, and a second one.

Run: python bench/bench_admin_pbx.py [--baud 9600]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchinfo import cpu_model

from callcenter.common.agent.client import HubClient
from callcenter.common.pbx.line import LineSettings
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.control import ControlClient
from callcenter.server.hub import AgentHub
from callcenter.server.hub.admin import AdminBackend
from callcenter.server.pbx.link import LinkOptions
from callcenter.server.pbx.service import PbxService
from callcenter.server.rating.tariff_io import load_data_tariff
from callcenter.server.store.db import open_store
from callcenter.server.store.intake import RecordIntake

QUIET = LinkOptions(heartbeat=600.0)  # no keep-alive frames in the measured time


def _service(url: str, folder: Path) -> PbxService:
    sink = RecordIntake(open_store(folder), "bench", lambda: load_data_tariff(folder))
    return PbxService(url, folder, sink=sink, link_options=QUIET, request_timeout=30.0)


def _client(hub: AgentHub, token: str) -> HubClient:
    client = HubClient(*hub.address, timeout=120.0)
    client.login("cli:bench", token=token)
    return client


def bench_renumber(baud: int) -> None:
    line = LineSettings(baud)
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp, \
            Simulator(SimulatorConfig(seed=1, line=line, heartbeat=600.0)) as sim, \
            _service(sim.url, Path(tmp)) as service, \
            AgentHub(service, host="127.0.0.1", port=0,
                     admin=AdminBackend(service, Path(tmp), token=token)) as hub:
        service.wait_ready(300)
        control = ControlClient(*sim.control_address)  # type: ignore[misc]
        client = _client(hub, token)
        ports = [f"{p:03d}" for p in range(1, 25)]
        held = {p: service.image.params[f"extension.{p}.number"] for p in ports}
        cases = (("rotation", {p: held[ports[(i + 1) % 24]] for i, p in enumerate(ports)}),
                 ("shift", {p: "6" + held[p][1:] for p in ports}))
        for name, numbers in cases:
            pc0 = service.link.bytes_written
            pbx0 = control.request({"cmd": "counters"})["bytes_sent"]
            start = time.monotonic()
            answer = client.request("extensions_renumber", numbers=numbers, timeout=600)
            elapsed = time.monotonic() - start
            pc = service.link.bytes_written - pc0
            pbx = control.request({"cmd": "counters"})["bytes_sent"] - pbx0
            statuses = {r["status"] for r in answer["results"]}
            assert statuses == {"written"}, answer
            writes = len(numbers) + (1 if name == "rotation" else 0)
            rate = line.bytes_per_second
            both, busier = (pc + pbx) / rate, max(pc, pbx) / rate
            print(f"renumber {baud:>6} baud, 24 extensions, {name:8}: {writes} writes, "
                  f"PC {pc} + PBX {pbx} bytes at {rate:.0f} B/s: {both:5.2f} s one after "
                  f"the other, {busier:5.2f} s the busier direction; took {elapsed:5.2f} s "
                  f"= {elapsed / both:4.2f}x / {elapsed / busier:4.2f}x")
            service.renumber(held, who="bench")  # back, for the next case
        client.close()
        control.close()


def _read_all(client: HubClient, action: str, field: str) -> tuple[int, int, int]:
    """Pages read, keys, bytes of JSON received."""
    got, size = 0, 0
    for pages in range(1, 10_001):  # bounded
        page = client.request(action, offset=got, limit=2000)
        size += len(json.dumps(page, ensure_ascii=False).encode())
        got += len(page[field])
        if got >= page["total"]:
            return pages, got, size
    raise RuntimeError(f"{action} never ended")


def bench_big_schema() -> None:
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp, \
            Simulator(SimulatorConfig(seed=1, extensions=999, trunks=99)) as sim, \
            _service(sim.url, Path(tmp)) as service, \
            AgentHub(service, host="127.0.0.1", port=0,
                     admin=AdminBackend(service, Path(tmp), token=token)) as hub:
        service.wait_ready(300)
        client = _client(hub, token)
        for run in ("first", "second"):
            time.sleep(3)  # the session's request budget (50/s, bursts of 100) refilled
            start = time.monotonic()
            s_pages, s_keys, s_bytes = _read_all(client, "parameter_schema", "keys")
            middle = time.monotonic()
            i_pages, i_keys, i_bytes = _read_all(client, "parameter_image", "params")
            end = time.monotonic()
            print(f"schema+image 999 ext x 99 trunks ({run}): schema {s_keys} keys in "
                  f"{s_pages} pages, {s_bytes / 1e6:.1f} MB, {middle - start:5.2f} s; image "
                  f"{i_keys} keys in {i_pages} pages, {i_bytes / 1e6:.1f} MB, "
                  f"{end - middle:5.2f} s; together {end - start:5.2f} s")
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baud", type=int, default=9600)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"# {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} {platform.platform()} "
          f"python {sys.version.split()[0]} cpus {os.cpu_count()} {cpu_model()}")
    bench_renumber(args.baud)
    bench_big_schema()


if __name__ == "__main__":
    main()
