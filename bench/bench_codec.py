"""Codec throughput of PBX serial protocol v1: frame decoder and link session.

Run ``python bench/bench_codec.py`` (after ``pip install -e .``, or with
``PYTHONPATH=common``).  Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

try:
    from callcenter.common.pbx.frame import FrameDecoder, encode_frame
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
    from callcenter.common.pbx.frame import FrameDecoder, encode_frame

from callcenter.common.pbx.messages import CallRecord
from callcenter.common.pbx.session import LinkSession, MessageReceived

CHUNK = 4096


def call_record(n: int) -> CallRecord:
    return CallRecord(sequence=n, start="20240601093015", duration=30 + n % 600,
                      port=f"{1 + n % 24:03d}", extension=f"{8001 + n % 24}",
                      trunk=f"{1 + n % 8:02d}", number=f"1380013{n % 10000:04d}",
                      call_type=("OUT", "IN", "INT")[n % 3], caller="",
                      account="张三" if n % 7 == 0 else "")


def bench_decoder(frames: int) -> None:
    stream = b"".join(encode_frame(n % 256, "CDR", call_record(n).to_fields())
                      for n in range(frames))
    chunks = [stream[i:i + CHUNK] for i in range(0, len(stream), CHUNK)]
    best = float("inf")
    for _ in range(3):
        dec = FrameDecoder()
        got = 0
        t0 = time.perf_counter()
        for chunk in chunks:
            dec.receive_data(chunk)
            got += len(dec.events())
        best = min(best, time.perf_counter() - t0)
        if got != frames:
            raise SystemExit(f"decoder lost frames: {got} of {frames}")
    print(f"decoder : {frames} CDR frames, {len(stream) / frames:.0f} B each, "
          f"{CHUNK} B chunks")
    print(f"          {len(stream) / best / 1e6:8.2f} MB/s  {frames / best:10.0f} frames/s")


def bench_session(messages: int) -> None:
    pc, pbx = LinkSession(window=8), LinkSession(window=8)
    now = 0.0
    pc.start(now)
    pbx.receive_data(pc.data_to_send(), now)
    pc.receive_data(pbx.data_to_send(), now)
    records = [call_record(n) for n in range(messages)]
    got = 0
    t0 = time.perf_counter()
    sent = 0
    while got < messages:
        while sent < messages and pbx.backlog < 64:
            pbx.send(records[sent], now)
            sent += 1
        pc.receive_data(pbx.data_to_send(), now)
        got += sum(isinstance(e, MessageReceived) for e in pc.events())
        pbx.receive_data(pc.data_to_send(), now)
        pbx.events()
    elapsed = time.perf_counter() - t0
    print(f"session : {messages} CallRecords PBX -> PC through a LinkSession pair (window 8)")
    print(f"          {messages / elapsed:10.0f} messages/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    print(f"date    : {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine : {platform.platform()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    print(f"python  : {platform.python_implementation()} {platform.python_version()}")
    bench_decoder(args.frames)
    bench_session(args.messages)


if __name__ == "__main__":
    main()
