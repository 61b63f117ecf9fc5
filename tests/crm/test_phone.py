"""The CRM's phone-number index (callcenter.crm_client.phone): examples from the contract and the
manual, and properties over generated numbers and spellings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.crm_client.phone import normalise_number, numbers_in, search_digits


@pytest.mark.parametrize(("typed", "digits"), [
    ("+86 138-0013-8000", "13800138000"),
    ("0086 13800138000", "13800138000"),
    ("013800138000", "13800138000"),
    ("13800138000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("+86 10 8289 5782", "01082895782"),
    ("010-82895782", "01082895782"),
    ("(010) 8289.5782", "01082895782"),
    ("+86 (0)10 8289 5782", "01082895782"),
    ("0086 755 26515007", "075526515007"),
    ("86-755-26515007", "8675526515007"),  # no + and not a mobile: kept as dialled
    ("+44 20 7946 0000", "00442079460000"),
    ("0044 20 7946 0000", "00442079460000"),
    ("*72#", "*72#"),
    ("901084544507", "901084544507"),  # an outside-line 9 is kept: the PBX reported it so
    ("１３８００１３８０００", "13800138000"),
    ("ext. 128", "128"),
    ("", ""),
    ("no number", ""),
])
def test_examples(typed: str, digits: str) -> None:
    assert normalise_number(typed) == digits


@pytest.mark.parametrize(("field", "numbers"), [
    ("13509636630,83988807", ["13509636630", "83988807"]),
    ("13509636630，83988807", ["13509636630", "83988807"]),
    ("13509636630；83988807/83568607", ["13509636630", "83988807", "83568607"]),
    ("13509636630 83988807", ["13509636630", "83988807"]),
    ("+86 138 0013 8000", ["+86 138 0013 8000"]),
    ("010 82895782", ["010 82895782"]),
    ("0755 2651 5007 / 0755 2651 5010", ["0755 2651 5007", "0755 2651 5010"]),
    (" , ;", []),
    ("", []),
])
def test_numbers_in(field: str, numbers: list[str]) -> None:
    assert numbers_in(field) == numbers


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
landlines = st.builds(lambda area, local: (area, local),
                      st.from_regex(r"(10|2[0-9]|[3-9][0-9]{2})", fullmatch=True),
                      st.from_regex(r"[2-8][0-9]{6,7}", fullmatch=True))
separators = st.sampled_from(["", " ", "-", ".", "  ", " - "])


def spell(digits: str, seps: list[str]) -> str:
    """``digits`` with a separator after each digit (cycled)."""
    return "".join(d + seps[i % len(seps)] for i, d in enumerate(digits)).strip()


@given(mobiles, st.lists(separators, min_size=1, max_size=5),
       st.sampled_from(["", "+86 ", "0086 ", "+86", "0", "86"]))
def test_every_spelling_of_a_mobile_is_one_key(mobile: str, seps: list[str], prefix: str) -> None:
    assert normalise_number(prefix + spell(mobile, seps)) == mobile


@given(landlines, st.lists(separators, min_size=1, max_size=5),
       st.sampled_from(["+86 ", "0086 ", "+86-", "0"]))
def test_every_spelling_of_a_landline_is_one_key(landline: tuple[str, str], seps: list[str],
                                                 prefix: str) -> None:
    area, local = landline
    assert normalise_number(prefix + spell(area, seps) + " " + spell(local, seps)) == (
        "0" + area + local)


@given(st.text())
def test_normalising_is_idempotent_and_keeps_only_dial_characters(text: str) -> None:
    key = normalise_number(text)
    assert set(key) <= set("0123456789*#")
    assert normalise_number(key) == key


@given(st.lists(st.one_of(mobiles, landlines.map(lambda al: "0" + al[0] + "-" + al[1])),
                min_size=1, max_size=5),
       st.sampled_from([",", "，", ";", "；", "/", "、", " ", ", "]))
def test_numbers_in_recovers_joined_numbers(numbers: list[str], sep: str) -> None:
    assert numbers_in(sep.join(numbers)) == numbers


@given(mobiles, st.integers(min_value=1, max_value=11))
def test_search_digits_of_a_prefix_is_a_prefix_of_the_key(mobile: str, length: int) -> None:
    typed = "+86 " + mobile[:length]
    assert normalise_number(mobile).startswith(search_digits(typed))


@given(st.one_of(mobiles, landlines.map(lambda al: "0" + al[0] + al[1])),
       st.sampled_from(["", "+86 ", "0086 "]), st.lists(separators, min_size=1, max_size=3))
def test_search_digits_of_a_whole_number_is_within_its_key(number: str, prefix: str,
                                                           seps: list[str]) -> None:
    typed = prefix + spell(number.removeprefix("0") if prefix else number, seps)
    assert search_digits(typed) in normalise_number(typed)
