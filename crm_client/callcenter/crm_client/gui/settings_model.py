"""系统设置 without Tk (C-2, manual 2-2 figures a-c): the form's values and their rules.

``form_values(settings)`` fills the dialog; ``read_settings(values, base)`` turns what was
typed into a new ``CrmSettings`` (every other field of ``base`` kept), or a list of
``Problem`` naming the field and what is allowed -- nothing is saved then.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from callcenter.crm_client.gui import strings
from callcenter.crm_client.settings import (
    INITIAL_PASSWORD,
    OUTSIDE_PREFIX_PATTERN,
    CrmSettings,
    SettingsError,
)

strings.add_texts({
    "settings.title": ("系统设置", "Settings"),
    "settings.first_run": ("第一次运行：请先设置网络信息与设备类型，保存后再“登录 → 连接服务器”。",
                           "First start: set the network and the device type, save, then "
                           "“Log in → Connect”."),
    "settings.network": ("网络信息", "Network"),
    "settings.extension": ("分机端口", "Extension port"),
    "settings.extension_hint": ("座席分机端口号码，如 001", "the seat's extension port, e.g. 001"),
    "settings.server_host": ("远程主机地址", "Server address"),
    "settings.server_host_hint": ("呼叫中心服务器的 IP 地址，如 192.168.1.122",
                                  "the call-center server's IP, e.g. 192.168.1.122"),
    "settings.server_port": ("端口", "Port"),
    "settings.tls": ("加密连接 (TLS)", "Encrypted (TLS)"),
    "settings.trust": ("服务器证书", "Server certificate"),
    "settings.browse": ("浏览…", "Browse…"),
    "settings.user": ("座席用户名", "Agent user name"),
    "settings.device": ("设备类型", "Device type"),
    "settings.device.normal": ("普通话机", "Normal phone"),
    "settings.device.proprietary": ("专用话机", "Proprietary phone"),
    "settings.device.headset": ("头戴耳机", "Headset"),
    "settings.outside_prefix": ("外线字冠", "Outside-line prefix"),
    "settings.outside_prefix_hint": ("拨外线号码前加拨，如 9；可为空",
                                     "dialled before an outside number, e.g. 9; may be empty"),
    "settings.problem.outside_prefix": ("外线字冠：“{value}”不可用（最多 4 位，只能是 0-9、* 和 #，"
                                        "可为空）",
                                        "Outside-line prefix: “{value}” cannot be used (at most "
                                        "4 of 0-9, * and #, or empty)"),
    "settings.display": ("资料显示方式", "Display"),
    "settings.show_detail_on_pop": ("来电弹屏时显示详细信息", "Show the details tab on a pop"),
    "settings.language": ("界面语言", "Language"),
    "settings.language.zh": ("中文", "Chinese"),
    "settings.language.en": ("英文", "English"),
    "settings.data": ("数据", "Data"),
    "settings.mode.standalone": ("单机版（本机数据）", "Standalone (data on this PC)"),
    "settings.mode.network": ("网络版（共享文件夹中的公共数据）",
                              "Network (shared data in a shared folder)"),
    "settings.shared_folder": ("共享文件夹", "Shared folder"),
    "settings.security": ("使用权限", "Access"),
    "settings.password_protection": ("使用密码保护", "Password protection"),
    "settings.permissions": ("权限设置…", "Permissions…"),
    "settings.save": ("保存", "Save"),
    "settings.close": ("关闭", "Close"),
    "settings.saved": ("设置已保存", "Settings saved"),
    "settings.saved_restart": ("设置已保存。单机版/网络版的改变在下次启动程序时生效。",
                               "Settings saved. The change between standalone and network "
                               "mode counts from the next start."),
    "settings.problem.extension": ("分机端口：“{value}”不是分机端口（3 位数字 001-999，"
                                   "可以不填）",
                                   "Extension port: “{value}” is not a port (3 digits 001-999, "
                                   "or empty)"),
    "settings.problem.host": ("远程主机地址：“{value}”不是 IP 地址或主机名",
                              "Server address: “{value}” is not an IP address or host name"),
    "settings.problem.port": ("端口：“{value}”不是端口号（1-65535）",
                              "Port: “{value}” is not a port number (1-65535)"),
    "settings.problem.trust": ("服务器证书：文件“{value}”不存在", "Server certificate: there "
                               "is no file “{value}”"),
    "settings.problem.device": ("设备类型：请选择普通话机、专用话机或头戴耳机",
                                "Device type: choose normal phone, proprietary phone or headset"),
    "settings.problem.user": ("座席用户名：最多 64 个字符，不能有空格",
                              "Agent user name: at most 64 characters, no spaces"),
    "settings.problem.shared_folder": ("共享文件夹：网络版需要一个已存在的文件夹（“{value}”不是）",
                                       "Shared folder: network mode needs an existing folder "
                                       "(“{value}” is not one)"),
    "settings.problem.language": ("界面语言：只能选中文或英文", "Language: Chinese or English"),
    "perm.title": ("权限设置", "Permissions"),
    "perm.users": ("本机用户", "Local users"),
    "perm.name": ("用户名", "User name"),
    "perm.password": ("密码", "Password"),
    "perm.repeat": ("确认密码", "Repeat the password"),
    "perm.password_hint": ("不改密码请留空", "leave empty to keep the password"),
    "perm.areas": ("可以使用", "May use"),
    "perm.new": ("新增用户", "New user"),
    "perm.apply": ("保存用户", "Save the user"),
    "perm.delete": ("删除用户", "Delete the user"),
    "perm.close": ("关闭", "Close"),
    "perm.saved": ("用户 {name} 已更新（在系统设置中点击“保存”后生效）",
                   "User {name} updated (Save in the settings makes it count)"),
    "perm.confirm_delete": ("删除本机用户 {name} 吗？", "Delete the local user {name}?"),
    "perm.must_change": ("（须修改初始密码）", "(must change the initial password)"),
    "perm.initial": ("初始用户名及密码均为 admin，请修改密码。",
                     "The initial user name and password are both admin: change the password."),
    "perm.area.customers": ("客户资料", "Customers"),
    "perm.area.import_export": ("导入/导出", "Import/export"),
    "perm.area.call_log": ("来电记录", "Call log"),
    "perm.area.clear_calls": ("清除记录区", "Clear the call log"),
    "perm.area.phonebooks": ("电话簿", "Phone books"),
    "perm.area.messages": ("内部短信", "Messages"),
    "perm.area.call_control": ("通话与功能操作", "Calls and functions"),
    "perm.area.settings": ("系统设置与权限设置", "Settings and permissions"),
    "perm.problem.name": ("用户名：1 到 32 个字符，不能有空格", "User name: 1 to 32 characters, "
                          "no spaces"),
    "perm.problem.need_password": ("密码：新用户需要密码", "Password: a new user needs one"),
    "perm.problem.password": ("密码：4 到 128 个字符", "Password: 4 to 128 characters"),
    "perm.problem.initial": ("密码：不能继续使用初始密码 admin", "Password: the initial "
                             "password admin must be changed"),
    "perm.problem.repeat": ("确认密码：两次输入的密码不一致", "Repeat the password: the two "
                            "passwords differ"),
    "perm.problem.last_admin": ("不能删除 {value}：使用密码保护时至少要有一个"
                                "可以使用系统设置的用户",
                                "{value} cannot be deleted: with password protection on, one "
                                "user at least must be allowed the settings"),
    "settings.problem.other": ("设置不能保存：{value}", "The settings cannot be saved: {value}"),
})

DEVICES: Final = ("normal", "proprietary", "headset")
LANGUAGES: Final = ("zh", "en")
MODES: Final = ("standalone", "network")
_EXTENSION = re.compile(r"^(?!000)[0-9]{3}$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")

FormValue = str | bool


@dataclass(frozen=True)
class Problem:
    """A field the dialog marks and the catalogue text that says what is allowed."""

    field: str
    key: str
    value: str = ""

    def text(self, catalogue: strings.Catalogue) -> str:
        return catalogue.text(self.key, value=self.value)


def form_values(settings: CrmSettings) -> dict[str, FormValue]:
    """What the dialog shows for ``settings`` (a ``CrmSettings``)."""
    shared = str(settings.shared_folder or "")
    return {
        "extension": str(settings.extension or ""),
        "server_host": str(settings.server_host or ""),
        "server_port": str(settings.server_port),
        "tls": bool(settings.tls),
        "trust": str(settings.trust or ""),
        "user": str(settings.user or ""),
        "device": str(settings.device),
        "outside_prefix": str(settings.outside_prefix),
        "show_detail_on_pop": bool(settings.show_detail_on_pop),
        "language": str(settings.language),
        "mode": "network" if shared else "standalone",
        "shared_folder": shared,
        "password_protection": bool(settings.password_protection),
    }


def _text(values: Mapping[str, FormValue], name: str) -> str:
    value = values.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def host_ok(host: str) -> bool:
    """An IP address (v4 or v6) or a DNS host name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOSTNAME.match(host)) and not host.replace(".", "").isdigit()
    return True


def read_settings(values: Mapping[str, FormValue],
                  base: CrmSettings) -> CrmSettings | list[Problem]:
    """The new ``CrmSettings`` (``base``'s other fields kept), or a list of ``Problem``."""
    problems: list[Problem] = []
    extension = _text(values, "extension")
    if extension and not _EXTENSION.match(extension):
        problems.append(Problem("extension", "settings.problem.extension", extension))
    host = _text(values, "server_host")
    if host and not host_ok(host):
        problems.append(Problem("server_host", "settings.problem.host", host))
    port_text = _text(values, "server_port")
    port = int(port_text) if port_text.isdigit() else 0
    if not 1 <= port <= 65535:
        problems.append(Problem("server_port", "settings.problem.port", port_text))
    trust = _text(values, "trust")
    if trust and not Path(trust).is_file():
        problems.append(Problem("trust", "settings.problem.trust", trust))
    user = _text(values, "user")
    if len(user) > 64 or any(c.isspace() for c in user):
        problems.append(Problem("user", "settings.problem.user", user))
    device = _text(values, "device")
    if device not in DEVICES:
        problems.append(Problem("device", "settings.problem.device", device))
    prefix = _text(values, "outside_prefix")
    if not OUTSIDE_PREFIX_PATTERN.fullmatch(prefix):
        problems.append(Problem("outside_prefix", "settings.problem.outside_prefix", prefix))
    language = _text(values, "language")
    if language not in LANGUAGES:
        problems.append(Problem("language", "settings.problem.language", language))
    shared = _text(values, "shared_folder")
    network = _text(values, "mode") == "network"
    if network and (not shared or not Path(shared).is_dir()):
        problems.append(Problem("shared_folder", "settings.problem.shared_folder", shared))
    if problems:
        return problems
    try:
        new = dataclasses.replace(
            base, extension=extension, server_host=host, server_port=port,
            tls=bool(values.get("tls")) or bool(trust), trust=trust, user=user, device=device,
            outside_prefix=prefix,
            show_detail_on_pop=bool(values.get("show_detail_on_pop")), language=language,
            shared_folder=shared if network else "")
        return new.with_password_protection(bool(values.get("password_protection")))
    except SettingsError as exc:  # the settings' own checks name the field
        return [Problem("", "settings.problem.other", str(exc))]


def save_local_user(settings: CrmSettings, name: str, password: str, repeat: str,
                    areas: Iterable[str]) -> CrmSettings | list[Problem]:
    """``settings`` with the local user ``name`` added or changed (权限设置): an empty
    ``password`` keeps an existing user's; a new password clears "must change"."""
    name = name.strip()
    old = settings.local_user(name)
    problems: list[Problem] = []
    if not 1 <= len(name) <= 32 or any(c.isspace() for c in name):
        problems.append(Problem("name", "perm.problem.name", name))
    if not password and old is None:
        problems.append(Problem("password", "perm.problem.need_password"))
    elif password and not 4 <= len(password) <= 128:
        problems.append(Problem("password", "perm.problem.password"))
    elif password and password == INITIAL_PASSWORD:
        problems.append(Problem("password", "perm.problem.initial"))
    elif password != repeat and (password or repeat):
        problems.append(Problem("repeat", "perm.problem.repeat"))
    if problems:
        return problems
    must_change = bool(old and old.must_change and not password)
    try:
        return settings.with_local_user(name, password or None, list(areas), must_change)
    except SettingsError as exc:
        return [Problem("", "settings.problem.other", str(exc))]


def delete_local_user(settings: CrmSettings, name: str) -> CrmSettings | list[Problem]:
    """``settings`` without ``name`` (refused when protection would lock everyone out)."""
    others = [u for u in settings.local_users if u.name != name]
    if settings.password_protection and not any(u.may("settings") for u in others):
        return [Problem("", "perm.problem.last_admin", name)]
    try:
        return settings.without_local_user(name)
    except SettingsError as exc:
        return [Problem("", "settings.problem.other", str(exc))]
