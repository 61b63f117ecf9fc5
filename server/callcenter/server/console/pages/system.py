"""系统设置, the view: a notebook of tabs, each thin over ``system_model``.

口令设置 (accounts and the operators' modules, manual 1-7-02), 数据设置 (retention and the
hotel bill file, S-40/S-43), 串口转发 (the hotel forwarding, S-43), 服务设置 (agent hub, TLS,
time zone), 串口设置 (the PBX port, the form the first start reuses), 计费设置 (S-35),
客户端 (S-44), 审计日志 (B-4) and 告警.  Every request goes through
``ServiceConnection.request``; the main window shows this page only to sessions with the
module ``system``.
"""

from __future__ import annotations

import base64
import tkinter as tk
from collections.abc import Callable
from datetime import date
from pathlib import Path
from tkinter import filedialog, ttk
from typing import TYPE_CHECKING, Any, Final

from tkcalendar import DateEntry

from callcenter.server.console import strings
from callcenter.server.console.first_start import SerialPortForm
from callcenter.server.console.pages import Page, PageContext, PageFactory
from callcenter.server.console.system_model import (
    CLIENT_FIELDS,
    OPERATOR_MODULES,
    ROLES,
    SETTING_TABS,
    TARIFF_COLUMNS,
    ClientsModel,
    Setting,
    TariffModel,
    alert_row,
    audit_params,
    audit_row,
    bool_text,
    modules_of,
    modules_value,
    rerate_params,
    settings_from,
    version_rows,
)
from callcenter.server.rating.rate import default_tariff

if TYPE_CHECKING:
    from callcenter.server.console.connection import Job

#: The built-in tariff's version (a fresh store rates with it until a tariff is saved).
BUILT_IN_VERSION: Final = default_tariff().version

strings.add_texts({
    "system.tab.accounts": ("口令设置", "Accounts"),
    "system.tab.data": ("数据设置", "Data"),
    "system.tab.forward": ("串口转发", "Hotel forwarding"),
    "system.tab.hub": ("服务设置", "Service"),
    "system.tab.link": ("串口设置", "Serial port"),
    "system.tab.tariff": ("计费设置", "Tariff"),
    "system.tab.clients": ("客户端", "Clients"),
    "system.tab.audit": ("审计日志", "Audit log"),
    "system.tab.alerts": ("告警", "Alerts"),
    "system.save": ("保存", "Save"),
    "system.saved": ("已保存", "Saved"),
    "system.refresh": ("刷新", "Refresh"),
    "system.nothing_changed": ("没有修改", "Nothing changed"),
    # accounts
    "accounts.col.user": ("用户名", "User"),
    "accounts.col.role": ("系统等级", "Role"),
    "accounts.col.port": ("绑定分机端口", "Bound port"),
    "accounts.col.must_change": ("须改密码", "Must change"),
    "accounts.col.locked": ("已锁定", "Locked"),
    "accounts.user": ("用户名", "User"),
    "accounts.role": ("系统等级", "Role"),
    "accounts.password": ("密码", "Password"),
    "accounts.port": ("分机端口", "Port"),
    "accounts.add": ("添加", "Add"),
    "accounts.change": ("修改", "Change"),
    "accounts.remove": ("删除", "Remove"),
    "accounts.need_user": ("请输入用户名", "Enter a user name"),
    "accounts.added": ("已添加 {user}", "{user} added"),
    "accounts.changed": ("已修改 {user}", "{user} changed"),
    "accounts.removed": ("已删除 {user}", "{user} removed"),
    "accounts.remove_question": ("删除账号 {user} 吗？", "Remove the account {user}?"),
    "accounts.modules": ("操作员可使用的模块（管理员可使用全部模块）",
                         "Modules operators may use (administrators use every module)"),
    "role.operator": ("操作员", "operator"),
    "role.admin": ("管理员", "administrator"),
    "role.agent": ("坐席", "agent"),
    # settings
    "setting.retention_days": ("主话单数据库保存天数", "Days the main record store keeps"),
    "setting.hotel_bill.enabled": ("生成酒店系统读取话单文件(HotelBill.TXT)",
                                   "Write the hotel bill file (HotelBill.TXT)"),
    "setting.hotel_bill.path": ("话单文件路径", "Bill file path"),
    "setting.hotel_bill.encoding": ("话单文件编码", "Bill file encoding"),
    "setting.hotel_forward.enabled": ("启动串口转发", "Forward records to a serial port"),
    "setting.hotel_forward.url": ("转发到串行端口", "Forward to the port"),
    "setting.hotel_forward.baud": ("波特率", "Baud"),
    "setting.timezone": ("时区", "Time zone"),
    "setting.agent.password_required": ("坐席登录须输入密码", "Agent logins need a password"),
    "setting.agent.lockout_minutes": ("登录失败锁定分钟数", "Lock-out minutes"),
    "setting.agent.tls_cert": ("TLS 证书文件", "TLS certificate file"),
    "setting.agent.tls_key": ("TLS 私钥文件", "TLS private key file"),
    "setting.agent.admin_only_actions": ("仅管理员可用的功能", "Admin-only hub actions"),
    "setting.pbx.id": ("交换机名称", "PBX name"),
    "setting.pbx.ack_timeout": ("应答超时（秒）", "Acknowledgement timeout (s)"),
    "setting.pbx.retries": ("重发次数", "Retries"),
    "settings.restart_note": ("TLS 设置在服务重新启动后生效。",
                              "TLS settings take effect when the service starts again."),
    # tariff
    "tariff.col.prefix": ("字头", "Prefix"),
    "tariff.col.description": ("字头说明", "Description"),
    "tariff.col.initial_seconds": ("起步时间", "Initial s"),
    "tariff.col.initial_charge": ("起步费率", "Initial charge"),
    "tariff.col.interval_seconds": ("计费间隔", "Interval s"),
    "tariff.col.interval_charge": ("计费费率", "Interval charge"),
    "tariff.col.service_type": ("业务类型", "Service type"),
    "tariff.add": ("添加行", "Add row"),
    "tariff.remove": ("删除行", "Remove row"),
    "tariff.import": ("导入…", "Import…"),
    "tariff.export": ("导出…", "Export…"),
    "tariff.version": ("版本 {version}{dirty}", "Version {version}{dirty}"),
    "tariff.dirty": ("（已修改，未保存）", " (changed, not saved)"),
    "tariff.saved": ("已保存：版本 {version}", "Saved: version {version}"),
    "tariff.bad_row": ("第 {row} 行：{problem}", "Row {row}: {problem}"),
    "tariff.bad_prefix": ("字头为 1-20 位数字", "A prefix is 1-20 digits"),
    "tariff.bad_number": ("须为整数", "Must be a whole number"),
    "tariff.bad_money": ("金额须为不小于0的数", "An amount of 0 or more"),
    "tariff.imported": ("已导入 {entries} 行：版本 {version}",
                        "{entries} rows imported: version {version}"),
    "tariff.exported": ("已导出到 {path}", "Exported to {path}"),
    "tariff.transfer": ("传输中 {done}/{total} 字节", "Transferring {done}/{total} bytes"),
    "tariff.calc": ("话费计算", "What would it cost"),
    "tariff.calc_number": ("号码", "Number"),
    "tariff.calc_seconds": ("时长（秒）", "Seconds"),
    "tariff.calc_go": ("计算", "Rate"),
    "tariff.calc_result": ("{cost} 元  {description}  {receipt}",
                           "{cost} yuan  {description}  {receipt}"),
    "tariff.holidays": ("节假日", "Holidays"),
    "tariff.holiday_add": ("添加", "Add"),
    "tariff.holiday_remove": ("删除", "Remove"),
    "tariff.bad_day": ("日期格式为 年-月-日，如 2024-06-01",
                       "A date is yyyy-mm-dd, e.g. 2024-06-01"),
    "tariff.bad_range": ("结束日期不能早于开始日期", "The last day must not be before the first"),
    "tariff.versions": ("版本记录", "Versions"),
    "tariff.vcol.saved_at": ("时间", "Saved at"),
    "tariff.vcol.version": ("版本", "Version"),
    "tariff.vcol.how": ("方式", "How"),
    "tariff.vcol.who": ("操作员", "Who"),
    "tariff.how.built_in_in_force": ("出厂内置（在用）", "built-in (in force)"),
    "tariff.how.in_force": ("在用（无保存记录）", "in force (no save recorded)"),
    "tariff.how.built_in": ("出厂内置", "built-in"),
    "tariff.how.earlier": ("更早（无保存记录）", "earlier (no save recorded)"),
    "tariff.how.save": ("保存", "saved"),
    "tariff.how.import": ("导入", "imported"),
    "tariff.rerate_cancelled": ("重新计费已取消：话单计费未改变",
                                "Re-rating cancelled: no call's rating changed"),
    "tariff.rerate": ("重新计费", "Re-rate a period"),
    "tariff.rerate_from": ("从", "From"),
    "tariff.rerate_to": ("到", "To"),
    "tariff.rerate_go": ("重新计费", "Re-rate"),
    "tariff.rerate_cancel": ("取消", "Cancel"),
    "tariff.rerating": ("重新计费中 {done}/{total} 条", "Re-rating {done}/{total} calls"),
    "tariff.rerated": ("已用版本 {version} 重新计费 {rated} 条话单，{changed} 条有变化，"
                       "合计 {delta} 元；{archived} 条在月归档中，保持原计费",
                       "Re-rated {rated} calls with version {version}: {changed} changed, "
                       "total {delta} yuan; {archived} calls in monthly archives keep their "
                       "rating"),
    # clients
    "clients.col.address": ("座席IP", "Address"),
    "clients.col.remote_port": ("端口", "Port"),
    "clients.col.user": ("用户", "User"),
    "clients.col.role": ("等级", "Role"),
    "clients.col.extension": ("分机端口", "Extension port"),
    "clients.col.device": ("设备", "Device"),
    "clients.col.since": ("连接时间", "Since"),
    "clients.count": ("已连接 {count} 个客户端", "{count} clients connected"),
    # audit
    "audit.from": ("从（年-月-日）", "From (yyyy-mm-dd)"),
    "audit.to": ("到", "To"),
    "audit.who": ("操作员", "Who"),
    "audit.key": ("项目", "Key"),
    "audit.query": ("查询", "Query"),
    "audit.bad_date": ("日期格式为 年-月-日，如 2024-06-01",
                       "A date is yyyy-mm-dd, e.g. 2024-06-01"),
    "audit.count": ("共 {total} 条", "{total} entries"),
    "audit.col.at": ("时间", "Time"),
    "audit.col.who": ("操作员", "Who"),
    "audit.col.what": ("类别", "What"),
    "audit.col.key": ("项目", "Key"),
    "audit.col.old": ("原值", "Old"),
    "audit.col.new": ("新值", "New"),
    "audit.col.result": ("结果", "Result"),
    # alerts
    "alerts.unresolved": ("只显示未处理的", "Unresolved only"),
    "alerts.resolve": ("标记为已处理", "Mark resolved"),
    "alerts.col.id": ("编号", "No."),
    "alerts.col.at": ("时间", "Time"),
    "alerts.col.kind": ("类别", "Kind"),
    "alerts.col.text": ("内容", "Text"),
    "alerts.col.resolved": ("已处理", "Resolved"),
})

VERSION_COLUMNS: Final = ("saved_at", "version", "how", "who")
AUDIT_COLUMNS: Final = ("at", "who", "what", "key", "old", "new", "result")
ALERT_COLUMNS: Final = ("id", "at", "kind", "text", "resolved")
PAGE_SIZE: Final = 200
CHUNK: Final = 32768
GREEN, RED = "#1b5e20", "#c62828"


def _table(parent: tk.Misc, columns: tuple[str, ...],
           widths: dict[str, int]) -> tuple[ttk.Frame, ttk.Treeview]:
    frame = ttk.Frame(parent)
    tree = ttk.Treeview(frame, columns=columns, show="headings", selectmode="browse")
    for column in columns:
        tree.column(column, width=widths.get(column, 100), anchor="w")
    tree.grid(row=0, column=0, sticky="nsew")
    scroll = ttk.Scrollbar(frame, orient="vertical", command=tree.yview)
    scroll.grid(row=0, column=1, sticky="ns")
    tree.configure(yscrollcommand=scroll.set)
    frame.rowconfigure(0, weight=1)
    frame.columnconfigure(0, weight=1)
    return frame, tree


class _Tab:
    """One tab: its frame, a message line, texts that follow the language."""

    def __init__(self, page: SystemPage, name: str) -> None:
        self.page = page
        self.name = name
        self.context = page.context
        self.catalogue = page.catalogue
        self.frame = ttk.Frame(page.notebook, padding=8)
        self._texts: list[tuple[tk.Misc, str]] = []
        self.message = ttk.Label(self.frame, text="", wraplength=960, justify="left")

    def label(self, parent: tk.Misc, key: str, **grid: Any) -> ttk.Label:
        widget = ttk.Label(parent)
        widget.grid(**grid)
        self._texts.append((widget, key))
        return widget

    def button(self, parent: tk.Misc, key: str, command: Callable[[], object],
               **grid: Any) -> ttk.Button:
        widget = ttk.Button(parent, command=command)
        widget.grid(**grid)
        self._texts.append((widget, key))
        return widget

    def headings(self, tree: ttk.Treeview, prefix: str, columns: tuple[str, ...]) -> None:
        self._headings = getattr(self, "_headings", [])
        self._headings.append((tree, prefix, columns))

    def relabel(self) -> None:
        for widget, key in self._texts:
            widget.configure(text=self.catalogue.text(key))  # type: ignore[call-arg]
        for tree, prefix, columns in getattr(self, "_headings", []):
            for column in columns:
                tree.heading(column, text=self.catalogue.text(f"{prefix}.{column}"))

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.configure(text=text, foreground=RED if error else GREEN)

    def failed(self, code: str, message: str) -> None:
        self.say(self.catalogue.error(code, message), error=True)

    def load(self) -> None:
        """Ask the service for what the tab shows."""

    def on_event(self, event: dict[str, Any]) -> None:
        """An event of the service."""

    def zone_known(self) -> None:
        """The site's time zone (``page.timezone``) came from the service."""


# ---------------------------------------------------------------------- 口令设置
class AccountsTab(_Tab):
    def __init__(self, page: SystemPage) -> None:
        super().__init__(page, "accounts")
        holder, self.tree = _table(self.frame, ("user", "role", "port", "must_change",
                                                "locked"),
                                   {"user": 180, "role": 120, "port": 110})
        self.tree.configure(height=10)
        holder.grid(row=0, column=0, sticky="nsew")
        self.headings(self.tree, "accounts.col",
                      ("user", "role", "port", "must_change", "locked"))
        self.tree.bind("<<TreeviewSelect>>", self._selected)
        form = ttk.Frame(self.frame)
        form.grid(row=1, column=0, sticky="w", pady=(8, 0))
        self.entries: dict[str, ttk.Entry | ttk.Combobox] = {}
        for column, (name, width) in enumerate((("user", 16), ("role", 10),
                                                ("password", 16), ("port", 6))):
            self.label(form, f"accounts.{name}", row=0, column=2 * column, padx=(0, 4))
            widget: ttk.Entry | ttk.Combobox
            if name == "role":
                widget = ttk.Combobox(form, width=width, state="readonly", values=ROLES)
                widget.set("operator")
            else:
                widget = ttk.Entry(form, width=width, show="•" if name == "password" else "")
            widget.grid(row=0, column=2 * column + 1, padx=(0, 10))
            self.entries[name] = widget
        buttons = ttk.Frame(self.frame)
        buttons.grid(row=2, column=0, sticky="w", pady=(6, 0))
        self.buttons = {name: self.button(buttons, f"accounts.{name}", command, row=0,
                                          column=i, padx=(0, 6))
                        for i, (name, command) in enumerate((("add", self.add),
                                                             ("change", self.change),
                                                             ("remove", self.remove)))}
        modules = ttk.LabelFrame(self.frame, padding=8)
        modules.grid(row=3, column=0, sticky="ew", pady=(12, 0))
        self._texts.append((modules, "accounts.modules"))
        self.module_vars: dict[str, str] = {}
        self.module_checks: dict[str, ttk.Checkbutton] = {}
        for column, module in enumerate(OPERATOR_MODULES):
            # Tcl variables by name (see main_window: no Python Variable objects)
            name = f"callcenter_operator_module_{module}"
            self.frame.setvar(name, "0")
            check = ttk.Checkbutton(modules, variable=name)  # type: ignore[arg-type]
            check.grid(row=0, column=column, padx=(0, 12), sticky="w")
            self._texts.append((check, f"module.{module}"))
            self.module_vars[module] = name
            self.module_checks[module] = check
        self.button_modules = self.button(modules, "system.save", self.save_modules, row=0,
                                          column=len(OPERATOR_MODULES), padx=(12, 0))
        self.message.grid(row=4, column=0, sticky="ew", pady=(8, 0))
        self.frame.rowconfigure(0, weight=1)
        self.frame.columnconfigure(0, weight=1)

    def load(self) -> None:
        self.context.connection.request("accounts_list", self._listed, self.failed)
        self.context.connection.request("settings_get", self._modules, self.failed,
                                        key="console.operator_modules")

    def _listed(self, answer: dict[str, Any]) -> None:
        self.tree.delete(*self.tree.get_children())
        for item in answer.get("accounts") or ():
            user = str(item.get("user", ""))
            self.tree.insert("", "end", iid=user, values=(
                user, self.catalogue.text(f"role.{item.get('role')}")
                if item.get("role") in ROLES else item.get("role", ""),
                item.get("port", ""), "✓" if item.get("must_change_password") else "",
                "✓" if item.get("locked") else ""))

    def users(self) -> list[str]:
        return [str(item) for item in self.tree.get_children()]

    def _modules(self, answer: dict[str, Any]) -> None:
        settings = settings_from(answer)
        chosen = modules_of(settings["console.operator_modules"].value) \
            if "console.operator_modules" in settings else set()
        for module, name in self.module_vars.items():
            self.frame.setvar(name, "1" if module in chosen else "0")

    def chosen_modules(self) -> set[str]:
        return {m for m, name in self.module_vars.items()
                if str(self.frame.getvar(name)) in ("1", "True", "true")}

    def save_modules(self) -> None:
        value = modules_value(self.chosen_modules())
        self.context.connection.request(
            "settings_set", lambda answer: self.say(self.catalogue.text("system.saved")),
            self.failed, key="console.operator_modules", value=value)

    def _selected(self, _event: object = None) -> None:
        selection = self.tree.selection()
        if not selection:
            return
        values = self.tree.item(selection[0], "values")
        self.set_entry("user", str(values[0]))
        self.set_entry("port", str(values[2]))
        self.set_entry("password", "")

    def set_entry(self, name: str, text: str) -> None:
        widget = self.entries[name]
        if isinstance(widget, ttk.Combobox) and str(widget.cget("state")) == "readonly":
            widget.set(text)
            return
        widget.delete(0, "end")
        widget.insert(0, text)

    def _form(self) -> dict[str, Any] | None:
        user = self.entries["user"].get().strip()
        if not user:
            self.say(self.catalogue.text("accounts.need_user"), error=True)
            return None
        params: dict[str, Any] = {"user": user, "role": self.entries["role"].get(),
                                  "port": self.entries["port"].get().strip()}
        password = self.entries["password"].get()
        if password:
            params["password"] = password
        return params

    def add(self) -> None:
        params = self._form()
        if params is not None:
            self.context.connection.request("account_add", self._done("accounts.added"),
                                            self.failed, **params)

    def change(self) -> None:
        params = self._form()
        if params is not None:
            self.context.connection.request("account_change", self._done("accounts.changed"),
                                            self.failed, **params)

    def remove(self) -> None:
        user = self.entries["user"].get().strip()
        if not user:
            self.say(self.catalogue.text("accounts.need_user"), error=True)
            return
        if not self.context.confirm(self.catalogue.text("accounts.remove"),
                                    self.catalogue.text("accounts.remove_question",
                                                        user=user)):
            return
        self.context.connection.request("account_remove", self._done("accounts.removed"),
                                        self.failed, user=user)

    def _done(self, key: str) -> Callable[[dict[str, Any]], None]:
        def done(answer: dict[str, Any]) -> None:
            self.say(self.catalogue.text(key, user=answer.get("user", "")))
            self.set_entry("password", "")
            self.context.connection.request("accounts_list", self._listed, self.failed)
        return done


# ---------------------------------------------------------------------- settings tabs
class SettingsTab(_Tab):
    """Some server settings as a form: a check box for the yes/no ones, an entry for the
    others, what is allowed beside; Save sends the changed ones (``settings_set``)."""

    def __init__(self, page: SystemPage, name: str) -> None:
        super().__init__(page, name)
        self.keys = SETTING_TABS[name]
        self.settings: dict[str, Setting] = {}
        self.widgets: dict[str, ttk.Entry | ttk.Checkbutton] = {}
        self.allowed: dict[str, ttk.Label] = {}
        self.form = ttk.Frame(self.frame)
        self.form.grid(row=0, column=0, sticky="nw")
        for row, key in enumerate(self.keys):
            self.label(self.form, f"setting.{key}", row=row, column=0, sticky="w", pady=4)
            self.allowed[key] = ttk.Label(self.form, foreground="#555555", wraplength=420,
                                          justify="left")
            self.allowed[key].grid(row=row, column=2, sticky="w", padx=(10, 0))
        if name == "hub":
            self.label(self.frame, "settings.restart_note", row=1, column=0, sticky="w",
                       pady=(8, 0))
        self.button_save = self.button(self.frame, "system.save", self.save, row=2, column=0,
                                       sticky="w", pady=(10, 0))
        self.message.grid(row=3, column=0, sticky="ew", pady=(8, 0))
        self.frame.columnconfigure(0, weight=1)

    def load(self) -> None:
        self.context.connection.request("settings_get", self._got, self.failed)

    def _got(self, answer: dict[str, Any]) -> None:
        every = settings_from(answer)
        self.settings = {k: every[k] for k in self.keys if k in every}
        for row, key in enumerate(self.keys):
            setting = self.settings.get(key)
            if setting is None:
                continue
            self.allowed[key].configure(text=setting.allowed)
            if key not in self.widgets:
                widget: ttk.Entry | ttk.Checkbutton
                if setting.boolean:
                    self.frame.setvar(self._var(key), "0")
                    widget = ttk.Checkbutton(self.form, variable=self._var(key))  # type: ignore[arg-type]
                else:
                    widget = ttk.Entry(self.form, width=36)
                widget.grid(row=row, column=1, sticky="w", padx=(10, 0))
                self.widgets[key] = widget
            self.show_value(key, setting.value)

    @staticmethod
    def _var(key: str) -> str:
        return "callcenter_setting_" + key.replace(".", "_")

    def show_value(self, key: str, value: str) -> None:
        widget = self.widgets[key]
        if isinstance(widget, ttk.Checkbutton):
            self.frame.setvar(self._var(key), "1" if bool_text(value) else "0")
        else:
            widget.delete(0, "end")
            widget.insert(0, value)

    def value(self, key: str) -> str:
        widget = self.widgets[key]
        if isinstance(widget, ttk.Checkbutton):
            on = str(self.frame.getvar(self._var(key))) in ("1", "True", "true")
            return "true" if on else "false"
        return widget.get().strip()

    def set_value(self, key: str, text: str) -> None:
        """For tests and scripts: put ``text`` in a setting's field."""
        self.show_value(key, text)

    def save(self) -> None:
        changed = [(key, self.value(key)) for key, setting in self.settings.items()
                   if key in self.widgets and self.value(key) != setting.value
                   and not (setting.boolean and bool_text(self.value(key))
                            == bool_text(setting.value))]
        if not changed:
            self.say(self.catalogue.text("system.nothing_changed"))
            return
        self._save_next(changed, [])

    def _save_next(self, todo: list[tuple[str, str]], problems: list[str]) -> None:
        if not todo:
            if problems:
                self.say("\n".join(problems), error=True)
            else:
                self.say(self.catalogue.text("system.saved"))
            self.load()
            return
        key, value = todo[0]

        def done(_answer: dict[str, Any]) -> None:
            self._save_next(todo[1:], problems)

        def failed(code: str, message: str) -> None:
            self._save_next(todo[1:], [*problems, self.catalogue.error(code, message)])
        self.context.connection.request("settings_set", done, failed, key=key, value=value)


# ---------------------------------------------------------------------- 串口设置
class LinkTab(_Tab):
    def __init__(self, page: SystemPage) -> None:
        super().__init__(page, "link")
        self.form: SerialPortForm | None = None

    def load(self) -> None:
        if self.form is None:
            self.form = SerialPortForm(self.frame, self.context.connection, self.catalogue)
            self.form.grid(row=0, column=0, sticky="nw")
        else:
            self.form.load()

    def relabel(self) -> None:
        if self.form is not None:
            self.form.relabel()

    def on_event(self, event: dict[str, Any]) -> None:
        if self.form is not None and event.get("event") == "link" and \
                not self.form.button_test.instate(["disabled"]):
            self.context.connection.request(
                "link_state", lambda a: self.form.show_state(a) if self.form else None,
                self.failed)


# ---------------------------------------------------------------------- 计费设置
class TariffTab(_Tab):
    def __init__(self, page: SystemPage) -> None:
        super().__init__(page, "tariff")
        self.model = TariffModel()
        holder, self.tree = _table(self.frame, TARIFF_COLUMNS,
                                   {"prefix": 90, "description": 200, "initial_seconds": 80,
                                    "initial_charge": 90, "interval_seconds": 80,
                                    "interval_charge": 90, "service_type": 150})
        holder.grid(row=0, column=0, sticky="nsew")
        self.headings(self.tree, "tariff.col", TARIFF_COLUMNS)
        self.tree.bind("<Double-1>", self._double_click)
        self.editor: ttk.Entry | None = None
        bar = ttk.Frame(self.frame)
        bar.grid(row=1, column=0, sticky="ew", pady=(6, 0))
        self.buttons = {name: self.button(bar, key, command, row=0, column=i, padx=(0, 6))
                        for i, (name, key, command) in enumerate((
                            ("add", "tariff.add", self.add_row),
                            ("remove", "tariff.remove", self.remove_row),
                            ("save", "system.save", self.save),
                            ("import", "tariff.import", self.ask_import),
                            ("export", "tariff.export", self.ask_export)))}
        self.version = ttk.Label(bar)
        self.version.grid(row=0, column=6, sticky="e")
        bar.columnconfigure(6, weight=1)
        calc = ttk.LabelFrame(self.frame, padding=6)
        calc.grid(row=2, column=0, sticky="ew", pady=(8, 0))
        self._texts.append((calc, "tariff.calc"))
        self.label(calc, "tariff.calc_number", row=0, column=0)
        self.calc_number = ttk.Entry(calc, width=16)
        self.calc_number.grid(row=0, column=1, padx=(4, 10))
        self.label(calc, "tariff.calc_seconds", row=0, column=2)
        self.calc_seconds = ttk.Entry(calc, width=8)
        self.calc_seconds.grid(row=0, column=3, padx=(4, 10))
        self.button_rate = self.button(calc, "tariff.calc_go", self.rate, row=0, column=4)
        self.calc_result = ttk.Label(calc, text="")
        self.calc_result.grid(row=1, column=0, columnspan=6, sticky="w", pady=(4, 0))
        lower = ttk.Frame(self.frame)
        lower.grid(row=3, column=0, sticky="nsew", pady=(8, 0))
        self._build_holidays(lower)
        self._build_versions(lower)
        self._build_rerate(lower)
        lower.columnconfigure(1, weight=1)
        self.message.grid(row=4, column=0, sticky="ew", pady=(6, 0))
        self.frame.rowconfigure(0, weight=1)
        self.frame.columnconfigure(0, weight=1)

    def _date_entry(self, parent: tk.Misc, **grid: Any) -> DateEntry:
        locale = "zh_CN" if self.catalogue.language == "zh" else "en_US"
        picker = DateEntry(parent, date_pattern="yyyy-mm-dd", locale=locale, width=11)
        picker.grid(**grid)
        picker.set_date(date.today())
        return picker

    def _build_holidays(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, padding=6)
        box.grid(row=0, column=0, sticky="nsew", padx=(0, 8))
        self._texts.append((box, "tariff.holidays"))
        self.holiday_list = tk.Listbox(box, height=5, width=14, exportselection=False)
        self.holiday_list.grid(row=0, column=0, columnspan=2, sticky="nsew")
        self.holiday_date = self._date_entry(box, row=1, column=0, columnspan=2, sticky="w",
                                             pady=(4, 0))
        self.button_holiday_add = self.button(box, "tariff.holiday_add", self.add_holiday,
                                              row=2, column=0, sticky="ew", pady=(4, 0))
        self.button_holiday_remove = self.button(box, "tariff.holiday_remove",
                                                 self.remove_holiday, row=2, column=1,
                                                 sticky="ew", pady=(4, 0), padx=(4, 0))

    def _build_versions(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, padding=6)
        box.grid(row=0, column=1, sticky="nsew", padx=(0, 8))
        self._texts.append((box, "tariff.versions"))
        holder, self.versions = _table(box, VERSION_COLUMNS, {"saved_at": 140, "version": 110,
                                                               "how": 150, "who": 80})
        self.versions.configure(height=5)
        holder.grid(row=0, column=0, sticky="nsew")
        self.headings(self.versions, "tariff.vcol", VERSION_COLUMNS)
        box.columnconfigure(0, weight=1)

    def _build_rerate(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, padding=6)
        box.grid(row=0, column=2, sticky="nsew")
        self._texts.append((box, "tariff.rerate"))
        self.label(box, "tariff.rerate_from", row=0, column=0, sticky="w")
        self.rerate_from = self._date_entry(box, row=0, column=1, sticky="w", padx=(4, 0))
        self.label(box, "tariff.rerate_to", row=1, column=0, sticky="w", pady=(4, 0))
        self.rerate_to = self._date_entry(box, row=1, column=1, sticky="w", padx=(4, 0),
                                          pady=(4, 0))
        self.button_rerate = self.button(box, "tariff.rerate_go", self.rerate, row=2,
                                         column=0, sticky="ew", pady=(6, 0))
        self.button_rerate_cancel = self.button(box, "tariff.rerate_cancel",
                                                self.cancel_rerate, row=2, column=1,
                                                sticky="w", pady=(6, 0), padx=(4, 0))
        self.button_rerate_cancel.state(["disabled"])
        self.rerate_bar = ttk.Progressbar(box, length=200, mode="determinate")
        self.rerate_bar.grid(row=3, column=0, columnspan=2, sticky="ew", pady=(6, 0))
        self.rerate_result = ttk.Label(box, text="", wraplength=260, justify="left")
        self.rerate_result.grid(row=4, column=0, columnspan=2, sticky="w", pady=(4, 0))
        self.rerate_job: Job | None = None  # the running re-rate
        self.saved_versions: list[dict[str, Any]] = []
        self.versions_loaded = False
        self.versions_complete = True

    def load(self) -> None:
        self.context.connection.request("tariff_get", self._got, self.failed)
        self.context.connection.request("tariff_versions", self._got_versions, self.failed)

    def relabel(self) -> None:
        super().relabel()
        self._draw()
        self._draw_versions()

    def zone_known(self) -> None:
        self._draw_versions()

    def _got_versions(self, answer: dict[str, Any]) -> None:
        self.saved_versions = [dict(v) for v in answer.get("versions") or ()]
        self.versions_complete = int(answer.get("total", 0)) <= len(self.saved_versions)
        self.versions_loaded = True
        self._draw_versions()

    def _draw_versions(self) -> None:
        """The saved versions, times in the site's zone, led by the version in force when
        no save recorded it (a fresh store's built-in tariff)."""
        if not self.versions_loaded:
            return
        self.versions.delete(*self.versions.get_children())
        for when, version, how, who in version_rows(
                self.saved_versions, self.model.version, BUILT_IN_VERSION, self.page.timezone,
                complete=self.versions_complete):
            self.versions.insert("", "end", values=(when, version, self._how(how), who))

    def _how(self, how: str) -> str:
        word, _, rest = how.partition(" ")
        key = f"tariff.how.{word}"
        if not self.catalogue.has(key):
            return how
        return f"{self.catalogue.text(key)} {rest}".strip()

    # holidays: saved with the rows (tariff_save)
    def add_holiday(self) -> None:
        problem = self.model.add_holiday(self.holiday_date.get())
        if problem is not None:
            self.say(self.catalogue.text(problem), error=True)
            return
        self._draw()

    def remove_holiday(self) -> None:
        for index in self.holiday_list.curselection():  # type: ignore[no-untyped-call]
            self.model.remove_holiday(self.holiday_list.get(index))
        self._draw()

    # re-rating a period (long: progress bar, cancel)
    def rerate(self) -> None:
        params = rerate_params(self.rerate_from.get(), self.rerate_to.get())
        if isinstance(params, str):
            self.rerate_result.configure(text=self.catalogue.text(params), foreground=RED)
            return
        self.rerate_bar.configure(value=0, maximum=1)
        self.button_rerate.state(["disabled"])
        self.button_rerate_cancel.state(["!disabled"])
        self.rerate_result.configure(text="")

        def done(answer: dict[str, Any]) -> None:
            self._rerate_over()
            self.rerate_bar.configure(value=1, maximum=1)
            self.rerate_result.configure(text=self.catalogue.text(
                "tariff.rerated", rated=answer.get("rated", 0),
                changed=answer.get("changed", 0), delta=answer.get("cost_delta", ""),
                archived=answer.get("archived", 0),
                version=answer.get("tariff_version", "")), foreground=GREEN)

        def failed(code: str, message: str) -> None:
            self._rerate_over()
            text = self.catalogue.text("tariff.rerate_cancelled") if code == "cancelled" \
                else self.catalogue.error(code, message)
            self.rerate_result.configure(text=text, foreground=RED)

        def progress(done: int, total: int, _text: str) -> None:
            if self.rerate_job is None or self.rerate_job.finished:
                return
            self.rerate_bar.configure(value=done, maximum=max(total, 1))
            self.rerate_result.configure(text=self.catalogue.text(
                "tariff.rerating", done=done, total=total), foreground=GREEN)
        self.rerate_job = self.context.connection.request(
            "tariff_rerate", done, failed, on_progress=progress, timeout=3600.0, **params)

    @property
    def rerating(self) -> bool:
        return self.rerate_job is not None

    def _rerate_over(self) -> None:
        self.rerate_job = None
        self.button_rerate.state(["!disabled"])
        self.button_rerate_cancel.state(["disabled"])

    def cancel_rerate(self) -> None:
        """Stop the re-rate: the service rolls the whole period back (docs/rating.md)."""
        if self.rerate_job is None:
            return
        self.button_rerate_cancel.state(["disabled"])
        self.rerate_job.cancel()

    def _got(self, answer: dict[str, Any]) -> None:
        self.model.load(answer)
        self._draw()
        self._draw_versions()

    def _draw(self) -> None:
        names = self.model.service_names(self.catalogue.language)
        self.tree.delete(*self.tree.get_children())
        for index, row in enumerate(self.model.rows):
            values = [row[c] for c in TARIFF_COLUMNS]
            code = row["service_type"]
            values[-1] = f"{code}-{names[code]}" if code in names else code
            self.tree.insert("", "end", iid=str(index), values=values)
        self.holiday_list.delete(0, "end")
        for day in self.model.holidays:
            self.holiday_list.insert("end", day)
        self.version.configure(text=self.catalogue.text(
            "tariff.version", version=self.model.version,
            dirty=self.catalogue.text("tariff.dirty") if self.model.dirty else ""))

    def _double_click(self, event: tk.Event) -> str:
        item = self.tree.identify_row(event.y)
        column_id = self.tree.identify_column(event.x)
        if item and column_id.startswith("#"):
            self.begin_edit(int(item), TARIFF_COLUMNS[int(column_id[1:]) - 1])
        return "break"

    def begin_edit(self, index: int, column: str) -> ttk.Entry:
        if self.editor is not None:
            self.editor.destroy()
        self.tree.see(str(index))
        self.tree.update_idletasks()
        x, y, width, height = self.tree.bbox(str(index), column) or (0, 0, 90, 20)
        editor = ttk.Entry(self.tree)
        editor.insert(0, self.model.rows[index][column])
        editor.place(x=x, y=y, width=max(width, 60), height=height)
        editor.focus_set()
        editor.bind("<Return>", lambda _e: self._commit(index, column))
        editor.bind("<Escape>", lambda _e: self._end_edit())
        self.editor = editor
        return editor

    def _end_edit(self) -> None:
        if self.editor is not None:
            self.editor.destroy()
            self.editor = None

    def _commit(self, index: int, column: str) -> None:
        if self.editor is None:
            return
        problem = self.model.set_cell(index, column, self.editor.get())
        if problem is not None:
            self.say(self.catalogue.text(problem), error=True)
            return
        self._end_edit()
        self._draw()

    def add_row(self) -> None:
        index = self.model.add_row()
        self._draw()
        self.begin_edit(index, "prefix")

    def remove_row(self) -> None:
        selection = self.tree.selection()
        if selection:
            self.model.remove_row(int(selection[0]))
            self._draw()

    def save(self) -> None:
        tariff = self.model.to_save()
        if isinstance(tariff, tuple):
            index, problem = tariff
            self.say(self.catalogue.text("tariff.bad_row", row=index + 1,
                                         problem=self.catalogue.text(problem)), error=True)
            return

        def done(answer: dict[str, Any]) -> None:
            self.say(self.catalogue.text("tariff.saved", version=answer.get("version", "")))
            self.load()
        self.context.connection.request("tariff_save", done, self.failed, tariff=tariff)

    def rate(self) -> None:
        def done(answer: dict[str, Any]) -> None:
            self.calc_result.configure(text=self.catalogue.text(
                "tariff.calc_result", cost=answer.get("cost", ""),
                description=answer.get("description", ""),
                receipt=answer.get("receipt", "")), foreground=GREEN)

        def failed(code: str, message: str) -> None:
            self.calc_result.configure(text=self.catalogue.error(code, message),
                                       foreground=RED)
        seconds = self.calc_seconds.get().strip()
        if not seconds.isdigit():
            failed("bad_request", self.catalogue.text("tariff.bad_number"))
            return
        self.context.connection.request("rate", done, failed,
                                        number=self.calc_number.get().strip(),
                                        seconds=int(seconds))

    # import and export: files on the console's own disk, moved in chunks
    def ask_import(self) -> None:
        path = filedialog.askopenfilename(parent=self.frame, filetypes=[
            ("CSV / XLSX", "*.csv *.xlsx")])
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """Send ``path`` (``file_upload``, chunk by chunk), then ``tariff_import`` it."""
        data = path.read_bytes()
        name = path.name

        def send(offset: int) -> None:
            chunk = data[offset:offset + CHUNK]
            final = offset + len(chunk) >= len(data)
            self.say(self.catalogue.text("tariff.transfer", done=offset, total=len(data)))
            self.context.connection.request(
                "file_upload", lambda _a: imported() if final else send(offset + len(chunk)),
                self.failed, name=name, offset=offset,
                data=base64.b64encode(chunk).decode("ascii"), final=final)

        def imported() -> None:
            def done(answer: dict[str, Any]) -> None:
                self.say(self.catalogue.text("tariff.imported", entries=answer.get("entries"),
                                             version=answer.get("version", "")))
                self.load()
            self.context.connection.request("tariff_import", done, self.failed,
                                            area="uploads", name=name)
        send(0)

    def ask_export(self) -> None:
        path = filedialog.asksaveasfilename(parent=self.frame, defaultextension=".csv",
                                            filetypes=[("CSV", "*.csv"), ("XLSX", "*.xlsx")])
        if path:
            self.export_file(Path(path))

    def export_file(self, path: Path) -> None:
        """``tariff_export`` on the service, then ``file_download`` it to ``path``."""
        chunks: list[bytes] = []

        def fetch(name: str, offset: int) -> None:
            def got(answer: dict[str, Any]) -> None:
                chunks.append(base64.b64decode(str(answer.get("data", ""))))
                received = offset + len(chunks[-1])
                if answer.get("eof"):
                    path.write_bytes(b"".join(chunks))
                    self.say(self.catalogue.text("tariff.exported", path=path))
                else:
                    self.say(self.catalogue.text("tariff.transfer", done=received,
                                                 total=answer.get("size", 0)))
                    fetch(name, received)
            self.context.connection.request("file_download", got, self.failed,
                                            area="exports", name=name, offset=offset)
        fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
        self.context.connection.request(
            "tariff_export", lambda a: fetch(str(a.get("name", "")), 0), self.failed,
            format=fmt)


# ---------------------------------------------------------------------- 客户端 (S-44)
class ClientsTab(_Tab):
    def __init__(self, page: SystemPage) -> None:
        super().__init__(page, "clients")
        self.model = ClientsModel()
        holder, self.tree = _table(self.frame, CLIENT_FIELDS,
                                   {"address": 140, "remote_port": 70, "user": 120,
                                    "role": 90, "extension": 90, "device": 90, "since": 220})
        holder.grid(row=0, column=0, sticky="nsew")
        self.headings(self.tree, "clients.col", CLIENT_FIELDS)
        self.count = ttk.Label(self.frame)
        self.count.grid(row=1, column=0, sticky="w", pady=(6, 0))
        self.button(self.frame, "system.refresh", self.load, row=1, column=0, sticky="e",
                    pady=(6, 0))
        self.message.grid(row=2, column=0, sticky="ew")
        self.frame.rowconfigure(0, weight=1)
        self.frame.columnconfigure(0, weight=1)

    def load(self) -> None:
        def done(answer: dict[str, Any]) -> None:
            self.model.load(list(answer.get("clients") or []))
            self._draw()
        self.context.connection.request("clients", done, self.failed)

    def relabel(self) -> None:
        super().relabel()
        self._draw()

    def on_event(self, event: dict[str, Any]) -> None:
        if self.model.apply(event):
            self._draw()

    def _draw(self) -> None:
        self.tree.delete(*self.tree.get_children())
        for row in self.model.rows():
            self.tree.insert("", "end", values=row)
        self.count.configure(text=self.catalogue.text("clients.count",
                                                      count=len(self.model.clients)))

    def rows(self) -> list[tuple[str, ...]]:
        return self.model.rows()


# ---------------------------------------------------------------------- 审计日志 (B-4)
class AuditTab(_Tab):
    def __init__(self, page: SystemPage) -> None:
        super().__init__(page, "audit")
        bar = ttk.Frame(self.frame)
        bar.grid(row=0, column=0, sticky="w", pady=(0, 6))
        self.filters: dict[str, ttk.Entry] = {}
        for i, (name, width) in enumerate((("from", 11), ("to", 11), ("who", 12),
                                           ("key", 26))):
            self.label(bar, f"audit.{name}", row=0, column=2 * i, padx=(0, 4))
            entry = ttk.Entry(bar, width=width)
            entry.grid(row=0, column=2 * i + 1, padx=(0, 10))
            self.filters[name] = entry
        self.button_query = self.button(bar, "audit.query", self.load, row=0, column=8)
        holder, self.tree = _table(self.frame, AUDIT_COLUMNS,
                                   {"at": 140, "who": 90, "what": 80, "key": 200, "old": 80,
                                    "new": 80, "result": 200})
        holder.grid(row=1, column=0, sticky="nsew")
        self.headings(self.tree, "audit.col", AUDIT_COLUMNS)
        self.tree.configure(yscrollcommand=self._scrolled)
        self.count = ttk.Label(self.frame)
        self.count.grid(row=2, column=0, sticky="w", pady=(6, 0))
        self.message.grid(row=3, column=0, sticky="ew")
        self.frame.rowconfigure(1, weight=1)
        self.frame.columnconfigure(0, weight=1)
        self.total = 0
        self.params: dict[str, Any] = {}
        self._loading = False
        self._query = 0

    def load(self) -> None:
        params = audit_params(self.filters["from"].get(), self.filters["to"].get(),
                              self.filters["who"].get(), self.filters["key"].get(),
                              self.page.timezone)
        if isinstance(params, str):
            self.say(self.catalogue.text(params), error=True)
            return
        self.params = params
        self.tree.delete(*self.tree.get_children())
        self.say("")
        self._query += 1  # a new query: answers to an older one are dropped
        self._loading = False
        self._fetch(0)

    def _fetch(self, offset: int) -> None:
        if self._loading:
            return
        self._loading = True
        query = self._query

        def done(answer: dict[str, Any]) -> None:
            if query != self._query:
                return
            self._loading = False
            self.total = int(answer.get("total", 0))
            for entry in answer.get("entries") or ():
                self.tree.insert("", "end", values=audit_row(entry, self.page.timezone))
            self.count.configure(text=self.catalogue.text("audit.count", total=self.total))

        def failed(code: str, message: str) -> None:
            if query != self._query:
                return
            self._loading = False
            self.failed(code, message)
        self.context.connection.request("audit_list", done, failed, offset=offset,
                                        limit=PAGE_SIZE, **self.params)

    def _scrolled(self, first: float | str, last: float | str) -> None:
        scrollbar = self.tree.master.grid_slaves(row=0, column=1)
        if scrollbar:
            scrollbar[0].set(first, last)  # type: ignore[attr-defined]
        loaded = len(self.tree.get_children())
        if float(last) >= 0.999 and 0 < loaded < self.total:
            self._fetch(loaded)

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(str(v) for v in self.tree.item(i, "values"))
                for i in self.tree.get_children()]


# ---------------------------------------------------------------------- 告警
class AlertsTab(_Tab):
    def __init__(self, page: SystemPage) -> None:
        super().__init__(page, "alerts")
        bar = ttk.Frame(self.frame)
        bar.grid(row=0, column=0, sticky="w", pady=(0, 6))
        self.unresolved_var = "callcenter_alerts_unresolved"
        self.frame.setvar(self.unresolved_var, "1")
        self.check_unresolved = ttk.Checkbutton(bar, variable=self.unresolved_var,  # type: ignore[arg-type]
                                                command=self.load)
        self.check_unresolved.grid(row=0, column=0, padx=(0, 10))
        self._texts.append((self.check_unresolved, "alerts.unresolved"))
        self.button_resolve = self.button(bar, "alerts.resolve", self.resolve, row=0, column=1)
        self.button(bar, "system.refresh", self.load, row=0, column=2, padx=(6, 0))
        holder, self.tree = _table(self.frame, ALERT_COLUMNS,
                                   {"id": 60, "at": 150, "kind": 130, "text": 520,
                                    "resolved": 70})
        holder.grid(row=1, column=0, sticky="nsew")
        self.headings(self.tree, "alerts.col", ALERT_COLUMNS)
        self.message.grid(row=2, column=0, sticky="ew", pady=(6, 0))
        self.frame.rowconfigure(1, weight=1)
        self.frame.columnconfigure(0, weight=1)

    def load(self) -> None:
        def done(answer: dict[str, Any]) -> None:
            self.tree.delete(*self.tree.get_children())
            for alert in answer.get("alerts") or ():
                self.tree.insert("", "end", iid=str(alert.get("id")), values=alert_row(
                    alert, self.page.timezone))
        unresolved = str(self.frame.getvar(self.unresolved_var)) in ("1", "True", "true")
        self.context.connection.request("alerts_list", done, self.failed,
                                        unresolved_only=unresolved, limit=PAGE_SIZE)

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "alert":
            self.load()

    def resolve(self) -> None:
        selection = self.tree.selection()
        if selection:
            self.context.connection.request("alert_resolve", lambda _a: self.load(),
                                            self.failed, alert=int(selection[0]))


class SystemPage:
    """The 系统设置 page: the notebook; a tab asks for its data when first raised."""

    def __init__(self, context: PageContext) -> None:
        self.context = context
        self.catalogue = context.catalogue
        self.timezone = "Asia/Shanghai"
        self.frame = ttk.Frame(context.parent)
        self.notebook = ttk.Notebook(self.frame)
        self.notebook.pack(fill="both", expand=True, padx=6, pady=6)
        self.tabs: dict[str, _Tab] = {}
        for tab in (AccountsTab(self), SettingsTab(self, "data"),
                    SettingsTab(self, "forward"), SettingsTab(self, "hub"), LinkTab(self),
                    TariffTab(self), ClientsTab(self), AuditTab(self), AlertsTab(self)):
            self.tabs[tab.name] = tab
            self.notebook.add(tab.frame)
        self._loaded: set[str] = set()
        self.notebook.bind("<<NotebookTabChanged>>", lambda _e: self._raised())
        self.relabel()

    def relabel(self) -> None:
        for index, (name, tab) in enumerate(self.tabs.items()):
            self.notebook.tab(index, text=self.catalogue.text(  # type: ignore[no-untyped-call]
                f"system.tab.{name}"))
            tab.relabel()

    def shown(self) -> None:
        self.context.connection.request("settings_get", self._timezone, lambda c, m: None,
                                        key="timezone")
        self._loaded.clear()
        self._raised()

    def _timezone(self, answer: dict[str, Any]) -> None:
        settings = settings_from(answer)
        if "timezone" in settings:
            self.timezone = settings["timezone"].value
            for tab in self.tabs.values():
                tab.zone_known()

    def select(self, name: str) -> _Tab:
        """Raise a tab (it loads its data the first time)."""
        self.notebook.select(list(self.tabs).index(name))  # type: ignore[no-untyped-call]
        self._raised()
        return self.tabs[name]

    def _raised(self) -> None:
        index = self.notebook.index("current")  # type: ignore[no-untyped-call]
        name = list(self.tabs)[int(index)]
        if name not in self._loaded:
            self._loaded.add(name)
            self.tabs[name].load()

    def on_event(self, event: dict[str, Any]) -> None:
        for tab in self.tabs.values():
            tab.on_event(event)


def _build(context: PageContext) -> Page:
    return SystemPage(context)


PAGES: Final[dict[str, PageFactory]] = {"system": _build}
