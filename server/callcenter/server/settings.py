"""Where the server keeps its data, how it logs, and its PBX connection settings.

The PBX port URL, the line settings and the link timing are server settings in the store
(``pbx.url``, ``pbx.baud``, ``pbx.bytesize``, ``pbx.parity``, ``pbx.stopbits``,
``pbx.ack_timeout``, ``pbx.retries``; see ``callcenter-server settings``).  Flags given on
the command line are saved there, so later runs with the same ``--data`` need none.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callcenter.common.pbx.line import LineSettings, LineSettingsError
from callcenter.server.store.db import StoreError, open_store, private_data_dir, private_file
from callcenter.server.store.settings import SettingError, get_setting, set_setting, spec_for

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


#: The demo's data folder inside the default one (``callcenter-server --demo`` without --data).
DEMO_FOLDER = "demo"


def demo_data_dir() -> Path:
    """Where ``callcenter-server --demo`` keeps its data without ``--data``."""
    return default_data_dir() / DEMO_FOLDER


def check_port_url(url: str, flag: str = "--pbx") -> str:
    """``url`` if pyserial can open something of its form, else SettingError naming ``flag``
    (a usage error: nothing is saved or opened)."""
    try:
        checked = str(spec_for("pbx.url").parse(url.strip()))
    except ValueError as exc:
        raise SettingError(f"{flag}: {url!r} is not a serial port or a URL pyserial opens: "
                           f"{exc}") from None
    if not checked:
        raise SettingError(f"{flag}: empty; give a serial port (COM3, /dev/ttyUSB0) or "
                           "socket://HOST:PORT")
    return checked


@dataclass
class ServerSettings:
    """The PBX connection as saved in the store of a data directory."""

    pbx: str | None = None
    line: LineSettings = field(default_factory=LineSettings)
    ack_timeout: float = 3.0
    retries: int = 3

    @classmethod
    def load(cls, data_dir: Path, db_url: str | None = None) -> ServerSettings:
        """The saved connection; ``db_url`` is the store's URL when given with ``--db``
        (else the one remembered in DIR, or SQLite)."""
        try:
            open_store(data_dir, db_url)
            url = str(get_setting("pbx.url") or "")
            line = LineSettings.from_dict({k: get_setting(f"pbx.{k}")
                                           for k in ("baud", "bytesize", "parity", "stopbits")})
            ack_timeout = float(get_setting("pbx.ack_timeout"))
            retries = int(get_setting("pbx.retries"))
        except (StoreError, LineSettingsError) as exc:
            raise SettingsError(f"{data_dir}: {exc}") from None
        return cls(url or None, line, ack_timeout, retries)

    def link_values(self, ack: Any = None, retries: Any = None) -> tuple[float, int]:
        """(ack timeout, retries): the given values, else these saved ones.  (Given an object
        with ``ack_timeout``/``retries`` attributes, such as parsed options, theirs.)"""
        if ack is not None and not isinstance(ack, int | float | str):
            ack, retries = getattr(ack, "ack_timeout", None), getattr(ack, "retries", None)
        return (self.ack_timeout if ack is None else float(ack),
                self.retries if retries is None else int(retries))

    def save(self, data_dir: Path, who: str = "service", db_url: str | None = None, *,
             store_open: bool = False) -> None:
        """Write the settings that differ from the saved ones (each change audited).
        ``store_open``: the data folder's store is open already (the running service's):
        it is used as it is, not opened again under the threads that use it."""
        values: dict[str, object] = {"pbx.url": self.pbx or "",
                                     **{f"pbx.{k}": v for k, v in self.line.to_dict().items()},
                                     "pbx.ack_timeout": float(self.ack_timeout),
                                     "pbx.retries": int(self.retries)}
        try:
            if not store_open:
                open_store(data_dir, db_url)
            for key, value in values.items():
                if get_setting(key) != value:
                    set_setting(key, str(value), who)
        except (StoreError, SettingError) as exc:
            raise SettingsError(f"{data_dir}: {exc}") from None


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are readable by their owner only (0600 on POSIX): the log
    names users, numbers dialled and the store's address."""

    def _open(self) -> Any:
        private_file(Path(self.baseFilename))
        return super()._open()


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
        private_data_dir(data_dir)
        handler = PrivateRotatingFileHandler(
            data_dir / LOG_FILE, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
