"""Screenshots of 话单查询 for docs/console.md, under Xvfb on the real embedded service and
simulator (1024x768), made like make_screenshots.py's.

    .venv/bin/python -m tests.server.console.shots_records [OUT_DIR]

(default docs/images): console-records.png (the list), console-records-query.png (综合查询),
console-records-live.png, console-records-summary.png (with its chart), console-records-en.png,
console-print-preview.png (打印预览: the report's pages drawn by Ghostscript; needs ``gs``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.console.printing import renderer
from callcenter.server.runtime import ServerRuntime
from tests.server.console.console_support import ask, start_xvfb
from tests.server.console.make_screenshots import (
    PASSWORD,
    ROOT,
    new_root,
    pump,
    screenshot_service,
    shoot,
)

CALLS = (("001", "12315888"), ("002", "13800138000"), ("003", "075512345678"),
         ("005", "02087654321"), ("006", "12315777"), ("008", "01065529988"),
         ("009", "13912345678"), ("011", "057188886666"))


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with screenshot_service(5) as (sim, address):
        shots(sim, address, out)
    return 0


def shots(sim: Simulator, address: ServiceAddress, out: Path) -> None:
    for index in range(36):
        port, number = CALLS[index % len(CALLS)]
        ask(sim, {"cmd": "call", "extension": port, "number": number,
                  "duration": 20 + (index * 37) % 400})
    root = new_root()
    app = ConsoleApp(root, address, embedded=True, user="zhang", password=PASSWORD,
                     _utest=True)
    app.start()
    pump(root, lambda: bool(app.window.modules))
    app.show_page("records")
    page: Any = app.pages["records"]
    page.dialog_modal = False
    pump(root, lambda: page.model.total is not None and page.model.total >= 36
         and page.model.pending is None)
    shoot(root, out / "console-records.png")

    page.query_button.invoke()
    pump(root, lambda: page.dialog is not None and page.dialog.winfo_exists())
    dialog = page.dialog
    dialog.use["from"].set(True)
    dialog.entries["from_time"].insert(0, "08:00")
    dialog.entries["number"].insert(0, "123")
    dialog.match.current(1)
    dialog.entries["cost_min"].insert(0, "0.2x")
    dialog.button_ok.invoke()  # the error line names the field
    root.update_idletasks()
    dialog.geometry(f"+{(1024 - dialog.winfo_width()) // 2}+150")
    shoot(root, out / "console-records-query.png")
    dialog.destroy()

    page.notebook.select(page.live_tab)
    for port, number in CALLS[:5]:
        ask(sim, {"cmd": "call", "extension": port, "number": number, "duration": 95})
    pump(root, lambda: page.live.count >= 5 and not page.live.without_cost())
    shoot(root, out / "console-records-live.png")

    page.notebook.select(page.summary_tab)
    page.summary_button.invoke()
    pump(root, lambda: page.summary_tree.exists("total"))
    shoot(root, out / "console-records-summary.png")

    page.notebook.select(page.list_tab)
    preview(root, page, out)
    app.set_language("en")
    shoot(root, out / "console-records-en.png")
    app.close()
    root.destroy()


def preview(root: Any, page: Any, out: Path) -> None:
    """打印预览 of the list: the service's PDF report drawn by Ghostscript, in its window."""
    if renderer() is None:
        print("no Ghostscript (gs): console-print-preview.png not made", file=sys.stderr)
        return
    page.preview_button.invoke()
    pump(root, lambda: page.preview is not None and page.preview.winfo_exists(), timeout=60)
    window = page.preview
    window.geometry("+140+40")
    shoot(root, out / "console-print-preview.png")
    window.button_close.invoke()
    pump(root, lambda: not window.winfo_exists())


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"))
