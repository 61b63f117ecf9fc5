"""Call control through CrmApp against the real hub and simulator: dial, answer, hold and
retrieve, park and unpark, do-not-disturb and forwarding (the desk follows the events), and
the errors the window shows by code: needs_offhook on a normal phone, pbx_refused with the
reason, bad_request for bad input (nothing sent), HubUnavailable when not connected."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from callcenter.common.agent.client import HubUnavailable
from callcenter.crm_client.app import ERROR_CODES, ControlError, CrmApp
from callcenter.crm_client.settings import CrmSettings
from callcenter.crm_client.store import CrmStore
from callcenter.server.runtime import ServerRuntime
from tests.crm.conftest import Pbx, Updates, wait_until
from tests.server.pbxlink_support import no_leaked_threads

__all__ = ["no_leaked_threads"]

AppFactory = Callable[..., tuple[CrmApp, Updates]]


def test_a_normal_phone_must_lift_the_handset(crm_app: AppFactory, pbx: Pbx) -> None:
    app, _updates = crm_app("ctl-ann", "002", device="normal")
    with pytest.raises(ControlError) as caught:
        app.dial("8003")
    assert caught.value.code == "needs_offhook" and caught.value.key == "error.needs_offhook"
    assert "needs_offhook" in ERROR_CODES
    assert pbx.extension("003")["state"] == "idle"
    pbx.offhook("002")
    wait_until(lambda: app.desk.extensions["002"].state == "offhook", 10, "off-hook")
    assert app.dial("800-3") > 0  # a dash typed in the number is dropped
    wait_until(lambda: pbx.extension("003")["state"] == "ringing", 10, "031 rings")
    app.hangup()


def test_refusals_and_bad_input(crm_app: AppFactory) -> None:
    app, _updates = crm_app("ctl-bob", "004")
    with pytest.raises(ControlError) as caught:
        app.answer()
    assert caught.value.code == "pbx_refused" and "not ringing" in caught.value.message
    with pytest.raises(ControlError) as caught:
        app.flash()
    assert caught.value.code == "pbx_refused"
    for call, field in ((lambda: app.dial("call me"), "number"),
                        (lambda: app.park(9), "slot"),
                        (lambda: app.transfer("12"), "target"),
                        (lambda: app.forward(True, ""), "number")):
        with pytest.raises(ControlError) as caught:
            call()
        assert caught.value.code == "bad_request" and caught.value.message.startswith(field)


def test_not_connected_is_hub_unavailable(crm_store: CrmStore) -> None:
    app = CrmApp(crm_store, CrmSettings(server_host="127.0.0.1", extension="005", user="x"))
    unset = CrmApp(crm_store, CrmSettings())
    try:
        with pytest.raises(HubUnavailable):
            app.dial("8001")
        with pytest.raises(ValueError, match="server_host"):
            unset.connect("pw")
    finally:
        app.close()
        unset.close()


def test_hold_park_dnd_forward_follow_on_the_desk(crm_app: AppFactory, pbx: Pbx,
                                                  runtime: ServerRuntime) -> None:
    app, updates = crm_app("ctl-cy", "006")
    call_id = pbx.ring("006", "13900001111")
    updates.wait_for("pop", lambda u: u.pop is not None and u.pop.call_id == call_id)
    assert app.answer() == call_id
    app.hold()
    wait_until(lambda: app.desk.my_call is not None and app.desk.my_call.state == "held", 10,
               "held")
    app.retrieve()
    wait_until(lambda: app.desk.my_call is not None and app.desk.my_call.state == "talking",
               10, "talking again")
    assert app.park(2) == 2
    wait_until(lambda: app.desk.park_slots[2].occupied, 10, "slot 2 taken")
    app.unpark(2)
    wait_until(lambda: not app.desk.park_slots[2].occupied, 10, "slot 2 free")
    app.hangup()
    with pytest.raises(ControlError) as caught:
        app.dnd(True)  # dnd_mode "none" (the factory default): the PBX says why
    assert caught.value.code == "pbx_refused" and "dnd_mode" in caught.value.message
    runtime.service.write_parameter("extension.006.dnd_mode", "all")
    app.dnd(True)
    wait_until(lambda: app.desk.extensions["006"].dnd, 10, "dnd on")
    app.dnd(False)
    app.forward(True, "8007")
    wait_until(lambda: app.desk.extensions["006"].forward == "8007", 10, "forward on")
    app.forward(False)
    wait_until(lambda: app.desk.extensions["006"].forward == "", 10, "forward off")
