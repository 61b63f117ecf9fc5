"""``callcenter-crm`` customers import/export and calls export as subprocesses on real files:
reports, standard output, errors (exit 2, no traceback), four imports into one shared folder."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl

from callcenter.crm_client.settings import CrmSettings, save_settings
from callcenter.crm_client.store import CallEntry, CrmStore

COMMAND = [sys.executable, "-c",
           "import sys; from callcenter.crm_client.cli import main; sys.exit(main())"]


def crm(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, check=False)


def customers_csv(path: Path, count: int, prefix: str = "客户", pc: int = 0) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["姓名", "手机", "公司", "VIP"])
        for i in range(count):
            writer.writerow([f"{prefix}{i}", f"139{pc:03d}{i:05d}",
                             "赛格科技", "是" if i % 2 else ""])
    return path


def test_import_then_export_as_csv_to_standard_output(tmp_path: Path) -> None:
    data = tmp_path / "data"
    src = customers_csv(tmp_path / "c.csv", 3)
    with src.open("a", encoding="utf-8", newline="") as out:
        out.write("坏的,,,maybe\r\n")
    done = crm("customers", "import", src, "--data", data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "c.csv: 3 customers imported, 1 rows refused",
        "row 5: refused: 重要客户 (vip): 'maybe' is not yes or no (是/否, yes/no, y/n, 1/0, "
        "true/false)"]
    exported = crm("--data", data, "customers", "export")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert rows[0][:5] == ["客户名称", "分机号码", "邮箱", "电话号码", "手机"]
    assert [r[0] for r in rows[1:]] == ["客户0", "客户1", "客户2"]
    assert [r[14] for r in rows[1:]] == ["否", "是", "否"]


def test_exports_to_xlsx_files_and_the_call_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert crm("customers", "import", customers_csv(tmp_path / "c.csv", 2),
               "--data", data).returncode == 0
    store = CrmStore.open(data)
    store.log_call(CallEntry(key="k1", time=datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
                             number="13900000001", name="客户1", extension="003"))
    store.close()
    done = crm("customers", "export", "--out", tmp_path / "c.xlsx", "--data", data)
    assert done.returncode == 0, done.stderr
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx").worksheets[0]
    assert [c.value for c in sheet["A"]] == ["客户名称", "客户0", "客户1"]
    calls = crm("calls", "export", "--data", data)
    assert calls.returncode == 0, calls.stderr
    assert calls.stdout.splitlines()[1] == (
        "1,13900000001,客户1,,003,2026-12-03 08:00:00+00:00,呼入,否,0,,k1")
    done = crm("calls", "export", "--format", "xlsx", "--out", tmp_path / "calls.xlsx",
               "--data", data)
    assert done.returncode == 0 and "1 calls written" in done.stderr
    assert openpyxl.load_workbook(tmp_path / "calls.xlsx").worksheets[0]["C2"].value == "客户1"


def test_map_and_the_saved_shared_folder(tmp_path: Path) -> None:
    data, shared = tmp_path / "data", tmp_path / "share"
    shared.mkdir()
    save_settings(data, CrmSettings(shared_folder=str(shared)))
    src = tmp_path / "c.csv"
    src.write_text("Kunde,座机\nMüller,83988807\n", encoding="utf-8")
    done = crm("customers", "import", src, "--map", "Kunde=name", "--data", data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["c.csv: 1 customers imported, 0 rows refused"]
    store = CrmStore.open(tmp_path / "elsewhere", shared)  # it went to the shared file
    found = store.find_by_number("83988807")
    assert found is not None and found.name == "Müller"
    store.close()


def test_mistakes_exit_2_with_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    good = customers_csv(tmp_path / "c.csv", 1)
    cases = [
        (("customers", "import", tmp_path / "nope.csv"), "nope.csv: no such file"),
        (("customers", "import", good, "--map", "X=nonsense"), "'nonsense' (for 'X') is not"),
        (("customers", "import", good, "--map", "Kunde=name"), "'Kunde' is not a header"),
        (("customers", "import", good, "--shared", tmp_path / "gone"),
         "cannot be reached"),
        (("customers", "export", "--format", "xlsx"), "--format xlsx needs --out"),
        (("calls", "export", "--out", tmp_path / "no" / "dir.csv"), "does not exist"),
    ]
    for args, message in cases:
        done = crm(*args, "--data", data)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "gone").exists()


def test_without_a_command_the_window_flags_are_checked(tmp_path: Path) -> None:
    helped = crm("--help")
    assert helped.returncode == 0
    for flag in ("--server", "--extension", "--user", "--data", "--shared", "customers"):
        assert flag in helped.stdout
    done = crm("--extension", "12", "--data", tmp_path)
    assert done.returncode == 2
    assert "--extension '12'" in done.stderr and "Traceback" not in done.stderr


def test_four_imports_into_one_shared_folder_at_once_keep_every_row(tmp_path: Path) -> None:
    shared = tmp_path / "share"
    shared.mkdir()
    files = [customers_csv(tmp_path / f"pc{i}.csv", 500, f"PC{i}-", i) for i in range(4)]
    procs = [subprocess.Popen([*COMMAND, "customers", "import", str(f), "--shared", str(shared),
                               "--data", str(tmp_path / f"pc{i}")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              encoding="utf-8")
             for i, f in enumerate(files)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "500 customers imported, 0 rows refused" in out
    store = CrmStore.open(tmp_path / "reader", shared)
    assert store.count_customers() == 2000
    assert {store.count_customers(f"pc{i}-") for i in range(4)} == {500}
    last = store.find_by_number("+86 139 0030 0499")
    assert last is not None and last.name == "PC3-499"
    store.close()


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = CrmStore.open(data)
    store.log_call(CallEntry(key="m/1", time=datetime(2026, 12, 3, 9, 15, tzinfo=UTC),
                             number="01082895782", extension="011"))
    store.close()
    run = subprocess.run([sys.executable, "-m", "callcenter.crm_client", "calls", "export",
                          "--data", str(data)], capture_output=True, text=True,
                         encoding="utf-8", timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "01082895782" in run.stdout
    helped = subprocess.run([sys.executable, "-m", "callcenter.crm_client", "--help"],
                            capture_output=True, text=True, encoding="utf-8", timeout=60,
                            check=False)
    assert helped.returncode == 0 and "callcenter-crm" in helped.stdout
    wrong = subprocess.run([sys.executable, "-m", "callcenter.crm_client", "customers",
                            "import", str(tmp_path / "missing.csv"), "--data", str(data)],
                           capture_output=True, text=True, encoding="utf-8", timeout=60,
                           check=False)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


def test_an_export_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``callcenter-crm customers export | head -0``: exit 141 as SIGPIPE would, no "Broken
    pipe" and no "Exception ignored" from the flush at exit."""
    data = tmp_path / "data"
    assert crm("customers", "import", customers_csv(tmp_path / "c.csv", 50), "--data",
               data).returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([*COMMAND, "--data", str(data), "customers", "export"],
                              stdout=write_end, stderr=subprocess.PIPE, check=False, timeout=60)
    finally:
        os.close(write_end)
    assert done.stderr == b"" and done.returncode == 141, done.stderr
