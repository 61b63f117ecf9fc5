"""The hotel queue and its consumers: nothing lost, nothing twice, hotel side absent or slow."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.hotel.billfile import encode_line
from callcenter.server.hotel.queue import HotelLink, HotelLinkLoop, enqueue_calls
from callcenter.server.rating import Tariff, TariffRow
from callcenter.server.store.db import database, open_store
from callcenter.server.store.intake import RecordIntake, StoredCall
from callcenter.server.store.prepaid_models import HotelBillFile, HotelQueueEntry
from callcenter.server.store.settings import set_setting
from tests.server.store_fixtures import StoreTarget

TARIFF = Tariff((TariffRow("0", "国内长途", 60, Decimal("0.30"), 60, Decimal("0.30"), 1),))
WORKER = Path(__file__).with_name("hotel_worker.py")


def record(sequence: int) -> CallRecord:
    return CallRecord(sequence, "20261105103000", 60 + sequence % 500, f"{sequence % 24 + 1:03d}",
                      f"{8001 + sequence % 24}", "01", f"0208888{sequence:04d}", "OUT",
                      f"{8001 + sequence % 24}")


def store(sequences: range, after_insert: object = enqueue_calls) -> None:
    RecordIntake(database, "pbx-h", lambda: TARIFF,
                 after_insert=after_insert).store([record(s) for s in sequences])  # type: ignore[arg-type]


def expected_lines(sequences: range) -> list[bytes]:
    rows = HotelQueueEntry.select().order_by(HotelQueueEntry.id)
    lines = [encode_line(str(r.line), "gbk") for r in rows]
    assert len(lines) == len(sequences)
    return lines


def enable(file: bool = True, serial_url: str = "") -> None:
    set_setting("hotel_bill.enabled", "true" if file else "false", "test")
    if serial_url:
        set_setting("hotel_forward.enabled", "true", "test")
        set_setting("hotel_forward.url", serial_url, "test")
        set_setting("hotel_forward.baud", "115200", "test")


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def test_the_queue_is_filled_in_the_intake_transaction(store_db: StoreTarget) -> None:
    store(range(1, 4))  # switched off: nothing queued
    assert HotelQueueEntry.select().count() == 0
    enable(serial_url="socket://127.0.0.1:9")

    def enqueue_then_fail(calls: list[StoredCall]) -> None:
        assert enqueue_calls(calls) == 2
        raise RuntimeError("simulated failure after the insert")

    with pytest.raises(RuntimeError):
        store(range(4, 6), enqueue_then_fail)
    assert HotelQueueEntry.select().count() == 0
    store(range(4, 6))
    store(range(4, 6))  # sent again by the PBX: no second line
    rows = list(HotelQueueEntry.select().order_by(HotelQueueEntry.id))
    assert len(rows) == 2 and not rows[0].file_done and not rows[0].serial_done
    assert rows[0].line.startswith("20261105103000 000104 8005")
    assert rows[0].line.endswith(" 2 国内长途      0.60")


def test_bill_file_gets_each_line_once_across_crashes_and_hotel_moves(
        store_db: StoreTarget) -> None:
    enable()
    store(range(1, 11))
    lines = expected_lines(range(1, 11))
    path = store_db.data_dir / "HotelBill.TXT"
    link = HotelLink(database, store_db.data_dir, batch=4)
    assert link.file_once() == 4
    assert path.read_bytes() == b"".join(lines[:4])
    # A crash after the write of the next batch and before its commit (the whole batch and
    # a half line of the one after are in the file, the queue still says pending):
    with open(path, "ab") as f:
        f.write(b"".join(lines[4:8]) + lines[8][:30])
    assert link.file_once() == 6 and link.file_once() == 0
    assert path.read_bytes() == b"".join(lines)
    assert HotelBillFile.get().size == path.stat().st_size
    # The hotel software read the file and emptied it; new lines start again at its end.
    path.write_bytes(b"")
    store(range(11, 13))
    assert link.file_once() == 2
    assert path.read_bytes() == b"".join(expected_lines(range(1, 13))[10:])


def test_a_crash_after_the_very_first_append_writes_nothing_twice(
        store_db: StoreTarget) -> None:
    """Killed after the first batch reached the file but before the store recorded the
    file at all (no HotelBillFile row yet): the restart recognises those lines."""
    enable()
    store(range(1, 8))
    lines = expected_lines(range(1, 8))
    path = store_db.data_dir / "HotelBill.TXT"
    path.write_bytes(b"".join(lines))  # what the killed writer had appended
    assert HotelBillFile.select().count() == 0
    link = HotelLink(database, store_db.data_dir)
    assert link.file_once() == 7 and link.file_once() == 0
    assert path.read_bytes() == b"".join(lines)


def test_bill_file_folder_absent_then_present(store_db: StoreTarget, tmp_path: Path) -> None:
    share = tmp_path / "hotel-share"
    enable()
    set_setting("hotel_bill.path", str(share / "HotelBill.TXT"), "test")
    store(range(1, 6))
    lines = expected_lines(range(1, 6))
    link = HotelLink(database, store_db.data_dir)
    result = link.run_once()
    assert result.written == 0 and "No such file" in result.file_error
    store(range(6, 8))  # intake goes on meanwhile
    share.mkdir()
    assert link.run_once().written == 7
    assert (share / "HotelBill.TXT").read_bytes() == b"".join(
        lines + expected_lines(range(1, 8))[5:])


def _listener(port: int, received: list[bytes], stop: threading.Event) -> None:
    with socket.create_server(("127.0.0.1", port)) as server:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.2)
                while not stop.is_set():
                    try:
                        data = conn.recv(65536)
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    received.append(data)


def test_serial_forwarding_hotel_absent_then_present(store_db: StoreTarget) -> None:
    with socket.socket() as probe:  # a free port nobody listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    enable(file=False, serial_url=f"socket://127.0.0.1:{port}")
    store(range(1, 31))
    lines = expected_lines(range(1, 31))
    loop = HotelLinkLoop(database, store_db.data_dir, poll=0.1)
    loop.start()
    received: list[bytes] = []
    stop = threading.Event()
    listener = threading.Thread(target=_listener, args=(port, received, stop))
    try:
        wait_until(lambda: "serial" in loop.errors, 10, "the absent hotel side reported")
        assert "cannot open" in loop.errors["serial"]
        listener.start()
        store(range(31, 41))
        loop.notify()
        everything = b"".join(expected_lines(range(1, 41)))
        wait_until(lambda: b"".join(received) == everything, 15, "all 40 lines")
        time.sleep(0.3)  # nothing more arrives
        assert b"".join(received) == everything and b"".join(lines) in everything
    finally:
        loop.stop()
        stop.set()
        if listener.is_alive():
            listener.join(5)
    assert HotelQueueEntry.select().where(HotelQueueEntry.serial_done == False).count() == 0  # noqa: E712


def test_a_converter_dropping_the_connection_loses_no_line(store_db: StoreTarget) -> None:
    """A TCP converter takes the connection, then drops it with lines unread (a reset): the
    writes succeeded on this side, yet those lines are sent again on the next connection."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    enable(file=False, serial_url=f"socket://127.0.0.1:{port}")
    store(range(1, 11))
    everything = b"".join(expected_lines(range(1, 11)))
    link = HotelLink(database, store_db.data_dir)
    connections: list[bytes] = []

    def converter() -> None:
        server.settimeout(10)
        first, _ = server.accept()  # the first connection: read one line, then reset
        first.settimeout(5)
        data = b""
        while b"\r\n" not in data:
            data += first.recv(1)
        connections.append(data)
        time.sleep(0.05)  # the other lines are in flight or unread
        first.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        first.close()  # unread data + linger 0: the converter resets the connection
        second, _ = server.accept()
        second.settimeout(5)
        data = b""
        try:
            while len(data) < len(everything):
                chunk = second.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            pass
        connections.append(data)
        second.close()

    thread = threading.Thread(target=converter)
    thread.start()
    try:
        for _ in range(20):  # bounded: the link is retried as the loop would
            with contextlib.suppress(OSError):
                link.run_once()
            if HotelQueueEntry.select().where(
                    HotelQueueEntry.serial_done == False).count() == 0:  # noqa: E712
                break
            time.sleep(0.1)
        thread.join(10)
    finally:
        link.close()
        server.close()
    assert HotelQueueEntry.select().where(HotelQueueEntry.serial_done == False).count() == 0  # noqa: E712
    # Every line arrived; the first connection's may come again (at least once).
    assert connections[1] == everything, connections


def test_serial_forwarding_over_a_pty(store_db: StoreTarget) -> None:
    leader, follower = os.openpty()
    try:
        import tty

        tty.setraw(follower)
        enable(file=False, serial_url=os.ttyname(follower))
        store(range(1, 6))
        link = HotelLink(database, store_db.data_dir)
        assert link.run_once().sent == 5
        link.close()
        want = b"".join(expected_lines(range(1, 6)))
        got = b""
        deadline = time.monotonic() + 5
        while len(got) < len(want) and time.monotonic() < deadline:
            got += os.read(leader, 65536)
        assert got == want
    finally:
        os.close(leader)
        os.close(follower)


def test_kill_9_of_the_bill_file_consumer_mid_stream(store_db: StoreTarget) -> None:
    enable()
    store(range(1, 2001))
    lines = expected_lines(range(1, 2001))
    path = store_db.data_dir / "HotelBill.TXT"
    database.close()
    argv = [sys.executable, str(WORKER), str(store_db.data_dir)] + (
        [store_db.url] if store_db.url else [])
    for kills in range(3):
        worker = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert worker.stdout is not None
        target = 20 + kills * 30
        for _ in range(target):  # let it commit some batches, then kill it mid-stream
            line = worker.stdout.readline()
            if not line or line.startswith("done"):
                break
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert worker.returncode == -signal.SIGKILL
    finished = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    assert finished.stdout.endswith("done\n")
    open_store(store_db.data_dir, store_db.url)
    assert path.read_bytes() == b"".join(lines)
    assert HotelQueueEntry.select().where(HotelQueueEntry.file_done == False).count() == 0  # noqa: E712
