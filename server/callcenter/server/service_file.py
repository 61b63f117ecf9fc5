"""``DIR/service.json``: how a command finds the service that runs for a data folder.

While the service runs it keeps this file (mode 0600, so only its operating-system user
can read it) with its process id, the agent hub's address and port, whether the hub speaks
TLS, and a random ``token`` new at every start.  A command on the same computer reads it,
connects and logs in with the token (protocol 1.1, section 11.1) instead of a password;
the service removes it when it stops.  A file left by a service that was killed is noticed
by the connection being refused (or the token no longer matching) and ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SERVICE_FILE = "service.json"


@dataclass(frozen=True)
class ServiceInfo:
    """What ``DIR/service.json`` holds."""

    pid: int
    host: str  # where a local command connects: a loopback address when the hub has one
    port: int
    token: str
    tls: bool = False

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(16)


def connect_host(listen_host: str) -> str:
    """The address a command on this computer uses to reach a hub listening on
    ``listen_host`` ("" or a wildcard: loopback)."""
    if listen_host in ("", "*", "0.0.0.0"):
        return "127.0.0.1"
    if listen_host == "::":
        return "::1"
    return listen_host


def write_service_file(data_dir: Path, info: ServiceInfo) -> Path:
    """Write the file with mode 0600 from its first byte (never readable by others)."""
    path = data_dir / SERVICE_FILE
    tmp = path.with_name(f".{SERVICE_FILE}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(info), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def read_service_file(data_dir: Path) -> ServiceInfo | None:
    """The file's content, or None when there is none or it cannot be read."""
    try:
        data: Any = json.loads((data_dir / SERVICE_FILE).read_text(encoding="utf-8"))
        return ServiceInfo(int(data["pid"]), str(data["host"]), int(data["port"]),
                           str(data["token"]), bool(data.get("tls", False)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_service_file(data_dir: Path, token: str) -> None:
    """Remove the file if it is still ours (a newer service may have replaced it)."""
    info = read_service_file(data_dir)
    if info is not None and info.token == token:
        with contextlib.suppress(OSError):
            (data_dir / SERVICE_FILE).unlink()
