"""A login flood from one address (issue 10, item 2): do other addresses still log in?

Run ``python bench/bench_login_flood.py``. A server process runs the real simulator, PBX
service, store and agent hub (default limits). This process floods it from 127.0.0.1:
``--idle`` sockets that connect and send nothing, and ``--pipelined`` connections that each
write ``--burst`` logins of unknown users in one go (each one a full scrypt) and connect again
whenever the hub closes them. Meanwhile ``--logins`` real logins come from 127.0.0.2 (all of
127/8 is loopback on Linux), one after another, each on a new connection; the time from
connect to the ``ok`` is measured, and the server's CPU use during 3 s of the flood
alone. Prints figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchinfo import cpu_model

PASSWORD = "bench-password-1"
OTHER = "127.0.0.2"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve() -> None:
    import logging  # noqa: PLC0415

    from callcenter.pbxsim.app import Simulator, SimulatorConfig  # noqa: PLC0415
    from callcenter.server.accounts import add_account  # noqa: PLC0415
    from callcenter.server.hub import AgentHub  # noqa: PLC0415
    from callcenter.server.pbx.service import PbxService  # noqa: PLC0415
    from callcenter.server.rating import default_tariff  # noqa: PLC0415
    from callcenter.server.store.db import open_store  # noqa: PLC0415
    from callcenter.server.store.intake import RecordIntake  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder, \
            Simulator(SimulatorConfig(seed=1)) as sim, \
            PbxService(sim.url, Path(folder),
                       sink=RecordIntake(open_store(Path(folder)), "bench",
                                         default_tariff)) as svc:
        svc.wait_ready(30)
        add_account("victim", "agent", PASSWORD)
        with AgentHub(svc, host="127.0.0.1", port=0) as hub:
            print(json.dumps({"port": hub.address[1]}), flush=True)
            sys.stdin.readline()


def read_until(sock: socket.socket, wanted: object) -> dict[str, object] | None:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        *lines, data = data.split(b"\n")
        for line in lines:
            msg = json.loads(line)
            if msg.get("type") == "response" and msg.get("id") == wanted:
                return dict(msg)


def pipeliner(port: int, burst: int, stop: threading.Event, counts: dict[str, int]) -> None:
    lines = b"".join(json.dumps({"type": "login", "id": n, "user": f"ghost-{n}",
                                 "password": "wrong-password", "extension": "001"}
                                ).encode() + b"\n" for n in range(burst))
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
                sock.sendall(lines)
                counts["connections"] += 1
                while sock.recv(65536):
                    pass
        except OSError:
            time.sleep(0.05)


def real_login(port: int) -> float | None:
    started = time.monotonic()
    with socket.socket() as sock:
        sock.bind((OTHER, 0))
        sock.settimeout(60)
        sock.connect(("127.0.0.1", port))
        sock.sendall(json.dumps({"type": "login", "id": "in", "user": "victim",
                                 "password": PASSWORD, "extension": "001"}).encode() + b"\n")
        answer = read_until(sock, "in")
    if answer is None or not answer.get("ok"):
        return None
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument("--pipelined", type=int, default=30)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--logins", type=int, default=30)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    print(f"bench_login_flood  {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %z}")
    print(f"{platform.node()}: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs "
          f"{cpu_model()}, Python {platform.python_version()}")
    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdin is not None and server.stdout is not None
    idle: list[socket.socket] = []
    stop = threading.Event()
    counts = {"connections": 0}
    try:
        port = int(json.loads(server.stdout.readline())["port"])
        kept = 0
        for _ in range(args.idle):
            try:
                idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
                kept += 1
            except OSError:
                break
        threads = [threading.Thread(target=pipeliner, args=(port, args.burst, stop, counts),
                                    daemon=True) for _ in range(args.pipelined)]
        for thread in threads:
            thread.start()
        time.sleep(2.0)  # the flood is in full swing
        cpu0, wall0 = cpu_seconds(server.pid), time.monotonic()
        time.sleep(3.0)  # the flood alone
        cpu = (cpu_seconds(server.pid) - cpu0) / (time.monotonic() - wall0)
        times = [real_login(port) for _ in range(args.logins)]
        stop.set()
    finally:
        for sock in idle:
            sock.close()
        server.stdin.close()
        server.wait(timeout=60)
    done = [t for t in times if t is not None]
    print(f"flood from 127.0.0.1: {kept} idle sockets opened, {args.pipelined} connections "
          f"pipelining {args.burst} unknown-user logins each ({counts['connections']} "
          "connections in all)")
    print(f"logins from {OTHER}: {len(done)} of {len(times)} ok; "
          + (f"median {statistics.median(done):.2f} s, max {max(done):.2f} s; "
             if done else "")
          + f"server CPU during the flood alone {cpu:.2f} cores")


if __name__ == "__main__":
    main()
