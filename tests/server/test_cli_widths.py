"""Columns by display width (cli/widths.py, print_table) and ``tariff show``: its table lines
up with Chinese text, and ``tariff show | head -1`` ends quietly."""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from callcenter.server.cli.common import print_table
from callcenter.server.cli.tariff import add_tariff_parser, run_tariff
from callcenter.server.cli.widths import display_width, ljust, rjust
from callcenter.server.store.db import database, open_store
from tests.server.query.query_support import head_one_line, store_records
from tests.server.query.test_records_cli import KNOWN
from tests.server.query.test_records_cli import run as run_records_cli


def tariff(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_tariff_parser(parser.add_subparsers(dest="command"))
    return run_tariff(parser.parse_args(["tariff", *argv]))


def test_wide_characters_take_two_columns() -> None:
    assert display_width("abc") == 3
    assert display_width("国际长途") == 8
    assert display_width("ＡＢ") == 4  # fullwidth forms
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    assert display_width("a\u200bb") == 2
    assert ljust("长途", 6) == "长途  " and rjust("长途", 6) == "  长途"
    assert ljust("长途长途", 4) == "长途长途"  # never cut


def test_print_table_pads_by_display_width() -> None:
    out = io.StringIO()
    print_table([["业务类型", "count", "cost"], ["国际长途电话", "3", "1.20"],
                 ["local", "12", "0.40"]], out, right={1, 2})
    lines = out.getvalue().splitlines()
    # Every column ends at the same screen column on every line.
    ends = [[display_width(line[:line.index(cell) + len(cell)]) for cell in cells]
            for line, cells in zip(lines, [["业务类型", "count", "cost"],
                                           ["国际长途电话", "3", "1.20"],
                                           ["local", "12", "0.40"]], strict=True)]
    assert ends[0][1:] == ends[1][1:] == ends[2][1:]
    assert lines[2].startswith("local         ")  # 12 columns of 国际长途电话 + 2 blanks


def test_tariff_show_lines_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    open_store(tmp_path)
    assert tariff("show", "--data", str(tmp_path)) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert lines[0].startswith("字头")
    # The description column starts at the same screen column on every line.
    starts = set()
    for line in lines:
        head = line.rstrip().rsplit("  ", 1)[0]
        starts.add(display_width(head))
    assert len(starts) == 1


def test_tariff_show_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``tariff show | head -1``: no "[Errno 32] Broken pipe", no traceback."""
    data = tmp_path / "data"
    open_store(data)
    database.close()
    rows = tmp_path / "big.csv"
    rows.write_text("prefix,description,initial_seconds,initial_charge,interval_seconds,"
                    "interval_charge,service_type\n"
                    + "".join(f"9{i:05d},长途电话 {i},60,0.30,60,0.30,1\n" for i in range(3000)),
                    encoding="utf-8")
    assert tariff("import", str(rows), "--data", str(data)) == 0  # > 64 KiB when shown
    database.close()
    head_one_line(["tariff", "show", "--data", str(data)])


def test_records_summary_by_service_type_lines_up(store_db: Any,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``records summary --by service_type``: the count column ends at one screen column on
    every line, Chinese labels (3-市话费) or not ((none), total)."""
    store_records(KNOWN)
    assert run_records_cli(store_db, "summary", "--by", "service_type") == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert any(line.startswith("3-市话费") for line in lines) and len(lines) == 4
    ends = set()
    for line in lines:
        label_and_count = re.match(r"\S+\s+\S+", line)
        assert label_and_count is not None, line
        ends.add(display_width(line[:label_and_count.end()]))
    assert len(ends) == 1, lines


@pytest.mark.parametrize("argv", [
    ("tariff", "show"),
    ("rooms", "balance"),
    ("rate", "13800138000", "60"),
    ("settings", "get", "timezone"),
    ("accounts", "list"),
    ("records", "list"),
])
def test_every_command_into_a_pipe_already_closed_ends_quietly(tmp_path: Path,
                                                              argv: tuple[str, ...]) -> None:
    """A reader gone before the first line (``... | head -0``): exit 141 as SIGPIPE would,
    no "[Errno 32] Broken pipe" and no traceback (``rate`` still notes its tariff)."""
    data = tmp_path / "data"
    open_store(data)
    database.close()
    assert subprocess.run([sys.executable, "-m", "callcenter.server", "rooms", "topup", "010",
                           "5", "--data", str(data)], capture_output=True, check=False,
                          timeout=60).returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "callcenter.server", *argv,
                               "--data", str(data)], stdout=write_end,
                              stderr=subprocess.PIPE, check=False, timeout=60)
    finally:
        os.close(write_end)
    err = done.stderr.decode()
    assert "Broken pipe" not in err and "Errno" not in err and "Traceback" not in err, err
    assert done.returncode == 141
