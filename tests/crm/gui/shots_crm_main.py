"""Screenshots of the CRM main window and the pop window for docs/crm.md, under Xvfb
(1024x768) on the real embedded service and simulator, made like the console's
(tests/server/console/make_screenshots.py).

    DISPLAY=:64 .venv/bin/python -m tests.crm.gui.shots_crm_main [OUT_DIR]

(default docs/images; with no DISPLAY a virtual one is started): crm-main.png (the window
with a call log, monitor icons in their colours, a parked call flashing), crm-pop.png (a
ring: the pop window over it), crm-main-en.png (the same in English).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from callcenter.crm_client.gui.app import CrmWindowApp
from callcenter.crm_client.gui.options import GuiOptions
from callcenter.crm_client.store import CallEntry, CrmStore, Customer, PhonebookEntry
from callcenter.pbxsim.app import Simulator
from callcenter.server.accounts import add_account
from callcenter.server.console.connection import ServiceAddress
from tests.server.console.console_support import ask
from tests.server.console.make_screenshots import (
    PASSWORD,
    ROOT,
    new_root,
    pump,
    screenshot_service,
    settle,
    shoot,
)

PORT = "006"
CUSTOMERS = (
    Customer(name="杨庆丰", phones=("13509636630", "83988807"), mobile="13509636630",
             company="赛格科技", position="总经理", kind="合作商", customer_no="002",
             department="技术服务部", handler="001", notes="软件确认内容", vip=True),
    Customer(name="王建国", phones=("01082895782",), company="唐信科技", notes="上周报修，已派工"),
    Customer(name="李小红", phones=("08515829398",), company="赛纳科技"),
    Customer(name="陈强", phones=("013576611624",), company="恒达物流", blacklist=True,
             blacklist_reason="多次恶意来电"),
)
LOG = (("01082895782", "王建国", True), ("08515829398", "李小红", True),
       ("901084544507", "", False), ("08515829398", "李小红", False),
       ("013576611624", "陈强", True), ("882990048", "", True), ("01083960879", "", False))


def seed(data: Path) -> None:
    """Customers, a call log of today, phonebook entries: what an agent's PC holds."""
    store = CrmStore.open(data)
    try:
        for customer in CUSTOMERS:
            store.save_customer(customer)
        start = datetime.now(UTC) - timedelta(hours=3)
        for index, (number, name, answered) in enumerate(LOG):
            store.log_call(CallEntry(key=f"shot/{index}", time=start + timedelta(minutes=17
                                                                                  * index),
                                     number=number, name=name, answered=answered,
                                     duration=95 if answered else 0, extension=PORT,
                                     user="li", description="保存到常用电话" if index == 1
                                     else ""))
        for name, number, company in (("总机", "8001", "本公司"), ("财务部", "8005", "本公司"),
                                      ("杨庆丰", "13509636630", "赛格科技")):
            store.save_phonebook_entry(PhonebookEntry(book="common", name=name, number=number,
                                                      company=company))
    finally:
        store.close()


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with screenshot_service(7) as (sim, address):
        add_account("li", "agent", PASSWORD)
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder)
            seed(data)
            shots(sim, address, data, out)
    return 0


def shots(sim: Simulator, address: ServiceAddress, data: Path, out: Path) -> None:
    root = new_root()
    app = CrmWindowApp(root, GuiOptions(data_dir=data, server_host=address.host,
                                        server_port=address.port, extension=PORT, user="li",
                                        device="headset", password=PASSWORD))
    root.geometry("1024x732+0+0")  # the whole 1024x768 screen, as an agent keeps it
    app.start()
    pump(root, lambda: app.crm is not None and app.status.online and app.crm.desk.synced)
    pump(root, lambda: len(app.log_presenter.entries) == len(LOG))
    # the other extensions busy: talking, ringing, dialling
    ask(sim, {"cmd": "ring", "extension": "002", "caller": "13800138000"})
    ask(sim, {"cmd": "answer", "extension": "002"})
    ask(sim, {"cmd": "ring", "extension": "004", "caller": "02087654321"})
    ask(sim, {"cmd": "offhook", "extension": "009"})
    # a call of this desk parked in slot 3 (its button flashes)
    ask(sim, {"cmd": "ring", "extension": PORT, "caller": "13912345678"})
    pump(root, lambda: app.pop_window.showing)
    app.pop_window.hide()
    app.call_action("answer", {})
    pump(root, lambda: app.status_bar.text("phone").endswith("通话"))
    app.function_area.park[3].invoke()
    pump(root, lambda: app.functions.park_taken[3])
    app.info.phonebook.choose("common")
    shoot(root, out / "crm-main.png")
    # a ring: the pop window
    ask(sim, {"cmd": "ring", "extension": "007", "caller": "13509636630"})
    ask(sim, {"cmd": "hangup", "extension": "007"})
    ask(sim, {"cmd": "hangup", "extension": PORT})  # at once: no hang-up racing the ring
    pump(root, lambda: not app._has_call())
    settle(root)
    ask(sim, {"cmd": "ring", "extension": PORT, "caller": "13509636630"})
    pump(root, lambda: app.pop_window.showing)
    settle(root)
    shoot(root, out / "crm-pop.png")
    app.pop_window.hide()
    app.set_language("en")
    settle(root)
    shoot(root, out / "crm-main-en.png")
    ask(sim, {"cmd": "hangup", "extension": PORT})
    app.close()
    root.destroy()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"))
