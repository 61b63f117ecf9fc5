"""The CRM window program (being built: issue 9): ``run(options) -> int``."""

from __future__ import annotations

import sys

from callcenter.crm_client.gui.options import GuiOptions


def run(options: GuiOptions) -> int:
    """Run the window to its end; the exit status."""
    print("callcenter-crm: the window is being built (issue 9)", file=sys.stderr)
    return 2
