"""The consistency rules' cost per checked parameter write (schema ``check_consistency``).

Every parameter write is checked against the rules between settings (unique extension
numbers, ports that exist, ...) on the whole image with the new value in it, and a batch
checks each of its keys against the image so far. The rules read whole columns of the image;
``RowIndex`` indexes it once per check, and a batch derives each trial from the last by
changing one column. Printed: one check on the plain image (every rule scanning all keys, as
before the index), one check through ``RowIndex``, and a batch of N extension-number writes
(100; 24 on the small PBX) validated as the service does (``validate_batch``; before the
index it made N such scans on N copies), for a 24-port and a 999 x 99 PBX.

Run: python bench/bench_rules.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

from benchinfo import cpu_model

from callcenter.common.schema import RowIndex, build_schema, catalog
from callcenter.server.pbx.batch import validate_batch


def _median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(extensions: int, trunks: int, repeat: int) -> tuple[int, float, float, float]:
    """(keys, ms per check by scanning, ms per check through RowIndex, ms per batch)."""
    schema = build_schema(extensions, trunks)
    image = schema.defaults()
    rules = catalog.rules()
    count = min(100, extensions)
    pairs = [(f"extension.{p:03d}.number", f"6{p:03d}") for p in range(1, count + 1)]
    to_write, settled = validate_batch(schema, image, pairs, trusted=lambda _key: True)
    assert len(to_write) == count and not settled, settled  # every pair checked, all valid
    scan = _median_ms(lambda: [m for rule in rules if (m := rule(image))], repeat)
    indexed = _median_ms(lambda: schema.check_consistency(RowIndex(image)), repeat)
    batch = _median_ms(lambda: validate_batch(schema, image, pairs, trusted=lambda _key: True),
                       max(3, repeat // 4))
    return len(image), scan, indexed, batch


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d} python {platform.python_version()} on "
          f"{platform.platform()}, {os.cpu_count()} CPUs, {cpu_model()}")
    print(f"{'PBX':>10} {'keys':>6} {'scan/check':>11} {'index/check':>12} {'batch of N':>11}")
    for extensions, trunks in ((24, 8), (999, 99)):
        keys, scan, indexed, batch = measure(extensions, trunks, args.repeat)
        print(f"{extensions:>4} x {trunks:<3} {keys:>6} {scan:>9.2f}ms {indexed:>10.2f}ms "
              f"{batch:>9.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
