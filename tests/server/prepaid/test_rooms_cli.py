"""``callcenter-server rooms ...``: output, exit codes, --pbx."""

from __future__ import annotations

import argparse
import io
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.control import ControlClient
from callcenter.server.cli.rooms import add_rooms_parser, run_rooms
from callcenter.server.prepaid import ledger
from callcenter.server.store.settings import get_setting, set_setting
from tests.server.store_fixtures import StoreTarget


def rooms(target: StoreTarget | Path, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="callcenter-server")
    add_rooms_parser(parser.add_subparsers(dest="command"))
    data = target if isinstance(target, Path) else target.data_dir
    action, *rest = argv
    extra = ["--db", target.url] if isinstance(target, StoreTarget) and target.url else []
    args = parser.parse_args(["rooms", action, "--data", str(data), *extra, *rest])
    out, err = io.StringIO(), io.StringIO()
    code = run_rooms(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_topup_balance_ledger_clear_release(store_db: StoreTarget) -> None:
    code, out, _ = rooms(store_db, "topup", "1", "50")
    assert code == 0 and "room 001: balance 50.00 (PBX to be set to normal class)" in out
    assert "next reconcile" in out
    assert rooms(store_db, "topup", "001", "12.5")[0] == 0
    assert rooms(store_db, "topup", "--password", "3", "8")[0] == 0
    code, out, _ = rooms(store_db, "adjust", "001", "-70")
    assert code == 0 and "balance -7.50 (PBX to be set to over limit)" in out
    code, out, _ = rooms(store_db, "balance")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["account", "port", "number", "balance", "state"]
    assert lines[1].split() == ["room", "001", "-7.50", "over", "limit"]
    assert lines[2].split() == ["password", "03", "8.00", "normal"]
    code, out, _ = rooms(store_db, "balance", "001")
    assert code == 0 and len(out.splitlines()) == 2
    code, out, _ = rooms(store_db, "ledger", "001")
    kinds = [line.split()[3] for line in out.splitlines()[1:]]
    assert code == 0 and kinds == ["topup", "topup", "adjustment"]
    user = ledger.entries(ledger.room("1"))[0].who
    assert user.startswith("cli:") and user in out
    code, out, _ = rooms(store_db, "clear", "001")
    assert code == 0 and "balance 0.00" in out
    code, out, _ = rooms(store_db, "release", "001")
    assert code == 0 and "not on prepaid" in out
    code, out, _ = rooms(store_db, "balance", "002")
    assert code == 0 and "not on prepaid" in out


@pytest.mark.parametrize(("argv", "named"), [
    (("topup", "001", "0"), "AMOUNT"),
    (("topup", "001", "-5"), "AMOUNT"),
    (("topup", "001", "1.234"), "AMOUNT"),
    (("topup", "001", "100000.01"), "AMOUNT"),
    (("topup", "001", "ten"), "AMOUNT"),
    (("topup", "001"), "AMOUNT"),
    (("topup",), "PORT"),
    (("topup", "1000", "5"), "PORT"),
    (("topup", "--password", "99", "5"), "--password"),
    (("clear", "001", "5"), "unexpected"),
    (("clear", "002"), "never been topped up"),
])
def test_bad_input_exits_2_naming_it(store_db: StoreTarget, argv: tuple[str, ...],
                                     named: str) -> None:
    code, out, err = rooms(store_db, *argv)
    assert code == 2 and named in err and out == ""


def test_a_store_that_cannot_be_opened_exits_1(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    code, _, err = rooms(not_a_folder, "balance")
    assert code == 1 and "rooms:" in err


def test_pbx_given_sets_the_switch_at_once(store_db: StoreTarget) -> None:
    with Simulator(SimulatorConfig(seed=1)) as sim:
        address = sim.control_address
        assert address is not None
        with ControlClient(*address) as control:
            assert rooms(store_db, "topup", "005", "1")[0] == 0
            code, out, err = rooms(store_db, "adjust", "005", "-2", "--pbx", sim.url)
            assert code == 0, err
            assert "extension.005.over_limit = on (verified)" in out
            assert control.request({"cmd": "get", "key": "extension.005.over_limit"})[
                "value"] == "on"
            code, out, _ = rooms(store_db, "topup", "005", "1", "--pbx", sim.url)
            assert code == 0 and "extension.005.over_limit = off (verified)" in out
    code, _, err = rooms(store_db, "topup", "005", "1", "--pbx", "socket://127.0.0.1:1")
    assert code == 1 and "not updated" in err
    assert ledger.state(ledger.room("5")).balance_fen == 100  # type: ignore[union-attr]


def test_a_port_the_pbx_does_not_have_is_refused(store_db: StoreTarget) -> None:
    """6.5: with the PBX's port count known (the saved parameter image of a 24-extension
    PBX), 025 and 999 are refused by name and nothing is recorded; 024 is taken."""
    from callcenter.server.pbx.image import ParameterImage

    ParameterImage("sim", "1", 24, 8).save(store_db.data_dir / "image.json")
    for port in ("025", "999"):
        code, out, err = rooms(store_db, "topup", port, "5")
        assert code == 2 and out == ""
        assert f"PORT '{port}': this PBX has 24 extension ports (allowed: 001-024)" in err
    assert ledger.state(ledger.room("25")) is None
    assert rooms(store_db, "topup", "024", "5")[0] == 0


def test_ledger_times_are_in_the_site_zone(store_db: StoreTarget) -> None:
    """``rooms ledger`` prints its times in the ``timezone`` setting's zone, not UTC."""
    assert rooms(store_db, "topup", "001", "5")[0] == 0
    set_setting("timezone", "America/New_York", "test")
    at = ledger.entries(ledger.room("1"))[0].at
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    code, out, _ = rooms(store_db, "ledger", "001")
    header, line = out.splitlines()[:2]
    assert code == 0 and "at (America/New_York)" in header and "UTC" not in header
    local = at.astimezone(ZoneInfo(str(get_setting("timezone"))))
    assert f"{local:%Y-%m-%d %H:%M:%S}" in line


def test_rooms_help_names_no_internal_ids(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="callcenter-server")
    add_rooms_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        parser.parse_args(["rooms", "--help"])
    out = capsys.readouterr().out
    assert "Prepaid rooms" in out and "S-39" not in out and "S-26" not in out
