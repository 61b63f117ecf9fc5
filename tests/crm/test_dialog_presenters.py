"""The CRM dialogs' models without Tk: the customer form's rules, the manager's pages and
import/export on a real SQLite store, the messages' recipients and history, the settings
form and its local users, the phone-book entry and the monitor icon."""

from __future__ import annotations

import csv
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from callcenter.crm_client.app.messages import Message
from callcenter.crm_client.gui import (
    customer_model,
    customers_model,
    entry_models,
    messages_model,
    settings_model,
)
from callcenter.crm_client.gui.page_dialog import page_target
from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.settings import CrmSettings
from callcenter.crm_client.store import (
    CrmStore,
    Customer,
    MessageEntry,
    MonitorIcon,
    PhonebookEntry,
    StoreError,
)

ZH, EN = Catalogue("zh"), Catalogue("en")


def filled(**values: object) -> dict[str, customer_model.FormValue]:
    form = customer_model.form_values(Customer())
    form.update(values)  # type: ignore[arg-type]
    return form


# ---------------------------------------------------------------------- customer form
def test_every_customer_field_is_on_one_tab_of_the_form() -> None:
    names = {f.name for f in dataclasses.fields(Customer)} - {"id", "version"}
    assert {f.name for f in customer_model.FIELDS} == names
    assert {f.tab for f in customer_model.FIELDS} == {"basic", "detail"}
    for field in customer_model.FIELDS:  # every label exists in both languages
        assert ZH.text(field.label_key) and EN.text(field.label_key)
    assert ZH.text("customer.phones") == "电话号码(多个号码用逗号分隔)"


def test_read_customer_takes_the_manuals_example() -> None:
    base = Customer(id=7, version=3)
    result = customer_model.read_customer(filled(
        name=" 杨庆丰 ", extension="128", email="yangqf@cesllr.com",
        phones="13509636630,83988807", mobile="13509636630", fax="83568607",
        position="总经理", kind="合群商", customer_no="002", company="赛格科技",
        handler="001", department="技术服务部", notes="软件确认内容", vip=True), base)
    assert isinstance(result, Customer)
    assert (result.id, result.version) == (7, 3)
    assert result.name == "杨庆丰"
    assert result.phones == ("13509636630", "83988807")
    assert result.vip and not result.blacklist and result.blacklist_reason == ""
    assert customer_model.form_values(result)["phones"] == "13509636630,83988807"
    assert not customer_model.changed(customer_model.form_values(result), result)
    assert customer_model.changed(filled(name="x"), result)


def test_read_customer_names_each_wrong_field_and_what_is_allowed() -> None:
    result = customer_model.read_customer(filled(
        name="", phones="12a", mobile="", email="not-an-address", extension="12-3",
        blacklist=True, blacklist_reason=" ", address="x" * 1001), Customer())
    assert isinstance(result, list)
    texts = [p.text(ZH) for p in result]
    assert any(t.startswith("地址：最多 1000 个字符") for t in texts)
    assert any(t.startswith("电话号码(多个号码用逗号分隔)：“12a”不是电话号码") for t in texts)
    assert any(t.startswith("分机号码：“12-3”") for t in texts)
    assert any(t.startswith("邮箱：“not-an-address”") for t in texts)
    assert "原因：列入黑名单时请填写原因" in texts
    english = [p.text(EN) for p in result]
    assert any(t.startswith("E-mail: “not-an-address” is not an e-mail address") for t in english)
    empty = customer_model.read_customer(filled(), Customer())
    assert isinstance(empty, list) and empty[0].field == "name"


def test_a_form_the_form_accepts_is_one_the_store_saves(crm_store: CrmStore) -> None:
    result = customer_model.read_customer(filled(
        name="王五", phones="+86 138-0013-8000；010-82895782", blacklist=True,
        blacklist_reason="恶意骚扰"), Customer())
    assert isinstance(result, Customer)
    saved = crm_store.save_customer(result)
    assert crm_store.find_by_number("013800138000") == saved
    assert saved.blacklist_reason == "恶意骚扰"


# ---------------------------------------------------------------------- the manager's pages
def many(store: CrmStore, count: int) -> None:
    for n in range(count):
        store.save_customer(Customer(name=f"客户{n:03d}", company="赛格科技" if n % 2 else "唐信",
                                     phones=(f"0755{n:07d}",), vip=n == 5))


def test_load_page_gives_one_page_and_the_count(crm_store: CrmStore) -> None:
    many(crm_store, 120)
    first = customers_model.load_page(crm_store, "", 0, page_size=50)
    assert (first.total, first.pages, len(first.rows)) == (120, 3, 50)
    assert first.has_next and not first.has_previous
    last = customers_model.load_page(crm_store, "", 99, page_size=50)  # past the end
    assert (last.page, len(last.rows)) == (2, 20)
    assert not last.has_next
    found = customers_model.load_page(crm_store, "赛格", 0, page_size=50)
    assert found.total == 60
    by_number = customers_model.load_page(crm_store, "+86 755 0000005", 0)
    assert [c.name for c in by_number.rows] == ["客户005"]
    assert customers_model.row_values(by_number.rows[0], ZH) == (
        "客户005", "赛格科技", "07550000005", "", "", "重要")
    empty = customers_model.load_page(crm_store, "nobody", 0)
    assert (empty.total, empty.pages, empty.rows) == (0, 1, ())


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_import_job_reports_taken_and_refused_rows(crm_store: CrmStore,
                                                   tmp_path: Path) -> None:
    path = write_csv(tmp_path / "customers.csv", [
        ["姓名", "电话", "公司", "VIP"],
        ["张三", "13800138000", "赛格科技", "是"],
        ["李四", "not a number", "唐信", ""],
        ["王五", "010-82895782", "", ""],
    ])
    job = customers_model.ImportJob(crm_store, path)
    report = job.run()
    assert report.taken == 2 and job.done == 2
    lines = customers_model.report_lines(report, ZH)
    assert lines[0] == "导入 2 个客户，拒绝 1 行"
    assert lines[1].startswith("第 3 行：")
    assert crm_store.count_customers() == 2


def test_a_cancelled_import_imports_nothing(crm_store: CrmStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", [["name", "phone"]] + [
        [f"c{n}", f"139{n:08d}"] for n in range(2500)])
    job = customers_model.ImportJob(crm_store, path)
    job.cancel()
    with pytest.raises(StoreError):
        job.run()
    assert job.cancelled
    assert crm_store.count_customers() == 0


def test_export_by_the_files_suffix(crm_store: CrmStore, tmp_path: Path) -> None:
    many(crm_store, 3)
    assert customers_model.export_customers(crm_store, tmp_path / "out.csv") == 3
    assert "客户001" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert customers_model.export_customers(crm_store, tmp_path / "out.XLSX") == 3
    assert customers_model.file_format(tmp_path / "x.txt") is None
    with pytest.raises(ValueError):
        customers_model.export_customers(crm_store, tmp_path / "out.txt")


# ---------------------------------------------------------------------- messages
def test_recipients_all_first_then_online_then_offline_without_me() -> None:
    accounts = [{"user": "zoe", "extension": "003", "online": False},
                {"user": "me", "extension": "001", "online": True},
                {"user": "bob", "extension": "", "online": True},
                {"user": "amy", "extension": "002", "online": False}]
    people = messages_model.recipients(accounts, me="me")
    assert [p.user for p in people] == ["ALL", "bob", "amy", "zoe"]
    assert people[0].label(ZH) == "ALL（所有用户）"
    assert people[1].label(ZH) == "bob  ● 在线"
    assert people[2].label(EN) == "amy (002)  ○ offline"


def test_history_merges_hub_and_local_once_oldest_first() -> None:
    t0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    hub = [Message("hub:2", t0 + timedelta(minutes=1), "bob", "me", "二"),
           Message("hub:1", t0, "me", "bob", "一", offline=True)]
    local = [MessageEntry("hub:1", t0, "me", "bob", "一"),
             MessageEntry("x", t0 + timedelta(minutes=1), "bob", "me", "二"),
             MessageEntry("hub:3", t0 + timedelta(minutes=2), "amy", "ALL", "三")]
    lines = messages_model.merge([messages_model.line(m) for m in hub],
                                 [messages_model.line(e) for e in local])
    assert [ln.text for ln in lines] == ["一", "二", "三"]
    assert lines[0].offline
    assert "（离线留言）" in lines[0].heading(ZH)


def test_send_problem_names_the_field() -> None:
    known = ["bob"]
    assert messages_model.send_problem("", "hi", known) == ("msg.need_to", {})
    assert messages_model.send_problem("eve", "hi", known) == ("msg.unknown_to", {"to": "eve"})
    assert messages_model.send_problem("bob", "  ", known) == ("msg.need_text", {})
    assert messages_model.send_problem("ALL", "x" * 2001, known) == (
        "msg.too_long", {"limit": 2000, "length": 2001})
    assert messages_model.send_problem("ALL", "午饭到了", known) is None
    assert ZH.text("msg.unknown_to", to="eve").startswith("用户：")


# ---------------------------------------------------------------------- settings
def test_read_settings_names_bad_fields_and_keeps_the_rest(tmp_path: Path) -> None:
    base = CrmSettings(language="en", pop_on_top=False)
    values = settings_model.form_values(base)
    values.update(extension="000", server_host="bad host!", server_port="0",
                  trust=str(tmp_path / "missing.pem"), device="fax", mode="network",
                  shared_folder=str(tmp_path / "nowhere"), user="two words")
    problems = settings_model.read_settings(values, base)
    assert isinstance(problems, list)
    assert [p.field for p in problems] == ["extension", "server_host", "server_port", "trust",
                                           "user", "device", "shared_folder"]
    assert problems[0].text(ZH).startswith("分机端口：“000”")
    values = settings_model.form_values(base)
    values.update(extension="001", server_host="192.168.1.122", server_port="7600",
                  device="proprietary", mode="network", shared_folder=str(tmp_path))
    new = settings_model.read_settings(values, base)
    assert isinstance(new, CrmSettings)
    assert (new.extension, new.server_host, new.device, new.shared_folder) == (
        "001", "192.168.1.122", "proprietary", str(tmp_path))
    assert new.pop_on_top is False  # a field the dialog does not show is kept
    values["mode"] = "standalone"
    assert settings_model.read_settings(values, base).shared_folder == ""  # type: ignore[union-attr]
    for host in ("192.168.1.122", "pbx.example.com", "::1", "localhost"):
        assert settings_model.host_ok(host), host
    for host in ("999.1.1.1", "a b", "-x.com"):
        assert not settings_model.host_ok(host), host


def test_read_settings_takes_the_outside_line_prefix_or_names_it(tmp_path: Path) -> None:
    base = CrmSettings(extension="001", server_host="192.168.1.122")
    values = settings_model.form_values(base)
    assert values["outside_prefix"] == "9"
    for bad in ("12345", "9a", "+"):
        values["outside_prefix"] = bad
        problems = settings_model.read_settings(values, base)
        assert isinstance(problems, list) and [p.field for p in problems] == ["outside_prefix"]
        assert problems[0].text(ZH).startswith(f"外线字冠：“{bad}”")
    for good in ("", "0", "*9#"):
        values["outside_prefix"] = good
        new = settings_model.read_settings(values, base)
        assert isinstance(new, CrmSettings) and new.outside_prefix == good


def test_password_protection_and_local_users() -> None:
    values = settings_model.form_values(CrmSettings())
    values["password_protection"] = True
    protected = settings_model.read_settings(values, CrmSettings())
    assert isinstance(protected, CrmSettings)
    admin = protected.local_user("admin")
    assert admin is not None and admin.must_change
    refused = settings_model.save_local_user(protected, "admin", "admin", "admin", ["settings"])
    assert isinstance(refused, list) and refused[0].key == "perm.problem.initial"
    changed = settings_model.save_local_user(protected, "admin", "new-pass", "new-pass",
                                             ["settings", "customers"])
    assert isinstance(changed, CrmSettings)
    assert changed.authenticate("admin", "new-pass") is not None
    assert not changed.local_user("admin").must_change  # type: ignore[union-attr]
    clerk = settings_model.save_local_user(changed, "clerk", "", "", ["customers"])
    assert isinstance(clerk, list) and clerk[0].key == "perm.problem.need_password"
    lonely = settings_model.delete_local_user(changed, "admin")
    assert isinstance(lonely, list) and lonely[0].key == "perm.problem.last_admin"


# ---------------------------------------------------------------------- small forms
def test_phonebook_entry_rules() -> None:
    base = PhonebookEntry(id=4, book="company")
    entry = entry_models.read_phonebook_entry(
        {"book": "customer", "name": " 赛格 ", "number": "0755-26515007", "company": "",
         "notes": ""}, base)
    assert entry == PhonebookEntry(4, "customer", "赛格", "0755-26515007", "", "")
    problems = entry_models.read_phonebook_entry(
        {"book": "friends", "name": "x" * 101, "number": "abc"}, base)
    assert isinstance(problems, list)
    assert [p.field for p in problems] == ["book", "number", "name"]
    assert problems[2].text(ZH) == "名称：最多 100 个字符"


def test_monitor_icon_rules() -> None:
    icon = MonitorIcon("003", "前台", 40, 80)
    moved = entry_models.read_icon({"port": "005", "label": "财务"}, icon, taken_ports=["004"])
    assert moved == MonitorIcon("005", "财务", 40, 80)
    same = entry_models.read_icon({"port": "003", "label": ""}, icon, taken_ports=["003"])
    assert same == MonitorIcon("003", "", 40, 80)
    taken = entry_models.read_icon({"port": "004", "label": ""}, icon, taken_ports=["004"])
    assert isinstance(taken, list) and taken[0].text(ZH) == "分机端口：分机 004 已有监控图标"
    bad = entry_models.read_icon({"port": "4", "label": "x" * 21}, icon)
    assert isinstance(bad, list) and [p.field for p in bad] == ["port", "label"]


def test_page_target_all_a_port_or_a_known_number() -> None:
    numbers = {"8005": "005", "8012": "012"}
    assert page_target("", numbers) == "" and page_target("  ", numbers) == ""
    assert page_target("007", numbers) == "007"
    assert page_target(" 8012 ", numbers) == "012"
    for bad in ("000", "8099", "12ab", "0005"):
        with pytest.raises(ValueError, match=r"page\.bad_target"):
            page_target(bad, numbers)
    assert ZH.text("page.bad_target", value="8099").startswith("传呼分机：“8099”")
