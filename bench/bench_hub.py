"""Agent hub: ring latency, fan-out rate and memory per connected client.

Run ``python bench/bench_hub.py`` (after ``pip install -e .``).  The simulator, the PBX
service and the hub run in this process; the CRM clients run in a child process (as they
would on other PCs), so this process's memory growth is the hub's.  Latency is measured
from the moment the simulator's control port is asked to ring an extension to the moment
the ``ring`` event is read by a client (both processes read the same monotonic clock).
Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchinfo import cpu_model

from callcenter.common.agent.codec import NEED_DATA, LineDecoder, ObjectLine, encode

PASSWORD = "bench-pass-1"
PORT = "002"


# ---------------------------------------------------------------------- child: the clients

class Clients:
    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.rings: dict[int, list[float]] = {}
        self.events = 0

    async def add(self, count: int) -> None:
        async def one() -> None:
            reader, writer = await asyncio.open_connection(*self.address)
            writer.write(encode({"type": "login", "id": 1, "user": "bench",
                                 "password": PASSWORD, "extension": PORT}))
            decoder = LineDecoder(max_line=1 << 24)
            logged_in = asyncio.get_running_loop().create_future()
            self.writers.append(writer)
            self.tasks.append(asyncio.create_task(self.read(reader, decoder, logged_in)))
            await logged_in
        for start in range(0, count, 50):  # stay below the cap on unauthenticated ones
            await asyncio.gather(*(one() for _ in range(min(50, count - start))))

    async def read(self, reader: asyncio.StreamReader, decoder: LineDecoder,
                   logged_in: asyncio.Future[None]) -> None:
        while data := await reader.read(65536):
            now = time.monotonic()
            decoder.receive_data(data)
            while (item := decoder.next_event()) is not NEED_DATA:
                if not isinstance(item, ObjectLine):
                    continue
                msg = item.data
                if msg.get("type") != "event":
                    continue
                self.events += 1
                if msg["event"] == "snapshot" and not logged_in.done():
                    logged_in.set_result(None)
                elif msg["event"] == "ring":
                    self.rings.setdefault(msg["call_id"], []).append(now)


async def child_main(host: str, port: int) -> None:
    clients = Clients(host, port)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cmd = json.loads(line)
        if cmd["cmd"] == "add":
            await clients.add(cmd["count"])
            answer: dict[str, Any] = {"clients": len(clients.writers)}
        elif cmd["cmd"] == "warm":  # log in and out, so the hub's threads are all used
            warm = Clients(host, port)
            await warm.add(cmd["count"])
            for writer in warm.writers:
                writer.close()
            await asyncio.gather(*warm.tasks, return_exceptions=True)
            answer = {"clients": len(clients.writers)}
        elif cmd["cmd"] == "rings":
            answer = {"rings": {str(k): v for k, v in clients.rings.items()},
                      "events": clients.events}
            clients.rings = {}
        else:
            break
        print(json.dumps(answer), flush=True)
    for writer in clients.writers:
        writer.close()


# ---------------------------------------------------------------------- parent

def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def machine() -> str:
    return (f"{platform.node()}: {platform.system()} {platform.release()}, {os.cpu_count()} "
            f"CPUs {cpu_model()}, Python {platform.python_version()}")


class Child:
    def __init__(self, address: tuple[str, int]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child", address[0], str(address[1])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, cmd: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ring_latencies(control: Any, child: Child, rings: int) -> list[float]:
    """Ring the extension ``rings`` times; every client's ring latency in ms."""
    sent: dict[int, float] = {}
    for _ in range(rings):
        started = time.monotonic()
        answer = control.request({"cmd": "ring", "extension": PORT, "caller": "13800138000"})
        sent[int(answer["call_id"])] = started
        time.sleep(0.03)
        control.request({"cmd": "hangup", "extension": PORT})
        time.sleep(0.02)
    time.sleep(0.5)
    got = child.ask({"cmd": "rings"})["rings"]
    return [(t - sent[int(call)]) * 1000 for call, times in got.items() if int(call) in sent
            for t in times]


def fan_out(control: Any, child: Child, hub: Any, seconds: float, clients: int) -> None:
    """Ring and hang up as fast as the control port allows; events per second."""
    before_hub = hub.call(lambda: hub.handler.events_sent)
    before_child = child.ask({"cmd": "rings"})["events"]
    started = time.monotonic()
    cycles = 0
    while time.monotonic() - started < seconds:
        control.request({"cmd": "ring", "extension": PORT, "caller": "13800138000"})
        control.request({"cmd": "hangup", "extension": PORT})
        cycles += 1
    elapsed = time.monotonic() - started
    rate_queued = (hub.call(lambda: hub.handler.events_sent) - before_hub) / elapsed
    # The clients drain their backlog: wait (bounded) until no more events arrive (a client
    # dropped for reading too slowly would stop it short of what the hub queued).
    received, last = 0, -1
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline and received != last:
        last = received
        time.sleep(0.5)
        received = child.ask({"cmd": "rings"})["events"] - before_child
    drained = time.monotonic() - started - 0.5  # the last wait saw nothing new
    queued = hub.call(lambda: hub.handler.events_sent) - before_hub
    print(f"fan-out with {clients} clients: {cycles} ring/hang-up cycles in {elapsed:.1f} s; "
          f"hub queued {rate_queued:,.0f} events/s, clients read "
          f"{received / drained:,.0f} events/s until drained ({received:,} of {queued:,} "
          f"events arrived)")


def run(args: argparse.Namespace) -> None:
    import logging  # noqa: PLC0415 - the parent only

    from callcenter.pbxsim.app import Simulator, SimulatorConfig  # noqa: PLC0415
    from callcenter.pbxsim.control import ControlClient  # noqa: PLC0415
    from callcenter.server.accounts import add_account  # noqa: PLC0415
    from callcenter.server.hub import AgentHub, HubOptions  # noqa: PLC0415
    from callcenter.server.pbx.link import LinkOptions  # noqa: PLC0415
    from callcenter.server.pbx.service import PbxService  # noqa: PLC0415
    from callcenter.server.rating.tariff_io import load_data_tariff  # noqa: PLC0415
    from callcenter.server.store.db import open_store  # noqa: PLC0415
    from callcenter.server.store.intake import RecordIntake  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING)
    print(f"bench_hub  {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %z}")
    print(machine())
    counts = [int(n) for n in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as folder, \
            Simulator(SimulatorConfig(seed=1)) as sim, \
            PbxService(sim.url, Path(folder), link_options=LinkOptions(heartbeat=2.0),
                       sink=RecordIntake(open_store(Path(folder)), "bench",
                                         lambda: load_data_tariff(Path(folder)))) as svc:
        svc.wait_ready(30)
        add_account("bench", "agent", PASSWORD)
        assert sim.control_address is not None
        control = ControlClient(*sim.control_address)
        # Every client on one account and one address: the caps of issue 10 raised.
        options = HubOptions(max_sessions_per_account=100_000,
                             max_unauthenticated_per_address=256)
        with AgentHub(svc, host="127.0.0.1", port=0, options=options) as hub:
            child = Child(hub.address)
            child.ask({"cmd": "warm", "count": 16})  # scrypt's 16 MiB in every pool thread
            time.sleep(0.5)
            base_rss = rss_kib()
            connected = 0
            print(f"{'clients':>7} {'rings':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
                  f"{'hub RSS/client':>15}")
            for count in counts:
                child.ask({"cmd": "add", "count": count - connected})
                connected = count
                time.sleep(0.5)
                per_client = (rss_kib() - base_rss) / connected
                latencies = ring_latencies(control, child, args.rings)
                missing = args.rings * count - len(latencies)
                print(f"{count:>7} {args.rings:>5} {statistics.median(latencies):>7.2f} "
                      f"{percentile(latencies, 0.99):>7.2f} {max(latencies):>7.2f} "
                      f"{per_client:>11.1f} KiB" + (f"  ({missing} rings lost)" if missing
                                                    else ""))
            fan_out(control, child, hub, args.blast, connected)
            child.close()
        control.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rings", type=int, default=100, help="rings per client count")
    parser.add_argument("--clients", default="1,50,200", help="client counts, ascending")
    parser.add_argument("--blast", type=float, default=3.0,
                        help="seconds of ring/hang-up as fast as possible (fan-out rate)")
    parser.add_argument("--child", nargs=2, metavar=("HOST", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child_main(args.child[0], int(args.child[1])))
    else:
        run(args)


if __name__ == "__main__":
    main()
