"""The console's one string catalogue: every text a person sees, in Chinese and English.

Chinese is the default (the original's users read the manual's terms: 系统设置, 参数设置,
实时监控 ...); English can be switched to at run time.  Views never hold literal texts:
they ask ``Catalogue.text(key)`` and re-label themselves when ``Catalogue.language``
changes (``add_listener``).  Keys are the domain's words, so a missing key fails loudly in
tests (``KeyError``) rather than showing a blank.
"""

from __future__ import annotations

from typing import Final

from callcenter.common import catalogue as common_catalogue
from callcenter.common.catalogue import LANGUAGES

__all__ = ["LANGUAGES", "TEXTS", "Catalogue", "add_texts"]

#: key -> (Chinese, English).  ``{name}`` fields are filled by ``Catalogue.text``.
TEXTS: Final[dict[str, tuple[str, str]]] = {
    # the program
    "app.title": ("CALLCENTER 国威小型呼叫中心", "CALLCENTER call-center server console"),
    "app.title_remote": ("CALLCENTER 国威小型呼叫中心 - {host}",
                         "CALLCENTER call-center server console - {host}"),
    # the modules (the manual's main window, chapter 1; S-41 module names)
    "module.system": ("系统设置", "System settings"),
    "module.parameters": ("参数设置", "Parameters"),
    "module.monitor": ("实时监控", "Live monitor"),
    "module.records": ("话单查询", "Call records"),
    "module.rooms": ("话务管理", "Room management"),
    "module.backup": ("资料备份", "Backup"),
    "module.help": ("帮助", "Help"),
    "parameters.extension": ("分机参数", "Extension parameters"),
    "parameters.trunk": ("外线参数", "Trunk parameters"),
    "parameters.switches": ("开关参数", "Switch parameters"),
    "parameters.other": ("其它参数", "Other parameters"),
    "help.about": ("关于", "About"),
    "help.language": ("语言 / Language", "Language / 语言"),
    "help.chinese": ("中文", "中文 (Chinese)"),
    "help.english": ("English (英文)", "English"),
    "help.about_text": ("CALLCENTER 服务器控制台\n服务：{server}\n协议：{protocol}\n"
                        "数据目录（服务器上）：{data_dir}",
                        "CALLCENTER server console\nService: {server}\nProtocol: {protocol}\n"
                        "Data folder (on the server): {data_dir}"),
    "page.not_built": ("“{module}”页面尚未完成，将在后续版本提供。",
                       "The “{module}” page is not built yet; it comes in a later version."),
    # login (S-2, S-41)
    "login.title": ("登录系统", "Log in"),
    "login.server": ("服务器：{address}", "Server: {address}"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.ok": ("登录", "Log in"),
    "login.cancel": ("退出", "Quit"),
    "login.working": ("正在登录…", "Logging in…"),
    "login.need_user": ("请输入用户名", "Enter the user name"),
    "login.user_too_long": ("用户名最长 64 个字符", "The user name has at most 64 characters"),
    "login.agent_refused": ("坐席账号不能登录服务器控制台，请使用操作员或管理员账号",
                            "Agent accounts cannot use the server console: log in as an "
                            "operator or an administrator"),
    "password.title": ("修改密码", "Change the password"),
    "password.must_change": ("初始密码或被重置的密码必须先修改才能继续。",
                             "This password must be changed before you go on (the initial "
                             "password, or one an administrator reset)."),
    "password.old": ("原密码", "Old password"),
    "password.new": ("新密码", "New password"),
    "password.repeat": ("确认新密码", "Repeat the new password"),
    "password.ok": ("确定", "OK"),
    "password.too_short": ("新密码至少 6 个字符", "The new password needs at least 6 characters"),
    "password.too_long": ("新密码最多 128 个字符", "The new password has at most 128 characters"),
    "password.same": ("新密码不能与原密码相同", "The new password must differ from the old one"),
    "password.mismatch": ("两次输入的新密码不一致", "The two new passwords differ"),
    "password.working": ("正在修改密码…", "Changing the password…"),
    # errors from the service, by the protocol's error codes
    "error.auth_failed": ("用户名或密码错误", "Wrong user name or password"),
    "error.locked_out": ("账号已被暂时锁定，请稍后再试", "The account is locked for a while; "
                         "try again later"),
    "error.rate_limited": ("登录过于频繁，请稍后再试", "Too many attempts; try again later"),
    "error.forbidden": ("没有权限：{message}", "Not allowed: {message}"),
    "error.unavailable": ("无法连接服务：{message}", "The service cannot be reached: {message}"),
    "error.failed": ("操作失败：{message}", "Failed: {message}"),
    "error.title": ("错误", "Error"),
    # closing (issue 8: the records wait in the PBX, screen pops stop)
    "close.title": ("退出", "Quit"),
    "close.question": ("关闭窗口将停止本机的呼叫中心服务。\n\n"
                       "停止期间话单安全地保存在交换机中，服务再次启动后会自动读取；"
                       "但CRM客户端的来电弹屏将停止。\n\n确定停止服务并退出吗？",
                       "Closing this window stops the call-center service on this computer.\n\n"
                       "While it is stopped the call records wait safely in the PBX and are "
                       "read when the service starts again; but the CRM clients' screen pops "
                       "stop.\n\nStop the service and quit?"),
    # status bar
    "status.link_up": ("交换机：已连接 {url}", "PBX: connected {url}"),
    "status.link_down": ("交换机：未连接 {url}", "PBX: not connected {url}"),
    "status.link_unknown": ("交换机：—", "PBX: —"),
    "status.verify_never": ("数据校验：未进行", "Verification: not yet"),
    "status.verify_running": ("数据校验：{done}/{total}", "Verification: {done}/{total}"),
    "status.verify_done": ("数据校验：完成", "Verification: done"),
    "status.verify_failed": ("数据校验：失败", "Verification: failed"),
    "status.verify_unknown": ("数据校验：—", "Verification: —"),
    "status.clients": ("CRM客户端：{count}", "CRM clients: {count}"),
    "status.user": ("用户：{user}", "User: {user}"),
    "status.no_user": ("未登录", "Not logged in"),
    "status.service_lost": ("与服务的连接已断开，正在重连…", "Connection to the service lost; "
                            "reconnecting…"),
    "status.connecting": ("正在连接服务 {address}…", "Connecting to the service {address}…"),
    # 实时监控 (S-37)
    "monitor.extensions": ("分机", "Extensions"),
    "monitor.trunks": ("外线", "Trunks"),
    "monitor.park": ("停泊", "Park slots"),
    "monitor.legend_group": ("{group}：", "{group}:"),
    "monitor.counts": ("分机 {extensions} 部（通话 {talking}，振铃 {ringing}，摘机 {offhook}）"
                       "  外线 {trunks} 路（占用 {busy_trunks}）  停泊 {parked}",
                       "{extensions} extensions ({talking} talking, {ringing} ringing, "
                       "{offhook} off-hook)  {trunks} trunks ({busy_trunks} in use)  "
                       "{parked} parked"),
    "monitor.waiting": ("正在读取交换机状态…", "Reading the PBX's state…"),
    "monitor.link_down": ("交换机未连接：显示最后已知状态", "PBX not connected: last known state"),
    "state.idle": ("空闲", "idle"),
    "state.offhook": ("摘机", "off-hook"),
    "state.dialing": ("拨号", "dialling"),
    "state.ringing": ("振铃", "ringing"),
    "state.talking": ("通话", "talking"),
    "state.busy": ("忙音", "busy tone"),
    "state.held": ("保持", "held"),
    "trunk.idle": ("空闲", "idle"),
    "trunk.incoming": ("打入", "incoming"),
    "trunk.outgoing": ("打出", "outgoing"),
    "trunk.talking": ("通话", "talking"),
    "park.free": ("空", "free"),
    "park.occupied": ("占用", "occupied"),
}


def add_texts(texts: dict[str, tuple[str, str]]) -> None:
    """Add a page's texts to the one catalogue (a key defined twice is a bug)."""
    common_catalogue.add_texts(TEXTS, texts)


class Catalogue(common_catalogue.Catalogue):
    """The console's texts in the chosen language; views listen for language changes."""

    with_message = frozenset({"forbidden", "failed", "unavailable"})

    def __init__(self, language: str = "zh") -> None:
        super().__init__(TEXTS, language)
