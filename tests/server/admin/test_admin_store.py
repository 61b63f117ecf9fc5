"""The admin API's store side against the real hub, service, simulator and store: records,
tariff, rooms, accounts, settings, the audit log, alerts, and their events."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from callcenter.pbxsim.app import Simulator
from callcenter.server.hub.admin import Cancelled
from callcenter.server.rating.tariff_io import load_data_tariff
from callcenter.server.store.db import database
from callcenter.server.store.models import Alert, AuditEntry, RatingRow, utc_now
from callcenter.server.store.rerate import rerate
from callcenter.server.store.settings import get_setting, set_setting
from tests.server.hub.agent_client import AgentClient
from tests.server.pbxlink_support import ask


def _call(sim: Simulator, extension: str, number: str, duration: int) -> None:
    ask(sim, {"cmd": "call", "extension": extension, "number": number, "duration": duration})


def test_roles_and_modules(console: Callable[..., AgentClient],
                           connect: Callable[..., AgentClient],
                           account: Callable[..., str]) -> None:
    operator = console("oper-roles", "operator")
    assert operator.request("records_query", limit=1)["ok"]
    assert operator.request("rooms_list")["ok"]
    assert operator.request("alerts_list")["ok"]  # module "": every operator
    for action, params in (("tariff_get", {}), ("settings_get", {}),
                           ("rate", {"number": "123", "seconds": 1})):
        answer = operator.request(action, **params)
        assert answer["error"]["code"] == "forbidden", (action, answer)
        assert "console module 'system'" in answer["error"]["message"]
    for action in ("accounts_list", "audit_list"):
        answer = operator.request(action)
        assert answer["error"] == {"code": "forbidden",
                                   "message": f"action {action!r} needs role admin"}
    account("agent-store")
    agent = connect()
    assert agent.login("agent-store", extension="007")["ok"]
    assert agent.request("records_query")["error"]["code"] == "forbidden"
    assert agent.request("rooms_topup", port="007", amount="5")["error"]["code"] == "forbidden"


def test_record_stored_event_and_records_query(sim: Simulator, operator: AgentClient) -> None:
    for duration in (61, 62, 63):
        _call(sim, "003", "88315888", duration)
    seen = [operator.wait_event("record_stored", 15, port="003", duration=d)
            for d in (61, 62, 63)]
    assert all(e["number"] == "88315888" and e["call_type"] == "OUT" for e in seen)
    # rated as it was stored: the cost of the local (8) row's first 180 s, and the PBX's name
    assert all(e["start"][10] == "T" and e["cost"] == "0.22" for e in seen)
    assert all(e["pbx_id"] == "main" for e in seen)
    first = operator.request("records_query", port="003", number="88315888", sort="duration",
                             limit=2)
    assert first["ok"] and first["total"] == 3
    assert [r["duration"] for r in first["rows"]] == [61, 62]
    assert first["rows"][0]["cost"] == "0.22"  # within the first 180 s of the local (8) row
    rest = operator.request("records_query", port="003", number="88315888", sort="duration",
                            offset=2, limit=2)
    assert [r["duration"] for r in rest["rows"]] == [63]
    desc = operator.request("records_query", port="003", sort="duration", desc=True, limit=1)
    assert desc["rows"][0]["duration"] == 63
    assert operator.request("records_query", port="003", duration_min="62")["total"] == 2
    bad = operator.request("records_query", cost_min="1.234")
    assert bad["error"]["code"] == "bad_request"
    assert bad["error"]["message"].startswith("field 'cost_min': '1.234': allowed")
    summary = operator.request("records_summary", port="003", by="extension")
    assert summary["total"]["count"] == 3 and summary["rows"][0]["count"] == 3


def test_export_csv_and_xlsx(sim: Simulator, operator: AgentClient, data_dir: Path) -> None:
    _call(sim, "004", "88315777", 30)
    operator.wait_event("record_stored", 15, port="004", number="88315777")
    done = operator.request("records_export", port="004", format="csv")
    assert done["ok"] and done["area"] == "exports" and done["records"] == 1
    path = data_dir / "exports" / done["name"]
    assert path.stat().st_size == done["size"]
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["seq", "start", "port"] and rows[1][2] == "004"
    done = operator.request("records_export", port="004", format="xlsx", title="room 004")
    book = load_workbook(data_dir / "exports" / done["name"], read_only=True)
    values = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert values[0][0] == "room 004" and values[2][2] == "004"
    assert not [p for p in (data_dir / "exports").iterdir() if p.name.startswith(".")]


def test_tariff_save_is_audited_in_one_transaction(admin: AgentClient) -> None:
    got = admin.request("tariff_get")
    tariff, before = got["tariff"], got["version"]
    tariff["rows"].append({"prefix": "99999", "description": "test row",
                           "initial_seconds": 60, "initial_charge": "1.00",
                           "interval_seconds": 60, "interval_charge": "1.00",
                           "service_type": 3})
    saved = admin.request("tariff_save", tariff=tariff)
    assert saved["ok"] and saved["old_version"] == before and saved["version"] != before
    assert admin.request("rate", number="9999912", seconds=90)["cost"] == "2.00"
    entries = admin.request("audit_list", what="tariff", who="admin-t")["entries"]
    assert (entries[0]["old"], entries[0]["new"]) == (before, saved["version"])
    # The audit entry cannot be written: the tariff must stay as it is.
    database.execute_sql("ALTER TABLE audit RENAME TO audit_away")
    try:
        tariff["rows"].pop()
        failed = admin.request("tariff_save", tariff=tariff)
        assert failed["error"]["code"] == "internal"
    finally:
        database.execute_sql("ALTER TABLE audit_away RENAME TO audit")
    assert admin.request("tariff_get")["version"] == saved["version"]
    restored = admin.request("tariff_save", tariff=tariff)
    assert restored["version"] == before
    bad = admin.request("tariff_save", tariff={"rows": []})
    assert bad["error"]["code"] == "bad_request" and "field 'tariff'" in bad["error"]["message"]
    export = admin.request("tariff_export", format="json")
    assert export["ok"] and export["name"].endswith(".json")


def test_rooms_topup_list_ledger_and_ports_the_pbx_lacks(operator: AgentClient) -> None:
    done = operator.request("rooms_topup", port="009", amount="5", note="deposit")
    assert done == {**done, "ok": True, "account": "room", "port": "009", "balance": "5.00",
                    "prepaid": True, "over_limit": False}
    rooms = {r["port"]: r for r in operator.request("rooms_list")["rooms"]}
    assert len(rooms) == 24
    assert rooms["009"]["balance"] == "5.00" and rooms["009"]["prepaid"] is True
    assert rooms["009"]["number"] and rooms["009"]["day_class"]
    ledger = operator.request("rooms_ledger", port="009")
    assert ledger["total"] == 1 and ledger["entries"][0]["note"] == "deposit"
    for port in ("025", "999"):
        refused = operator.request("rooms_topup", port=port, amount="5")
        assert refused["error"] == {
            "code": "not_found",
            "message": f"field 'port': port '{port}': this PBX has 24 extension ports "
                       "(allowed: 001-024)"}
    assert operator.request("rooms_topup", port="009", amount="0")["error"]["code"] == (
        "bad_request")
    assert operator.request("rooms_clear", port="010")["error"]["code"] == "not_found"
    released = operator.request("rooms_release", port="009")
    assert released["prepaid"] is False and released["balance"] == "5.00"


def test_rooms_set_reaches_the_simulator(sim: Simulator, operator: AgentClient,
                                         admin: AgentClient) -> None:
    key = "extension.011.night_class"
    old = str(ask(sim, {"cmd": "get", "key": key})["value"])
    new = "21" if old != "21" else "22"
    try:
        answer = operator.request("rooms_set", port="011", night_class=new, alarm="0700")
        assert answer["ok"], answer
        results = {r["key"]: r for r in answer["results"]}
        assert results[key]["status"] == "written" and results[key]["old"] == old
        assert ask(sim, {"cmd": "get", "key": key})["value"] == new
        assert ask(sim, {"cmd": "get", "key": "extension.011.alarm1"})["value"] == "0700"
        room = next(r for r in operator.request("rooms_list")["rooms"] if r["port"] == "011")
        assert room["night_class"] == new and room["alarm"] == "0700"
        entry = admin.request("audit_list", key=key, who="oper-t")["entries"][0]
        assert (entry["what"], entry["old"], entry["new"]) == ("pbx", old, new)
        assert entry["result"].startswith("written")
        bad = operator.request("rooms_set", port="011", night_class="99")
        assert bad["results"][0]["status"] == "invalid"
        assert operator.request("rooms_set", port="025", day_class="11")["error"][
            "code"] == "not_found"
    finally:
        operator.request("rooms_set", port="011", night_class=old, alarm="")


def test_accounts_add_change_remove_are_audited(admin: AgentClient) -> None:
    added = admin.request("account_add", user="acc-x", role="agent", password="pass word 9")
    assert added == {**added, "ok": True, "user": "acc-x", "role": "agent", "port": "",
                     "must_change_password": True, "locked": False}
    changed = admin.request("account_change", user="acc-x", role="operator", port="002",
                            password="pass word 10")
    assert (changed["role"], changed["port"], changed["must_change_password"]) == (
        "operator", "002", False)
    assert any(a["user"] == "acc-x" for a in admin.request("accounts_list")["accounts"])
    assert admin.request("account_remove", user="acc-x")["user"] == "acc-x"
    assert admin.request("account_remove", user="acc-x")["error"]["code"] == "not_found"
    assert admin.request("account_change", user="acc-x")["error"]["code"] == "not_found"
    taken = admin.request("account_add", user="admin-t", role="agent", password="pass word 9")
    assert taken["error"]["code"] == "bad_request" and "field 'user'" in taken["error"][
        "message"]
    audit = admin.request("audit_list", key="account.acc-x", what="account")
    assert [e["what"] for e in audit["entries"]] == [
        "account remove", "account password", "account change", "account add"]
    assert all(e["who"] == "admin-t" for e in audit["entries"])
    assert "pass word" not in json.dumps(audit)


def test_settings_set_is_audited(admin: AgentClient, operator: AgentClient) -> None:
    assert operator.request("settings_get")["error"]["code"] == "forbidden"  # system
    got = admin.request("settings_get", key="retention_days")
    assert got["settings"][0]["default"] == "90" and "days" in got["settings"][0]["allowed"]
    old = got["settings"][0]["value"]
    try:
        assert admin.request("settings_set", key="retention_days", value="120")["value"] == "120"
        assert operator.request("settings_set", key="retention_days", value="100")["error"][
            "code"] == "forbidden"
        bad = admin.request("settings_set", key="retention_days", value="0")
        assert bad["error"]["code"] == "bad_request" and "allowed" in bad["error"]["message"]
        assert admin.request("settings_get", key="no.such")["error"]["code"] == "not_found"
        entries = admin.request("audit_list", who="admin-t", key="retention_days")["entries"]
        assert entries[0]["what"] == "setting" and entries[0]["new"] == "120"
        assert admin.request("audit_list", who="nobody-at-all")["total"] == 0
    finally:
        admin.request("settings_set", key="retention_days", value=old)


def test_alerts_list_and_resolve(operator: AgentClient) -> None:
    row = Alert.create(kind="test_alert", pbx_id="main", text="a test alert",
                       detail=json.dumps({"first": 8, "last": 9}), created_at=utc_now())
    listed = operator.request("alerts_list", unresolved_only=True)
    found = next(a for a in listed["alerts"] if a["id"] == row.id)
    assert found["detail"] == {"first": 8, "last": 9} and "resolved_at" not in found
    done = operator.request("alert_resolve", alert=row.id)
    assert done["resolved"] is True and done["resolved_at"].endswith("+00:00")
    assert all(a["id"] != row.id
               for a in operator.request("alerts_list", unresolved_only=True)["alerts"])
    assert operator.request("alert_resolve", alert=999999999)["error"]["code"] == "not_found"


def test_verify_and_archives(operator: AgentClient) -> None:
    verified = operator.request("records_verify")
    assert verified["ok"] and verified["problem_count"] == 0 and verified["problems"] == []
    assert operator.request("records_archives")["archives"] == []


@pytest.mark.parametrize(("number", "seconds", "cost"), [("88315888", 300, "0.44"),
                                                       ("99", 10, "0.00")])
def test_rate(admin: AgentClient, number: str, seconds: int, cost: str) -> None:
    rated = admin.request("rate", number=number, seconds=seconds,
                          start="2024-06-01T09:00:00+08:00")
    assert rated["cost"] == cost and rated["start"] == "2024-06-01T09:00:00+08:00"


def test_an_alert_raised_while_storing_reaches_operators(sim: Simulator,
                                                         operator: AgentClient) -> None:
    """A record no tariff row rates raises an unknown-number alert in the intake's commit;
    operators hear of it at once (the event names the stored alert, which can be resolved)."""
    _call(sim, "005", "99887766", 20)
    alert = operator.wait_event("alert", 15, kind="unknown_number")
    assert "99887766" in alert["text"] and alert["id"] > 0
    listed = operator.request("alerts_list", unresolved_only=True)["alerts"]
    assert alert["id"] in [a["id"] for a in listed]
    assert operator.request("alert_resolve", alert=alert["id"])["ok"]


def test_tariff_versions_and_rerate_in_every_role(console: Callable[..., AgentClient],
                                                  connect: Callable[..., AgentClient],
                                                  account: Callable[..., str]) -> None:
    """tariff_versions is for operators with the system module, tariff_rerate for admins;
    agents and operators without the module get neither."""
    account("agent-rerate")
    agent = connect()
    assert agent.login("agent-rerate", extension="008")["ok"]
    admin = console("admin-roles-rr")
    plain = console("oper-rr", "operator")
    days = {"from": "1990-01-01", "to": "1990-01-02"}
    for action, params in (("tariff_versions", {}), ("tariff_rerate", days)):
        assert agent.request(action, **params)["error"]["code"] == "forbidden"
        refused = plain.request(action, **params)
        assert refused["error"]["code"] == "forbidden", (action, refused)
        # the role is checked first: an operator never gets tariff_rerate
        assert ("console module 'system'" if action == "tariff_versions" else "needs role admin"
                ) in refused["error"]["message"]
        assert admin.request(action, **params)["ok"], action
    set_setting("console.operator_modules", "monitor,records,rooms,system", "test")
    try:
        allowed = console("oper-rr2", "operator")
        assert allowed.request("tariff_versions")["ok"]
        assert allowed.request("tariff_rerate", **days)["error"] == {
            "code": "forbidden", "message": "action 'tariff_rerate' needs role admin"}
    finally:
        set_setting("console.operator_modules", "monitor,records,rooms", "test")


def test_tariff_versions_follow_saves(admin: AgentClient) -> None:
    got = admin.request("tariff_get")
    tariff, before = got["tariff"], got["version"]
    tariff["holidays"] = sorted({*tariff.get("holidays", []), "2031-01-02"})
    saved = admin.request("tariff_save", tariff=tariff)
    listed = admin.request("tariff_versions", limit=1)
    assert listed["total"] >= 1 and len(listed["versions"]) == 1
    newest = listed["versions"][0]
    assert (newest["version"], newest["old_version"], newest["how"], newest["who"]) == (
        saved["version"], before, "save", "admin-t")
    assert newest["saved_at"][10] == "T"
    assert admin.request("tariff_get")["tariff"]["holidays"].count("2031-01-02") == 1
    tariff["holidays"].remove("2031-01-02")
    assert admin.request("tariff_save", tariff=tariff)["version"] == before
    assert admin.request("tariff_versions", limit=1)["versions"][0]["version"] == before


def test_tariff_rerate_applies_a_changed_tariff(sim: Simulator, admin: AgentClient) -> None:
    _call(sim, "006", "88315444", 300)
    stored = admin.wait_event("record_stored", 15, port="006", number="88315444")
    assert stored["cost"] == "0.44"
    day = stored["start"][:10]
    got = admin.request("tariff_get")
    tariff, before = got["tariff"], got["version"]
    old_rows = [dict(r) for r in tariff["rows"]]
    for row in tariff["rows"]:
        if row["prefix"] == "8":
            row["initial_charge"] = "1.22"
    assert admin.request("tariff_save", tariff=tariff)["ok"]
    try:
        done = admin.request("tariff_rerate", timeout=60, **{"from": day, "to": day})
        assert done["ok"], done
        assert done["rated"] >= 1 and done["changed"] >= 1 and done["archived"] == 0
        assert done["tariff_version"] != before
        assert any(e["job"] for e in admin.drain_events() if e.get("event") == "progress")
        rows = admin.request("records_query", port="006", number="88315444")["rows"]
        assert [r["cost"] for r in rows] == ["1.44"]
        audit_rows = admin.request("audit_list", what="rerate", who="admin-t")["entries"]
        assert audit_rows and audit_rows[0]["key"].startswith(day)
    finally:
        tariff["rows"] = old_rows
        assert admin.request("tariff_save", tariff=tariff)["version"] == before
    again = admin.request("tariff_rerate", **{"from": day, "to": day})
    assert again["changed"] >= 1
    assert admin.request("records_query", port="006", number="88315444")["rows"][0][
        "cost"] == "0.44"
    bad = admin.request("tariff_rerate", **{"from": "2024-06-30", "to": "2024-06-01"})
    assert bad["error"] == {"code": "bad_request",
                            "message": "field 'to': must not be before from"}
    bad = admin.request("tariff_rerate", **{"from": "2024-02-30", "to": "2024-03-01"})
    assert bad["error"]["code"] == "bad_request" and "field 'from'" in bad["error"]["message"]


def test_a_cancelled_rerate_changes_nothing(sim: Simulator, admin: AgentClient,
                                            data_dir: Path) -> None:
    """tariff_rerate's cancel: the job's check raises in ``step`` inside the re-rate's
    transaction, so nothing of the range is changed or audited."""
    _call(sim, "007", "88315555", 300)
    stored = admin.wait_event("record_stored", 15, port="007", number="88315555")
    got = admin.request("tariff_get")
    tariff, before = got["tariff"], got["version"]
    old_rows = [dict(r) for r in tariff["rows"]]
    for row in tariff["rows"]:
        if row["prefix"] == "8":
            row["initial_charge"] = "2.22"
    assert admin.request("tariff_save", tariff=tariff)["ok"]
    try:
        zone = ZoneInfo(str(get_setting("timezone")))
        start = datetime.fromisoformat(stored["start"]).astimezone(zone).replace(
            hour=0, minute=0, second=0)
        audits = AuditEntry.select().where(AuditEntry.what == "rerate").count()
        ratings = RatingRow.select().count()
        steps: list[tuple[int, int]] = []

        def step(done: int, total: int) -> None:
            steps.append((done, total))
            raise Cancelled("cancelled: nothing changed")

        with pytest.raises(Cancelled):
            rerate(load_data_tariff(data_dir), start, start + timedelta(days=1), "admin-t",
                   step)
        assert steps and steps[0][0] == 0 and steps[0][1] >= 1
        assert AuditEntry.select().where(AuditEntry.what == "rerate").count() == audits
        assert RatingRow.select().count() == ratings
        rows = admin.request("records_query", port="007", number="88315555")["rows"]
        assert [r["cost"] for r in rows] == ["0.44"]
    finally:
        tariff["rows"] = old_rows
        assert admin.request("tariff_save", tariff=tariff)["version"] == before
