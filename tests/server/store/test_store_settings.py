"""Server settings: validated, stored, audited; the ``settings get|set`` command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from callcenter.server.cli.settings import add_settings_parser, run_settings
from callcenter.server.store.models import AuditEntry, Setting
from callcenter.server.store.settings import (
    REGISTRY,
    SettingError,
    all_settings,
    get_setting,
    set_setting,
)
from tests.server.store_fixtures import StoreTarget


def test_defaults(store_db: StoreTarget) -> None:
    values = all_settings()
    assert values["retention_days"] == 90
    assert values["timezone"] == "Asia/Shanghai"
    assert values["hotel_bill.encoding"] == "gbk"
    assert values["console.operator_modules"] == "monitor,records,rooms"
    assert (values["pbx.baud"], values["pbx.bytesize"], values["pbx.parity"],
            values["pbx.stopbits"]) == (9600, 8, "N", 1)
    assert (values["pbx.ack_timeout"], values["pbx.retries"]) == (3.0, 3)
    assert list(values) == list(REGISTRY)
    assert Setting.select().count() == 0  # defaults are not written


@pytest.mark.parametrize(("key", "text", "value"), [
    ("retention_days", "365", 365), ("retention_days", " 1 ", 1),
    ("hotel_bill.enabled", "yes", True), ("hotel_bill.enabled", "0", False),
    ("hotel_bill.encoding", "GB18030", "gb18030"), ("hotel_bill.path", "/srv/HotelBill.TXT",
                                                    "/srv/HotelBill.TXT"),
    ("pbx.parity", "e", "E"), ("pbx.baud", "115200", 115200), ("pbx.stopbits", "2", 2),
    ("pbx.url", "socket://10.0.0.5:4001", "socket://10.0.0.5:4001"),
    ("hotel_forward.baud", "4800", 4800), ("timezone", "Asia/Urumqi", "Asia/Urumqi"),
    ("pbx.url", "COM3", "COM3"), ("pbx.url", "/dev/pts/5", "/dev/pts/5"),
    ("pbx.url", "rfc2217://ts1:2001", "rfc2217://ts1:2001"), ("pbx.url", "loop://", "loop://"),
    ("pbx.url", "spy:///dev/ttyUSB0", "spy:///dev/ttyUSB0"), ("pbx.url", "", ""),
    ("pbx.url", "hwgrep://0403:6001", "hwgrep://0403:6001"),  # checked when opened
    ("pbx.url", "alt:///dev/ttyS0?class=PosixPollSerial", "alt:///dev/ttyS0?class=PosixPollSerial"),
    ("hotel_forward.url", "SOCKET://10.0.0.6:4002", "SOCKET://10.0.0.6:4002"),
    ("hotel_bill.encoding", "utf-8", "utf-8"), ("hotel_bill.encoding", "cp936", "cp936"),
    ("pbx.ack_timeout", "0.5", 0.5), ("pbx.ack_timeout", "60", 60.0),
    ("pbx.retries", "0", 0), ("pbx.retries", "20", 20),
])
def test_good_values(store_db: StoreTarget, key: str, text: str, value: object) -> None:
    assert set_setting(key, text, "tester") == value
    assert get_setting(key) == value


@pytest.mark.parametrize(("key", "text", "allowed"), [
    ("retention_days", "0", "1-3650"), ("retention_days", "3651", "1-3650"),
    ("retention_days", "ninety", "1-3650"), ("hotel_bill.enabled", "maybe", "true or false"),
    ("hotel_bill.encoding", "klingon", "codec"), ("pbx.baud", "12345", "115200"),
    ("pbx.parity", "X", "N, E or O"), ("pbx.bytesize", "9", "7 or 8"),
    ("pbx.stopbits", "3", "1 or 2"), ("timezone", "Mars/Olympus", "IANA"),
    ("timezone", "../etc/passwd", "IANA"), ("pbx.url", "COM 3", "serial port"),
    ("pbx.url", "bogus://x", "pyserial cannot open bogus:// URLs (it opens "),
    ("pbx.url", "socket://10.0.0.5", "socket://HOST:PORT"),
    ("pbx.url", "socket://10.0.0.5:99999", "socket://HOST:PORT"),
    ("pbx.url", "../x://y", "pyserial cannot open"),
    ("hotel_forward.url", "bogus://x", "pyserial cannot open bogus://"),
    ("hotel_bill.encoding", "zlib", "not a text encoding"),
    ("hotel_bill.encoding", "base64", "not a text encoding"),
    ("hotel_bill.encoding", "hex", "not a text encoding"),
    ("hotel_bill.encoding", "rot13", "not a text encoding"),
    ("hotel_bill.encoding", "utf-16", "one byte each"),
    ("hotel_bill.encoding", "utf-8-sig", "one byte each"),  # a BOM before every batch
    ("hotel_bill.encoding", "cp037", "one byte each"),  # EBCDIC
    ("pbx.ack_timeout", "0", "0.05-60"), ("pbx.ack_timeout", "61", "0.05-60"),
    ("pbx.ack_timeout", "nan", "0.05-60"), ("pbx.ack_timeout", "soon", "0.05-60"),
    ("pbx.retries", "21", "0-20"), ("pbx.retries", "-1", "0-20"),
])
def test_bad_values_change_nothing(store_db: StoreTarget, key: str, text: str,
                                   allowed: str) -> None:
    before = get_setting(key)
    with pytest.raises(SettingError) as info:
        set_setting(key, text, "tester")
    message = str(info.value)
    assert message.startswith(key) and allowed in message
    assert get_setting(key) == before
    assert AuditEntry.select().count() == 0


def test_unknown_key(store_db: StoreTarget) -> None:
    with pytest.raises(SettingError, match=r"unknown setting 'retention'.*retention_days"):
        set_setting("retention", "5", "tester")
    with pytest.raises(SettingError, match="unknown setting"):
        get_setting("nope")


def test_changes_are_audited(store_db: StoreTarget) -> None:
    set_setting("retention_days", "30", "admin")
    set_setting("retention_days", "60", "cli:root")
    entries = list(AuditEntry.select().order_by(AuditEntry.id))
    assert [(e.who, e.what, e.key, e.old, e.new) for e in entries] == [
        ("admin", "setting", "retention_days", None, "30"),
        ("cli:root", "setting", "retention_days", "30", "60")]
    assert entries[0].at <= entries[1].at


def test_a_tampered_stored_value_reads_as_the_default(store_db: StoreTarget) -> None:
    store_db.sql("INSERT INTO setting (key, value, updated_at) VALUES (?, ?, ?)",
                 ("retention_days", json.dumps(99999), "2026-01-01 00:00:00"))
    assert get_setting("retention_days") == 90


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="callcenter-server")
    commands = parser.add_subparsers(dest="command", required=True)
    add_settings_parser(commands)
    return run_settings(parser.parse_args(argv))


def test_cli_get_and_set(store_target: StoreTarget, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(store_target.data_dir)
    db = ["--db", store_target.url] if store_target.url else []
    assert _run(["settings", "set", "--data", data, *db, "retention_days=120"]) == 0
    assert capsys.readouterr().out == "120\n"
    # the PostgreSQL URL is remembered: no --db needed any more
    assert _run(["settings", "get", "--data", data, "retention_days"]) == 0
    assert capsys.readouterr().out == "120\n"
    assert _run(["settings", "set", "--data", data, "hotel_bill.enabled=on"]) == 0
    assert capsys.readouterr().out == "true\n"
    assert _run(["settings", "get", "--data", data]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "retention_days=120" in lines and "hotel_bill.enabled=true" in lines
    assert len(lines) == len(REGISTRY)
    [entry] = AuditEntry.select().where(AuditEntry.key == "retention_days")
    assert entry.who.startswith("cli:")


@pytest.mark.parametrize(("argv", "message"), [
    (["set", "retention_days=0"], "retention_days: '0' is not allowed"),
    (["set", "hotel_bill.encoding=zlib"], "hotel_bill.encoding: 'zlib' is not allowed"),
    (["set", "retention_days"], "expected KEY=VALUE"),
    (["set", "colour=red"], "unknown setting 'colour'"),
    (["get", "colour"], "unknown setting 'colour'"),
])
def test_cli_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               argv: list[str], message: str) -> None:
    action, *rest = argv
    assert _run(["settings", action, "--data", str(tmp_path / "d"), *rest]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert not (tmp_path / "d").exists()  # refused before anything was created
