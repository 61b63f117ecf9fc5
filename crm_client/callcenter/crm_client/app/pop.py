"""The screen pop (C-6): who is calling, computed from a ``ring`` event of this PC's port.

``compute_pop`` looks the caller up by its normalised digits (the store's indexed query, so
``+86 138-0013-8000`` on the record finds a ring from ``013800138000``), and returns a
``Pop``: the caller-ID digits exactly as received (the pop window's title shows them), the
customer found or a new record prefilled with the number, and the VIP and blacklist marks
with the reason.  Nothing here waits on the network: the ring has arrived, the lookup is one
indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcenter.crm_client.app.times import event_time
from callcenter.crm_client.phone import normalise_number
from callcenter.crm_client.store import CrmStore, Customer


@dataclass(frozen=True)
class Pop:
    """What the pop window shows for one ring.

    ``caller`` the caller-ID digits as received ("" when withheld); ``digits`` their
    normalised form (the index key); ``customer`` the record found, or None; ``record`` what
    the form opens with: the customer, or a new record (id 0) prefilled with the number;
    ``vip``/``blacklist``/``reason`` the customer's marks; ``extension`` the port rung,
    ``number`` its dialled number, ``trunk`` ("" internal), ``time`` when it rang.
    """

    call_id: int
    caller: str
    digits: str
    customer: Customer | None
    record: Customer
    vip: bool
    blacklist: bool
    reason: str
    extension: str
    number: str
    trunk: str
    time: datetime

    @property
    def known(self) -> bool:
        return self.customer is not None

    @property
    def name(self) -> str:
        """The customer's name, "" when not known."""
        return self.customer.name if self.customer is not None else ""

    @property
    def title(self) -> str:
        """The pop window's title: the digits as received and, when known, the name."""
        caller = self.caller or "-"
        return f"{caller} {self.name}" if self.name else caller


def compute_pop(store: CrmStore, ring: dict[str, Any]) -> Pop:
    """The pop of a ``ring`` event (module docstring).  The store's errors propagate (the
    caller shows a pop without a record then: ``unknown_pop``)."""
    caller = str(ring.get("caller", ""))
    digits = normalise_number(caller) if caller else ""
    customer = store.find_by_number(caller) if digits else None
    return _pop(ring, caller, digits, customer)


def unknown_pop(ring: dict[str, Any]) -> Pop:
    """A pop without a lookup (the store could not be read)."""
    caller = str(ring.get("caller", ""))
    return _pop(ring, caller, normalise_number(caller) if caller else "", None)


def _pop(ring: dict[str, Any], caller: str, digits: str, customer: Customer | None) -> Pop:
    record = customer if customer is not None else Customer(phones=(caller,) if caller else ())
    call_id = ring.get("call_id", 0)
    return Pop(
        call_id=call_id if isinstance(call_id, int) else 0, caller=caller, digits=digits,
        customer=customer, record=record,
        vip=bool(customer and customer.vip), blacklist=bool(customer and customer.blacklist),
        reason=customer.blacklist_reason if customer is not None and customer.blacklist else "",
        extension=str(ring.get("extension", "")), number=str(ring.get("number", "")),
        trunk=str(ring.get("trunk", "")), time=event_time(ring))
