"""The string catalogue both windows share (callcenter.common.catalogue)."""

from __future__ import annotations

import pytest

from callcenter.common.catalogue import Catalogue, add_texts


def test_texts_in_the_chosen_language_with_fields_and_listeners_told() -> None:
    table = {"greet": ("你好，{name}", "Hello, {name}")}
    catalogue = Catalogue(table)
    heard: list[str] = []
    catalogue.add_listener(lambda: heard.append(catalogue.language))
    assert catalogue.text("greet", name="张三") == "你好，张三"
    catalogue.set_language("en")
    catalogue.set_language("en")  # no change: nobody is told twice
    assert catalogue.text("greet", name="Li") == "Hello, Li"
    assert heard == ["en"]
    assert catalogue.has("greet") and not catalogue.has("missing")
    with pytest.raises(KeyError):
        catalogue.text("missing")


def test_a_removed_listener_is_not_told_and_a_bad_language_is_named() -> None:
    catalogue = Catalogue({})
    heard: list[int] = []
    listener = lambda: heard.append(1)  # noqa: E731
    catalogue.add_listener(listener)
    catalogue.remove_listener(listener)
    catalogue.remove_listener(listener)  # unknown: ignored
    catalogue.set_language("en")
    assert heard == []
    with pytest.raises(ValueError, match="allowed zh, en"):
        catalogue.set_language("fr")
    with pytest.raises(ValueError, match="allowed zh, en"):
        Catalogue({}, "de")


def test_a_key_defined_twice_or_a_bad_pair_changes_nothing() -> None:
    table = {"a": ("甲", "A")}
    with pytest.raises(KeyError, match="defined twice"):
        add_texts(table, {"a": ("乙", "B"), "b": ("丙", "C")})
    with pytest.raises(ValueError, match="'c'"):
        add_texts(table, {"c": ("only one",)})  # type: ignore[dict-item]
    assert table == {"a": ("甲", "A")}
    add_texts(table, {"b": ("乙", "B")})
    assert table["b"] == ("乙", "B")


def test_an_error_reads_by_its_code_with_the_message_where_listed() -> None:
    table = {"error.failed": ("失败：{message}", "Failed: {message}"),
             "error.busy": ("忙", "Busy"),
             "error.refused": ("拒绝：{message}", "Refused: {message}")}
    catalogue = Catalogue(table)
    catalogue.with_message = frozenset({"failed", "refused"})
    assert catalogue.error("busy", "line busy") == "忙"
    assert catalogue.error("refused", "no trunk") == "拒绝：no trunk"
    assert catalogue.error("newer_code", "what a newer hub says") == "失败：what a newer hub says"
