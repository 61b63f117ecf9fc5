"""Names of extension ports (protocol 1.2): what an admin calls a port ("前台", "Sales 1").

The agent hub carries them in the snapshot's ``name`` and the console's monitor shows them;
an admin sets them with the admin API (``extension_names_set``) or
``callcenter-server extensions name PORT TEXT``.  A name is at most ``MAX_NAME`` printable
characters; ``""`` removes it.  Changes are audited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from callcenter.common.agent.crm import MAX_NAME
from callcenter.common.agent.spec import PORT_PATTERN
from callcenter.server.store.db import database, write_transaction
from callcenter.server.store.desk_models import ExtensionName
from callcenter.server.store.models import AuditEntry, utc_now

_PORT_RE: Final = re.compile(PORT_PATTERN)


class ExtensionNameError(ValueError):
    """A bad port or name; ``field`` names it (``port`` or ``name``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_name(port: str, name: str, ports: int | None = None) -> tuple[str, str]:
    """``(port, name)`` checked (the name stripped); ``ExtensionNameError`` naming the field.
    ``ports``: how many extension ports the PBX has, when known."""
    if not _PORT_RE.fullmatch(port):
        raise ExtensionNameError("port", f"{port!r} is not an extension port (three digits "
                                         "001-999, such as 001)")
    if ports is not None and int(port) > ports:
        raise ExtensionNameError("port", f"the PBX has no extension port {port} (it has "
                                         f"001-{ports:03d})")
    name = name.strip()
    if len(name) > MAX_NAME:
        raise ExtensionNameError("name", f"the name of {port} has {len(name)} characters; "
                                         f"at most {MAX_NAME} are allowed")
    if not name.isprintable():
        raise ExtensionNameError("name", f"the name of {port} must not contain control "
                                         "characters or line breaks")
    return port, name


def extension_names() -> dict[str, str]:
    """Every named port -> its name, by port."""
    return {str(r.port): str(r.name)
            for r in ExtensionName.select().order_by(ExtensionName.port)}


def set_extension_names(names: Mapping[str, str], *, ports: int | None = None,
                        who: str = "system") -> dict[str, str]:
    """Give ports names (``""`` removes one), all or nothing; every name afterwards."""
    checked = [check_name(port, name, ports) for port, name in names.items()]
    now = utc_now()
    with write_transaction(database):
        for port, name in checked:
            row = ExtensionName.get_or_none(ExtensionName.port == port)
            old = None if row is None else str(row.name)
            if (old or "") == name:
                continue
            if name:
                (ExtensionName.insert(port=port, name=name, updated_at=now)
                 .on_conflict(conflict_target=[ExtensionName.port],
                              update={ExtensionName.name: name,
                                      ExtensionName.updated_at: now}).execute())
            else:
                ExtensionName.delete().where(ExtensionName.port == port).execute()
            AuditEntry.insert(who=who, what="extension name", key=f"extension.{port}.name",
                              old=old, new=name or None, at=now).execute()
        return extension_names()
