"""The console's preferences on this PC (the chosen language): the file without Tk, then the
window under Xvfb: English chosen from the 帮助 menu, a new console starts in English.  The
console tests' conftest points $XDG_CONFIG_HOME at the test's own folder (``config_home``)."""

from __future__ import annotations

import json
import tkinter as tk
from collections.abc import Callable
from pathlib import Path

import pytest

from callcenter.server.console import preferences
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from tests.server.console.console_support import PASSWORD, pump_until

# ---------------------------------------------------------------------- the file


def test_the_file_is_in_the_users_config_folder(config_home: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert preferences.preferences_path() == config_home / "callcenter" / "console.json"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")  # not absolute: ignored (XDG)
    assert preferences.preferences_path() == \
        Path.home() / ".config" / "callcenter" / "console.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert preferences.config_dir() == Path.home() / ".config" / "callcenter"


def test_the_language_round_trip_keeps_other_preferences(config_home: Path) -> None:
    path = config_home / "callcenter" / "console.json"
    assert preferences.saved_language() is None and not path.exists()
    assert preferences.save_language("en")
    assert json.loads(path.read_text(encoding="utf-8")) == {"language": "en"}
    assert preferences.saved_language() == "en"
    path.write_text(json.dumps({"language": "en", "later": [1, 2]}), encoding="utf-8")
    assert preferences.save_language("zh")
    assert preferences.load() == {"language": "zh", "later": [1, 2]}
    assert preferences.saved_language() == "zh"
    assert sorted(p.name for p in path.parent.iterdir()) == ["console.json"]  # no .part left
    with pytest.raises(ValueError, match="allowed zh, en"):
        preferences.save_language("fr")


@pytest.mark.parametrize("content", [b"{not json", b"", b"\xff\xfe\x00garbage", b"[\"en\"]",
                                     b'"en"', b'{"language": "fr"}', b'{"language": 7}'])
def test_a_corrupt_file_is_ignored(config_home: Path, content: bytes) -> None:
    path = config_home / "callcenter" / "console.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert preferences.saved_language() is None
    # and the next choice replaces it
    assert preferences.save_language("en") and preferences.saved_language() == "en"


def test_a_file_that_cannot_be_written_is_no_error(config_home: Path) -> None:
    config_home.mkdir()
    (config_home / "callcenter").write_text("a file where the folder should be")
    assert preferences.save_language("en") is False
    assert preferences.saved_language() is None


# ---------------------------------------------------------------------- the window


def _choose_from_help_menu(root: tk.Tk, app: ConsoleApp, label: str) -> None:
    menubar = app.window.menubar
    last = menubar.index("end")
    assert last is not None
    help_menu = root.nametowidget(menubar.entrycget(last, "menu"))
    help_menu.invoke(help_menu.index(label))


def test_the_chosen_language_is_used_at_the_next_start(
        tk_root: tk.Tk, address: ServiceAddress, account: Callable[..., str],
        config_home: Path) -> None:
    user = account("polyglot")
    apps: list[ConsoleApp] = []

    def start() -> ConsoleApp:
        tk_root.geometry("1024x720")
        app = ConsoleApp(tk_root, address, embedded=True, user=user, password=PASSWORD,
                         _utest=True)
        apps.append(app)
        app.start()
        pump_until(tk_root, lambda: bool(app.window.modules), what="the modules")
        return app

    try:
        first = start()
        assert first.catalogue.language == "zh"  # nothing saved yet: Chinese
        assert first.window.menu_labels()[0] == "系统设置"
        _choose_from_help_menu(tk_root, first, "English (英文)")
        assert first.window.menu_labels()[0] == "System settings"
        saved = json.loads((config_home / "callcenter" / "console.json").read_text("utf-8"))
        assert saved == {"language": "en"}
        first.close()
        second = start()
        assert second.catalogue.language == "en"
        assert second.window.menu_labels()[0] == "System settings"
        assert second.window.menu_labels()[-1] == "Help"
        _choose_from_help_menu(tk_root, second, "中文*")
        assert second.window.menu_labels()[0] == "系统设置"
        assert preferences.saved_language() == "zh"
    finally:
        for app in apps:
            app.close()
