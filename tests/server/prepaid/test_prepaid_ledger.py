"""The prepaid ledger: exact arithmetic, charges in the intake's own transaction."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter.server.prepaid import ledger
from callcenter.server.prepaid.ledger import LedgerError, charge_calls
from callcenter.server.store.db import database, write_transaction
from callcenter.server.store.intake import RecordIntake, StoredCall
from callcenter.server.store.models import CallRecordRow, RatingRow, from_fen, to_fen
from callcenter.server.store.prepaid_models import PrepaidEntry
from tests.server.prepaid.prepaid_support import LONG_DISTANCE, record
from tests.server.store_fixtures import StoreTarget

WHO = "cli:test"


def intake(**kwargs: object) -> RecordIntake:
    return RecordIntake(database, "pbx-a", lambda: LONG_DISTANCE, **kwargs)  # type: ignore[arg-type]


_ports = itertools.count(1)
_record_ids = itertools.count(10_000_000)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
operations = st.lists(st.one_of(
    st.tuples(st.just("topup"), amounts),
    st.tuples(st.just("charge"), st.integers(min_value=1, max_value=10_000_000)),
    st.tuples(st.just("adjust"), amounts, st.booleans()),
    st.tuples(st.just("clear"))), min_size=1, max_size=25)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_balance_is_exactly_the_sum_of_the_operations(store_db: StoreTarget,
                                                      ops: list[tuple[object, ...]]) -> None:
    ref = ledger.room(str(next(_ports) % 999 + 1))
    ledger.top_up(ref, Decimal("0.01"), WHO)
    expected = 1  # fen, by a reference model in plain integers
    for op in ops:
        if op[0] == "topup":
            amount = op[1]
            assert isinstance(amount, Decimal)
            ledger.top_up(ref, amount, WHO)
            expected += int(amount * 100)
        elif op[0] == "charge":
            fen = op[1]
            assert isinstance(fen, int)
            call = StoredCall(next(_record_ids), record(1, ref.ident), fen, 1, False)
            with write_transaction(database):
                assert charge_calls([call]) == [ref]
            expected -= fen
        elif op[0] == "adjust":
            amount, negative = op[1], op[2]
            assert isinstance(amount, Decimal)
            ledger.adjust(ref, -amount if negative else amount, WHO)
            expected += int(amount * 100) * (-1 if negative else 1)
        else:
            ledger.clear(ref, WHO)
            expected = 0
        state = ledger.state(ref)
        assert state is not None and state.balance_fen == expected
        assert state.balance == Decimal(expected) / 100
        assert state.over_limit == (expected < 0)
    rows = ledger.entries(ref)
    assert rows[-1].balance == from_fen(expected)
    assert sum(e.amount for e in rows) == from_fen(expected)


def test_top_ups_accumulate_and_clear_is_one_entry_of_minus_the_balance(
        store_db: StoreTarget) -> None:
    ref = ledger.room("8")
    assert ledger.state(ref) is None
    ledger.top_up(ref, Decimal("50"), WHO)
    assert ledger.top_up(ref, Decimal("20.5"), "console:alice").balance == Decimal("70.50")
    cleared = ledger.clear(ref, WHO, "check-out")
    assert cleared.balance_fen == 0 and cleared.active
    kinds = [(e.kind, e.amount, e.who) for e in ledger.entries(ref)]
    assert kinds == [("topup", Decimal("50.00"), WHO), ("topup", Decimal("20.50"), "console:alice"),
                     ("clear", Decimal("-70.50"), WHO)]
    ledger.clear(ref, WHO)  # already zero: no entry
    assert len(ledger.entries(ref)) == 3
    assert all(e.at.tzinfo is None for e in ledger.entries(ref))  # naive UTC, as the store


def test_bad_amounts_and_accounts_are_refused_by_name(store_db: StoreTarget) -> None:
    for text in ("0", "-1", "1.234", "abc", "100000.01", "NaN", "Infinity", ""):
        with pytest.raises(LedgerError, match=r"^amount "):
            ledger.parse_amount(text)
    assert ledger.parse_amount("100000") == Decimal("100000.00")
    assert ledger.parse_amount("-3.2", signed=True) == Decimal("-3.20")
    for port in ("0", "1000", "abc", "-1"):
        with pytest.raises(LedgerError, match=r"^port "):
            ledger.room(port)
    assert ledger.room("7").ident == "007"
    with pytest.raises(LedgerError, match=r"^personal-password row .51. does not exist"):
        ledger.password("51")
    with pytest.raises(LedgerError, match="never been topped up"):
        ledger.clear(ledger.room("9"), WHO)


def test_a_call_of_a_prepaid_room_is_charged_with_its_record(store_db: StoreTarget) -> None:
    ref = ledger.room("001")
    ledger.top_up(ref, Decimal("2"), WHO)
    sink = intake(after_insert=charge_calls)
    sink.store([record(1, "001", duration=600), record(2, "002", duration=600),
                record(3, "001", duration=0), record(4, "001", call_type="IN")])
    [charge] = [e for e in ledger.entries(ref) if e.kind == "charge"]
    row = CallRecordRow.get(CallRecordRow.sequence == 1)
    assert charge.record_id == row.id and charge.amount == Decimal("-3.00")
    assert charge.rating_id == RatingRow.get(RatingRow.record == row.id).id
    state = ledger.state(ref)
    assert state is not None and state.balance == Decimal("-1.00") and state.over_limit
    assert ledger.state(ledger.room("002")) is None  # never on prepaid: never charged
    sink.store([record(1, "001", duration=600)])  # the PBX sends it again
    assert sink.last.duplicates == 1
    assert [e.kind for e in ledger.entries(ref)] == ["topup", "charge"]


def test_a_failed_intake_transaction_leaves_neither_record_nor_charge(
        store_db: StoreTarget) -> None:
    ref = ledger.room("001")
    ledger.top_up(ref, Decimal("10"), WHO)

    def charge_then_fail(calls: list[StoredCall]) -> None:
        assert charge_calls(calls) == [ref]
        assert PrepaidEntry.select().where(PrepaidEntry.kind == "charge").count() == 1
        raise RuntimeError("disk full (simulated)")

    with pytest.raises(RuntimeError, match="disk full"):
        intake(after_insert=charge_then_fail).store([record(1, "001")])
    assert CallRecordRow.select().count() == 0
    assert PrepaidEntry.select().where(PrepaidEntry.kind == "charge").count() == 0
    intake(after_insert=charge_calls).store([record(1, "001")])  # the PBX sends it again
    state = ledger.state(ref)
    assert state is not None and state.balance == Decimal("7.00")


def test_a_personal_password_call_is_charged_to_the_password_only(
        store_db: StoreTarget) -> None:
    room, pw = ledger.room("003"), ledger.password("4")
    ledger.top_up(room, Decimal("5"), WHO)
    ledger.top_up(pw, Decimal("1"), WHO)
    sink = intake(after_insert=charge_calls)
    sink.store([record(1, "003", account="04", duration=300)])  # 1.50
    sink.store([record(2, "003", account="07", duration=300)])  # a password not on prepaid
    assert ledger.state(room).balance == Decimal("5.00")  # type: ignore[union-attr]
    pw_state = ledger.state(pw)
    assert pw_state is not None and pw_state.balance == Decimal("-0.50") and pw_state.over_limit
    assert pw.over_limit_key == "personal_password.04.over_limit"


def test_released_rooms_are_not_charged_and_not_restricted(store_db: StoreTarget) -> None:
    ref = ledger.room("005")
    ledger.top_up(ref, Decimal("1"), WHO)
    ledger.release(ref, WHO)
    intake(after_insert=charge_calls).store([record(1, "005", duration=600)])
    state = ledger.state(ref)
    assert state is not None and not state.active and state.balance_fen == 100
    assert not state.over_limit
    ledger.top_up(ref, Decimal("1"), WHO)  # back on prepaid, the ledger continues
    assert ledger.state(ref) == ledger.AccountState(ref, True, 200)
    assert [s.ref for s in ledger.all_states()] == [ref]


def test_money_is_integer_fen_in_the_store(store_db: StoreTarget) -> None:
    ref = ledger.room("010")
    ledger.top_up(ref, Decimal("0.10"), WHO)
    ledger.top_up(ref, Decimal("0.20"), WHO)
    rows = store_db.sql("SELECT amount_fen FROM prepaid_entry ORDER BY id")
    assert rows == [(10,), (20,)] and to_fen(Decimal("0.30")) == 30
