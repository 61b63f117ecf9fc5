"""The CRM window's one string catalogue: every text an agent sees, in Chinese and English.

Chinese is the default (the manual's terms: 来电记录区, 弹屏区, 通话区, 信息管理区 ...); English
can be switched to at run time.  Views never hold literal texts: they ask
``Catalogue.text(key)`` and re-label themselves when the language changes (``add_listener``).
Other GUI modules (the dialogs) register their own keys at import with ``add_texts``; a key
defined twice is a bug and fails loudly, and so does a missing key (``KeyError``).
"""

from __future__ import annotations

from typing import Final

from callcenter.common import catalogue as common_catalogue
from callcenter.common.catalogue import LANGUAGES

__all__ = ["LANGUAGES", "TEXTS", "Catalogue", "add_texts"]

#: key -> (Chinese, English).  ``{name}`` fields are filled by ``Catalogue.text``.
TEXTS: Final[dict[str, tuple[str, str]]] = {
    # the program
    "app.title": ("CRM 客户关系管理 - 分机 {extension} - {user}",
                  "CRM customer desk - extension {extension} - {user}"),
    "app.title_offline": ("CRM 客户关系管理", "CRM customer desk"),
    # common words
    "common.ok": ("确定", "OK"),
    "common.cancel": ("取消", "Cancel"),
    "common.close": ("关闭", "Close"),
    "common.save": ("保存", "Save"),
    "common.delete": ("删除", "Delete"),
    "common.new": ("新建", "New"),
    "common.properties": ("属性", "Properties"),
    "common.search": ("查找", "Search"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.previous_page": ("上一页", "Previous"),
    "common.next_page": ("下一页", "Next"),
    "common.page": ("第 {page}/{pages} 页", "Page {page}/{pages}"),
    "common.working": ("正在处理…", "Working…"),
    # menu bar (manual 2-1: 系统设置, 登录, 内部短信, 客户资料, 帮助)
    "menu.system": ("系统设置", "Settings"),
    "menu.settings": ("系统设置…", "Settings…"),
    "menu.quit": ("退出", "Quit"),
    "menu.login": ("登录", "Log in"),
    "menu.connect": ("连接服务器", "Connect to the server"),
    "menu.disconnect": ("断开连接", "Disconnect"),
    "menu.messages": ("内部短信", "Messages"),
    "menu.customers": ("客户资料", "Customers"),
    "menu.language": ("语言", "Language"),
    "menu.chinese": ("中文", "中文 (Chinese)"),
    "menu.english": ("English (英文)", "English"),
    "menu.help": ("帮助", "Help"),
    "menu.about": ("关于", "About"),
    "help.about_text": ("CRM 客户关系管理（callcenter-crm）\n服务器：{server}\n分机：{extension}\n"
                        "用户：{user}\n数据目录：{data_dir}",
                        "CRM customer desk (callcenter-crm)\nServer: {server}\n"
                        "Extension: {extension}\nUser: {user}\nData folder: {data_dir}"),
    # 来电记录区 (C-5)
    "log.title": ("来电记录", "Call log"),
    "log.today": ("今日来电：{count}", "Calls today: {count}"),
    "log.search": ("查找", "Search"),
    "log.col.seq": ("序号", "No."),
    "log.col.number": ("来电号码", "Number"),
    "log.col.name": ("客户名称", "Customer"),
    "log.col.description": ("描述", "Description"),
    "log.col.seat": ("座席", "Seat"),
    "log.col.time": ("来电时间", "Time"),
    "log.call_back": ("回叫", "Call back"),
    "log.save_common": ("保存到常用电话", "Save to common numbers"),
    "log.save_company": ("保存到公司电话", "Save to company numbers"),
    "log.save_customer": ("保存到客户电话", "Save to customer numbers"),
    "log.clear": ("清除记录区", "Clear the log"),
    "log.clear_question": ("清除全部来电记录吗？", "Clear the whole call log?"),
    "log.cleared": ("已清除 {count} 条记录", "{count} entries cleared"),
    "log.saved": ("已保存到{book}", "Saved to {book}"),
    "log.called_back": ("回叫{number}", "Call back {number}"),
    "log.direction.in": ("来电", "incoming"),
    "log.direction.out": ("去电", "outgoing"),
    "log.direction.internal": ("内部", "internal"),
    "log.missed": ("未接", "missed"),
    "log.ringing": ("振铃中", "ringing"),
    "log.talking": ("通话中", "talking"),
    # 弹屏区 / pop window (C-6)
    "pop.area": ("弹屏区", "Screen pop"),
    "pop.none": ("无来电", "No call"),
    "pop.ringing": ("来电：{number} {name}", "Call: {number} {name}"),
    "pop.title": ("{number} {name}", "{number} {name}"),
    "pop.unknown": ("新客户", "New customer"),
    "pop.vip": ("重要客户", "VIP"),
    "pop.blacklist": ("黑名单：{reason}", "Blacklisted: {reason}"),
    "pop.save": ("保存", "Save"),
    "pop.call": ("呼叫", "Call"),
    "pop.answer": ("接听", "Answer"),
    "pop.close": ("关闭", "Close"),
    "pop.show": ("显示弹屏", "Show the pop"),
    "pop.saved": ("客户资料已保存", "Customer saved"),
    "pop.form_missing": ("客户资料表单尚未完成", "The customer form is not built yet"),
    "pop.detail_name": ("客户名称", "Name"),
    "pop.time": ("来电时间", "Rang at"),
    "pop.detail_company": ("公司名称", "Company"),
    "pop.detail_notes": ("描述或备注", "Notes"),
    # 通话区 (C-7)
    "dial.title": ("通话区", "Phone"),
    "dial.number": ("号码", "Number"),
    "dial.call": ("通话", "Call"),
    "dial.backspace": ("退格", "Backspace"),
    "dial.clear": ("清除", "Clear"),
    "dial.hangup": ("挂机", "Hang up"),
    "dial.need_number": ("请输入号码", "Enter a number"),
    "dial.bad_number": ("号码只能包含 0-9、* 和 #（最多 32 位）",
                        "A number has only 0-9, * and # (at most 32)"),
    "dial.calling": ("正在呼叫 {number}…", "Calling {number}…"),
    # 信息管理区 (C-8)
    "info.monitor": ("分机监控", "Extensions"),
    "info.phonebook": ("电话簿", "Phone book"),
    "info.missed": ("未接电话", "Missed calls"),
    "info.new_icon": ("新建", "New"),
    "info.icon_properties": ("属性", "Properties"),
    "info.delete_icon": ("删除", "Delete"),
    "info.delete_icon_question": ("删除分机 {port} 的监控图标吗？",
                                  "Delete the icon of extension {port}?"),
    "info.dialog_missing": ("该对话框尚未完成", "That dialog is not built yet"),
    "book.common": ("常用电话", "Common numbers"),
    "book.company": ("公司电话", "Company numbers"),
    "book.customer": ("客户电话", "Customer numbers"),
    "book.col.name": ("名称", "Name"),
    "book.col.number": ("号码", "Number"),
    "book.col.company": ("公司", "Company"),
    "book.col.notes": ("备注", "Notes"),
    "book.call": ("呼叫", "Call"),
    "book.new": ("新建", "New"),
    "book.edit": ("编辑", "Edit"),
    "book.delete": ("删除", "Delete"),
    "book.delete_question": ("删除 {name} {number} 吗？", "Delete {name} {number}?"),
    "missed.col.number": ("来电号码", "Number"),
    "missed.col.name": ("客户名称", "Customer"),
    "missed.col.time": ("来电时间", "Time"),
    "missed.call_back": ("回拨", "Call back"),
    "missed.find": ("查找", "Find"),
    "missed.save": ("保存到电话簿", "Save to the phone book"),
    "missed.refresh": ("刷新", "Refresh"),
    "missed.count": ("未接电话：{count}", "Missed calls: {count}"),
    # 功能操作区 (C-9)
    "fn.title": ("功能操作", "Functions"),
    "fn.transfer": ("转接", "Transfer"),
    "fn.transfer_pick": ("请双击分机监控中的目标分机", "Double-click the target extension's icon"),
    "fn.hold": ("保留", "Hold"),
    "fn.retrieve": ("取回", "Retrieve"),
    "fn.conference": ("会议", "Conference"),
    "fn.page": ("传呼", "Page"),
    "fn.redial": ("重拨", "Redial"),
    "fn.flash": ("闪断/接答", "Flash/answer"),
    "fn.park": ("泊位{slot}", "Park {slot}"),
    "fn.forward": ("呼叫转移", "Forward"),
    "fn.forward_number": ("转移到号码：", "Forward to number:"),
    "fn.forward_off": ("取消呼叫转移", "Forwarding off"),
    "fn.dnd": ("免打扰", "Do not disturb"),
    "fn.done": ("{action}：完成", "{action}: done"),
    # status bar
    "status.link.up": ("已连接 {server}", "Connected {server}"),
    "status.link.connecting": ("正在连接 {server}…", "Connecting {server}…"),
    "status.link.down": ("未连接 {server}", "Not connected {server}"),
    "status.link.off": ("未登录", "Not logged in"),
    "status.extension": ("分机：{extension}", "Extension: {extension}"),
    "status.user": ("座席：{user}", "Agent: {user}"),
    "status.state": ("话机：{state}", "Phone: {state}"),
    "status.pbx_down": ("交换机未连接", "PBX not connected"),
    "status.outbox": ("{count} 条待同步", "{count} writes waiting for the shared folder"),
    # phone states (the hub's names)
    "state.idle": ("空闲", "idle"),
    "state.offhook": ("摘机", "off-hook"),
    "state.dialing": ("拨号", "dialling"),
    "state.ringing": ("振铃", "ringing"),
    "state.talking": ("通话", "talking"),
    "state.busy": ("忙音", "busy tone"),
    "state.held": ("保持", "held"),
    "state.unknown": ("未知", "unknown"),
    "park.free": ("空", "free"),
    "park.taken": ("占用", "taken"),
    # start and login
    "start.settings_missing": ("系统设置对话框尚未完成：请用命令行参数 --server --extension "
                               "--user 启动。",
                               "The settings dialog is not built yet: start with --server, "
                               "--extension and --user."),
    "login.title": ("登录", "Log in"),
    "login.server": ("服务器：{server}", "Server: {server}"),
    "login.extension": ("分机：{extension}", "Extension: {extension}"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.ok": ("连接服务器", "Connect"),
    "login.cancel": ("取消", "Cancel"),
    "login.need_user": ("请输入用户名", "Enter the user name"),
    "login.need_server": ("请先在系统设置中填写服务器地址和分机端口",
                          "Fill in the server address and the extension port in the settings "
                          "first"),
    # errors: the hub's error codes (docs/agent-protocol.md) in words
    "error.title": ("错误", "Error"),
    "error.needs_offhook": ("请先摘机", "Lift the handset first"),
    "error.pbx_refused": ("交换机拒绝：{message}", "The PBX refused: {message}"),
    "error.pbx_unavailable": ("交换机未连接或无应答", "The PBX is not connected or did not answer"),
    "error.auth_failed": ("用户名或密码错误", "Wrong user name or password"),
    "error.locked_out": ("账号已被暂时锁定，请稍后再试", "The account is locked for a while; "
                         "try again later"),
    "error.rate_limited": ("操作过于频繁，请稍后再试", "Too many requests; try again later"),
    "error.password_change_required": ("密码必须先修改（请联系管理员或在服务器控制台修改）",
                                       "The password must be changed first"),
    "error.forbidden": ("没有权限：{message}", "Not allowed: {message}"),
    "error.not_found": ("不存在：{message}", "Not found: {message}"),
    "error.bad_request": ("输入有误：{message}", "Wrong input: {message}"),
    "error.unavailable": ("无法连接服务器：{message}", "The server cannot be reached: {message}"),
    "error.not_connected": ("未连接服务器", "Not connected to the server"),
    "error.failed": ("操作失败：{message}", "Failed: {message}"),
}

#: Codes whose text takes the hub's ``message`` (the others say it all themselves).
_WITH_MESSAGE: Final = frozenset({"pbx_refused", "forbidden", "not_found", "bad_request",
                                  "unavailable", "failed"})


def add_texts(texts: dict[str, tuple[str, str]]) -> None:
    """Add a module's texts to the one catalogue (a key defined twice is a bug)."""
    common_catalogue.add_texts(TEXTS, texts)


class Catalogue(common_catalogue.Catalogue):
    """The CRM's texts in the chosen language; views listen for language changes."""

    with_message = _WITH_MESSAGE

    def __init__(self, language: str = "zh") -> None:
        super().__init__(TEXTS, language)
