"""Fault runs of issue 10: the PostgreSQL store killed during a burst, and a lock-out race.

Run ``python bench/bench_faults.py`` (PostgreSQL: ``CALLCENTER_TEST_PG`` names a server where a
scratch database may be created, as for the tests; without it only the lock-out run is done).

* ``pg``: the real simulator, PBX service, store (PostgreSQL), prepaid and hotel threads
  (``ServerRuntime``) in this process. The simulator issues ``--records`` call records in
  one burst; once ``--kill-after`` are stored, every session of the store's database is ended
  with ``pg_terminate_backend`` (``--kills`` times, ``--kill-gap`` s apart). Prints how long
  after the (last) kill the next record was stored and all were stored, and checks that each
  record is stored exactly once and the hash chain verifies.
* ``lockout``: 60 threads try a wrong password on one account at once (SQLite, and
  PostgreSQL when available); prints how many passwords scrypt checked
  (``accounts.passwords.checks_done``) and what the right password then gets.

Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import secrets
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchinfo import cpu_model

PG_ENV = "CALLCENTER_TEST_PG"


def pg_admin(url: str) -> Any:
    import psycopg2  # noqa: PLC0415

    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def with_dbname(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def count_records(conn: Any) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT sequence) FROM call_record")
        total, distinct = cur.fetchone()
    return int(total) if total == distinct else -int(total)


def kill_sessions(conn: Any, name: str) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        return sum(1 for (ended,) in cur.fetchall() if ended)


def wait_stored(watcher: Any, records: int, at_kill: int, killed_at: float
                ) -> tuple[float | None, float | None]:
    """Seconds after the kill until the next record and all records were stored."""
    next_at = all_at = None
    while time.monotonic() < killed_at + 120:
        stored = count_records(watcher)
        if next_at is None and stored > at_kill:
            next_at = time.monotonic() - killed_at
        if stored >= records or stored < 0:
            all_at = time.monotonic() - killed_at
            break
        time.sleep(0.005)
    return next_at, all_at


def wait_bill(bill: Path, records: int) -> int:
    """The hotel bill's lines once it has them all (or after 60 s)."""
    line = 99  # 97 bytes and CR LF
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not bill.exists()
                                           or bill.stat().st_size < records * line):
        time.sleep(0.05)
    return bill.stat().st_size // line if bill.exists() else 0


def run_pg(base: str, records: int, kill_after: int, kills: int, kill_gap: float) -> None:
    from callcenter.pbxsim.app import Simulator, SimulatorConfig  # noqa: PLC0415
    from callcenter.pbxsim.control import ControlClient  # noqa: PLC0415
    from callcenter.server.pbx.link import LinkOptions  # noqa: PLC0415
    from callcenter.server.runtime import ServerRuntime  # noqa: PLC0415
    from callcenter.server.store.db import database  # noqa: PLC0415
    from callcenter.server.store.settings import set_setting  # noqa: PLC0415
    from callcenter.server.store.verify import verify_chain  # noqa: PLC0415

    name = "cc_bench_faults_" + secrets.token_hex(4)
    admin = pg_admin(base)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    url = with_dbname(base, name)
    try:
        with tempfile.TemporaryDirectory() as folder, \
                Simulator(SimulatorConfig(seed=1)) as sim:
            runtime = ServerRuntime(sim.url, Path(folder), sync_clock=False, db_url=url,
                                    link_options=LinkOptions(heartbeat=2.0))
            set_setting("hotel_bill.enabled", "true", "bench")
            watcher = pg_admin(url)
            with runtime:
                runtime.service.wait_ready(30)
                assert sim.control_address is not None
                with ControlClient(*sim.control_address) as control:
                    control.request({"cmd": "burst", "count": records})
                deadline = time.monotonic() + 120
                while count_records(watcher) < kill_after and time.monotonic() < deadline:
                    time.sleep(0.005)
                ended = 0
                at_kill = 0
                killed_at = 0.0
                for k in range(kills):
                    if k:
                        time.sleep(kill_gap)
                    at_kill = count_records(watcher)
                    killed_at = time.monotonic()
                    # The watcher's own session is spared (pid <> pg_backend_pid()).
                    ended += kill_sessions(watcher, name)
                next_at, all_at = wait_stored(watcher, records, at_kill, killed_at)
                bill_lines = wait_bill(Path(folder) / "HotelBill.TXT", records)
                final = count_records(watcher)
                problems = verify_chain(database)
            watcher.close()
        print(f"pg: {records} records in one burst; {kills} kill(s) of every store session "
              f"({ended} sessions ended) starting after {kill_after} stored")
        print(f"  next record stored {fmt(next_at)} after the last kill, all stored "
              f"{fmt(all_at)} after it")
        print(f"  stored {abs(final)} records, "
              + ("each once" if final >= 0 else "SOME TWICE")
              + f"; lost {max(0, records - abs(final))}; hash chain problems: "
              f"{len(problems)}; hotel bill lines: {bill_lines}")
    finally:
        if database_is_open():
            close_database()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def database_is_open() -> bool:
    from callcenter.server.store.db import database  # noqa: PLC0415

    return database.obj is not None and not database.is_closed()


def close_database() -> None:
    from callcenter.server.store.db import database  # noqa: PLC0415

    database.close()


def fmt(seconds: float | None) -> str:
    return "never (within 120 s)" if seconds is None else f"{seconds:.2f} s"


def run_lockout(kind: str, url: str | None, threads: int) -> None:
    from callcenter.server.accounts import passwords  # noqa: PLC0415
    from callcenter.server.accounts.service import add_account, authenticate  # noqa: PLC0415
    from callcenter.server.store.db import database, open_store  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        open_store(Path(folder), url)
        if url is not None:  # a scratch schema: the bench's own account table
            database.execute_sql("DELETE FROM account WHERE user_name = 'bench'")
        add_account("bench", "agent", "right-password-1")
        start = threading.Barrier(threads)

        def attempt(_: int) -> str:
            start.wait(timeout=60)
            try:
                return authenticate("bench", "wrong-password").outcome.value
            finally:
                if not database.is_closed():
                    database.close()

        before = passwords.checks_done
        began = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            outcomes = Counter(pool.map(attempt, range(threads)))
        seconds = time.monotonic() - began
        checked = passwords.checks_done - before
        right = authenticate("bench", "right-password-1").outcome.value
        database.close()
    shown = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))
    print(f"lockout ({kind}): {threads} parallel wrong logins -> {checked} passwords checked "
          f"({shown}) in {seconds:.2f} s; then the right password: {right}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--kill-after", type=int, default=200)
    parser.add_argument("--kills", type=int, default=1)
    parser.add_argument("--kill-gap", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=60)
    args = parser.parse_args()
    import logging  # noqa: PLC0415

    logging.basicConfig(level=logging.ERROR, format="  log %(levelname)s: %(message)s")
    print(f"bench_faults  {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %z}")
    print(f"{platform.node()}: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs "
          f"{cpu_model()}, Python {platform.python_version()}")
    base = os.environ.get(PG_ENV)
    if base:
        run_pg(base, args.records, args.kill_after, args.kills, args.kill_gap)
    else:
        print(f"pg: skipped ({PG_ENV} is not set)")
    run_lockout("SQLite", None, args.threads)
    if base:
        name = "cc_bench_lockout_" + secrets.token_hex(4)
        admin = pg_admin(base)
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
        try:
            run_lockout("PostgreSQL", with_dbname(base, name), args.threads)
        finally:
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.close()


if __name__ == "__main__":
    main()
