"""The PBX parameter schema (one declaration per setting) and its catalogue."""

from __future__ import annotations

from functools import lru_cache

from . import catalog
from .core import (
    GROUP_LABELS,
    Group,
    Parameter,
    ParameterError,
    Row,
    RowIndex,
    Schema,
    Scope,
    Table,
)

__all__ = ["GROUP_LABELS", "Group", "Parameter", "ParameterError", "Row", "RowIndex", "Schema",
           "Scope", "Table", "build_schema"]


@lru_cache(maxsize=16)
def build_schema(extensions: int = 24, trunks: int = 8) -> Schema:
    """The schema of a PBX with that many extension ports and trunks."""
    return Schema(catalog.all_parameters(trunks, extensions), catalog.tables(), extensions, trunks,
                  catalog.rules())
