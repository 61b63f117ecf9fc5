"""The parameter image: every PBX setting as read from the PBX, with the group checksums.

The same JSON shape is the output of ``pbx dump``, the input of ``pbx load`` and the
service's ``image.json`` (the last image read, so that start-up verification can skip the
groups whose checksum has not changed)::

    {"model": "...", "firmware": "...", "extensions": 24, "trunks": 8,
     "checksums": {"extension": "...", ...}, "params": {"extension.001.number": "8001", ...}}
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callcenter.common.pbx.messages import Identity
from callcenter.common.schema import Group, Schema


class ImageFileError(ValueError):
    """An image file that cannot be read; the text names the file and the problem."""


@dataclass
class ParameterImage:
    """What the PC knows of the PBX's parameter memory."""

    model: str = ""
    firmware: str = ""
    extensions: int = 0
    trunks: int = 0
    checksums: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_identity(cls, identity: Identity) -> ParameterImage:
        return cls(identity.model, identity.firmware, identity.extensions, identity.trunks)

    def matches(self, identity: Identity) -> bool:
        """Same port counts: the saved params are keyed like this PBX's schema."""
        return (self.extensions, self.trunks) == (identity.extensions, identity.trunks)

    def has_group(self, schema: Schema, group: Group) -> bool:
        return all(k in self.params for row in schema.group_rows(group) for k in row.keys)

    def group_params(self, schema: Schema, group: Group) -> dict[str, str]:
        return {k: self.params[k] for row in schema.group_rows(group) for k in row.keys
                if k in self.params}

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "firmware": self.firmware, "extensions": self.extensions,
                "trunks": self.trunks, "checksums": dict(self.checksums),
                "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Any, source: str = "image") -> ParameterImage:
        if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
            raise ImageFileError(f"{source}: not a parameter image (no \"params\" object)")
        params = data["params"]
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items()):
            raise ImageFileError(f"{source}: every value under \"params\" must be text")
        checksums = data.get("checksums") or {}
        try:
            return cls(str(data.get("model", "")), str(data.get("firmware", "")),
                       int(data.get("extensions", 0)), int(data.get("trunks", 0)),
                       {str(k): str(v) for k, v in dict(checksums).items()}, dict(params))
        except (TypeError, ValueError) as exc:
            raise ImageFileError(f"{source}: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> ParameterImage:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ImageFileError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImageFileError(f"{path}: not JSON ({exc})") from None
        return cls.from_json(data, str(path))

    def save(self, path: Path) -> None:
        """Write atomically (temporary file, fsync, rename): a crash never leaves half a file."""
        write_json_atomic(path, self.to_json())


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
