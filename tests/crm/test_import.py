"""Customer import and export (store.importer, store.exporter) on real CSV/XLSX files and a real
SQLite store: header recognition, encodings, --map, refused rows, all or nothing, round trips."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from callcenter.crm_client.store import CallEntry, CrmStore, Customer, StoreError
from callcenter.crm_client.store.exporter import export_calls, export_customers
from callcenter.crm_client.store.importer import (
    ImportError_,
    import_customers,
    parse_mapping,
    read_rows,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CrmStore]:
    s = CrmStore.open(tmp_path / "data")
    yield s
    s.close()


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig",
              sep: str = ",") -> Path:
    text = io.StringIO()
    csv.writer(text, delimiter=sep).writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


CHINESE = [["姓名", "电话", "手机", "公司", "部门", "邮箱", "VIP", "黑名单", "原因", "备注"],
           ["杨庆丰", "13509636630,83988807", "13509636630", "赛格科技", "技术服务部",
            "yangqf@cesllr.com", "是", "否", "", "软件确认内容"],
           ["张三", "010-82895782", "", "唐信", "", "", "", "是", "欠费", ""]]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_chinese_headers_in_every_encoding_excel_writes(store: CrmStore, tmp_path: Path,
                                                        encoding: str) -> None:
    report = import_customers(store, write_csv(tmp_path / "c.csv", CHINESE, encoding))
    assert (report.taken, report.refused, report.ignored) == (2, [], [])
    yang = store.find_by_number("83988807")
    assert yang is not None
    assert (yang.name, yang.phones, yang.mobile, yang.company, yang.department, yang.email,
            yang.vip, yang.blacklist, yang.notes) == (
        "杨庆丰", ("13509636630", "83988807"), "13509636630", "赛格科技", "技术服务部",
        "yangqf@cesllr.com", True, False, "软件确认内容")
    zhang = store.find_by_number("+86 10 8289 5782")
    assert zhang is not None and zhang.blacklist and zhang.blacklist_reason == "欠费"


def test_english_headers_any_case_semicolons_and_the_manuals_labels(store: CrmStore,
                                                                     tmp_path: Path) -> None:
    rows = [["NAME", "Phone", "MOBILE", "company", "Department", "E-Mail", "vip", "BlackList",
             "Notes", "客户编号", "客户职位", "传真", "Customer_No2"],
            ["Alice", "+86 755 2651 5007", "13800138000", "ACME", "Sales", "a@acme.cn", "yes",
             "no", "hello", "007", "经理", "83568607", "x"]]
    report = import_customers(store, write_csv(tmp_path / "c.csv", rows, sep=";"))
    assert report.taken == 1 and report.ignored == ["Customer_No2"]
    [alice] = store.search_customers("alice")
    assert (alice.phones, alice.vip, alice.customer_no, alice.position, alice.fax) == (
        ("+86 755 2651 5007",), True, "007", "经理", "83568607")


def test_map_names_the_field_of_other_headers(store: CrmStore, tmp_path: Path) -> None:
    rows = [["Kunde", "座机", "座机2", "Firma"], ["Müller", "83988807", "83988808", "GmbH"]]
    mapping = parse_mapping("Kunde=name, 座机2=phones,Firma=公司名称")
    report = import_customers(store, write_csv(tmp_path / "c.csv", rows), mapping)
    assert report.taken == 1
    assert report.columns == {"Kunde": "name", "座机": "phones", "座机2": "phones",
                              "Firma": "company"}
    [c] = store.search_customers("")
    assert (c.name, c.phones, c.company) == ("Müller", ("83988807", "83988808"), "GmbH")


@pytest.mark.parametrize(("text", "message"), [
    ("Kunde=nom", "'nom' (for 'Kunde') is not a customer field"),
    ("Kunde", "is not HEADER=field"),
])
def test_a_bad_mapping_is_refused(text: str, message: str) -> None:
    with pytest.raises(ImportError_, match=re.escape(message)):
        parse_mapping(text)


def test_a_mapped_header_missing_from_the_file_is_an_error(store: CrmStore,
                                                           tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", CHINESE)
    with pytest.raises(ImportError_, match=r"'Kunde' is not a header of c\.csv"):
        import_customers(store, path, {"Kunde": "name"})
    assert store.count_customers() == 0


def test_refused_rows_are_reported_with_their_row_and_reason(store: CrmStore,
                                                             tmp_path: Path) -> None:
    rows = [["姓名", "电话", "邮箱", "VIP"],
            ["好", "13800138000", "", ""],
            ["坏邮箱", "", "no-at-sign", ""],
            ["", "", "", ""],
            ["坏VIP", "", "", "maybe"],
            ["", "", "", "是"],
            ["坏电话", "n/a", "", ""],
            ["也好", "", "", "1"]]
    report = import_customers(store, write_csv(tmp_path / "c.csv", rows))
    assert report.taken == 2
    assert [(n, reason.split(":")[0]) for n, reason in report.refused] == [
        (3, "邮箱 (email)"), (5, "重要客户 (vip)"), (6, "客户名称 (name)"),
        (7, "电话号码 (phones)")]
    assert sorted(c.name for c in store.search_customers("")) == ["也好", "好"]


def test_an_import_is_all_or_nothing(store: CrmStore, tmp_path: Path) -> None:
    rows = [["姓名", "手机"], *[[f"客户{i}", f"139{i:08d}"] for i in range(5000)]]
    path = write_csv(tmp_path / "c.csv", rows)
    seen: list[int] = []

    def cancel_half_way() -> bool:
        return len(seen) > 0

    with pytest.raises(StoreError, match="cancelled: nothing was imported"):
        import_customers(store, path, progress=seen.append, cancelled=cancel_half_way)
    assert seen and store.count_customers() == 0
    assert import_customers(store, path).taken == 5000
    assert store.count_customers() == 5000
    assert store.find_by_number("013900004999") is not None


def test_xlsx_with_numeric_cells(store: CrmStore, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户名称", "手机", "电话号码", "重要客户", "分机号码"])
    sheet.append(["杨庆丰", 13509636630, 83988807.0, True, 128])
    sheet.append([None, None, None, None, None])
    sheet.append(["李四", "13800138000", None, None, None])
    book.save(tmp_path / "c.xlsx")
    report = import_customers(store, tmp_path / "c.xlsx")
    assert report.taken == 2 and report.refused == []
    c = store.find_by_number("83988807")
    assert c is not None and (c.mobile, c.vip, c.extension) == ("13509636630", True, "128")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("c.doc", b"x", "allowed: .csv, .txt, .xlsx"),
    ("missing.csv", None, "no such file"),
    ("bad.xlsx", b"not a zip", "not a valid XLSX"),
    ("empty.csv", b"", "empty"),
    ("nothing.csv", b"Foo,Bar\n1,2\n", "no column for the name or a phone number"),
    ("binary.csv", bytes(range(128, 256)) * 3, "not UTF-8 nor GBK"),
])
def test_a_file_that_cannot_be_imported_is_a_clear_error(store: CrmStore, tmp_path: Path,
                                                         name: str, content: bytes | None,
                                                         message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportError_, match=message):
        import_customers(store, path)
    assert store.count_customers() == 0


def test_two_columns_for_one_field_need_a_map(store: CrmStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["姓名", "Name"], ["a", "b"]])
    with pytest.raises(ImportError_, match="are both 客户名称"):
        import_customers(store, path)


def test_exported_customers_import_again_unchanged(store: CrmStore, tmp_path: Path) -> None:
    import_customers(store, write_csv(tmp_path / "c.csv", CHINESE))
    store.save_customer(Customer(name="全字段", extension="128", email="a@b.cn",
                                 phones=("83988807", "010-82895782"), mobile="13509636630",
                                 fax="83568607", position="总经理", kind="合群商",
                                 customer_no="002", company="赛格科技", address="深圳",
                                 handler="001", department="技术服务部", notes="多行\n备注",
                                 vip=True, blacklist=True, blacklist_reason="原因,带逗号"))
    before = [(c.name, c) for c in store.search_customers("")]
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"out.{fmt}"
        assert export_customers(store, out, fmt) == 3
        other = CrmStore.open(tmp_path / f"other-{fmt}")
        report = import_customers(other, out)
        assert report.taken == 3 and report.refused == [] and report.ignored == []
        after = [(c.name, c) for c in other.search_customers("")]
        assert [(n, c.__class__(**{**c.__dict__, "id": 0, "version": 0})) for n, c in after] == [
            (n, c.__class__(**{**c.__dict__, "id": 0, "version": 0})) for n, c in before]
        other.close()
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_calls_export_newest_first_with_local_times(store: CrmStore, tmp_path: Path) -> None:
    beijing = timezone(timedelta(hours=8))
    store.log_call(CallEntry(key="a", time=datetime(2008, 5, 4, 16, 20, 0, tzinfo=beijing),
                             number="08515829398", description="回叫01082895782",
                             extension="003"))
    store.log_call(CallEntry(key="b", time=datetime(2008, 5, 4, 16, 54, 30, tzinfo=beijing),
                             number="01082895782", name="杨庆丰", answered=True, duration=61,
                             extension="003", user="agent1"))
    text = io.StringIO()
    assert export_calls(store, text, "csv") == 2
    lines = text.getvalue().splitlines()
    assert lines[0].startswith("序号,来电号码,客户名称,描述,座席,来电时间")
    assert lines[1] == "2,01082895782,杨庆丰,,003,2008-05-04 16:54:30+08:00,呼入,是,61,agent1,b"
    assert lines[2].startswith("1,08515829398,,回叫01082895782,003,2008-05-04 16:20:00+08:00")
    export_calls(store, tmp_path / "calls.xlsx", "xlsx")
    rows = list(read_rows(tmp_path / "calls.xlsx"))
    assert rows[1][:3] == ["2", "01082895782", "杨庆丰"]


def test_an_xlsx_written_by_another_program_inline_texts_gaps_and_booleans(
        store: CrmStore, tmp_path: Path) -> None:
    """A workbook as other spreadsheet programs write it: inline texts, rows and cells left
    out, a boolean, a number in exponent form, a sheet not named sheet1.xml."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData>"
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Name</t></is></c>'
        '<c r="C2" t="inlineStr"><is><t>Mobile</t></is></c>'
        '<c r="D2" t="inlineStr"><is><t>VIP</t></is></c></row>'
        '<row r="3"><c r="A3" t="s"><v>0</v></c><c r="C3"><v>1.3800138E10</v></c>'
        '<c r="D3" t="b"><v>1</v></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>R&amp;D 李</t></is></c>'
        '<c r="D5" t="inlineStr"><is><t>perhaps</t></is></c></row>'
        "</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.'
                               'openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats'
                           '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats'
                           '.org/officeDocument/2006/relationships"><sheets><sheet name="客户" '
                           'sheetId="1" r:id="rId7"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas'
                                      '.openxmlformats.org/package/2006/relationships">'
                                      '<Relationship Id="rId7" Type="worksheet" '
                                      'Target="worksheets/customers.xml"/></Relationships>',
        "xl/sharedStrings.xml": '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats'
                                '.org/spreadsheetml/2006/main"><si><r><t>王</t></r><r><t>五'
                                "</t></r></si></sst>",
        "xl/worksheets/customers.xml": sheet,
    }
    with zipfile.ZipFile(tmp_path / "other.xlsx", "w") as book:
        for name, text in parts.items():
            book.writestr(name, text)
    assert list(read_rows(tmp_path / "other.xlsx")) == [
        [], ["Name", "", "Mobile", "VIP"], ["王五", "", "13800138000", "是"], [],
        ["R&D 李", "", "", "perhaps"]]
    report = import_customers(store, tmp_path / "other.xlsx")
    assert report.taken == 1
    assert report.refused == [(5, "重要客户 (vip): 'perhaps' is not yes or no (是/否, yes/no, "
                                  "y/n, 1/0, true/false)")]
    c = store.find_by_number("13800138000")
    assert c is not None and c.name == "王五" and c.vip


def test_an_xlsx_with_prefixed_tags_and_rich_text(tmp_path: Path) -> None:
    """Some libraries write every tag with a prefix (x:row, x:c); rich text comes in runs."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = (f'<?xml version="1.0"?><x:worksheet xmlns:x="{main}"><x:dimension ref="A1:B2"/>'
             '<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>姓名</x:t></x:is>'
             '</x:c><x:c r="B1" t="inlineStr"><x:is><x:t>电话</x:t></x:is></x:c></x:row>'
             '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:r><x:t>杨</x:t></x:r><x:r><x:t>'
             '庆丰</x:t></x:r></x:is></x:c><x:c r="B2"><x:v>83988807</x:v></x:c></x:row>'
             '</x:sheetData><x:pageMargins left="0.7"/></x:worksheet>')
    with zipfile.ZipFile(tmp_path / "prefixed.xlsx", "w") as book:
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        book.writestr("xl/workbook.xml", f'<x:workbook xmlns:x="{main}"/>')
    assert list(read_rows(tmp_path / "prefixed.xlsx")) == [["姓名", "电话"], ["杨庆丰", "83988807"]]
    with zipfile.ZipFile(tmp_path / "empty.xlsx", "w") as book:
        book.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{main}"><sheetData/>'
                                                  "</worksheet>")
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{main}"/>')
    assert list(read_rows(tmp_path / "empty.xlsx")) == []


def test_a_bulk_insert_run_again_after_its_commit_inserts_nothing(store: CrmStore) -> None:
    """The importer's transaction retried after a commit that did go through (an error
    reported after it): its rows are found by their uuids and not inserted twice."""
    from callcenter.crm_client.store.bulk import insert_all
    from callcenter.crm_client.store.records import check_customer

    rows = [(c, check_customer(c)) for c in (Customer(name="甲", mobile="13800000001"),
                                               Customer(name="乙", mobile="13800000002"))]
    db = store._share.db  # the gateway's database: the same transaction the store runs
    for _ in range(2):
        with db.atomic("IMMEDIATE"):
            assert insert_all(db, rows, "batch-1") == 2
    assert store.count_customers() == 2
    assert store.find_by_number("013800000002") is not None
