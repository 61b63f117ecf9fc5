"""The hotel bill-file consumer in a process of its own, for the kill -9 test:
``python hotel_worker.py DATA_DIR [DB_URL]`` appends small batches until nothing is pending,
printing ``batch N`` after each committed batch, then ``done``."""

from __future__ import annotations

import sys
from pathlib import Path

from callcenter.server.hotel.queue import HotelLink
from callcenter.server.store.db import open_store


def main(data_dir: str, url: str | None) -> None:
    db = open_store(Path(data_dir), url)
    link = HotelLink(db, Path(data_dir), batch=7)
    batch = 0
    while link.file_once():
        batch += 1
        print(f"batch {batch}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
