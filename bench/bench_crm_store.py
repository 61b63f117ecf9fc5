"""CRM client store: search among 100 k customers, import of 100 k customers, four PCs writing
one shared file (issue 9, "Tests and figures").

1. Import (goal <= 20 s for 100 k): ``store.importer.import_customers`` of a generated file of
   ``--customers`` customers (姓名, 手机, 电话, 公司, 部门, 邮箱, VIP, 备注) into a new standalone
   store, from CSV (UTF-8 with BOM) and from XLSX; writing the files is not counted.
2. Search (goal <= 50 ms): on the store imported from CSV, what the customer list does for one
   search text: ``count_customers(text)`` and the first page ``search_customers(text, 200)``,
   timed together, for ``--queries`` texts of each kind: a name (a whole name, or a surname and
   the next character), a company (one of its words), a number (four to eight digits from
   inside a customer's mobile or landline, or a whole number written another way). Every text
   is new to the store (its cache holds the previous one only). Also the list without a text
   (the customer manager's first view) at random pages, and ``find_by_number`` (the pop's
   lookup) of a whole number written another way.
3. Shared file: ``--processes`` processes (PCs) each make ``--writes`` writes to one shared
   ``crm-shared.db`` (rollback journal) at once: new customers and call-log entries, alternately;
   wall time from the common start to the last one's end, writes per second, the store's retries
   (a lock wait that ran out and was tried again), and the counts checked afterwards.

Prints figures with machine info and the date; nothing asserts on timing.

Run: .venv/bin/python bench/bench_crm_store.py [--customers 100000] [--queries 50]
                                              [--processes 4] [--writes 300] [--dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openpyxl
from benchinfo import cpu_model

from callcenter.crm_client.store import CallEntry, CrmStore, Customer
from callcenter.crm_client.store.importer import import_customers

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
            "曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国庆丰海燕玉兵春梅晨阳"
COMPANY_WORDS = ("赛格", "华强", "唐信", "赛纳", "鹏程", "南山", "福田", "宝安", "龙岗", "前海",
                 "星河", "天虹", "招商", "蛇口", "科兴", "创维", "金蝶", "康佳", "海王", "雅昌")
COMPANY_KINDS = ("科技", "电子", "贸易", "实业", "物流", "通信", "软件", "投资")
AREAS = ("010", "021", "020", "0755", "0769", "0571", "028", "027")
HEADERS = ["姓名", "手机", "电话", "公司", "部门", "邮箱", "VIP", "备注"]


def machine() -> str:
    return (f"{platform.system()} {platform.release()}, {cpu_model()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def generate(count: int, rnd: random.Random) -> list[list[str]]:
    rows = []
    mobiles = rnd.sample(range(10**8), count)
    for i in range(count):
        name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
        mobile = f"1{rnd.choice('3456789')}{rnd.randrange(10)}{mobiles[i]:08d}"
        area = rnd.choice(AREAS)
        landline = f"{area}-{rnd.randrange(2, 9)}{rnd.randrange(10**6, 10**7)}"[:len(area) + 9]
        company = (rnd.choice(COMPANY_WORDS) + rnd.choice(COMPANY_WORDS)
                   + rnd.choice(COMPANY_KINDS) + "有限公司")
        rows.append([name, mobile, landline if rnd.random() < 0.6 else "", company,
                     rnd.choice(("销售部", "技术服务部", "财务部", "")), f"c{i}@example.cn",
                     "是" if rnd.random() < 0.05 else "", "备注" * rnd.randrange(3)])
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("客户资料")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)


def timed_import(data: Path, source: Path) -> tuple[float, int]:
    store = CrmStore.open(data)
    start = time.perf_counter()
    report = import_customers(store, source)
    seconds = time.perf_counter() - start
    store.close()
    return seconds, report.taken


def queries(rows: list[list[str]], count: int, rnd: random.Random) -> dict[str, list[str]]:
    names, companies, numbers = [], [], []
    for _ in range(count):
        row = rnd.choice(rows)
        names.append(row[0] if rnd.random() < 0.5 else row[0][:2])
        word = rnd.choice(COMPANY_WORDS)
        companies.append(word if rnd.random() < 0.5 else row[3][:4])
        digits = (row[2].replace("-", "") if row[2] and rnd.random() < 0.3 else row[1])
        length = rnd.randrange(4, 9)
        start = rnd.randrange(0, len(digits) - length + 1)
        numbers.append(digits[start:start + length] if rnd.random() < 0.7
                       else "+86 " + row[1][:3] + " " + row[1][3:7] + " " + row[1][7:])
    return {"name": names, "company": companies, "number": numbers}


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return (f"median {statistics.median(ordered) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms, "
            f"max {ordered[-1] * 1000:6.1f} ms")


def bench_search(data: Path, rows: list[list[str]], count: int, rnd: random.Random) -> None:
    store = CrmStore.open(data)
    store.count_customers("warm-up")  # the first connection and the file in the page cache
    for kind, texts in queries(rows, count, rnd).items():
        times, hits = [], []
        for text in texts:
            start = time.perf_counter()
            total = store.count_customers(text)
            store.search_customers(text, limit=200)
            times.append(time.perf_counter() - start)
            hits.append(total)
        print(f"  search {kind:8s} {ms(times)}  (matches: median {statistics.median(hits):.0f},"
              f" max {max(hits)}; e.g. {texts[0]!r})")
    pages = []
    total = store.count_customers("")
    for _ in range(count):
        offset = rnd.randrange(0, max(1, total - 200))
        start = time.perf_counter()
        store.count_customers("")
        store.search_customers("", limit=200, offset=offset)
        pages.append(time.perf_counter() - start)
    print(f"  list all (no text; count + a page at a random offset) {ms(pages)}")
    lookups = []
    for _ in range(count):
        row = rnd.choice(rows)
        typed = "0" + row[1] if rnd.random() < 0.5 else "+86 " + row[1]
        start = time.perf_counter()
        found = store.find_by_number(typed)
        lookups.append(time.perf_counter() - start)
        assert found is not None
    print(f"  find_by_number  {ms(lookups)}")
    store.close()


def _writer(index: int, folders: tuple[str, str], writes: int, start: Any,
            results: Any) -> None:
    data, shared = folders
    store = CrmStore.open(Path(data), Path(shared))
    start.wait(60)
    began = time.perf_counter()
    for n in range(writes):
        if n % 2 == 0:
            store.save_customer(Customer(name=f"pc{index}-{n}", mobile=f"139{index:04d}{n:04d}"))
        else:
            store.log_call(CallEntry(key=f"pc{index}/{n}", time=dt.datetime.now(dt.UTC),
                                     number=f"8{index}{n:06d}"))
    results.put((index, time.perf_counter() - began, store.retries, store.pending_writes()))
    store.close()


def bench_shared(root: Path, processes: int, writes: int) -> None:
    shared = root / "share"
    shared.mkdir()
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(i, (str(root / f"pc{i}"), str(shared)),
                                               writes, start, results)) for i in range(processes)]
    for p in procs:
        p.start()
    time.sleep(3)  # let every process import and open the store before the common start
    began = time.perf_counter()
    start.set()
    reports = [results.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - began
    for p in procs:
        p.join(timeout=60)
    db = sqlite3.connect(shared / "crm-shared.db")
    customers = db.execute("SELECT COUNT(*) FROM customer").fetchone()[0]
    calls = db.execute("SELECT COUNT(*) FROM call_log").fetchone()[0]
    db.close()
    total = processes * writes
    print(f"  {processes} processes x {writes} writes: {wall:.1f} s wall, "
          f"{total / wall:.0f} writes/s, slowest process {max(r[1] for r in reports):.1f} s, "
          f"retries {sum(r[2] for r in reports)}, left in outboxes {sum(r[3] for r in reports)}")
    expected_customers = processes * ((writes + 1) // 2)
    print(f"  counted afterwards: {customers} customers (expected {expected_customers}), "
          f"{calls} calls (expected {processes * (writes // 2)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-crm-store-", dir=args.dir))
    rnd = random.Random(9)
    print(f"CRM client store benchmark, {dt.date.today()}, {machine()}")
    try:
        rows = generate(args.customers, rnd)
        write_csv(root / "customers.csv", rows)
        write_xlsx(root / "customers.xlsx", rows)
        print(f"import of {args.customers} customers (new standalone store):")
        for kind in ("csv", "xlsx"):
            seconds, taken = timed_import(root / f"data-{kind}", root / f"customers.{kind}")
            print(f"  from {kind.upper():4s} {seconds:6.1f} s ({taken} taken, "
                  f"{taken / seconds:.0f} rows/s)")
        size = (root / "data-csv" / "crm.db").stat().st_size
        print(f"search among {args.customers} customers (crm.db {size / 2**20:.0f} MB; "
              f"count + first page of 200):")
        bench_search(root / "data-csv", rows, args.queries, rnd)
        print("shared file (network mode, rollback journal, BEGIN IMMEDIATE):")
        bench_shared(root, args.processes, args.writes)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
