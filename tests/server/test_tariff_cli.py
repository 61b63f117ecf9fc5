"""``callcenter-server tariff ...``: import/export, holidays, explicit re-rating."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

import pytest

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.cli.tariff import add_tariff_parser, run_tariff
from callcenter.server.prepaid import ledger
from callcenter.server.prepaid.ledger import charge_calls
from callcenter.server.rating import Tariff, TariffRow
from callcenter.server.rating.tariff_io import load_data_tariff, write_tariff_rows
from callcenter.server.store.db import database, open_store
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.models import AuditEntry, CallRecordRow, RatingRow
from callcenter.server.store.prepaid_models import PrepaidEntry


def tariff(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_tariff_parser(parser.add_subparsers(dest="command"))
    return run_tariff(parser.parse_args(["tariff", *argv]))


def long_distance(price: str) -> Tariff:
    return Tariff((TariffRow("0", "国内长途", 60, Decimal(price), 60, Decimal(price), 1),))


def test_export_import_makes_a_new_version_on_record(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    open_store(tmp_path)  # a data folder the server has run with, the built-in tariff
    assert tariff("show", "--data", str(tmp_path)) == 0
    assert "28 rows" in capsys.readouterr().out  # the built-in tariff (DEFAULT_ROWS)
    exported = tmp_path / "t.csv"
    assert tariff("export", str(exported), "--data", str(tmp_path)) == 0
    old = load_data_tariff(tmp_path).version
    text = exported.read_text(encoding="utf-8").replace("\n8,", "\n9,")
    exported.write_text(text, encoding="utf-8")
    assert tariff("import", str(exported), "--data", str(tmp_path)) == 0
    new = load_data_tariff(tmp_path)
    assert new.version != old and new.rate("98765432", 300).cost == Decimal("0.44")
    entry = AuditEntry.get(AuditEntry.what == "tariff")
    assert (entry.old, entry.new) == (old, new.version)


def test_a_bad_file_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("prefix,description,initial_seconds,initial_charge,interval_seconds,"
                   "interval_charge,service_type\n12x,a,-1,0.1,60,0.1,1\n", encoding="utf-8")
    before = load_data_tariff(tmp_path).version
    assert tariff("import", str(bad), "--data", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "prefix" in err and "initial_seconds" in err
    # Each problem once, under one head line.
    assert err.count("initial_seconds") == 1 and err.count("row 2: prefix") == 1
    assert err.count("2 problems, nothing imported") == 1
    assert load_data_tariff(tmp_path).version == before
    assert tariff("rerate", "--from", "2026-13-01", "--to", "2026-11-30",
                  "--data", str(tmp_path)) == 2


def test_holidays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tariff("holidays", "--add", "2026-10-01", "2026-10-02", "--data", str(tmp_path)) == 0
    assert tariff("holidays", "--remove", "2026-10-02", "--data", str(tmp_path)) == 0
    capsys.readouterr()
    assert tariff("holidays", "--data", str(tmp_path)) == 0
    assert capsys.readouterr().out.split() == ["2026-10-01"]


def test_rerate_appends_ratings_and_adjusts_prepaid_ledgers(tmp_path: Path) -> None:
    open_store(tmp_path)
    write_tariff_rows(long_distance("0.30").rows, tmp_path / "ld.csv")
    assert tariff("import", str(tmp_path / "ld.csv"), "--data", str(tmp_path)) == 0
    ledger.top_up(ledger.room("001"), Decimal("10"), "cli:test")
    intake = RecordIntake(database, "main", lambda: load_data_tariff(tmp_path),
                          after_insert=charge_calls)
    intake.store([CallRecord(1, "20261105103000", 600, "001", "8001", "01", "02088886666",
                             "OUT"),
                  CallRecord(2, "20261205103000", 600, "002", "8002", "01", "02088886666",
                             "OUT")])
    assert [r.cost_fen for r in CallRecordRow.select().order_by(CallRecordRow.sequence)] == \
        [300, 300]
    assert ledger.state(ledger.room("001")).balance == Decimal("7.00")  # type: ignore[union-attr]
    write_tariff_rows(long_distance("0.20").rows, tmp_path / "ld.csv")
    assert tariff("import", str(tmp_path / "ld.csv"), "--data", str(tmp_path)) == 0
    assert tariff("rerate", "--from", "2026-11-01", "--to", "2026-11-30",
                  "--data", str(tmp_path)) == 0
    costs = {r.sequence: r.cost_fen for r in CallRecordRow.select()}
    assert costs == {1: 200, 2: 300}  # only November was re-rated
    ratings = list(RatingRow.select().where(RatingRow.record == CallRecordRow.get(
        CallRecordRow.sequence == 1).id).order_by(RatingRow.id))
    assert [r.cost_fen for r in ratings] == [300, 200]
    assert ratings[0].reason == "intake" and ratings[1].reason.startswith("re-rate cli:")
    assert ledger.state(ledger.room("001")).balance == Decimal("8.00")  # type: ignore[union-attr]
    # Nothing changed since: a second re-rate is a no-op.
    assert tariff("rerate", "--from", "2026-11-01", "--to", "2026-11-30",
                  "--data", str(tmp_path)) == 0
    assert RatingRow.select().count() == 3
    assert PrepaidEntry.select().where(PrepaidEntry.kind == "adjustment").count() == 1


def test_rerate_names_archived_calls_that_keep_their_rating(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime

    from callcenter.server.store.archive import run_retention

    open_store(tmp_path)
    write_tariff_rows(long_distance("0.30").rows, tmp_path / "ld.csv")
    assert tariff("import", str(tmp_path / "ld.csv"), "--data", str(tmp_path)) == 0
    intake = RecordIntake(database, "main", lambda: load_data_tariff(tmp_path))
    intake.store([CallRecord(1, "20260105103000", 600, "001", "8001", "01", "02088886666",
                             "OUT"),
                  CallRecord(2, "20260605103000", 600, "002", "8002", "01", "02088886666",
                             "OUT")])
    run_retention(database, datetime(2026, 6, 20, 12, 0))  # January is archived
    write_tariff_rows(long_distance("0.20").rows, tmp_path / "ld.csv")
    assert tariff("import", str(tmp_path / "ld.csv"), "--data", str(tmp_path)) == 0
    capsys.readouterr()
    assert tariff("rerate", "--from", "2026-01-01", "--to", "2026-06-30",
                  "--data", str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "1 of 1 calls changed" in out
    assert "1 calls of this range are in monthly archives" in out
    assert {r.sequence: r.cost_fen for r in CallRecordRow.select()} == {2: 200}


@pytest.mark.parametrize("action", ["export", "import"])
def test_an_unsupported_file_suffix_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str) -> None:
    open_store(tmp_path)
    target = tmp_path / "x.doc"
    target.write_text("not a tariff", encoding="utf-8")
    assert tariff(action, str(target), "--data", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "x.doc" in err and ".csv" in err and ".xlsx" in err
    assert target.read_text(encoding="utf-8") == "not a tariff"


@pytest.mark.parametrize("argv", [
    ("show",), ("show", "--json"), ("export", "t.csv"), ("holidays",),
    ("rerate", "--from", "2026-11-01", "--to", "2026-11-30"),
])
def test_reading_a_folder_without_server_data_exits_1_and_creates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    missing, empty = tmp_path / "typo", tmp_path / "empty"
    empty.mkdir()
    for data in (missing, empty):
        args = [str(empty / a) if a == "t.csv" else a for a in argv]
        assert tariff(*args, "--data", str(data)) == 1
        captured = capsys.readouterr()
        assert f"no server data in {data} (" in captured.err and captured.out == ""
    assert not missing.exists() and list(empty.iterdir()) == []


def test_commands_that_create_the_store_still_do(tmp_path: Path) -> None:
    write_tariff_rows(long_distance("0.30").rows, tmp_path / "ld.csv")
    assert tariff("import", str(tmp_path / "ld.csv"), "--data", str(tmp_path / "a")) == 0
    assert tariff("holidays", "--add", "2026-10-01", "--data", str(tmp_path / "b")) == 0
    for data in (tmp_path / "a", tmp_path / "b"):
        assert (data / "callcenter.db").exists() and (data / "tariff.json").exists()
        assert tariff("show", "--data", str(data)) == 0
    # A folder with only a tariff file (copied from elsewhere) shows that tariff.
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "tariff.json").write_bytes((tmp_path / "a" / "tariff.json").read_bytes())
    assert tariff("export", str(tmp_path / "c.csv"), "--data", str(tmp_path / "c")) == 0
