"""内部短信 without Tk (C-3, manual 2-3): the recipient list, the history and the text's rules.

The recipients are every agent account the hub's ``directory`` names (so a message can be
left for someone who is off: the hub keeps it until that agent logs in), with ``ALL`` first
and an online mark.  The history is what ``CrmApp.messages`` gives (the hub's
``message_history`` merged with the local log) plus the messages that arrive or are sent
while the window is open: one line per message, oldest first, a message seen twice counted
once (same key, or same sender, receiver, text and second).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from callcenter.crm_client.gui import strings

strings.add_texts({
    "msg.title": ("内部短信", "Messages"),
    "msg.to": ("用户", "To"),
    "msg.all": ("ALL（所有用户）", "ALL (everyone)"),
    "msg.online": ("在线", "online"),
    "msg.offline": ("离线", "offline"),
    "msg.text": ("内容", "Text"),
    "msg.send": ("发送", "Send"),
    "msg.close": ("关闭", "Close"),
    "msg.refresh": ("刷新", "Refresh"),
    "msg.history": ("历史记录", "History"),
    "msg.loading": ("正在读取用户和历史记录…", "Loading the agents and the history…"),
    "msg.sent": ("已发送给 {to}（{delivered} 个连接收到）", "Sent to {to} ({delivered} "
                 "connections got it)"),
    "msg.kept": ("{to} 不在线：短信已保存，对方登录时收到", "{to} is offline: the message is kept "
                 "and delivered at the next login"),
    "msg.need_to": ("用户：请选择接收短信的用户或 ALL", "To: choose an agent or ALL"),
    "msg.unknown_to": ("用户：没有名为“{to}”的用户", "To: there is no agent named “{to}”"),
    "msg.need_text": ("内容：请输入短信内容", "Text: type the message"),
    "msg.too_long": ("内容：最多 {limit} 个字符（现在 {length} 个）",
                     "Text: at most {limit} characters (now {length})"),
    "msg.not_connected": ("未连接服务器：只能查看本机保存的短信", "Not connected: only the "
                          "messages kept on this PC are shown"),
    "msg.line": ("{time}  {sender} → {recipient}", "{time}  {sender} → {recipient}"),
    "msg.line_offline": ("{time}  {sender} → {recipient}（离线留言）",
                         "{time}  {sender} → {recipient} (left while offline)"),
    "msg.notice_title": ("新短信", "New message"),
    "msg.notice": ("{sender}：{text}", "{sender}: {text}"),
    "msg.notice_open": ("查看", "Open"),
    "msg.notice_close": ("关闭", "Dismiss"),
})

ALL: Final = "ALL"
TEXT_LIMIT: Final = 2000  # the hub's send_message limit (docs/agent-protocol.md)


@dataclass(frozen=True)
class Recipient:
    """One entry of the 用户 drop-down."""

    user: str
    extension: str = ""
    online: bool = False

    def label(self, catalogue: strings.Catalogue) -> str:
        if self.user == ALL:
            return catalogue.text("msg.all")
        mark = "● " + catalogue.text("msg.online") if self.online else "○ " + catalogue.text(
            "msg.offline")
        port = f" ({self.extension})" if self.extension else ""
        return f"{self.user}{port}  {mark}"


def recipients(accounts: Iterable[Mapping[str, Any]], me: str = "") -> list[Recipient]:
    """ALL, then the online accounts, then the offline ones, each by name; not ``me``."""
    people = [Recipient(str(a.get("user", "")), str(a.get("extension") or ""),
                        bool(a.get("online"))) for a in accounts]
    people = [p for p in people if p.user and p.user != me]
    people.sort(key=lambda p: (not p.online, p.user))
    return [Recipient(ALL, online=True), *people]


@dataclass(frozen=True)
class HistoryLine:
    """One message of the history."""

    key: str
    time: datetime
    sender: str
    recipient: str
    text: str
    offline: bool = False

    def heading(self, catalogue: strings.Catalogue) -> str:
        key = "msg.line_offline" if self.offline else "msg.line"
        return catalogue.text(key, time=self.time.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                              sender=self.sender, recipient=self.recipient)


def line(message: Any) -> HistoryLine:
    """A history line from the app's ``Message`` (or the store's ``MessageEntry``): key,
    time, sender, recipient, text and, when known, ``offline``."""
    moment = message.time
    if not isinstance(moment, datetime):
        moment = datetime.now(UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return HistoryLine(str(message.key), moment, str(message.sender), str(message.recipient),
                       str(message.text), bool(getattr(message, "offline", False)))


def merge(*sources: Iterable[HistoryLine]) -> list[HistoryLine]:
    """Every message once, oldest first."""
    seen_keys: set[str] = set()
    seen_content: set[tuple[str, str, str, int]] = set()
    lines: list[HistoryLine] = []
    for line in sorted((ln for source in sources for ln in source), key=lambda ln: ln.time):
        content = (line.sender, line.recipient, line.text, int(line.time.timestamp()))
        if line.key in seen_keys or content in seen_content:
            continue
        seen_keys.add(line.key)
        seen_content.add(content)
        lines.append(line)
    return lines


def send_problem(to: str, text: str, known: Iterable[str]) -> tuple[str, dict[str, object]] | None:
    """Why this message cannot be sent, as (catalogue key, fields); None when it can."""
    if not to:
        return "msg.need_to", {}
    if to != ALL and to not in set(known):
        return "msg.unknown_to", {"to": to}
    if not text.strip():
        return "msg.need_text", {}
    if len(text) > TEXT_LIMIT:
        return "msg.too_long", {"limit": TEXT_LIMIT, "length": len(text)}
    return None
