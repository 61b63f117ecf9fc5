"""Screenshots of the 参数设置 and 资料备份 pages for docs/console.md, under Xvfb on the real
embedded service and simulator (1024x768).

    .venv/bin/python -m tests.server.console.shots_parameters [OUT_DIR]

(default docs/images).  Needs Xvfb (or a DISPLAY) and ImageMagick's ``import``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.runtime import ServerRuntime
from tests.server.console.console_support import start_xvfb
from tests.server.console.make_screenshots import ROOT, new_root, pump, screenshot_service, shoot

PASSWORD = "shots-pw-1"


def parameter_shots(address: ServiceAddress, out: Path) -> None:
    from callcenter.server.console.pages.backup import BackupPage
    from callcenter.server.console.pages.parameters import ParametersPage

    root = new_root()
    app = ConsoleApp(root, address, embedded=True, user="zhang", password=PASSWORD,
                     _utest=True)
    app.start()
    pump(root, lambda: bool(app.window.modules))
    app.show_page("parameters.extension")
    page = app.pages["parameters.extension"]
    assert isinstance(page, ParametersPage)
    pump(root, lambda: page.store.loaded and bool(page.panels))
    panel = page.panels["extension"]
    day = panel.layout.column_of("extension.day_class")
    assert day is not None
    # one cell written (green), one refused before sending (yellow)
    page.commit("extension.003.day_class", "21")
    pump(root, lambda: not page.store.busy)
    page.commit("extension.004.day_class", "71")
    panel.grid_widget.select_cell(2, day)
    panel.show_help(2, day)
    shoot(root, out / "console-parameters-extension.png")
    page.store.write({"extension.003.day_class": "11"})
    pump(root, lambda: not page.store.busy)
    panel.grid_widget.select_cell(5, day)
    menu = panel.build_menu(day)
    menu.post(root.winfo_rootx() + 300, root.winfo_rooty() + 260)
    shoot(root, out / "console-parameters-menu.png")
    menu.unpost()
    access = panel.layout.column_of("extension.day_trunk_access")
    assert access is not None
    panel.grid_widget.select_cell(1, access)
    panel.edit(1, access)  # 部分使用: the trunk-set picker
    panel.show_help(1, access)
    shoot(root, out / "console-parameters-picker.png")
    panel.grid_widget.close_editor()
    for which in ("trunk", "switches", "other"):
        app.show_page(f"parameters.{which}")
        other = app.pages[f"parameters.{which}"]
        assert isinstance(other, ParametersPage)
        pump(root, lambda o=other: bool(o.panels))  # type: ignore[misc]
        shoot(root, out / f"console-parameters-{which}.png")
    app.set_language("en")
    app.show_page("parameters.extension")
    shoot(root, out / "console-parameters-extension-en.png")
    app.set_language("zh")
    if "backup" in app.window.modules:
        app.show_page("backup")
        backup = app.pages["backup"]
        assert isinstance(backup, BackupPage)
        backup.create()
        pump(root, lambda: not backup.model.busy and bool(backup.model.backups), 60)
        page.store.write({"extension.005.day_class": "31", "trunk.02.route": "2"})
        pump(root, lambda: not page.store.busy)
        backup.select(backup.model.backups[-1]["name"])
        pump(root, lambda: backup.model.preview is not None)
        shoot(root, out / "console-backup.png")
        backup.restore(["extension", "trunk"])
        pump(root, lambda: not backup.model.busy, 60)
    app.close()
    root.destroy()


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with screenshot_service() as (_sim, address):
        parameter_shots(address, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"))
