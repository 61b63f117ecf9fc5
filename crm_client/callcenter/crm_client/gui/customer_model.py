"""The customer record's form, without Tk (C-4, manual 2-4): which field sits on which
tab, how the typed text becomes a ``Customer``, and what is wrong with it.

The manual's edit dialog shows 客户名称, 分机号码, 邮箱, 电话号码 (several, comma
separated), 手机, 传真, 客户职位, 客户类型, 客户编号, 公司名称, 地址, 受理报告 (the
handler), 受理部门, 描述或备注, 重要客户 and 列入黑名单 with its reason.  ``CustomerForm``
(the view) lays them out on two tabs, 基本信息 (what the pop shows first) and 详细信息;
``read_customer`` turns the entries into a ``Customer`` carrying the version the form was
loaded with -- or, when something is wrong, a list of ``Problem`` naming the field and what
is allowed, and nothing is saved.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from callcenter.crm_client.gui import strings
from callcenter.crm_client.phone import normalise_number, numbers_in
from callcenter.crm_client.store import Customer

strings.add_texts({
    "customer.tab.basic": ("基本信息", "Basic"),
    "customer.tab.detail": ("详细信息", "Details"),
    "customer.name": ("客户名称", "Name"),
    "customer.extension": ("分机号码", "Extension"),
    "customer.email": ("邮箱", "E-mail"),
    "customer.phones": ("电话号码(多个号码用逗号分隔)", "Phone numbers (comma separated)"),
    "customer.mobile": ("手机", "Mobile"),
    "customer.fax": ("传真", "Fax"),
    "customer.position": ("客户职位", "Position"),
    "customer.kind": ("客户类型", "Customer type"),
    "customer.customer_no": ("客户编号", "Customer no."),
    "customer.company": ("公司名称", "Company"),
    "customer.address": ("地址", "Address"),
    "customer.handler": ("受理报告", "Handled by"),
    "customer.department": ("受理部门", "Department"),
    "customer.notes": ("描述或备注", "Description or notes"),
    "customer.vip": ("重要客户", "VIP customer"),
    "customer.blacklist": ("列入黑名单", "Blacklisted"),
    "customer.blacklist_reason": ("原因", "Reason"),
    "customer.problem.too_long": ("{field}：最多 {limit} 个字符（现在 {length} 个）",
                                  "{field}: at most {limit} characters (now {length})"),
    "customer.problem.need_name_or_number": ("客户名称：请填写客户名称或至少一个电话号码",
                                             "Name: fill in the name or at least one number"),
    "customer.problem.bad_number": ("{field}：“{value}”不是电话号码（只能有数字、+、-、空格、"
                                    "括号、* 和 #，至少 3 位数字）",
                                    "{field}: “{value}” is not a phone number (digits, +, -, "
                                    "spaces, brackets, * and # only; at least 3 digits)"),
    "customer.problem.bad_extension": ("{field}：“{value}”不是分机号码（1 到 8 位数字）",
                                       "{field}: “{value}” is not an extension (1 to 8 digits)"),
    "customer.problem.bad_email": ("{field}：“{value}”不是电子邮件地址（如 name@example.com）",
                                   "{field}: “{value}” is not an e-mail address "
                                   "(like name@example.com)"),
    "customer.problem.need_reason": ("{field}：列入黑名单时请填写原因",
                                     "{field}: say why the customer is blacklisted"),
})


@dataclass(frozen=True)
class Field:
    """One entry of the form: the ``Customer`` attribute, its tab and its kind."""

    name: str
    tab: str            # "basic" | "detail"
    kind: str = "text"  # "text" | "long" (several lines) | "flag"
    limit: int = 200  # the store's limits (store/records.py)

    @property
    def label_key(self) -> str:
        return f"customer.{self.name}"


#: The manual's fields in its order, split over the two tabs.
FIELDS: Final[tuple[Field, ...]] = (
    Field("name", "basic"),
    Field("phones", "basic", limit=1000),
    Field("mobile", "basic"),
    Field("company", "basic"),
    Field("notes", "basic", "long", limit=10_000),
    Field("vip", "basic", "flag"),
    Field("blacklist", "basic", "flag"),
    Field("blacklist_reason", "basic", limit=1000),
    Field("extension", "detail", limit=8),
    Field("email", "detail"),
    Field("fax", "detail"),
    Field("position", "detail"),
    Field("kind", "detail"),
    Field("customer_no", "detail"),
    Field("address", "detail", limit=1000),
    Field("handler", "detail"),
    Field("department", "detail"),
)
FIELD_BY_NAME: Final = {f.name: f for f in FIELDS}

_NUMBER_CHARS = re.compile(r"^[0-9+\-\s()*#]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_EXTENSION = re.compile(r"^[0-9]{1,8}$")

FormValue = str | bool


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field: a catalogue key and its fields (``field`` is filled with
    the field's label by ``text``)."""

    field: str
    key: str
    values: tuple[tuple[str, object], ...] = ()

    def text(self, catalogue: strings.Catalogue) -> str:
        label = catalogue.text(FIELD_BY_NAME[self.field].label_key)
        return catalogue.text(self.key, field=label, **dict(self.values))


def form_values(customer: Customer) -> dict[str, FormValue]:
    """What the form's entries show for ``customer`` (phones joined with commas)."""
    values: dict[str, FormValue] = {}
    for field in FIELDS:
        value = getattr(customer, field.name)
        if field.name == "phones":
            values[field.name] = ",".join(value)
        elif field.kind == "flag":
            values[field.name] = bool(value)
        else:
            values[field.name] = str(value)
    return values


def _text(values: Mapping[str, FormValue], name: str) -> str:
    value = values.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _flag(values: Mapping[str, FormValue], name: str) -> bool:
    return bool(values.get(name, False))


def _number_problem(name: str, value: str) -> Problem | None:
    if not value:
        return None
    if not _NUMBER_CHARS.match(value) or len(normalise_number(value)) < 3:
        return Problem(name, "customer.problem.bad_number", (("value", value),))
    return None


def read_customer(values: Mapping[str, FormValue], base: Customer) -> Customer | list[Problem]:
    """The ``Customer`` the entries describe (``base``'s id and version kept), or every
    problem found.  Text is stripped; the blacklist reason is dropped when not blacklisted."""
    problems: list[Problem] = []
    texts = {f.name: _text(values, f.name) for f in FIELDS if f.kind != "flag"}
    for field in FIELDS:
        if field.kind == "flag":
            continue
        length = len(texts[field.name])
        if length > field.limit:
            problems.append(Problem(field.name, "customer.problem.too_long",
                                    (("limit", field.limit), ("length", length))))
    phones = tuple(numbers_in(texts["phones"]))
    for phone in phones:
        problem = _number_problem("phones", phone)
        if problem is not None:
            problems.append(problem)
            break
    for name in ("mobile", "fax"):
        problem = _number_problem(name, texts[name])
        if problem is not None:
            problems.append(problem)
    if texts["extension"] and not _EXTENSION.match(texts["extension"]):
        problems.append(Problem("extension", "customer.problem.bad_extension",
                                (("value", texts["extension"]),)))
    if texts["email"] and not _EMAIL.match(texts["email"]):
        problems.append(Problem("email", "customer.problem.bad_email",
                                (("value", texts["email"]),)))
    blacklist = _flag(values, "blacklist")
    if blacklist and not texts["blacklist_reason"]:
        problems.append(Problem("blacklist_reason", "customer.problem.need_reason"))
    if not texts["name"] and not phones and not texts["mobile"]:
        problems.append(Problem("name", "customer.problem.need_name_or_number"))
    if problems:
        return problems
    fields: dict[str, object] = dict(texts)
    fields["phones"] = phones
    fields["vip"] = _flag(values, "vip")
    fields["blacklist"] = blacklist
    fields["blacklist_reason"] = texts["blacklist_reason"] if blacklist else ""
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def changed(values: Mapping[str, FormValue], loaded: Customer) -> bool:
    """Whether the entries differ from what the form was loaded with."""
    before = form_values(loaded)
    return any(_normal(values.get(k, "")) != _normal(v) for k, v in before.items())


def _normal(value: FormValue) -> FormValue:
    return value.strip() if isinstance(value, str) else bool(value)
