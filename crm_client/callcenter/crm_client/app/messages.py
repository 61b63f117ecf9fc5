"""Internal messages (C-3): the history from the hub merged with what this PC kept.

Every message seen — a ``message`` event (including the ones kept by the hub while this
agent was offline, which arrive right after the snapshot with ``offline: true``), a message
this PC sent, or the hub's ``message_history`` — is logged in the local store
(``store.log_message``), idempotent on the key: ``hub:{id}`` with the hub's message id
(protocol 1.2; a message this PC sent is read back from the history to learn its id), else
(a 1.1 hub) ``{sent time}/{from}/{to}/{digest of the text}``.  So the
history is whole after a reconnect and shows old messages offline.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from callcenter.crm_client.app.times import parse_time
from callcenter.crm_client.link import HubUnavailable, RequestFailed
from callcenter.crm_client.store import CrmStore, MessageEntry

log = logging.getLogger(__name__)

ALL = "ALL"
MAX_TEXT = 2000


@dataclass(frozen=True)
class Message:
    """One internal message: ``id`` the hub's (0 when not known), ``sender``, ``recipient``
    (a user or ALL), ``text``, ``time`` sent; ``offline`` it was kept by the hub while this
    agent was away; ``key`` the local log's key."""

    key: str
    time: datetime
    sender: str
    recipient: str
    text: str
    id: int = 0
    offline: bool = False


def message_key(message_id: int, time: datetime, sender: str, recipient: str,
                text: str) -> str:
    if message_id:
        return f"hub:{message_id}"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{time.astimezone(UTC):%Y%m%dT%H%M%S.%f}/{sender}/{recipient}/{digest}"


def from_hub(item: dict[str, Any]) -> Message:
    """A ``message`` event or a ``message_history`` item as a Message."""
    raw_id = item.get("id", 0)
    message_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else 0
    time = parse_time(item.get("sent") or item.get("time"))
    sender, recipient = str(item.get("from", "")), str(item.get("to", ""))
    text = str(item.get("text", ""))
    return Message(message_key(message_id, time, sender, recipient, text), time, sender,
                   recipient, text, message_id, bool(item.get("offline")))


class Messenger:
    """Messages of this agent: ``received`` (events), ``send``, ``history``."""

    def __init__(self, store: CrmStore, request: Any, user: str = "") -> None:
        self.store = store
        self.request = request  # AgentLink.request-like: (action, **params) -> dict
        self.user = user

    def received(self, event: dict[str, Any]) -> Message:
        """A ``message`` event: logged locally; the Message to show."""
        message = from_hub(event)
        self._log(message)
        return message

    def send(self, to: str, text: str) -> dict[str, Any]:
        """Send ``text`` to a user or ALL; the hub's result (``delivered``, 1.2 ``kept``,
        ``id``...).  Bad input raises ValueError naming the field; the hub's refusals
        RequestFailed (not_found, rate_limited), HubUnavailable when not connected."""
        to = to.strip()
        if not to or len(to) > 64:
            raise ValueError("to: a user name (1-64 characters) or ALL")
        if not text.strip() or len(text) > MAX_TEXT:
            raise ValueError(f"text: 1-{MAX_TEXT} characters")
        result: dict[str, Any] = self.request("send_message", to=to, text=text)
        # the sender's own session gets no event: take the message (with its id) from the
        # history; a 1.1 hub has none, then it is kept under a key of its own
        try:
            answer = self.request("message_history", limit=20)
            sent = [from_hub(m) for m in answer.get("messages", []) if isinstance(m, dict)]
        except (HubUnavailable, RequestFailed):
            sent = []
        mine = [m for m in sent if (m.sender, m.recipient, m.text) == (self.user, to, text)]
        for message in sent:
            self._log(message)
        if not mine:
            self._log(from_hub({"from": self.user, "to": to, "text": text}))
        return result

    def history(self, limit: int = 200) -> list[Message]:
        """Oldest first: the hub's history (logged locally as it comes) merged with the local
        log; the local log alone when the hub cannot be asked."""
        try:
            answer = self.request("message_history", limit=min(max(limit, 1), 500))
            for item in answer.get("messages", []):
                if isinstance(item, dict):
                    self._log(from_hub(item))
        except (HubUnavailable, RequestFailed) as exc:
            log.info("message history from the hub: %s; showing the local log", exc)
        local = self.store.messages(limit=limit)
        seen: dict[str, Message] = {}
        for entry in local:
            seen[entry.key] = Message(entry.key, entry.time, entry.sender, entry.recipient,
                                      entry.text, _hub_id(entry.key))
        return sorted(seen.values(), key=lambda m: (m.time, m.id))[-limit:]

    def _log(self, message: Message) -> None:
        entry: MessageEntry = MessageEntry(message.key, message.time, message.sender,
                                           message.recipient, message.text)
        try:
            self.store.log_message(entry)
        except Exception:  # the local log is best effort; the message is still shown
            log.exception("message %s could not be kept locally", message.key)


def _hub_id(key: str) -> int:
    if key.startswith("hub:") and key[4:].isdigit():
        return int(key[4:])
    return 0
