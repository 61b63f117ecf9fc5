"""Rating benchmark (issue 3, section 8): rate() calls per second, receipts not formatted.

Goal: at least 200,000 calls per second with a 10,000-row tariff. Prints figures only (no
asserts; see docs/benchmarks.md). Run: .venv/bin/python bench/bench_rating.py [--calls N]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import time
from decimal import Decimal

from callcenter.server.rating import Tariff, TariffRow, sample_tariff

GOAL = 200_000


def random_tariff(rows: int, rnd: random.Random) -> Tariff:
    prefixes: set[str] = set()
    while len(prefixes) < rows:
        prefixes.add("".join(rnd.choice("0123456789") for _ in range(rnd.randint(2, 7))))
    return Tariff(tuple(
        TariffRow(prefix, f"row {i}", rnd.choice((0, 60, 180)),
                  Decimal(rnd.randint(0, 100)).scaleb(-2), rnd.choice((0, 6, 30, 60)),
                  Decimal(rnd.randint(0, 50)).scaleb(-2), rnd.choice((0, 1, 3, 13)))
        for i, prefix in enumerate(sorted(prefixes))))


def calls(tariff: Tariff, count: int, rnd: random.Random) -> list[tuple[str, int]]:
    """Numbers of 8-12 digits, three in four extending a tariff prefix, durations 0-1 h."""
    prefixes = [row.prefix for row in tariff.rows]
    out = []
    for _ in range(count):
        head = rnd.choice(prefixes) if rnd.random() < 0.75 else ""
        tail = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(8, 12) - len(head)))
        out.append((head + tail, rnd.randint(0, 3600)))
    return out


def measure(tariff: Tariff, work: list[tuple[str, int]], repeats: int) -> float:
    """Best of ``repeats`` runs, in calls per second."""
    rate = tariff.rate
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        for number, seconds in work:
            rate(number, seconds)
        best = min(best, time.perf_counter() - began)
    return len(work) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rnd = random.Random(20250101)
    print(f"rating benchmark  {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %z}")
    print(f"python {platform.python_version()} ({platform.python_implementation()}) on "
          f"{platform.platform()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu ?'}")
    for name, tariff in (("sample tariff (18 rows)", sample_tariff()),
                         ("random tariff (10,000 rows)", random_tariff(10_000, rnd))):
        work = calls(tariff, args.calls, rnd)
        per_second = measure(tariff, work, args.repeats)
        matched = sum(1 for number, _ in work if tariff.row_for(number) is not None)
        print(f"{name:30} {per_second:>12,.0f} calls/s   goal {GOAL:,}   ratio "
              f"{per_second / GOAL:.2f}   ({matched / len(work):.0%} matched, "
              f"{len(work):,} calls, best of {args.repeats})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
