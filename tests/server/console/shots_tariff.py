"""Screenshots of 计费设置 (the tariff tab) for docs/console.md, under Xvfb on the real
embedded service and simulator (1024x768), on a fresh store:

    .venv/bin/python -m tests.server.console.shots_tariff [OUT_DIR]

(default docs/images).  Needs Xvfb (or a DISPLAY) and ImageMagick's ``import``.

- ``console-tariff-fresh.png``: a fresh store, the versions list naming the built-in tariff;
- ``console-tariff.png``: a changed rate saved (the version with its local time), a call
  rated by the calculator, a call's day re-rated with the new version.
"""

from __future__ import annotations

import sys
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter.pbxsim.app import Simulator
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.console.pages.system import SystemPage, TariffTab
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.settings import get_setting
from tests.server.console.console_support import ask, wait_for
from tests.server.console.make_screenshots import (
    PASSWORD,
    ROOT,
    new_root,
    pump,
    screenshot_service,
    settle,
    shoot,
)


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with screenshot_service() as (sim, address):
        shots(sim, address, out)
    return 0


def shots(sim: Simulator, address: ServiceAddress, out: Path) -> None:
    for port, number, seconds in (("003", "12315888", 300), ("004", "13800138000", 95)):
        ask(sim, {"cmd": "call", "extension": port, "number": number, "duration": seconds})
    wait_for(lambda: CallRecordRow.select().count() >= 2, 20, "the calls stored")
    root = new_root()
    app = ConsoleApp(root, address, embedded=True, user="zhang", password=PASSWORD,
                     _utest=True)
    app.start()
    pump(root, lambda: app.window.modules and app.monitor.have_snapshot)
    app.show_page("system")
    system = app.pages["system"]
    assert isinstance(system, SystemPage)
    tab = system.select("tariff")
    assert isinstance(tab, TariffTab)
    pump(root, lambda: tab.model.rows and tab.versions_loaded)
    settle(root, 1.0)
    shoot(root, out / "console-tariff-fresh.png")

    # a dearer 12315 rate saved, the calculator, the call's day re-rated
    index = next(i for i, r in enumerate(tab.model.rows) if r["prefix"] == "12315")
    assert tab.model.set_cell(index, "initial_charge", "0.60") is None
    tab._draw()
    tab.buttons["save"].invoke()
    pump(root, lambda: len(tab.tree.get_children()) and not tab.model.dirty
         and len(tab.versions.get_children()) == 2)
    tab.calc_number.insert(0, "12315888")
    tab.calc_seconds.insert(0, "300")
    tab.button_rate.invoke()
    pump(root, lambda: "元" in str(tab.calc_result.cget("text")))
    call = CallRecordRow.select().where(CallRecordRow.number == "12315888").get()
    day = call.start.replace(tzinfo=UTC).astimezone(ZoneInfo(str(get_setting("timezone"))))
    tab.rerate_from.set_date(day.date())
    tab.rerate_to.set_date(day.date())
    tab.button_rerate.invoke()
    pump(root, lambda: not tab.rerating, timeout=60)
    tab.tree.see(str(index))
    tab.tree.selection_set(str(index))
    settle(root, 1.0)
    shoot(root, out / "console-tariff.png")

    app.close()
    root.destroy()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"))
