"""One default data folder for every command (issue 11, item 7): ``records``, ``rooms``,
``tariff``, ``settings`` and ``accounts`` use the service's folder without ``--data``; a
reading command pointed at an empty default folder says where the demo's data is; ``rate``
without any data folder rates with the built-in tariff and says so on standard error or in
``--json``, never on standard output.  Real subprocesses, the default folder moved into a
temporary one with XDG_DATA_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.server.rating.rate import default_tariff
from callcenter.server.rating.tariff_io import save_tariff_file

COMMAND = [sys.executable, "-m", "callcenter.server"]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``callcenter-server ARGS`` with its default data folder at HOME/callcenter."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(home),
           "APPDATA": str(home)}
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def test_rate_without_a_data_folder_uses_the_built_in_tariff(tmp_path: Path) -> None:
    human = run(tmp_path, "rate", "13800138000", "60")
    assert human.returncode == 0, human.stderr
    assert len(human.stdout.splitlines()) == 1
    assert human.stdout.startswith("13800138000 60 s: ")
    assert "built-in default tariff" in human.stderr
    as_json = run(tmp_path, "rate", "13800138000", "60", "--json")
    assert as_json.returncode == 0 and as_json.stderr == ""
    assert json.loads(as_json.stdout)["tariff_source"] == "built-in"
    assert not (tmp_path / "callcenter").exists()  # nothing created


def test_rate_uses_the_default_folders_tariff(tmp_path: Path) -> None:
    folder = tmp_path / "callcenter"
    folder.mkdir()
    save_tariff_file(default_tariff(), folder / "tariff.json")
    result = run(tmp_path, "rate", "13800138000", "60", "--json")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout)["tariff_source"] == str(folder / "tariff.json")
    human = run(tmp_path, "rate", "13800138000", "60")
    assert human.returncode == 0 and human.stderr == ""


@pytest.mark.parametrize("command", [
    ("records", "list"), ("records", "summary"), ("accounts", "list"),
    ("settings", "get", "timezone"), ("rooms", "balance"), ("tariff", "show"),
    ("extensions", "names")])
def test_commands_default_to_the_services_folder(tmp_path: Path,
                                                 command: tuple[str, ...]) -> None:
    folder = tmp_path / "callcenter"
    made = run(tmp_path, "settings", "set", "timezone=Asia/Shanghai")
    assert made.returncode == 0, made.stderr
    assert (folder / "callcenter.db").exists()
    result = run(tmp_path, *command)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [
    ("records", "list"), ("accounts", "list"), ("settings", "get"), ("rooms", "balance"),
    ("tariff", "show"), ("extensions", "names")])
def test_an_empty_default_folder_names_the_demos(tmp_path: Path,
                                                 command: tuple[str, ...]) -> None:
    demo = tmp_path / "callcenter" / "demo"
    assert run(tmp_path, "settings", "set", "timezone=UTC", "--data", str(demo)
               ).returncode == 0
    result = run(tmp_path, *command)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "no server data in" in lines[0]
    assert f"the demo's data is in {demo}: give --data {demo}" in lines[0]
    # A folder given with --data is not the default one: no word of the demo.
    other = run(tmp_path, *command, "--data", str(tmp_path / "other"))
    assert other.returncode == 1 and "demo" not in other.stderr


def test_tariff_without_any_data_folder_reads_the_built_in_one(tmp_path: Path) -> None:
    """Right after installing: `tariff show` and `tariff export` read the tariff `rate` uses
    (a note on standard error); a --data given without server data is still refused."""
    shown = run(tmp_path, "tariff", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    assert "built-in default tariff" in shown.stderr
    prefixes = {row["prefix"] for row in json.loads(shown.stdout)["rows"]}
    assert prefixes == {row.prefix for row in default_tariff().rows}
    out = tmp_path / "tariff.csv"
    exported = run(tmp_path, "tariff", "export", str(out))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"{len(default_tariff().rows)} rows written to {out}"
    assert not (tmp_path / "callcenter").exists()  # nothing created
    typo = run(tmp_path, "tariff", "show", "--data", str(tmp_path / "typo"))
    assert typo.returncode == 1 and "no server data in" in typo.stderr


def test_rate_places_the_call_in_the_sites_time_zone(tmp_path: Path) -> None:
    """`rate --at` without an offset, and "now", are in the site's zone (setting
    `timezone`) when the folder holds a store, whatever this computer's zone is."""
    folder = tmp_path / "site"
    for zone, offset in (("Pacific/Kiritimati", "+14:00"), ("America/Los_Angeles", "-08:00")):
        made = run(tmp_path, "settings", "set", f"timezone={zone}", "--data", str(folder))
        assert made.returncode == 0, made.stderr
        at = run(tmp_path, "rate", "13800138000", "60", "--json", "--data", str(folder),
                 "--at", "2026-12-03T09:30")
        assert at.returncode == 0, at.stderr
        assert json.loads(at.stdout)["start"] == f"2026-12-03T09:30:00{offset}"
        now = run(tmp_path, "rate", "13800138000", "60", "--json", "--data", str(folder))
        assert json.loads(now.stdout)["start"].endswith(offset)
