"""The admin API's PBX link and parameter actions against the real hub, service and simulator:
roles, link state and reconfiguration, schema and image pages, batch writes whose results
reach the simulator's memory, cancel, renumbering, events to consoles and CRM clients, and
the schema and image while the link is down."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.common.agent.admin_pbx import ACTIONS as PBX_ACTIONS
from callcenter.common.agent.catalog import role_allows
from callcenter.common.pbx.messages import CallRecord
from callcenter.pbxsim.app import Simulator
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.hub.admin import AdminBackend
from callcenter.server.pbx.service import PbxService
from callcenter.server.store.audit import entries
from callcenter.server.store.settings import get_setting, set_setting
from tests.server.hub.agent_client import AgentClient
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import FAST, ask, wait_until

LINE_LIMIT = 65536


def pbx_value(sim: Simulator, key: str) -> str:
    return sim.call(lambda: sim.pbx.memory.get(key))


def line_size(message: dict[str, Any]) -> int:
    return len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()) + 1


@pytest.fixture
def put_back(service: PbxService) -> Iterator[Callable[..., None]]:
    """``put_back(key, ...)``: these keys get their value of now back after the test."""
    saved: dict[str, str] = {}

    def remember(*keys: str) -> None:
        params = service.image.params
        for key in keys:
            saved.setdefault(key, params[key])

    yield remember
    numbers = {k.split(".")[1]: v for k, v in saved.items() if k.endswith(".number")}
    if numbers:
        service.renumber(numbers, who="test")
    others = [(k, v) for k, v in saved.items() if not k.endswith(".number")]
    if others:
        service.write_parameters(others, who="test")
    for key, value in saved.items():
        assert service.image.params[key] == value, key


# --------------------------------------------------------------------------- roles

def test_every_action_in_every_role(console: Callable[..., AgentClient],
                                    connect: Callable[..., AgentClient],
                                    account: Callable[..., str]) -> None:
    """Agents never; operators only the reading actions, and only once an admin allowed
    them the modules system and parameters (S-41); admins everything."""
    account("agent-pbx")
    agent = connect()
    assert agent.login("agent-pbx", extension="020")["ok"]
    operator = console("oper-pbx", "operator")
    admin = console("admin-pbx", "admin")
    for spec in PBX_ACTIONS:
        params = dict(spec.examples[-1])
        assert agent.request(spec.name, **params)["error"]["code"] == "forbidden"
        refused = operator.request(spec.name, **params)
        assert refused["error"]["code"] == "forbidden", (spec.name, refused)
        assert admin.request(spec.name, timeout=20, **params).get("error", {}).get(
            "code") != "forbidden", spec.name
    set_setting("console.operator_modules", "monitor,records,rooms,system,parameters", "test")
    try:
        allowed = console("oper-pbx2", "operator")
        for spec in PBX_ACTIONS:
            answer = allowed.request(spec.name, timeout=20, **dict(spec.examples[-1]))
            if role_allows("operator", spec.role):
                assert answer["ok"], (spec.name, answer)
            else:
                assert answer["error"] == {"code": "forbidden", "message":
                                           f"action {spec.name!r} needs role admin"}
    finally:
        set_setting("console.operator_modules", "monitor,records,rooms", "test")


# --------------------------------------------------------------------------- link

def test_link_state_and_serial_ports(admin: AgentClient, sim: Simulator,
                                     service: PbxService) -> None:
    state = admin.request("link_state")
    assert state["ok"] and state["up"] is True and state["url"] == sim.url
    assert (state["model"], state["extensions"], state["trunks"]) == ("GW-SIM", 24, 8)
    assert (state["baud"], state["bytesize"], state["parity"], state["stopbits"]) == (
        9600, 8, "N", 1)
    assert state["verification"]["state"] == "done"
    assert state["verification"]["done"] == state["verification"]["total"]
    assert state["verification"]["at"]
    ports = admin.request("serial_ports")
    assert ports["ok"] and isinstance(ports["ports"], list)


def test_link_configure_refuses_bad_values_and_saves_nothing(admin: AgentClient,
                                                            service: PbxService) -> None:
    before = get_setting("pbx.url")
    for params, word in (({"url": "bogus://x"}, "'url'"), ({"url": "socket://"}, "'url'"),
                         ({"baud": 1234}, "baud"), ({"bytesize": 9}, "bytesize"),
                         ({"parity": "X"}, "parity")):
        answer = admin.request("link_configure", **params)
        assert answer["error"]["code"] == "bad_request", answer
        assert word in answer["error"]["message"]
    assert get_setting("pbx.url") == before
    assert service.link.is_up


def test_link_configure_reconnects_and_keeps_the_listeners(
        admin: AgentClient, sim: Simulator, service: PbxService, data_dir: Path) -> None:
    answer = admin.request("link_configure", url=sim.url, baud=19200, timeout=20)
    assert answer == {"type": "response", "id": answer["id"], "ok": True, "url": sim.url,
                      "baud": 19200, "bytesize": 8, "parity": "N", "stopbits": 1}
    assert (get_setting("pbx.url"), get_setting("pbx.baud")) == (sim.url, 19200)
    assert entries(key="pbx.baud")[0] >= 1
    down = admin.wait_event("link", state="down")
    assert down["reason"] == "the PBX port was changed"
    admin.wait_event("link", state="up", timeout=20)
    service.wait_ready(20)
    assert service.link.line.baud == 19200
    assert admin.request("link_state")["baud"] == 19200
    # The hub's listener moved to the new link: port states still reach the console.
    ask(sim, {"cmd": "ring", "extension": "007", "caller": "13800138000"})
    admin.wait_event("extension_state", port="007", state="ringing", timeout=10)
    ask(sim, {"cmd": "hangup", "extension": "007"})
    admin.wait_event("extension_state", port="007", state="idle", timeout=10)
    assert admin.request("link_configure", baud=9600, timeout=20)["ok"]
    admin.wait_event("link", state="up", timeout=20)
    service.wait_ready(20)


def test_clock_set(admin: AgentClient) -> None:
    answer = admin.request("clock_set", timeout=10)
    assert answer["ok"] and len(answer["effective"]) == 12 and answer["effective"].isdigit()


# --------------------------------------------------------------------------- schema, image

def test_schema_pages_cover_every_key(console: Callable[..., AgentClient],
                                      service: PbxService) -> None:
    set_setting("console.operator_modules", "monitor,records,rooms,parameters", "test")
    try:
        reader = console("oper-schema", "operator")
        keys: list[dict[str, Any]] = []
        parameters: dict[str, dict[str, Any]] = {}
        for _ in range(100):  # pages; bounded
            page = reader.request("parameter_schema", offset=len(keys), limit=500)
            if page.get("error", {}).get("code") == "forbidden":  # the session's modules
                pytest.fail(f"operator refused: {page}")
            assert page["ok"] and page["offset"] == len(keys)
            assert line_size(page) < LINE_LIMIT
            keys += page["keys"]
            assert {k["parameter"] for k in page["keys"]} == {p["id"] for p in
                                                             page["parameters"]}
            parameters.update((p["id"], p) for p in page["parameters"])
            if len(keys) >= page["total"]:
                break
    finally:
        set_setting("console.operator_modules", "monitor,records,rooms", "test")
    assert [k["key"] for k in keys] == service.schema.keys()
    day = parameters["extension.day_class"]
    assert (day["kind"], day["default"], day["group"], day["scope"]) == (
        "service_class", "11", "extension", "extension")
    assert {k["parameter"] for k in keys} == set(parameters)
    numbers = {k["key"]: k.get("default") for k in keys if k["parameter"] == "extension.number"}
    assert numbers["extension.001.number"] is None  # the setting's own default, 8001
    assert numbers["extension.024.number"] == "8024"
    levels = page["class_levels"]
    assert {(lv["direction"], lv["level"]) for lv in levels} == {
        *(("outgoing", n) for n in range(1, 7)), *(("incoming", n) for n in range(1, 5))}
    assert next(lv for lv in levels if lv["level"] == 5)["label_zh"].startswith("只能打110")
    route = parameters["trunk.route"]
    assert route["help_zh"] and route["maximum"] == 8
    display = parameters["extension.caller_id_display"]
    assert [c["code"] for c in display["choices"]] == ["off", "on"]


def test_image_filters_and_states(admin: AgentClient, service: PbxService) -> None:
    page = admin.request("parameter_image", prefix="extension.001.")
    assert page["ok"] and page["source"] == "pbx"
    assert page["total"] == len(page["params"]) > 10
    assert all(p["key"].startswith("extension.001.") and p["state"] == "verified"
               for p in page["params"])
    assert {p["key"]: p["value"] for p in page["params"]} == {
        k: v for k, v in service.image.params.items() if k.startswith("extension.001.")}
    trunks = admin.request("parameter_image", group="trunk", limit=5)
    assert trunks["total"] == len([k for k in service.image.params if k.startswith("trunk.")
                                   and not k.endswith(".chain_number")])
    assert len(trunks["params"]) == 5


# --------------------------------------------------------------------------- writes

def test_batch_write_results_reach_the_simulator(
        admin: AgentClient, console: Callable[..., AgentClient], sim: Simulator,
        service: PbxService, put_back: Callable[..., None]) -> None:
    put_back("extension.004.day_class", "extension.005.night_class", "system.smart_routing",
             "system.multiple_routes")
    watcher = console("oper-watch-pbx", "operator")
    # Behind the service's back (no PCH): the PBX now has multiple routes on, so it will
    # refuse smart routing, which the service's image still allows.
    sim.call(lambda: sim.pbx.memory.write("system.multiple_routes", "on"))
    answer = admin.request("parameters_write", timeout=20, values={
        "extension.004.day_class": "21", "extension.005.night_class": "71",
        "extension.099.day_class": "11", "system.smart_routing": "on",
        "extension.006.day_class": service.image.params["extension.006.day_class"]})
    assert answer["ok"], answer
    results = {r["key"]: r for r in answer["results"]}
    assert [r["key"] for r in answer["results"]] == [
        "extension.004.day_class", "extension.005.night_class", "extension.099.day_class",
        "system.smart_routing", "extension.006.day_class"]
    assert results["extension.004.day_class"] == {
        "key": "extension.004.day_class", "value": "21", "old": "11", "status": "written",
        "reason": ""}
    assert results["extension.005.night_class"]["status"] == "invalid"
    assert "outgoing level 7" in results["extension.005.night_class"]["reason"]
    assert results["extension.099.day_class"]["status"] == "invalid"
    assert results["system.smart_routing"]["status"] == "refused"
    assert "smart routing and multiple routes" in results["system.smart_routing"]["reason"]
    assert results["extension.006.day_class"]["status"] == "unchanged"
    assert pbx_value(sim, "extension.004.day_class") == "21"
    assert pbx_value(sim, "extension.005.night_class") == "11"
    assert pbx_value(sim, "system.smart_routing") == "off"
    # The image: written keys verified, the refused one marked with the PBX's reason.
    image = {p["key"]: p for p in admin.request(
        "parameter_image", prefix="system.")["params"]}
    assert image["system.smart_routing"]["state"] == "refused"
    assert "multiple routes" in image["system.smart_routing"]["reason"]
    # Events to consoles and the audit log name the writer.
    changed = watcher.wait_event("parameter_changed", key="extension.004.day_class")
    assert (changed["old"], changed["new"], changed["by"]) == ("11", "21", "admin-t")
    [entry] = entries(key="extension.004.day_class", who="admin-t")[1][:1]
    assert (entry["what"], entry["old"], entry["new"], entry["result"]) == (
        "pbx", "11", "21", "written")
    assert entries(key="system.smart_routing", who="admin-t")[1][0]["result"].startswith(
        "refused: ")
    sim.call(lambda: sim.pbx.memory.write("system.multiple_routes", "off"))


def test_bad_batches_are_refused(admin: AgentClient) -> None:
    for values, word in (({}, "1-400"), ({"system.night": 1}, "system.night"),
                         ({f"extension.{i:03d}.day_class": "11" for i in range(1, 402)},
                          "1-400")):
        answer = admin.request("parameters_write", values=values)
        assert answer["error"]["code"] == "bad_request" and word in answer["error"]["message"]


def test_cancel_stops_a_batch_between_keys(admin: AgentClient, sim: Simulator,
                                           service: PbxService,
                                           put_back: Callable[..., None]) -> None:
    keys = [f"extension.{port:03d}.night_class" for port in range(8, 14)]
    put_back(*keys)
    # Hold the simulator's loop (as a slow PBX would) while the batch starts and the
    # cancel is answered; the link's retries outlast the hold.
    entered, gate = threading.Event(), threading.Event()
    def hold() -> bool:
        entered.set()
        return gate.wait(5)

    holder = threading.Thread(target=lambda: sim.call(hold, timeout=10))
    holder.start()
    try:
        assert entered.wait(5)
        admin.send({"type": "request", "id": "batch-1", "action": "parameters_write",
                    "values": dict.fromkeys(keys, "31")})
        admin.wait_event("progress", job="batch-1", done=0)
        assert admin.request("cancel", job="batch-1")["cancelled"] is True
    finally:
        gate.set()
        holder.join(10)
    answer = admin.read_response("batch-1", timeout=20)
    assert answer["error"]["code"] == "cancelled", answer
    assert "1 written and read back" in answer["error"]["message"]
    assert "5 not sent" in answer["error"]["message"]
    assert pbx_value(sim, keys[0]) == "31"
    assert [pbx_value(sim, key) for key in keys[1:]] == ["11"] * 5


def test_renumbering_swaps_and_crm_clients_learn_the_numbers(
        *, admin: AgentClient, console: Callable[..., AgentClient],
        connect: Callable[..., AgentClient], account: Callable[..., str], sim: Simulator,
        service: PbxService, put_back: Callable[..., None]) -> None:
    put_back("extension.001.number", "extension.002.number")
    account("agent-num")
    agent = connect()
    assert agent.login("agent-num", extension="001")["number"] == "8001"
    agent.wait_event("snapshot")
    watcher = console("oper-num", "operator")
    answer = admin.request("extensions_renumber", numbers={"001": "8002", "002": "8001"},
                           timeout=20)
    assert answer["ok"], answer
    assert [(r["key"], r["value"], r["old"], r["status"]) for r in answer["results"]] == [
        ("extension.001.number", "8002", "8001", "written"),
        ("extension.002.number", "8001", "8002", "written")]
    assert (pbx_value(sim, "extension.001.number"),
            pbx_value(sim, "extension.002.number")) == ("8002", "8001")
    # Three writes: 002 (which holds 8002) to a temporary number, 001, then 002 again.
    changes = [watcher.wait_event("parameter_changed") for _ in range(3)]
    temporary = changes[0]["new"]
    assert [(c["key"], c["new"]) for c in changes] == [
        ("extension.002.number", temporary), ("extension.001.number", "8002"),
        ("extension.002.number", "8001")]
    assert temporary not in ("8001", "8002") and not temporary.startswith(("0", "9"))
    # The CRM agent at port 001 learns its new number from a new snapshot.
    for _ in range(10):  # bounded: a snapshot per burst of changes
        snapshot = agent.wait_event("snapshot", timeout=10)
        numbers = {e["port"]: e["number"] for e in snapshot["extensions"]}
        if numbers["001"] == "8002":
            break
    assert (numbers["001"], numbers["002"]) == ("8002", "8001")
    late = connect()
    assert late.login("agent-num", extension="001")["number"] == "8002"


def test_renumbering_refuses_clashes_and_sends_nothing(admin: AgentClient, sim: Simulator,
                                                       service: PbxService) -> None:
    before = {p: pbx_value(sim, f"extension.{p}.number") for p in ("001", "002", "003")}
    answer = admin.request("extensions_renumber", numbers={"001": "8100", "002": before["003"],
                                                           "099": "8099"})
    statuses = [(r["key"], r["status"]) for r in answer["results"]]
    assert statuses == [("extension.001.number", "not_sent"),
                        ("extension.002.number", "invalid"),
                        ("extension.099.number", "invalid")]
    assert {p: pbx_value(sim, f"extension.{p}.number") for p in before} == before


def test_a_service_write_reaches_crm_clients_and_consoles(
        *, console: Callable[..., AgentClient], connect: Callable[..., AgentClient],
        account: Callable[..., str], sim: Simulator, service: PbxService,
        put_back: Callable[..., None]) -> None:
    """Defect 6.1: the service's own writes (prepaid control, a command) were silent."""
    put_back("extension.003.number")
    account("agent-three")
    agent = connect()
    assert agent.login("agent-three", extension="003")["ok"]
    agent.wait_event("snapshot")
    watcher = console("oper-three", "operator")
    assert service.write_parameter("extension.003.number", "3003", who="prepaid") == "3003"
    changed = watcher.wait_event("parameter_changed", key="extension.003.number")
    assert (changed["old"], changed["new"], changed["by"]) == ("8003", "3003", "prepaid")
    snapshot = agent.wait_event("snapshot", timeout=10)
    assert {e["port"]: e["number"] for e in snapshot["extensions"]}["003"] == "3003"


def test_verify_reports_progress(admin: AgentClient, console: Callable[..., AgentClient]
                                 ) -> None:
    watcher = console("oper-verify", "operator")
    admin.send({"type": "request", "id": "v-1", "action": "verify", "force": True})
    answer = admin.read_response("v-1", timeout=30)
    assert answer["ok"], answer
    assert answer["groups_read"] == ["extension", "trunk", "switches", "other"]
    assert answer["groups_skipped"] == [] and answer["rows_read"] > 0
    last = admin.wait_event("progress", job="v-1", done=answer["rows_read"])
    assert last["total"] == answer["rows_read"]
    done = watcher.wait_event("verification_done", timeout=10)
    assert done["rows_read"] == answer["rows_read"]
    watcher.wait_event("verification_progress", done=answer["rows_read"])


# --------------------------------------------------------------------------- link down

class _NoRecords:
    """The sink of a service on a dead port: no record can arrive."""

    def store(self, records: list[CallRecord]) -> None:
        raise AssertionError("no PBX, no records")


def test_schema_and_image_while_the_link_is_down(tmp_path: Path, data_dir: Path,
                                                 service: PbxService,
                                                 account: Callable[..., str]) -> None:
    """Defect 6.3: a console still sees the last image when the PBX is gone."""
    shutil.copy(data_dir / "image.json", tmp_path / "image.json")
    with PbxService("socket://127.0.0.1:9", tmp_path, sink=_NoRecords(),
                    link_options=FAST) as down, \
            AgentHub(down, host="127.0.0.1", port=0, options=HubOptions(
                **TEST_OPTIONS.__dict__), admin=AdminBackend(down, tmp_path)) as hub:
        wait_until(lambda: down.link.last_error, 10, "the dead port's error")
        account("admin-down", "admin")
        client = AgentClient(hub.address)
        try:
            assert client.login("admin-down", extension="")["ok"]
            state = client.request("link_state")
            assert state["up"] is False and state["extensions"] == 24 and state["last_error"]
            schema = client.request("parameter_schema", limit=10)
            assert (schema["extensions"], schema["trunks"], len(schema["keys"])) == (24, 8, 10)
            image = client.request("parameter_image", prefix="extension.001.")
            assert image["source"] == "saved" and image["total"] > 10
            written = client.request("parameters_write", values={"system.night": "on"})
            [result] = written["results"]
            assert result["status"] == "not_sent" and "down" in result["reason"]
        finally:
            client.close()
    empty = tmp_path / "empty"
    with PbxService("socket://127.0.0.1:9", empty, sink=_NoRecords(),
                    link_options=FAST) as never, \
            AgentHub(never, host="127.0.0.1", port=0, options=HubOptions(
                **TEST_OPTIONS.__dict__), admin=AdminBackend(never, empty)) as hub:
        client = AgentClient(hub.address)
        try:
            assert client.login("admin-down", extension="")["ok"]
            answer = client.request("parameter_schema")
            assert answer["error"]["code"] == "pbx_unavailable"
            assert "no parameter image" in answer["error"]["message"]
        finally:
            client.close()


def test_all_or_nothing_sends_nothing_when_one_value_is_invalid(sim: Simulator,
                                                                admin: AgentClient) -> None:
    before = pbx_value(sim, "extension.003.day_class")
    wanted = "21" if before != "21" else "31"
    answer = admin.request("parameters_write", values={"extension.003.day_class": wanted,
                                                       "extension.004.day_class": "99"},
                           all_or_nothing=True)
    assert answer["ok"], answer
    statuses = {r["key"]: r["status"] for r in answer["results"]}
    assert statuses == {"extension.003.day_class": "not_sent",
                        "extension.004.day_class": "invalid"}
    assert pbx_value(sim, "extension.003.day_class") == before
