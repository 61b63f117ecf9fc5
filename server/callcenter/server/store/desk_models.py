"""Models of migration 007: what the agent hub keeps for the agents' desks (protocol 1.2,
issue 9): messages waiting for an offline receiver, missed calls per extension port, and the
names an admin gives extension ports.

Created only by ``migrations._m007_agent_desk``; the services are in
``callcenter.server.accounts`` (``service``, ``missed_calls``, ``extension_names``) and the
agent hub. See docs/hub.md.
"""

from __future__ import annotations

from peewee import BigAutoField, BigIntegerField, CharField, DateTimeField, TextField

from callcenter.server.store.models import StoreModel


class PendingMessage(StoreModel):
    """A message (``agent_message`` row) kept for a receiver that was offline when it was
    sent; deleted when it is delivered at the receiver's next login."""

    id = BigAutoField()
    message_id = BigIntegerField(index=True)
    recipient = CharField(max_length=64, index=True)

    class Meta:
        table_name = "pending_message"


class MissedCall(StoreModel):
    """A call that rang an extension port and that the port never answered; kept 24 h."""

    id = BigAutoField()
    port = CharField(max_length=3)
    call_id = BigIntegerField()  # the hub's call id
    caller = TextField()
    trunk = CharField(max_length=2)
    number = TextField()  # the port's number then
    rang_at = DateTimeField()  # naive UTC
    ended_at = DateTimeField(index=True)  # naive UTC

    class Meta:
        table_name = "missed_call"
        indexes = ((("port", "ended_at"), False),)


class ExtensionName(StoreModel):
    """The name an admin gave an extension port (one row per named port)."""

    port = CharField(max_length=3, primary_key=True)
    name = TextField()
    updated_at = DateTimeField()

    class Meta:
        table_name = "extension_name"
