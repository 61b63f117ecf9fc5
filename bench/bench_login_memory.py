"""Memory of the server across agent logins (issue 10, item 9): scrypt's 16 MiB per check.

Run ``python bench/bench_login_memory.py``. Twice, a server process runs the real simulator,
PBX service, store and agent hub; this process logs
in over TCP ``--logins`` times, ``--parallel`` at a time (each login: connect, ``login``, wait
for the answer, close), and reads the server's resident memory (VmRSS) before, after, and
``--settle`` seconds later: once as the code is (``accounts.passwords``: at most
``MAX_CONCURRENT_HASHES`` scrypt computations at once, glibc's mmap threshold fixed), once
with both switched off (as before issue 10). Prints figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchinfo import cpu_model

PASSWORD = "bench-password-1"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------------- the server process

def serve(mode: str) -> None:
    import logging  # noqa: PLC0415

    from callcenter.pbxsim.app import Simulator, SimulatorConfig  # noqa: PLC0415
    from callcenter.server.accounts import add_account, passwords  # noqa: PLC0415
    from callcenter.server.hub import AgentHub  # noqa: PLC0415
    from callcenter.server.pbx.service import PbxService  # noqa: PLC0415
    from callcenter.server.rating import default_tariff  # noqa: PLC0415
    from callcenter.server.store.db import open_store  # noqa: PLC0415
    from callcenter.server.store.intake import RecordIntake  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING)
    if mode == "before":  # unbounded and no trim, as before issue 10
        passwords._hashing = threading.BoundedSemaphore(10_000)
        passwords._threshold_fixed = True  # never fixed
    with tempfile.TemporaryDirectory() as folder, \
            Simulator(SimulatorConfig(seed=1)) as sim, \
            PbxService(sim.url, Path(folder),
                       sink=RecordIntake(open_store(Path(folder)), "bench",
                                         default_tariff)) as svc:
        svc.wait_ready(30)
        add_account("bench", "agent", PASSWORD)
        with AgentHub(svc, host="127.0.0.1", port=0) as hub:
            print(json.dumps({"port": hub.address[1]}), flush=True)
            sys.stdin.readline()  # until the parent is done


# ---------------------------------------------------------------------- the client side

def login_once(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(json.dumps({"type": "login", "id": 1, "user": "bench",
                                 "password": PASSWORD, "extension": "001"}).encode() + b"\n")
        data = b""
        while True:  # the reply to id 1 (an error, or ok followed by the snapshot)
            chunk = sock.recv(65536)
            if not chunk:
                return "closed"
            data += chunk
            for line in data.split(b"\n")[:-1]:
                msg = json.loads(line)
                if msg.get("id") == 1:
                    return str(msg.get("type"))


def measure(mode: str, logins: int, parallel: int, settle: float) -> dict[str, float]:
    server = subprocess.Popen([sys.executable, __file__, "--serve", mode],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdin is not None and server.stdout is not None
    try:
        port = int(json.loads(server.stdout.readline())["port"])
        time.sleep(1.0)
        before = rss_kib(server.pid)
        peak = before
        started = time.monotonic()
        with ThreadPoolExecutor(parallel) as pool:
            futures = [pool.submit(login_once, port) for _ in range(logins)]
            while not all(f.done() for f in futures):
                peak = max(peak, rss_kib(server.pid))
                time.sleep(0.05)
            answers = [f.result() for f in futures]
        elapsed = time.monotonic() - started
        after = rss_kib(server.pid)
        time.sleep(settle)
        settled = rss_kib(server.pid)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    ok = sum(1 for a in answers if a not in {"error", "closed"})
    return {"before": before / 1024, "peak": peak / 1024, "after": after / 1024,
            "settled": settled / 1024, "ok": ok, "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=20, help="logins at a time")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait before the last reading")
    parser.add_argument("--modes", default="before,now",
                        help="'before' (no bound, no trim) and/or 'now' (the code as it is)")
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    print(f"bench_login_memory  {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %z}")
    print(f"{platform.node()}: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs "
          f"{cpu_model()}, Python {platform.python_version()}")
    print(f"{args.logins} logins, {args.parallel} at a time; server RSS in MiB")
    print(f"{'code':>9} {'before':>7} {'peak':>7} {'after':>7} {'settled':>8} "
          f"{'answered':>8} {'seconds':>7}")
    for mode in args.modes.split(","):
        r = measure(mode, args.logins, args.parallel, args.settle)
        print(f"{mode:>9} {r['before']:>7.1f} {r['peak']:>7.1f} {r['after']:>7.1f} "
              f"{r['settled']:>8.1f} {r['ok']:>8.0f} {r['seconds']:>7.1f}")


if __name__ == "__main__":
    main()
