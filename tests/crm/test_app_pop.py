"""The screen pop against the real hub and simulator: a ring at this PC's port gives a Pop
with the customer found by a number written differently; an unknown number opens a new record
prefilled with it; VIP and blacklist marks with the reason; a ring at another port pops
nothing."""

from __future__ import annotations

from collections.abc import Callable

from callcenter.crm_client.app import CrmApp, Pop
from callcenter.crm_client.app.pop import compute_pop
from callcenter.crm_client.store import CrmStore, Customer
from tests.crm.conftest import Pbx, Updates
from tests.server.pbxlink_support import no_leaked_threads

__all__ = ["no_leaked_threads"]

AppFactory = Callable[..., tuple[CrmApp, Updates]]


def pop_of(updates: Updates, call_id: int) -> Pop:
    update = updates.wait_for("pop", lambda u: u.pop is not None and u.pop.call_id == call_id)
    assert update.pop is not None
    return update.pop


def test_a_ring_pops_the_customer_found_by_a_number_written_differently(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    saved = crm_store.save_customer(Customer(name="张三", phones=("+86 138-0013-8000",),
                                             company="赛格科技", vip=True))
    app, updates = crm_app("pop-ann", "002")
    call_id = pbx.ring("002", "013800138000")
    pop = pop_of(updates, call_id)
    assert pop.caller == "013800138000" and pop.digits == "13800138000"
    assert pop.customer is not None and pop.customer.id == saved.id
    assert pop.known and pop.vip and not pop.blacklist and pop.reason == ""
    assert pop.title == "013800138000 张三"
    assert (pop.extension, pop.number) == ("002", "8002") and pop.trunk
    assert pop.time.utcoffset() is not None
    assert app.last_pop == pop
    call = app.desk.my_call
    assert call is not None and call.call_id == call_id and call.state == "ringing"


def test_an_unknown_number_opens_a_new_record_and_a_blacklisted_one_says_why(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    crm_store.save_customer(Customer(name="骚扰", phones=("010-82895782",), blacklist=True,
                                     blacklist_reason="推销电话"))
    _app, updates = crm_app("pop-bob", "003")
    unknown = pop_of(updates, pbx.ring("003", "13911112222"))
    assert unknown.customer is None and not unknown.known
    assert unknown.record == Customer(phones=("13911112222",))
    assert unknown.title == "13911112222"
    pbx.hangup("003")
    listed = pop_of(updates, pbx.ring("003", "00861082895782"))
    assert listed.blacklist and listed.reason == "推销电话" and listed.name == "骚扰"


def test_a_ring_at_another_port_pops_nothing(crm_app: AppFactory, pbx: Pbx) -> None:
    _app, updates = crm_app("pop-cy", "004")
    other = pbx.ring("005", "13800000005")
    updates.wait_for("desk", lambda u: any(c.key == "005" for c in u.changes))
    assert not [u for u in updates.of("pop") if u.pop is not None and u.pop.call_id == other]


def test_a_withheld_caller_pops_an_empty_new_record(crm_store: CrmStore) -> None:
    pop = compute_pop(crm_store, {"event": "ring", "call_id": 8, "caller": "", "trunk": "01",
                                  "extension": "002", "number": "8002",
                                  "time": "2026-12-03T09:00:00Z"})
    assert pop.customer is None and pop.record == Customer() and pop.title == "-"
    assert pop.time.utcoffset() is not None and pop.time.hour == 9
