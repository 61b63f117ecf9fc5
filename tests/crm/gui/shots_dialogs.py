"""Screenshots of the CRM's dialogs for docs/crm.md (客户资料, 内部短信, 系统设置), made under
Xvfb on real parts: a store of 100 000 customers, the simulator and the embedded server's
hub with two agents logged in through ``CrmApp``.

    DISPLAY=:65 .venv/bin/python -m tests.crm.gui.shots_dialogs [OUT_DIR]

(default docs/images).  Needs Xvfb (or a DISPLAY) and ImageMagick's ``import``.  Each
picture is one window (``import -window`` of its frame).
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path

from callcenter.common.tkfonts import apply_cjk_font
from callcenter.crm_client.app import CrmApp
from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.customer_form import CustomerDialog
from callcenter.crm_client.gui.customers import ImportWindow, open_customers
from callcenter.crm_client.gui.messages import notify_message, open_messages
from callcenter.crm_client.gui.settings_dialog import open_settings
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.gui.worker import TaskRunner
from callcenter.crm_client.settings import CrmSettings
from callcenter.crm_client.store import CrmStore, Customer
from callcenter.server.accounts import add_account
from tests.server.console.make_screenshots import PASSWORD, ROOT, screenshot_service

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明",
         "超", "秀英", "华", "建国", "庆丰")
COMPANIES = ("赛格科技", "唐信通信", "华强电子", "南山物流", "前海金融", "福田酒店", "罗湖商贸",
             "宝安制造")
DEPARTMENTS = ("技术服务部", "销售部", "客服中心", "财务部")


def customers(count: int) -> list[Customer]:
    """``count`` plausible customers (names, companies, numbers), a few VIP or blacklisted."""
    pick = random.Random(9)
    rows = []
    for n in range(count):
        name = pick.choice(SURNAMES) + pick.choice(GIVEN) + (pick.choice(GIVEN)
                                                             if pick.random() < 0.5 else "")
        blacklist = pick.random() < 0.02
        rows.append(Customer(
            name=name, company=pick.choice(COMPANIES),
            phones=(f"0755-{26500000 + n:08d}",), mobile=f"139{pick.randrange(10**8):08d}",
            department=pick.choice(DEPARTMENTS), vip=pick.random() < 0.06,
            blacklist=blacklist, blacklist_reason="恶意骚扰" if blacklist else ""))
    return rows


def pump(root: tk.Tk, runner: TaskRunner, condition: Callable[[], object],
         timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the dialog did not get there")
        runner.drain()
        root.update()
        time.sleep(0.01)


def settle(root: tk.Tk, runner: TaskRunner, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        runner.drain()
        root.update()
        time.sleep(0.01)


def shoot(root: tk.Tk, runner: TaskRunner, window: tk.Misc, path: Path) -> None:
    """A picture of one window."""
    settle(root, runner)
    frame = window.winfo_toplevel().wm_frame()
    subprocess.run(["import", "-window", frame, str(path)], check=True, env={**os.environ})
    print(path)


def context(root: tk.Tk, store: CrmStore, app: CrmApp | None = None,
            data_dir: Path | None = None) -> DialogContext:
    ctx = DialogContext(Catalogue("zh"), TaskRunner(2), store=store, app=app,
                        data_dir=data_dir or Path("."), root=root,
                        settings=app.settings if app else CrmSettings(),
                        dial=lambda number: None)
    ctx.extra["modeless"] = True
    return ctx


def customer_shots(root: tk.Tk, store: CrmStore, folder: Path, out: Path) -> None:
    ctx = context(root, store)
    window = open_customers(root, ctx)
    window.geometry("900x560+20+20")
    pump(root, ctx.runner, lambda: not window.loading and window.page.total > 0)
    shoot(root, ctx.runner, window, out / "crm-customers.png")
    example = store.save_customer(Customer(
        name="杨庆丰", extension="128", email="yangqf@cesllr.com",
        phones=("13509636630", "83988807"), mobile="13509636630", fax="83568607",
        position="总经理", kind="合群商", customer_no="002", company="赛格科技",
        handler="001", department="技术服务部", notes="软件确认内容", vip=True))
    dialog = CustomerDialog(window, ctx, example)
    dialog.geometry("+60+60")
    shoot(root, ctx.runner, dialog, out / "crm-customers-edit.png")
    dialog.form.notebook.select(dialog.form.tabs["detail"])
    dialog.form.set_value("email", "yangqf@")
    dialog.form.button_save.invoke()
    shoot(root, ctx.runner, dialog, out / "crm-customers-detail.png")
    dialog.close()
    path = folder / "新客户.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "电话", "公司", "VIP", "黑名单"])
        writer.writerows([[f"新客户{n}", f"020-{87650000 + n}", "广州分公司", "", ""]
                          for n in range(500)])
        writer.writerow(["错号码", "待定", "", "", ""])
        writer.writerow(["", "", "无名公司", "", ""])
    ctx.extra["ask_open_file"] = lambda *_args: str(path)
    importer = window.import_file()
    assert isinstance(importer, ImportWindow)
    importer.geometry("+120+120")
    pump(root, ctx.runner, lambda: importer.finished)
    shoot(root, ctx.runner, importer, out / "crm-customers-import.png")
    importer.close()
    window.close()
    ctx.runner.close()


def message_shots(root: tk.Tk, address: tuple[str, int], folder: Path, out: Path) -> None:
    for user in ("zhangwei", "lifang", "wangmin"):
        add_account(user, "agent", PASSWORD)
    apps = []
    for user, port in (("zhangwei", "001"), ("lifang", "002")):
        store = CrmStore.open(folder / user)
        app = CrmApp(store, CrmSettings(server_host=address[0], server_port=address[1],
                                        extension=port, user=user, device="headset"))
        app.connect(PASSWORD)
        apps.append(app)
    deadline = time.monotonic() + 20
    while not all(a.online for a in apps) and time.monotonic() < deadline:
        time.sleep(0.05)
    zhang, li = apps
    li.send_message("zhangwei", "张工，赛格科技杨总来电，请回电 13509636630")
    zhang.send_message("lifang", "好的，我这就回。")
    zhang.send_message("ALL", "下午三点在三楼会议室开周会")
    li.send_message("wangmin", "王敏：明天早班请提前十分钟到")
    ctx = context(root, zhang.store, zhang)
    window = open_messages(root, ctx)
    window.geometry("+30+30")
    pump(root, ctx.runner, lambda: window.loaded and len(window.recipients) > 2
         and "周会" in window.history_text())
    window.choose("lifang")
    window.text.insert("1.0", "客户资料已更新，请查看。")
    shoot(root, ctx.runner, window, out / "crm-messages.png")
    window.close()
    first = next(m for m in zhang.messages() if m.sender == "lifang")
    notice = notify_message(root, ctx, first)
    assert notice is not None
    shoot(root, ctx.runner, notice, out / "crm-messages-notice.png")
    notice.dismiss()
    ctx.runner.close()
    for app in apps:
        app.close()
        app.store.close()


def settings_shots(root: tk.Tk, folder: Path, out: Path) -> None:
    store = CrmStore.open(folder / "settings-pc")
    ctx = context(root, store, data_dir=folder / "settings-pc")
    ctx.settings = CrmSettings(server_host="192.168.1.122", extension="001", user="zhangwei")
    dialog = open_settings(root, ctx, first_run=True)
    dialog.geometry("+30+30")
    shoot(root, ctx.runner, dialog, out / "crm-settings.png")
    dialog.protection.invoke()
    perms = dialog.open_permissions()
    perms.geometry("+80+80")
    perms.users.selection_set(0)
    perms.users.event_generate("<<ListboxSelect>>")
    shoot(root, ctx.runner, perms, out / "crm-settings-permissions.png")
    perms.close()
    dialog.close()
    ctx.runner.close()
    store.close()


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with screenshot_service() as (_sim, address), tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        root = tk.Tk(className="callcenter-crm")
        apply_cjk_font(root)
        root.geometry("1024x730+0+0")
        store = CrmStore.open(folder / "pc")
        store.insert_customers(customers(100_000))
        customer_shots(root, store, folder, out)
        message_shots(root, (address.host, address.port), folder, out)
        settings_shots(root, folder, out)
        store.close()
        root.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"))
