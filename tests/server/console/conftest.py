"""Fixtures of the console tests (see console_support)."""

from tests.server.console.console_support import (
    account,
    address,
    display,
    runtime,
    sim,
    tk_root,
)

__all__ = ["account", "address", "display", "runtime", "sim", "tk_root"]
