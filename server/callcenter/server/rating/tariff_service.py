"""The tariff of a data folder as a service: save (with its audit entry), import, export, rate.

The tariff is the file ``DIR/tariff.json`` (see ``tariff_io``); the running service re-reads it
when it changes. ``save_tariff`` is the one way to change it: the new file and its audit entry
are one store transaction, so a tariff is never changed without an entry saying who changed
it (the file is written inside the transaction, after the entry; if the commit then fails,
the old file is put back). The command line (``callcenter-server tariff``) and the admin API
(``tariff_save``, ``tariff_import``) both use it. Messages name the field in the tariff's own
words, never a command-line flag.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from callcenter.server.rating.rate import Rating, Tariff
from callcenter.server.rating.tariff_io import (
    TARIFF_FILE,
    load_data_tariff,
    save_tariff_file,
    tariff_from_json,
    tariff_to_json,
)
from callcenter.server.store.audit import add_entry
from callcenter.server.store.db import database, write_transaction

#: The longest number ``rate_call`` takes (digits after the access code).
MAX_NUMBER_DIGITS: Final = 32
MAX_CALL_SECONDS: Final = 86400


def save_tariff(data_dir: Path, tariff: Tariff, who: str, what: str = "save") -> str:
    """Make ``tariff`` the data folder's tariff and audit it (``what``: how it was made, e.g.
    ``"import rates.csv"``); returns its version. Needs the open store (``open_store``).

    The audit entry (``what="tariff"``, key ``what``, old and new version) is inserted first
    and the file written inside the same transaction: when the entry cannot be written, the
    tariff stays as it was; when the commit fails after the file was written, the old file
    is put back.
    """
    path = data_dir / TARIFF_FILE
    old_bytes = path.read_bytes() if path.exists() else None
    old = load_data_tariff(data_dir)
    try:
        with write_transaction(database):
            add_entry(who, "tariff", what, old.version, tariff.version)
            save_tariff_file(tariff, path)
    except BaseException:
        if path.exists() and (old_bytes is None or path.read_bytes() != old_bytes):
            if old_bytes is None:
                path.unlink()
            else:
                save_tariff_file(old, path)
        raise
    return tariff.version


def tariff_data(tariff: Tariff) -> dict[str, Any]:
    """The tariff as plain JSON data (the tariff file's object; money as strings)."""
    return tariff_to_json(tariff)


def tariff_from_data(data: Any) -> Tariff:
    """A tariff from plain JSON data (as ``tariff_data`` gives); ``TariffImportError``
    naming every problem."""
    # Money must stay exact: a JSON float (0.44) is read back as its decimal text.
    return tariff_from_json(json.loads(json.dumps(data), parse_float=str), "tariff")


def rate_call(tariff: Tariff, number: str, seconds: int, start: datetime) -> dict[str, Any]:
    """How ``callcenter-server rate`` rates a call, as plain data (money as strings):
    number, seconds, start, cost, prefix, description, service_type, service_name,
    service_name_en, receipt, unknown, holiday, tariff_version. ValueError naming the field
    for a number or duration that is not allowed."""
    if not (1 <= len(number) <= MAX_NUMBER_DIGITS and number.isascii() and number.isdigit()):
        raise ValueError(f"number: must be 1-{MAX_NUMBER_DIGITS} digits 0-9 (the digits after "
                         f"the access code), got {number[:40]!r}")
    if not 0 <= seconds <= MAX_CALL_SECONDS:
        raise ValueError(f"seconds: must be a whole number of seconds 0-{MAX_CALL_SECONDS}")
    return rating_data(tariff, number, seconds, start, tariff.rate(number, seconds,
                                                                  start=start))


def rating_data(tariff: Tariff, number: str, seconds: int, start: datetime,
                rating: Rating) -> dict[str, Any]:
    """A rating as plain data (``rate --json`` prints it; the admin API's ``rate`` answers
    it); money as decimal strings."""
    row = rating.row
    kind = tariff.service_type(row.service_type) if row is not None else None
    return {
        "number": number,
        "seconds": seconds,
        "start": start.isoformat(),
        "cost": str(rating.cost),
        "prefix": row.prefix if row else None,
        "description": row.description if row else None,
        "service_type": row.service_type if row else None,
        "service_name": kind.name_zh if kind else None,
        "service_name_en": kind.name_en if kind else None,
        "receipt": rating.receipt(),
        "unknown": rating.unknown,
        "holiday": rating.holiday,
        "tariff_version": rating.tariff_version,
    }
