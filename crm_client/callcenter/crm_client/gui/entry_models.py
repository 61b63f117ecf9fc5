"""The two small forms of the information area without Tk (C-8, manual 2-8): a phone-book
entry (电话簿: 常用电话 / 公司电话 / 客户电话) and an extension monitor icon (分机监控 新建/属性:
port and label).  Each ``read_*`` gives the new value or the problems naming the field."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from callcenter.crm_client.gui import strings
from callcenter.crm_client.phone import normalise_number
from callcenter.crm_client.store import MonitorIcon, PhonebookEntry

strings.add_texts({
    "entry.title_new": ("新建电话", "New number"),
    "entry.title_edit": ("编辑电话", "Edit number"),
    "entry.book": ("电话簿", "Phone book"),
    "entry.name": ("名称", "Name"),
    "entry.number": ("号码", "Number"),
    "entry.company": ("公司", "Company"),
    "entry.notes": ("备注", "Notes"),
    "entry.problem.book": ("电话簿：只能是常用电话、公司电话或客户电话",
                           "Phone book: common, company or customer numbers"),
    "entry.problem.need_number": ("号码：请输入号码", "Number: enter the number"),
    "entry.problem.number": ("号码：“{value}”不是电话号码（数字、+、-、空格、括号、* 和 #，"
                             "至少 3 位数字）",
                             "Number: “{value}” is not a phone number (digits, +, -, spaces, "
                             "brackets, * and #; at least 3 digits)"),
    "entry.problem.too_long": ("{field}：最多 {limit} 个字符", "{field}: at most {limit} "
                               "characters"),
    "icon.title_new": ("新建分机监控", "New extension icon"),
    "icon.title_edit": ("分机监控属性", "Extension icon properties"),
    "icon.port": ("分机端口", "Extension port"),
    "icon.label": ("显示名称", "Label"),
    "icon.problem.port": ("分机端口：“{value}”不是分机端口（3 位数字 001-999）",
                          "Extension port: “{value}” is not a port (3 digits 001-999)"),
    "icon.problem.taken": ("分机端口：分机 {value} 已有监控图标", "Extension port: extension "
                           "{value} has an icon already"),
    "icon.problem.label": ("显示名称：最多 {limit} 个字符", "Label: at most {limit} characters"),
})

BOOKS: Final = ("common", "company", "customer")
LIMITS: Final = {"name": 100, "number": 40, "company": 200, "notes": 500}
LABEL_LIMIT: Final = 20
_NUMBER_CHARS = re.compile(r"^[0-9+\-\s()*#]+$")
_PORT = re.compile(r"^(?!000)[0-9]{3}$")


@dataclass(frozen=True)
class Problem:
    """The field to mark and its catalogue text (``fields`` fill it)."""

    field: str
    key: str
    fields: tuple[tuple[str, object], ...] = ()

    def text(self, catalogue: strings.Catalogue) -> str:
        fields = dict(self.fields)
        if "field" in fields:  # a label's key
            fields["field"] = catalogue.text(str(fields["field"]))
        return catalogue.text(self.key, **fields)


def read_phonebook_entry(values: Mapping[str, str],
                         base: PhonebookEntry) -> PhonebookEntry | list[Problem]:
    """The entry typed in the dialog (``base``'s id kept) or its problems."""
    texts = {name: str(values.get(name, "")).strip() for name in ("book", *LIMITS)}
    problems: list[Problem] = []
    if texts["book"] not in BOOKS:
        problems.append(Problem("book", "entry.problem.book"))
    number = texts["number"]
    if not number:
        problems.append(Problem("number", "entry.problem.need_number"))
    elif not _NUMBER_CHARS.match(number) or len(normalise_number(number)) < 3:
        problems.append(Problem("number", "entry.problem.number", (("value", number),)))
    for name, limit in LIMITS.items():
        if len(texts[name]) > limit:
            problems.append(Problem(name, "entry.problem.too_long",
                                    (("field", f"entry.{name}"), ("limit", limit))))
    if problems:
        return problems
    return dataclasses.replace(base, book=texts["book"], name=texts["name"], number=number,
                               company=texts["company"], notes=texts["notes"])


def read_icon(values: Mapping[str, str], base: MonitorIcon,
              taken_ports: Iterable[str] = ()) -> MonitorIcon | list[Problem]:
    """The ``MonitorIcon`` typed (``base``'s place kept) or its problems.  ``taken_ports``:
    the ports other icons show already."""
    port = str(values.get("port", "")).strip()
    label = str(values.get("label", "")).strip()
    problems: list[Problem] = []
    if not _PORT.match(port):
        problems.append(Problem("port", "icon.problem.port", (("value", port),)))
    elif port != base.port and port in set(taken_ports):
        problems.append(Problem("port", "icon.problem.taken", (("value", port),)))
    if len(label) > LABEL_LIMIT:
        problems.append(Problem("label", "icon.problem.label", (("limit", LABEL_LIMIT),)))
    if problems:
        return problems
    return dataclasses.replace(base, port=port, label=label)
