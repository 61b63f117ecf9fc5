"""How the window was asked to start: ``GuiOptions`` (from ``callcenter-crm``'s flags).

Plain data, no Tk, so the command line can build it without loading the window.
``unattended`` -- server, extension and user all given on the command line, the password in
``CALLCENTER_PASSWORD`` -- means no dialog at all: the window connects at once and the
client's own password protection is off for this run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from callcenter.crm_client.settings import CrmSettings

DEVICES: Final = ("normal", "proprietary", "headset")
PASSWORD_VARIABLE: Final = "CALLCENTER_PASSWORD"


@dataclass(frozen=True)
class GuiOptions:
    """The window's start options (see the module docstring)."""

    data_dir: Path
    shared: Path | None = None
    server_host: str = ""
    server_port: int = 0
    extension: str = ""
    user: str = ""
    device: str = ""  # "" : as the settings say
    tls: bool = False
    trust: str = ""
    language: str = ""  # "" : as the settings say
    password: str | None = None  # from CALLCENTER_PASSWORD; never from a flag

    @property
    def unattended(self) -> bool:
        """Server, extension and user on the command line: no dialog at all."""
        return bool(self.server_host and self.extension and self.user)


def merged_settings(settings: CrmSettings, options: GuiOptions) -> CrmSettings:
    """The saved settings with this start's flags over them (not saved, except
    ``--shared``, which ``start`` remembers)."""
    changes: dict[str, Any] = {}
    if options.server_host:
        changes["server_host"] = options.server_host
        changes["server_port"] = options.server_port
    for name in ("extension", "user", "device", "trust", "language"):
        value = getattr(options, name)
        if value:
            changes[name] = value
    if options.tls or options.trust:
        changes["tls"] = True
    if options.shared is not None:
        changes["shared_folder"] = str(options.shared)
    if options.unattended:  # a kiosk start: the client's own protection is off for this run
        changes["password_protection"] = False
    return dataclasses.replace(settings, **changes) if changes else settings
