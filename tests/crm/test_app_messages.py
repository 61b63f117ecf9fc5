"""Internal messages through CrmApp against the real hub: delivered as events and kept in the
receiver's local store, sent ones kept once (with the hub's id), a message to an offline
agent delivered at its next login and kept, the history merged without duplicates, the
directory listing offline accounts; bad input refused naming the field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from callcenter.crm_client.app import CrmApp
from callcenter.crm_client.store import CrmStore
from tests.crm.conftest import Updates
from tests.server.pbxlink_support import no_leaked_threads

__all__ = ["no_leaked_threads"]

AppFactory = Callable[..., tuple[CrmApp, Updates]]


@pytest.fixture
def other_store(tmp_path: Path) -> Iterator[CrmStore]:
    store = CrmStore.open(tmp_path / "other-pc")
    yield store
    store.close()


def texts(store: CrmStore, text: str) -> int:
    return len([m for m in store.messages(limit=500) if m.text == text])


def test_a_message_reaches_the_other_agent_and_both_keep_it_once(
        crm_app: AppFactory, crm_store: CrmStore, other_store: CrmStore) -> None:
    ann, _ann_updates = crm_app("msg-ann", "020")
    bob, bob_updates = crm_app("msg-bob", "021", store=other_store)
    result = ann.send_message("msg-bob", "客户张先生回电了吗？")
    assert result["delivered"] >= 1 and not result.get("kept")
    update = bob_updates.wait_for("message", lambda u: u.message is not None
                                  and u.message.text == "客户张先生回电了吗？")
    message = update.message
    assert message is not None and message.sender == "msg-ann"
    assert message.recipient == "msg-bob" and message.id > 0 and not message.offline
    assert message.key == f"hub:{message.id}" and message.time.utcoffset() is not None
    assert texts(other_store, "客户张先生回电了吗？") == 1
    assert texts(crm_store, "客户张先生回电了吗？") == 1  # the sender's copy, with the id
    # the history merges the hub's and the local log, each message once
    for _round in range(2):
        history = ann.messages()
        assert [m.key for m in history if m.text == "客户张先生回电了吗？"] == [message.key]
    assert texts(crm_store, "客户张先生回电了吗？") == 1
    assert bob.messages()[-1].key == message.key


def test_a_message_to_an_offline_agent_is_delivered_at_its_login(
        crm_app: AppFactory, agent_account: Callable[..., str], other_store: CrmStore) -> None:
    ann, _updates = crm_app("msg-cy", "022")
    agent_account("msg-dee")
    accounts = {a["user"]: a for a in ann.directory()}
    assert accounts["msg-dee"]["online"] is False
    assert ann.send_message("msg-dee", "请回电 13800138000")["kept"] is True
    _dee, dee_updates = crm_app("msg-dee", "023", store=other_store)
    update = dee_updates.wait_for("message", lambda u: u.message is not None
                                  and u.message.text == "请回电 13800138000")
    assert update.message is not None and update.message.offline
    assert update.message.sender == "msg-cy"
    assert texts(other_store, "请回电 13800138000") == 1


def test_bad_input_is_refused_naming_the_field(crm_app: AppFactory) -> None:
    ann, _updates = crm_app("msg-eve", "024")
    with pytest.raises(ValueError, match="text"):
        ann.send_message("msg-ann", "   ")
    with pytest.raises(ValueError, match="to"):
        ann.send_message("", "hi")
