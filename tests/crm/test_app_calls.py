"""The call log recorder against the real hub and simulator: a call answered or missed ends
up in the store's call log exactly once (written at the ring, completed at the end, one key);
a call dialled on the phone itself is logged as outgoing; events missed while disconnected
leave the log consistent (the next snapshot closes what was open); a restart of the program
mid-call keeps the call's key (the open-call journal)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from callcenter.crm_client.app import CrmApp
from callcenter.crm_client.app.calls import CallRecorder
from callcenter.crm_client.app.log_writer import CallLogWriter
from callcenter.crm_client.settings import CrmSettings
from callcenter.crm_client.store import CallEntry, CrmStore, Customer
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.runtime import ServerRuntime
from tests.crm.conftest import PASSWORD, Pbx, Updates, wait_until
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import no_leaked_threads

__all__ = ["no_leaked_threads"]

AppFactory = Callable[..., tuple[CrmApp, Updates]]


def entries_of(store: CrmStore, port: str, call_id: int) -> list[CallEntry]:
    return [e for e in store.calls(limit=500) if e.key.startswith(f"{port}/{call_id}/")]


def test_an_answered_call_is_logged_once_with_its_talk_time(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    crm_store.save_customer(Customer(name="李四", mobile="13700001234"))
    app, updates = crm_app("log-ann", "010")
    call_id = pbx.ring("010", "013700001234")
    updates.wait_for("pop", lambda u: u.pop is not None and u.pop.call_id == call_id)
    # the ring is in the log at once (a crash now keeps it)
    wait_until(lambda: entries_of(crm_store, "010", call_id), 10, "the ring logged")
    ringing = entries_of(crm_store, "010", call_id)[0]
    assert not ringing.answered and ringing.number == "013700001234"
    assert ringing.name == "李四" and ringing.direction == "in"
    assert ringing.extension == "010" and ringing.user == "log-ann"
    assert app.answer() == call_id
    updates.wait_for("desk", lambda u: app.desk.my_call is not None
                     and app.desk.my_call.state == "talking")
    wait_until(lambda: app.recorder.open[call_id].answered_at is not None, 10, "answered")
    # talk a little: the simulator's clock runs in real time
    wait_until(lambda: (app.desk.my_call is not None), 1, "still talking")
    assert app.hangup() == call_id
    wait_until(lambda: call_id not in app.recorder.open, 10, "the call closed")
    assert app.flush()
    logged = entries_of(crm_store, "010", call_id)
    assert len(logged) == 1
    entry = logged[0]
    assert entry.answered and entry.key == ringing.key and entry.time == ringing.time
    assert entry.duration >= 0
    assert crm_store.count_calls("13700001234") >= 1


def test_a_missed_call_is_logged_once_as_not_answered(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    app, updates = crm_app("log-bob", "011")
    call_id = pbx.ring("011", "02087654321")
    updates.wait_for("pop", lambda u: u.pop is not None and u.pop.call_id == call_id)
    pbx.hangup("011")  # it stops ringing: nobody answered
    wait_until(lambda: call_id not in app.recorder.open, 10, "the call closed")
    assert app.flush()
    logged = entries_of(crm_store, "011", call_id)
    assert len(logged) == 1
    assert not logged[0].answered and logged[0].duration == 0
    assert logged[0].number == "02087654321" and logged[0].direction == "in"
    # the missed-calls list has it (hub and local merged into one item)
    missed = [m for m in app.missed_calls() if m.call_id == call_id]
    assert len(missed) == 1 and missed[0].number == "02087654321"
    assert missed[0].source == "both"
    assert len(entries_of(crm_store, "011", call_id)) == 1  # the merge wrote nothing more


def test_a_call_dialled_on_the_phone_is_logged_as_outgoing(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    app, _updates = crm_app("log-cy", "012")
    pbx.offhook("012")
    pbx.dial("012", "8013")  # an internal call, dialled on the phone's keypad
    wait_until(lambda: app.recorder.open, 10, "the call opened")
    call_id = int(pbx.extension("012")["call_id"])
    assert call_id in app.recorder.open
    pbx.answer("013")
    wait_until(lambda: app.recorder.open.get(call_id) is not None
               and app.recorder.open[call_id].answered_at is not None, 10, "answered")
    pbx.hangup("012")
    wait_until(lambda: call_id not in app.recorder.open, 10, "the call closed")
    assert app.flush()
    logged = entries_of(crm_store, "012", call_id)
    assert len(logged) == 1
    assert logged[0].direction == "internal" and logged[0].number == "8013"
    assert logged[0].answered


def test_events_missed_while_disconnected_leave_the_log_consistent(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    app, updates = crm_app("log-dee", "014")
    call_id = pbx.ring("014", "13800001414")
    updates.wait_for("pop", lambda u: u.pop is not None and u.pop.call_id == call_id)
    app.disconnect()  # the link is down while the call ends and another one rings
    pbx.hangup("014")
    second = pbx.ring("014", "13800002828")
    app.connect("crm-s3cret-pw")
    wait_until(lambda: app.online and app.desk.synced, 10, "online again")
    wait_until(lambda: call_id not in app.recorder.open, 10, "the first call closed")
    assert app.flush()
    first = entries_of(crm_store, "014", call_id)
    assert len(first) == 1 and not first[0].answered
    # the call that rang while away is adopted from the snapshot and logged
    wait_until(lambda: second in app.recorder.open, 10, "the second call adopted")
    pbx.hangup("014")
    wait_until(lambda: second not in app.recorder.open, 10, "the second call closed")
    assert app.flush()
    assert len(entries_of(crm_store, "014", second)) == 1


def test_a_restart_of_the_program_mid_call_keeps_the_key(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    app, updates = crm_app("log-eve", "015")
    call_id = pbx.ring("015", "13800001515")
    updates.wait_for("pop", lambda u: u.pop is not None and u.pop.call_id == call_id)
    pbx.answer("015")
    wait_until(lambda: app.recorder.open.get(call_id) is not None
               and app.recorder.open[call_id].answered_at is not None, 10, "answered")
    app.close()  # the program stops (or crashed) mid-call; the call goes on
    again, _updates = crm_app("log-eve", "015")  # same data folder, same journal
    assert call_id in again.recorder.open
    pbx.hangup("015")
    wait_until(lambda: call_id not in again.recorder.open, 10, "the call closed")
    assert again.flush()
    logged = entries_of(crm_store, "015", call_id)
    assert len(logged) == 1 and logged[0].answered


def test_a_call_missed_while_the_program_was_off_comes_from_the_hub(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    call_id = pbx.ring("016", "13600001616")
    wait_until(lambda: pbx.extension("016")["state"] == "ringing", 10, "016 rings")
    pbx.hangup("016")  # nobody was there
    app, _updates = crm_app("log-fay", "016")
    for _round in range(2):  # asking again logs nothing twice
        missed = [m for m in app.missed_calls() if m.call_id == call_id]
        assert len(missed) == 1 and missed[0].source in ("hub", "both")
        assert missed[0].number == "13600001616"
        assert app.flush()
        logged = entries_of(crm_store, "016", call_id)
        assert len(logged) == 1 and not logged[0].answered and logged[0].direction == "in"


def test_the_same_call_id_with_another_caller_is_another_call(crm_store: CrmStore) -> None:
    """A restarted hub (or PBX) numbers its calls from 1 again: the snapshot's call 5 with
    another caller closes the old call 5 and opens a new entry (pure: event dicts, real
    store)."""
    recorder = CallRecorder(crm_store, "002", "u")
    ring = {"event": "ring", "call_id": 5, "caller": "13800000001", "trunk": "01",
            "extension": "002", "number": "8002", "time": "2026-12-03T09:00:00.000+08:00"}
    first = recorder.on_event(ring)
    assert [e.answered for e in first] == [False]
    written = recorder.reconcile(
        {"002": {"port": "002", "state": "ringing", "peer": "13900000002", "trunk": "01",
                 "call_id": 5}},
        datetime(2026, 12, 3, 1, 5, tzinfo=UTC), {5: "in"})
    assert [e.number for e in written] == ["13800000001", "13900000002"]
    assert written[0].key == first[0].key and written[1].key != first[0].key
    assert recorder.open[5].number == "13900000002"
    # the same caller again (written otherwise) is the same call: nothing written
    assert recorder.reconcile(
        {"002": {"port": "002", "state": "ringing", "peer": "013900000002", "trunk": "01",
                 "call_id": 5}}, datetime(2026, 12, 3, 1, 6, tzinfo=UTC)) == []


def test_the_writer_thread_keeps_order_and_writes_what_is_queued_at_close(
        crm_store: CrmStore) -> None:
    written: list[str] = []
    writer = CallLogWriter(crm_store, lambda e: written.append(f"{e.key}:{e.answered}"))
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    ring = CallEntry(key="002/77/20261203T010000", time=start, number="13800000077",
                     direction="in", extension="002")
    for n in range(50):
        writer.submit(ring if n % 2 == 0 else replace(ring, answered=True, duration=n))
    writer.close()
    assert len(written) == 50 and written[-1].endswith(":True")
    logged = [e for e in crm_store.calls(limit=500) if e.key == ring.key]
    assert len(logged) == 1 and logged[0].answered and logged[0].duration == 49
    writer.submit(replace(ring, key="002/78/20261203T010000"))  # closed: written at once
    assert writer.flush(5)
    assert crm_store.count_calls("13800000077") == 2


def test_a_call_dialled_from_this_pc_is_logged_once_as_outgoing(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    crm_store.save_customer(Customer(name="王五", phones=("138 0013 8000",)))
    app, _updates = crm_app("log-gus", "017")
    call_id = app.dial("9 138 0013 8000")  # 9: a trunk; the rest the outside number
    wait_until(lambda: call_id in app.recorder.open, 10, "the call opened")
    wait_until(lambda: app.recorder.open[call_id].trunk != "", 10, "on a trunk")
    app.hangup()  # the far end never answered
    wait_until(lambda: call_id not in app.recorder.open, 10, "the call closed")
    assert app.flush()
    logged = entries_of(crm_store, "017", call_id)
    assert len(logged) == 1
    entry = logged[0]
    assert (entry.direction, entry.number, entry.name) == ("out", "13800138000", "王五")
    assert not entry.answered and entry.duration == 0


def test_a_call_parked_and_taken_back_here_is_one_entry(
        crm_app: AppFactory, crm_store: CrmStore, pbx: Pbx) -> None:
    app, updates = crm_app("log-hal", "018")
    call_id = pbx.ring("018", "13800001818")
    updates.wait_for("pop", lambda u: u.pop is not None and u.pop.call_id == call_id)
    app.answer()
    wait_until(lambda: call_id in app.recorder.open
               and app.recorder.open[call_id].answered_at is not None, 10, "answered")
    slot = app.park()
    wait_until(lambda: app.desk.park_slots[slot].occupied, 10, "parked")
    wait_until(lambda: call_id not in app.recorder.open, 10, "left the port")
    time.sleep(1.1)  # taken back in a later second: a new key if it were a new entry
    app.unpark(slot)
    wait_until(lambda: app.desk.my_call is not None, 10, "taken back")
    app.hangup()
    wait_until(lambda: app.desk.my_call is None and not app.recorder.open, 10, "ended")
    assert app.flush()
    logged = [e for e in crm_store.calls(limit=500) if e.key.startswith("018/")]
    assert len(logged) == 1 and logged[0].answered and logged[0].number == "13800001818"


def test_the_hub_restarting_mid_ring_leaves_one_missed_entry(
        runtime: ServerRuntime, crm_store: CrmStore, crm_data: Path,
        agent_account: Callable[..., str], pbx: Pbx) -> None:
    options = HubOptions(**TEST_OPTIONS.__dict__)
    hub = AgentHub(runtime.service, host="127.0.0.1", port=0, options=options)
    hub.start()
    host, port = hub.address
    updates = Updates()
    app = CrmApp(crm_store, CrmSettings(server_host=host, server_port=port, extension="019",
                                        device="headset", user=agent_account("log-ida")),
                 listener=updates, journal=crm_data / "open-calls.json")
    again: AgentHub | None = None
    try:
        app.connect(PASSWORD)
        wait_until(lambda: app.online and app.desk.synced, 10, "online")
        call_id = pbx.ring("019", "13800001919")
        updates.wait_for("pop", lambda u: u.pop is not None and u.pop.call_id == call_id)
        hub.stop()  # the server's hub goes away while it rings ...
        wait_until(lambda: not app.online, 10, "offline")
        pbx.hangup("019")  # ... and the caller gives up meanwhile
        again = AgentHub(runtime.service, host="127.0.0.1", port=port, options=options)
        again.start()
        wait_until(lambda: app.online and app.desk.synced, 15, "online again")
        wait_until(lambda: call_id not in app.recorder.open, 10, "the call closed")
        assert app.flush()
        logged = entries_of(crm_store, "019", call_id)
        assert len(logged) == 1 and not logged[0].answered
        assert [m.call_id for m in app.missed_calls()].count(call_id) == 1
    finally:
        app.close()
        if again is not None:
            again.stop()
