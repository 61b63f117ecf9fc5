"""Start-menu and desktop shortcuts of both programs (S-1 "CALLCENTER", C-1 "CRM").

On Linux and other freedesktop systems a shortcut is a desktop entry: ``NAME.desktop`` in the
user's applications folder (``$XDG_DATA_HOME/applications``, which the start menus of GNOME,
KDE, Xfce ... list), and with ``desktop=True`` a copy on the desktop (the folder
``xdg-user-dir DESKTOP`` names, ``~/Desktop`` without it), marked trusted where GNOME asks.
The entry runs the program by its absolute path, so it works from a virtual environment
that is not on ``PATH``. On Windows a ``.lnk`` in the user's Start menu (and on the desktop)
is made by PowerShell's ``WScript.Shell``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class ShortcutError(Exception):
    """A shortcut could not be made or removed; the text says which file and why."""


@dataclass(frozen=True)
class Shortcut:
    """A program's shortcut: ``file`` the file's stem (``callcenter``), ``name`` the label
    people see (``CALLCENTER``), ``command`` the program and its arguments."""

    file: str
    name: str
    comment: str  # in English
    comment_zh: str  # in Chinese (the desktop's language chooses)
    command: tuple[str, ...]
    icon: str = "call-start"  # the freedesktop icon-naming spec's telephone


def program_command(entry_point: str) -> tuple[str, ...]:
    """How a shortcut starts ``entry_point``: its script beside this Python when installed
    (``.venv/bin/callcenter-server``), else this Python running the module's ``-m``."""
    folder = Path(sys.executable).parent
    for name in (entry_point, entry_point + ".exe"):
        script = folder / name
        if script.is_file() and os.access(script, os.X_OK):
            return (str(script.absolute()),)
    module = "callcenter.server" if entry_point == "callcenter-server" else "callcenter.crm_client"
    return (str(Path(sys.executable).absolute()), "-m", module)


def _exec_argument(text: str) -> str:
    """One argument of a desktop entry's ``Exec`` key (the spec's quoting rules)."""
    if text and not any(c in text for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return text
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in text)
    return '"' + escaped.replace("%", "%%") + '"'


def _value(text: str) -> str:
    """A desktop entry's string value (no line breaks; backslashes escaped)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def desktop_entry(shortcut: Shortcut) -> str:
    """The desktop entry file's text (Desktop Entry Specification 1.5)."""
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        f"Name={_value(shortcut.name)}",
        f"Comment={_value(shortcut.comment)}",
        f"Comment[zh_CN]={_value(shortcut.comment_zh)}",
        f"Exec={' '.join(_exec_argument(part) for part in shortcut.command)}",
        f"Icon={_value(shortcut.icon)}",
        "Terminal=false",
        "Categories=Office;Telephony;",
        "StartupNotify=true",
        "",
    ])


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home())


def applications_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's applications folder: ``$XDG_DATA_HOME/applications``."""
    env = os.environ if env is None else env
    data = env.get("XDG_DATA_HOME") or str(_home(env) / ".local" / "share")
    return Path(data) / "applications"


def desktop_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's desktop folder: what ``xdg-user-dir DESKTOP`` says, else ``~/Desktop``."""
    env = os.environ if env is None else env
    tool = shutil.which("xdg-user-dir")
    if tool is not None:
        try:
            found = subprocess.run([tool, "DESKTOP"], capture_output=True, text=True,
                                   env=dict(env), timeout=10, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and Path(found) != _home(env):  # it answers HOME when none is set up
            return Path(found)
    return _home(env) / "Desktop"


def install(shortcut: Shortcut, *, desktop: bool = False,
            env: Mapping[str, str] | None = None) -> list[Path]:
    """Make the shortcut in the start menu (and on the desktop); the files written."""
    if sys.platform == "win32":
        return _install_windows(shortcut, desktop=desktop)
    text = desktop_entry(shortcut)
    written = []
    folders = [applications_dir(env)] + ([desktop_dir(env)] if desktop else [])
    for folder in folders:
        path = folder / f"{shortcut.file}.desktop"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            path.chmod(0o755)  # desktops run only executable entries
        except OSError as exc:
            raise ShortcutError(f"{path}: cannot write the shortcut: {exc}") from None
        written.append(path)
    if desktop:
        _trust(written[-1])
    return written


def remove(shortcut: Shortcut, env: Mapping[str, str] | None = None) -> list[Path]:
    """Remove the shortcut from the start menu and the desktop; the files removed."""
    if sys.platform == "win32":
        candidates = [_windows_folder("Programs") / f"{shortcut.name}.lnk",
                      _windows_folder("Desktop") / f"{shortcut.name}.lnk"]
    else:
        candidates = [applications_dir(env) / f"{shortcut.file}.desktop",
                      desktop_dir(env) / f"{shortcut.file}.desktop"]
    removed = []
    for path in candidates:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise ShortcutError(f"{path}: cannot remove the shortcut: {exc}") from None
        removed.append(path)
    return removed


def _trust(path: Path) -> None:
    """GNOME shows a desktop launcher as runnable only once it is marked trusted."""
    tool = shutil.which("gio")
    if tool is None:
        return
    with contextlib.suppress(OSError, subprocess.SubprocessError):  # not GNOME: no mark
        subprocess.run([tool, "set", str(path), "metadata::trusted", "true"],
                       capture_output=True, timeout=10, check=False)


def _windows_folder(name: str) -> Path:
    """A shell folder of this user on Windows ("Programs": the Start menu's, "Desktop")."""
    return Path(_powershell(f"[Environment]::GetFolderPath('{name}')").strip())


def _powershell(script: str) -> str:
    try:
        done = subprocess.run(["powershell", "-NoProfile", "-NonInteractive", "-Command",
                               script], capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ShortcutError(f"PowerShell could not run: {exc}") from None
    if done.returncode != 0:
        raise ShortcutError(f"PowerShell: {done.stderr.strip() or done.returncode}")
    return done.stdout


def _install_windows(shortcut: Shortcut, *, desktop: bool) -> list[Path]:
    folders = [_windows_folder("Programs")] + ([_windows_folder("Desktop")] if desktop else [])
    target, *arguments = shortcut.command
    written = []
    for folder in folders:
        path = folder / f"{shortcut.name}.lnk"
        _powershell("$s = (New-Object -ComObject WScript.Shell).CreateShortcut("
                    f"{_ps_string(str(path))}); $s.TargetPath = {_ps_string(target)}; "
                    f"$s.Arguments = {_ps_string(_windows_arguments(arguments))}; "
                    f"$s.Description = {_ps_string(shortcut.comment_zh)}; $s.Save()")
        written.append(path)
    return written


def _ps_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _windows_arguments(arguments: Sequence[str]) -> str:
    return subprocess.list2cmdline(list(arguments))


# ---------------------------------------------------------------------- the command line


def add_shortcut_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
                        shortcut_name: str) -> None:
    """``PROG shortcut [--desktop] [--remove]`` on a program's subparsers."""
    parser = subparsers.add_parser(
        "shortcut", help=f"put a {shortcut_name} shortcut in the start menu (and on the desktop)",
        description=f"Put a {shortcut_name} shortcut in this user's start menu (applications "
                    "menu) that starts this program from where it is installed; --desktop "
                    "puts one on the desktop too; --remove takes both away.")
    parser.add_argument("--desktop", action="store_true", help="also on the desktop")
    parser.add_argument("--remove", action="store_true", help="remove the shortcuts")


def run_shortcut(args: argparse.Namespace, shortcut: Shortcut, prog: str) -> int:
    """Run ``shortcut``: each file made or removed on a line; exit 0, or 1 with the reason."""
    try:
        paths = remove(shortcut) if args.remove else install(shortcut, desktop=args.desktop)
    except ShortcutError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    if args.remove:
        print("\n".join(f"removed {p}" for p in paths) or "no shortcut to remove")
    else:
        print("\n".join(f"shortcut {shortcut.name}: {p}" for p in paths))
    return 0
