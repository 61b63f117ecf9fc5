"""``settings set`` prints the value as stored and as ``settings get`` shows it: a yes/no
setting given as ``yes`` prints ``true`` (never Python's ``True``)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from callcenter.server.cli.settings import add_settings_parser, run_settings


def settings(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="callcenter-server")
    add_settings_parser(parser.add_subparsers(dest="command"))
    return run_settings(parser.parse_args(["settings", *argv]))


@pytest.mark.parametrize(("given", "shown"), [("yes", "true"), ("on", "true"), ("no", "false"),
                                              ("TRUE", "true"), ("0", "false")])
def test_a_yes_no_setting_prints_true_or_false(tmp_path: Path, given: str, shown: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert settings("set", f"hotel_bill.enabled={given}", "--data", str(tmp_path)) == 0
    assert capsys.readouterr().out == f"{shown}\n"
    assert settings("get", "hotel_bill.enabled", "--data", str(tmp_path)) == 0
    assert capsys.readouterr().out == f"{shown}\n"
