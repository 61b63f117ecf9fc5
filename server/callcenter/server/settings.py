"""Where the server keeps its data, how it logs, and its PBX connection settings.

The PBX port URL and the line settings are server settings in the store (``pbx.url``,
``pbx.baud``, ``pbx.bytesize``, ``pbx.parity``, ``pbx.stopbits``; see
``callcenter-server settings``).  Flags given on the command line are saved there, so later
runs with the same ``--data`` need none.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.common.pbx.line import LineSettings, LineSettingsError

from .store.db import StoreError, open_store
from .store.settings import SettingError, get_setting, set_setting

LOG_FILE = "callcenter-server.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SettingsError(ValueError):
    """The saved settings cannot be used; the text names the setting and the problem."""


def default_data_dir() -> Path:
    """%APPDATA%\\callcenter on Windows, else $XDG_DATA_HOME/callcenter or
    ~/.local/share/callcenter."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "callcenter"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "callcenter"


@dataclass
class ServerSettings:
    """The PBX connection as saved in the store of a data directory."""

    pbx: str | None = None
    line: LineSettings = field(default_factory=LineSettings)

    @classmethod
    def load(cls, data_dir: Path) -> ServerSettings:
        try:
            open_store(data_dir)
            url = str(get_setting("pbx.url") or "")
            line = LineSettings.from_dict({k: get_setting(f"pbx.{k}")
                                           for k in ("baud", "bytesize", "parity", "stopbits")})
        except (StoreError, LineSettingsError) as exc:
            raise SettingsError(f"{data_dir}: {exc}") from None
        return cls(url or None, line)

    def save(self, data_dir: Path, who: str = "service") -> None:
        try:
            open_store(data_dir)
            set_setting("pbx.url", self.pbx or "", who)
            for key, value in self.line.to_dict().items():
                set_setting(f"pbx.{key}", str(value), who)
        except (StoreError, SettingError) as exc:
            raise SettingsError(f"{data_dir}: {exc}") from None


def setup_logging(data_dir: Path | None, *, verbose: int = 0,
                  stderr_level: int = logging.INFO) -> None:
    """Logs to standard error and, with ``data_dir``, to a rotating DIR/callcenter-server.log."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    level = logging.DEBUG if verbose > 1 else (logging.INFO if verbose else stderr_level)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(level)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    root.setLevel(min(level, logging.INFO))
    if data_dir is not None:
        handler = logging.handlers.RotatingFileHandler(
            data_dir / LOG_FILE, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
