"""Screenshots of 话务管理, 系统设置 and the first start for docs/console.md, under Xvfb on the
real embedded service and simulator (1024x768):

    .venv/bin/python -m tests.server.console.shots_rooms [OUT_DIR]

(default docs/images).  Needs Xvfb (or a DISPLAY) and ImageMagick's ``import``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from functools import partial
from pathlib import Path

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account
from callcenter.server.console.app import ConsoleApp
from callcenter.server.console.connection import ServiceAddress
from callcenter.server.console.first_start import SerialPortDialog, VerifyDialog
from callcenter.server.console.pages.rooms import RoomsPage
from callcenter.server.console.pages.system import SystemPage
from callcenter.server.runtime import ServerRuntime
from tests.server.console.console_support import start_xvfb
from tests.server.console.make_screenshots import (
    PASSWORD,
    ROOT,
    new_root,
    pump,
    screenshot_service,
    settle,
    shoot,
)


def _balance_is(rooms: RoomsPage, port: str, balance: str) -> bool:
    return bool(rooms.tree.set(port, "balance") == balance)


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with screenshot_service() as (_sim, address):
        shots(address, out)
    return 0


def shots(address: ServiceAddress, out: Path) -> None:
    root = new_root()
    app = ConsoleApp(root, address, embedded=True, user="zhang", password=PASSWORD,
                     _utest=True)
    app.start()
    pump(root, lambda: app.window.modules and app.whoami)

    # 话务管理: two rooms topped up, one class written, one refused
    app.show_page("rooms")
    rooms = app.pages["rooms"]
    assert isinstance(rooms, RoomsPage)
    pump(root, lambda: len(rooms.tree.get_children()) > 10)
    for port, amount in (("003", "50"), ("005", "120.50")):
        request = rooms.model.edit_request(port, "prepaid", amount)
        assert not isinstance(request, str)
        rooms._send(request)
    pump(root, lambda: rooms.tree.set("005", "balance") == "120.50")
    # a room below zero: its over-limit class in force, its balance in red
    for action, amount, balance in (("rooms_topup", "1", "1.00"),
                                    ("rooms_adjust", "-2.50", "-1.50")):
        money = rooms.model.money_request("007", action, amount, "")
        assert not isinstance(money, str)
        rooms._send(money)
        pump(root, partial(_balance_is, rooms, "007", balance))
    pump(root, lambda: rooms.marks.label_at("007", "balance") is not None)
    request = rooms.model.edit_request("004", "day_class", "31")
    assert not isinstance(request, str)
    rooms._send(request)
    pump(root, lambda: rooms.marks.label_at("004", "day_class") is not None
         and rooms.model.outcomes[("004", "day_class")].state == "written")
    rooms.tree.selection_set("003")
    rooms.begin_edit("006", "alarm")
    assert rooms.editor is not None
    rooms.editor.delete(0, "end")
    rooms.editor.insert(0, "0730")
    shoot(root, out / "console-rooms.png")
    rooms.cancel_edit()
    ledger = rooms.open_ledger()
    assert ledger is not None
    pump(root, ledger.rows)
    ledger.geometry("+130+200")
    shoot(root, out / "console-rooms-ledger.png")
    ledger.destroy()

    # 系统设置: accounts, the serial port, the tariff
    app.show_page("system")
    system = app.pages["system"]
    assert isinstance(system, SystemPage)
    for tab, name in (("accounts", "console-system.png"), ("link", "console-system-link.png"),
                      ("tariff", "console-system-tariff.png"),
                      ("data", "console-system-data.png")):
        system.select(tab)
        settle(root, 1.0)
        shoot(root, out / name)

    # the first start's dialogs
    dialog = SerialPortDialog(root, app.connection, app.catalogue, _utest=True)
    dialog.geometry("+160+160")
    settle(root, 1.0)
    shoot(root, out / "console-system-port-dialog.png")
    dialog.destroy()
    verify = VerifyDialog(root, app.connection, app.catalogue, force=True, _utest=True)
    verify.geometry("+260+260")
    pump(root, lambda: verify.outcome)
    shoot(root, out / "console-system-verify.png")
    verify.destroy()
    app.set_language("en")
    app.show_page("rooms")
    shoot(root, out / "console-rooms-en.png")
    app.close()
    root.destroy()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"))
