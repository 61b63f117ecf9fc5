"""The console's preferences on this PC, per user: for now the chosen language (中文/English,
switched from the 帮助 menu), used again at the next start.

One small JSON object in the user's config folder: ``%APPDATA%\\callcenter\\console.json`` on
Windows, else ``$XDG_CONFIG_HOME/callcenter/console.json`` or
``~/.config/callcenter/console.json``.  A missing, unreadable or corrupt file counts as no
preferences (Chinese, the default); a file that cannot be written is not an error either: the
console works on, only the choice is not remembered.  Writes replace the file whole (a
temporary file renamed over it), so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Final

from callcenter.server.console.strings import LANGUAGES

FILE_NAME: Final = "console.json"


def config_dir() -> Path:
    """%APPDATA%\\callcenter on Windows, else $XDG_CONFIG_HOME/callcenter (an absolute path
    only, as the XDG spec asks) or ~/.config/callcenter."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "callcenter"
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not base or not os.path.isabs(base):
        base = str(Path.home() / ".config")
    return Path(base) / "callcenter"


def preferences_path() -> Path:
    """The preferences file of this user on this PC."""
    return config_dir() / FILE_NAME


def load(path: Path | None = None) -> dict[str, Any]:
    """The saved preferences; ``{}`` when there are none or the file is not a JSON object."""
    try:
        data = json.loads((path or preferences_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
        return {}
    return data if isinstance(data, dict) else {}


def saved_language(path: Path | None = None) -> str | None:
    """The language saved by ``save_language`` (one of strings.LANGUAGES), else None."""
    language = load(path).get("language")
    return language if isinstance(language, str) and language in LANGUAGES else None


def save_language(language: str, path: Path | None = None) -> bool:
    """Remember ``language`` (other preferences in the file are kept); False when the file
    cannot be written."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: allowed {', '.join(LANGUAGES)}")
    target = path or preferences_path()
    data = {**load(target), "language": language}
    part = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
        os.replace(part, target)
    except OSError:
        return False
    return True
