"""Records benchmark (issue 3, section 8): a store of N records (default 10 million).

Measures, on a SQLite store built for the purpose:
- a filtered first page (one extension port over one month, 50 rows, start order), and the
  same by extension number; goal within 50 ms;
- a monthly per-extension summary; goal within 1 s;
- the process's memory (VmRSS now, and the peak), goal under 150 MB;
- intake against raw sqlite3: 20,000 records in batches of 200 through everything the server
  does with a record after the serial line: the CDR frames as bytes (``encode_frame``) are
  decoded (``FrameDecoder``, fed 4 KiB at a time, then ``message_from_fields`` as the link
  does), dropped if already seen (the service's set), stored by ``RecordIntake`` with the
  runtime's tariff source (the data folder's ``tariff.json``, re-checked per batch) and its
  ``after_insert`` hook (prepaid charges + hotel queue, default settings), and acknowledged
  (``RecordAck`` frames encoded); against a plain ``sqlite3`` executemany of the same rows into
  a table of the same layout and indexes, same pragmas, one commit per batch; goal: ratio at
  least 0.25. ``--intake-only [--repeats N]`` runs just this part, N times on fresh stores.

The big store is built by writing rows directly (executemany in batches, secondary indexes
dropped during the load and rebuilt after, as a restore would): 12 months, 200 ports,
32 trunks, a rating row per record. Prints figures with machine info and the date; no asserts.
Run: .venv/bin/python bench/bench_records.py [--records N] [--dir DIR] [--keep]
     .venv/bin/python bench/bench_records.py --intake-only [--repeats 5] [--intake-records N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from benchinfo import cpu_model

from callcenter.common.pbx.frame import Frame, FrameDecoder, encode_frame
from callcenter.common.pbx.messages import CallRecord, RecordAck, message_from_fields
from callcenter.server.pbx.records import ack_ranges
from callcenter.server.query import Filters, search, summarize
from callcenter.server.query.filters import parse_month
from callcenter.server.rating import default_tariff
from callcenter.server.rating.tariff_io import TARIFF_FILE, save_tariff_file
from callcenter.server.runtime import TariffSource, after_insert
from callcenter.server.store.chain import canonical_raw, derived_columns, link_hash
from callcenter.server.store.db import SQLITE_PRAGMAS, open_store
from callcenter.server.store.intake import RecordIntake, StoredCall
from callcenter.server.store.settings import get_setting

TZ = ZoneInfo("Asia/Shanghai")
PORTS = [str(100 + i) for i in range(200)]
TRUNKS = [str(1 + i) for i in range(32)]
NUMBERS = ("12315", "1251", "1252", "138", "139", "91", "96163", "881", "200", "5550")
YEAR = 2025
RECORD_COLS = ("id", "pbx_id", "sequence", "chain_pos", "start", "utc_offset_minutes",
               "local_start", "month", "duration", "port", "extension_number", "trunk",
               "number", "call_type", "caller", "account", "ring_seconds", "raw",
               "received_at", "prev_hash", "hash", "cost_fen", "service_type", "unknown")
RATING_COLS = ("id", "record_id", "tariff_version", "cost_fen", "prefix", "description",
               "service_type", "unknown", "holiday", "receipt", "rated_at", "reason")


def rss_mb() -> tuple[float, float]:
    """(VmRSS now, peak VmHWM) in MB; ru_maxrss where there is no /proc (it survives exec,
    so a spawned child would report its parent's peak)."""
    now = peak = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return now, peak


def machine() -> str:
    return (f"{platform.system()} {platform.release()}, {cpu_model()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def generate(count: int, rnd: random.Random):
    """(record row, rating row) tuples in start order over 12 months of YEAR."""
    first = dt.datetime(YEAR, 1, 1)
    span = (dt.datetime(YEAR + 1, 1, 1) - first).total_seconds()
    step = span / count
    prev = "0" * 64
    for i in range(count):
        local = first + dt.timedelta(seconds=int(i * step + rnd.random() * step))
        port = PORTS[min(199, int(rnd.paretovariate(1.2)) - 1) if rnd.random() < 0.3
                     else rnd.randrange(200)]
        number = rnd.choice(NUMBERS) + str(rnd.randrange(10**6, 10**7))
        duration = int(rnd.expovariate(1 / 120)) if rnd.random() < 0.85 else 0
        call_type = "OUT" if rnd.random() < 0.7 else rnd.choice(("IN", "INT"))
        cost = (22 + 11 * max(0, (duration - 121) // 60)) if call_type == "OUT" and duration else 0
        start = local.strftime("%Y%m%d%H%M%S")
        trunk = TRUNKS[rnd.randrange(32)]
        raw = (f'[["q","{i + 1}"],["t","{start}"],["z","1920"],["d","{duration}"],'
               f'["p","{port}"],["x","8{port}"],["k","{trunk}"],["n","{number}"],'
               f'["y","{call_type}"],["c",""],["a",""],["g","0"]]')
        digest = hashlib.sha256((prev + raw).encode()).hexdigest()
        utc = (local - dt.timedelta(hours=8)).isoformat(" ")
        yield ((i + 1, "pbx-1", i + 1, i + 1, utc, 480, start, local.strftime("%Y-%m"),
                duration, port, "8" + port, trunk, number, call_type, "", "", 0, raw, utc, prev,
                digest, cost, 3, 0),
               (i + 1, i + 1, "bench", cost, number[:4], "区话", 3, 0, 0,
                f"{duration} s = {cost / 100:.2f}", utc, "intake"))
        prev = digest


def build(data: Path, count: int) -> float:
    """Create the store (migrated) and load ``count`` records; returns seconds taken."""
    began = time.perf_counter()
    db = open_store(data)
    db.close()
    conn = sqlite3.connect(data / "callcenter.db", isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    indexes = [(name, sql) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('call_record', 'rating') AND sql NOT LIKE 'CREATE UNIQUE%'")]
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    rnd = random.Random(1)
    rec_sql = (f"INSERT INTO call_record ({', '.join(RECORD_COLS)}) VALUES "
               f"({', '.join('?' * len(RECORD_COLS))})")
    rat_sql = (f"INSERT INTO rating ({', '.join(RATING_COLS)}) VALUES "
               f"({', '.join('?' * len(RATING_COLS))})")
    batch_r, batch_t = [], []
    last = (0, "")
    for record, rating in generate(count, rnd):
        batch_r.append(record)
        batch_t.append(rating)
        if len(batch_r) >= 50_000:
            conn.execute("BEGIN")
            conn.executemany(rec_sql, batch_r)
            conn.executemany(rat_sql, batch_t)
            conn.execute("COMMIT")
            last = (record[0], record[20])
            batch_r, batch_t = [], []
            print(f"\r  loaded {record[0]:,} records", end="", file=sys.stderr, flush=True)
    if batch_r:
        conn.execute("BEGIN")
        conn.executemany(rec_sql, batch_r)
        conn.executemany(rat_sql, batch_t)
        conn.execute("COMMIT")
        last = (batch_r[-1][0], batch_r[-1][20])
    print("\n  rebuilding indexes", file=sys.stderr, flush=True)
    for _name, sql in indexes:
        conn.execute(sql)
    conn.execute("INSERT INTO chain_head (pbx_id, last_hash, records, max_sequence, updated_at) "
                 "VALUES ('pbx-1', ?, ?, ?, ?)", (last[1], last[0], last[0],
                                                  dt.datetime.now().isoformat(" ")))
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - began


def timed(fn, repeats: int) -> tuple[float, float]:
    """(first call, median of the following) in milliseconds."""
    times = []
    for _ in range(repeats + 1):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return times[0], statistics.median(times[1:])


def query_figures(data: Path, rnd: random.Random) -> None:
    db = open_store(data)
    month = f"{YEAR}-07"
    lo, hi = parse_month(month, TZ)
    ports = rnd.sample(PORTS, 5)
    for label, make in (("port", lambda p: Filters(start_from=lo, start_before=hi, port=p)),
                        ("extension", lambda p: Filters(start_from=lo, start_before=hi,
                                                        extension="8" + p))):
        cold, warm = [], []
        for port in ports:
            f = make(port)
            first, median = timed(lambda f=f: search(db, f, limit=50), 5)
            cold.append(first)
            warm.append(median)
        rows = len(search(db, make(ports[0]), limit=50))
        print(f"filtered first page (one {label} over {month}, {rows} rows): "
              f"first {statistics.median(cold):.1f} ms, then {statistics.median(warm):.1f} ms "
              f"(median over {len(ports)} {label}s; goal 50 ms)")
    f = Filters(start_from=lo, start_before=hi)
    first, median = timed(lambda: summarize(db, f, "extension"), 3)
    groups = len(summarize(db, f, "extension").rows)
    print(f"monthly per-extension summary ({month}, {groups} groups): first {first:.0f} ms, "
          f"then {median:.0f} ms (goal 1000 ms)")
    first, median = timed(lambda: summarize(db, Filters(), "month"), 1)
    print(f"whole-store per-month summary: {first:.0f} ms, then {median:.0f} ms")
    now, peak = rss_mb()
    print(f"memory of the querying process: VmRSS {now:.0f} MB, peak {peak:.0f} MB "
          "(goal under 150 MB)", flush=True)
    db.close()


def intake_records(count: int) -> list[CallRecord]:
    rnd = random.Random(2)
    records = []
    for i in range(count):
        local = dt.datetime(YEAR, 11, 1) + dt.timedelta(seconds=i * 37)
        port = rnd.choice(PORTS)
        records.append(CallRecord(i + 1, local.strftime("%Y%m%d%H%M%S"),
                                  int(rnd.expovariate(1 / 120)), port, "8" + port,
                                  rnd.choice(TRUNKS), rnd.choice(NUMBERS) + "1234567", "OUT"))
    return records


def line_bytes(records: list[CallRecord], batch: int) -> list[bytes]:
    """The CDR frames of each batch as the PBX puts them on the line (frame numbers mod 256)."""
    return [b"".join(encode_frame((at + i) % 256, "CDR", record.to_fields())
                     for i, record in enumerate(records[at:at + batch]))
            for at in range(0, len(records), batch)]


def receive(decoder: FrameDecoder, data: bytes, chunk: int = 4096) -> list[CallRecord]:
    """Bytes from the line -> call records, as the link decodes them."""
    out: list[CallRecord] = []
    for at in range(0, len(data), chunk):
        decoder.receive_data(data[at:at + chunk])
        for event in decoder.events():
            if isinstance(event, Frame):
                message = message_from_fields(event.type, list(event.fields))
                if isinstance(message, CallRecord):
                    out.append(message)
    return out


class IntakeRun(NamedTuple):
    rate: float  # records/s of the whole path
    decoding: float  # seconds spent turning line bytes into CallRecords
    hook: float  # seconds spent in the after_insert hook (inside the transaction)
    schema: list[str]  # the call_record table and indexes, for the raw side


def intake_run(folder: Path, records: list[CallRecord], batch: int) -> IntakeRun:
    """One intake run on a fresh store, the way the server runs it."""
    shutil.rmtree(folder / "intake", ignore_errors=True)
    data = folder / "intake"
    db = open_store(data)
    save_tariff_file(default_tariff(), data / TARIFF_FILE)  # the server's tariff file
    hook_time = [0.0]

    def hook(calls: list[StoredCall]) -> None:  # the runtime's hook, timed
        t0 = time.perf_counter()
        after_insert(calls)
        hook_time[0] += time.perf_counter() - t0

    sink = RecordIntake(db, str(get_setting("pbx.id")), TariffSource(data), after_insert=hook)
    stream = line_bytes(records, batch)
    decoder = FrameDecoder()
    seen: set[int] = set()
    decoding = 0.0
    began = time.perf_counter()
    for data_bytes in stream:
        t0 = time.perf_counter()
        received = receive(decoder, data_bytes)
        decoding += time.perf_counter() - t0
        new = {r.sequence: r for r in received if r.sequence not in seen}  # the service's set
        sink.store(list(new.values()))
        seen.update(new)
        for first, last in ack_ranges(r.sequence for r in received):
            encode_frame(0, RecordAck.TYPE, RecordAck(first, last).to_fields())
    rate = len(records) / (time.perf_counter() - began)
    stored = db.execute_sql("SELECT COUNT(*) FROM call_record").fetchone()[0]
    if stored != len(records):
        raise RuntimeError(f"intake stored {stored} of {len(records)} records")
    schema = [sql for (sql,) in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'call_record' AND sql IS NOT NULL")]
    db.close()
    return IntakeRun(rate, decoding, hook_time[0], schema)


def raw_run(folder: Path, records: list[CallRecord], schema: list[str], batch: int) -> float:
    """The same rows, prepared beforehand (the raw side does no work of its own): records/s
    of plain executemany, one commit per batch."""
    for leftover in folder.glob("raw.db*"):
        leftover.unlink()
    prev = "0" * 64
    rows = []
    for i, record in enumerate(records):
        cols = derived_columns(record)
        raw = canonical_raw(record)
        digest = link_hash(prev, raw)
        rows.append((i + 1, "pbx-bench", record.sequence, i + 1, cols["start"].isoformat(" "),
                     480, record.start, cols["month"], record.duration, record.port,
                     record.extension, record.trunk, record.number, "OUT", "", "", 0, raw,
                     cols["start"].isoformat(" "), prev, digest, 44, 3, 0))
        prev = digest
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    for name, value in SQLITE_PRAGMAS:
        conn.execute(f"PRAGMA {name} = {value}")
    for sql in schema:
        conn.execute(sql)
    insert = (f"INSERT INTO call_record ({', '.join(RECORD_COLS)}) VALUES "
              f"({', '.join('?' * len(RECORD_COLS))})")
    began = time.perf_counter()
    for at in range(0, len(records), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert, rows[at:at + batch])
        conn.execute("COMMIT")
    rate = len(records) / (time.perf_counter() - began)
    conn.close()
    return rate


def intake_ratio(folder: Path, count: int = 20_000, batch: int = 200, repeats: int = 1) -> None:
    records = intake_records(count)
    ratios = []
    for run in range(repeats):
        result = intake_run(folder, records, batch)
        raw_rate = raw_run(folder, records, result.schema, batch)
        ratios.append(result.rate / raw_rate)
        total = count / result.rate
        print(f"intake run {run + 1}: {result.rate:,.0f} records/s (CDR frame bytes -> decode "
              f"-> RecordIntake.store with the runtime's tariff and after_insert hook -> "
              f"RecordAck; batches of {batch}; of the time: decoding "
              f"{result.decoding / total:.0%}, hook {result.hook / total:.0%}); raw sqlite3 "
              f"executemany: {raw_rate:,.0f} records/s; ratio {ratios[-1]:.2f} "
              "(goal at least 0.25)", flush=True)
    if repeats > 1:
        print(f"intake ratio over {repeats} runs: median {statistics.median(ratios):.2f}, "
              f"range {min(ratios):.2f}-{max(ratios):.2f} (goal at least 0.25)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to build (default: a temporary folder); an existing "
                             "store there of the right size is reused")
    parser.add_argument("--keep", action="store_true", help="keep the built store")
    parser.add_argument("--intake-only", action="store_true",
                        help="only the intake against raw sqlite3 (no big store)")
    parser.add_argument("--intake-records", type=int, default=20_000, metavar="N")
    parser.add_argument("--repeats", type=int, default=1, metavar="N",
                        help="intake runs, each on a fresh store (default 1)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench_records_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"bench_records {dt.datetime.now().isoformat(timespec='seconds')}; {machine()}")
    if args.intake_only:
        intake_ratio(folder, args.intake_records, repeats=args.repeats)
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
        return
    data = folder / "store"
    marker = data / "bench.json"
    if marker.exists() and json.loads(marker.read_text()).get("records") == args.records:
        print(f"reusing the store of {args.records:,} records in {data}")
    else:
        shutil.rmtree(data, ignore_errors=True)
        seconds = build(data, args.records)
        marker.write_text(json.dumps({"records": args.records}))
        size = (data / "callcenter.db").stat().st_size / 2**30
        print(f"built {args.records:,} records (+ a rating row each) in {seconds:.0f} s; "
              f"store file {size:.2f} GiB")
    # In a fresh process, so its memory figures are those of querying, not of the build.
    child = multiprocessing.get_context("spawn").Process(target=query_figures,
                                                         args=(data, random.Random(3)))
    child.start()
    child.join()
    intake_ratio(folder, args.intake_records, repeats=args.repeats)
    if not args.keep and args.dir is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
