"""Opening the console from ``callcenter-server``: is there a display, the Tk root with a
font that shows Chinese, and how to reach an embedded service.

``callcenter.server.cli.main`` imports this module only when a window is wanted, so the
service and the commands never need Tk (tests/test_packaging.py).
"""

from __future__ import annotations

import os
import ssl
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tkinter as tk


def display_problem() -> str:
    """Why no window can be opened here ("" when one can be tried): no X display, no Tk."""
    if sys.platform not in ("win32", "darwin") and not os.environ.get("DISPLAY"):
        return "no display (DISPLAY is not set)"
    try:
        import tkinter  # noqa: F401, PLC0415 (only the console needs Tk)
    except ImportError:
        return "Tk is not installed (python3-tk)"
    return ""


def open_root() -> tuple[tk.Tk | None, str]:
    """The console's hidden Tk root, or None and why it cannot be opened."""
    problem = display_problem()
    if problem:
        return None, problem
    import tkinter as tk  # noqa: PLC0415

    from callcenter.common.tkfonts import apply_cjk_font  # noqa: PLC0415
    try:
        root = tk.Tk(className="callcenter")
    except tk.TclError as exc:
        return None, f"cannot open a window: {exc}"
    apply_cjk_font(root)
    return root, ""


def local_tls() -> ssl.SSLContext:
    """TLS to the service in this very process: encrypted, the certificate not checked
    (it is our own hub; the password still proves who logs in)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
