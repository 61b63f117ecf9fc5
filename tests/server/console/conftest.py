"""Fixtures of the console tests (see console_support); every test has its own empty config
folder, so a language chosen in one test (saved by the console) never reaches another, nor the
real user's preferences."""

from pathlib import Path

import pytest

from tests.server.console.console_support import (
    account,
    address,
    collect_in_this_thread,
    display,
    runtime,
    sim,
    tk_root,
)

__all__ = ["account", "address", "collect_in_this_thread", "display", "runtime", "sim",
           "tk_root"]


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$XDG_CONFIG_HOME (and %APPDATA%) in the test's own folder."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.setenv("APPDATA", str(home))
    return home
