"""Start-menu and desktop shortcuts (S-1 CALLCENTER, C-1 CRM): desktop entries written for
this user, that start the installed program, and removed again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.common.shortcut import Shortcut, desktop_entry

ROOT = Path(__file__).resolve().parents[2]


def exec_words(entry: str) -> list[str]:
    """The ``Exec`` key's arguments, unquoted as the desktop entry spec says."""
    line = next(x for x in entry.splitlines() if x.startswith("Exec="))[5:]
    words, word, quoted, escaped, started = [], "", False, False, False
    for c in line.replace("%%", "%"):
        if escaped:
            word, escaped = word + c, False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if word or started:
                words.append(word)
            word, started = "", False
        else:
            word += c
    if word or started:
        words.append(word)
    return words


def test_the_exec_line_quotes_what_the_spec_asks() -> None:
    command = ("/opt/call center/bin/callcenter-server", "--data", 'C:\\a "b" $x`y 100%')
    entry = desktop_entry(Shortcut("callcenter", "CALLCENTER", "console", "控制台", command))
    assert exec_words(entry) == list(command)
    assert "Name=CALLCENTER\n" in entry and "Comment[zh_CN]=控制台\n" in entry
    assert entry.startswith("[Desktop Entry]\nType=Application\n")


@pytest.mark.parametrize(("module", "stem", "name", "program"), [
    ("callcenter.server", "callcenter", "CALLCENTER", "callcenter-server"),
    ("callcenter.crm_client", "callcenter-crm", "CRM", "callcenter-crm"),
])
def test_a_shortcut_starts_the_installed_program_and_goes_again(
        tmp_path: Path, module: str, stem: str, name: str, program: str) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "share"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", module, "shortcut", *args], env=env,
                              capture_output=True, text=True, timeout=60, check=False)

    made = run("--desktop")
    assert made.returncode == 0, made.stderr
    menu = tmp_path / "share" / "applications" / f"{stem}.desktop"
    desktop = tmp_path / "Desktop" / f"{stem}.desktop"
    assert made.stdout.splitlines() == [f"shortcut {name}: {menu}", f"shortcut {name}: {desktop}"]
    entry = menu.read_text(encoding="utf-8")
    assert desktop.read_text(encoding="utf-8") == entry
    assert f"Name={name}\n" in entry and os.access(desktop, os.X_OK)
    # the Exec line names the program installed beside this Python, and it runs
    words = exec_words(entry)
    assert Path(words[0]).is_absolute() and Path(words[0]).parent == Path(sys.executable).parent
    assert Path(words[0]).name in (program, "python", "python3") or words[1:3] == ["-m", module]
    helped = subprocess.run([*words, "--help"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert helped.returncode == 0 and program in helped.stdout, helped.stderr
    gone = run("--remove")
    assert gone.returncode == 0 and not menu.exists() and not desktop.exists()
    assert gone.stdout.splitlines() == [f"removed {menu}", f"removed {desktop}"]
    assert run("--remove").stdout == "no shortcut to remove\n"


def test_a_folder_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    blocked = tmp_path / "share"
    blocked.write_text("a file where the folder should be")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(blocked)}
    done = subprocess.run([sys.executable, "-m", "callcenter.server", "shortcut"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"callcenter-server: {blocked / 'applications'}")
    assert "cannot write the shortcut" in done.stderr and "Traceback" not in done.stderr
