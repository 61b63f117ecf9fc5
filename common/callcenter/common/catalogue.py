"""A string catalogue for a window: every text a person sees, in Chinese and English.

Both Tk programs (the server console and the CRM client) keep one table each, key ->
(Chinese, English), and let views ask ``Catalogue.text(key)``.  Chinese is the default (the
original's users read the manual's terms); English can be switched to at run time, and views
re-label themselves when told (``add_listener``).  Modules register their own keys with
``add_texts``; a key defined twice, a pair that is not two strings, or a missing key fails
loudly (``KeyError``/``ValueError``) rather than showing a blank.

Pure: no Tk, no I/O.  A failed request reads by its error code (``error``): ``error.<code>``
when the table has it, with the hub's message for the codes a program lists in
``with_message``, else ``error.failed`` with the message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

LANGUAGES: Final = ("zh", "en")

Texts = dict[str, tuple[str, str]]


def add_texts(table: Texts, texts: Texts) -> None:
    """Add a module's ``texts`` to ``table`` (a key defined twice is a bug)."""
    twice = sorted(set(texts) & set(table))
    if twice:
        raise KeyError(f"catalogue keys defined twice: {twice}")
    for key, pair in texts.items():
        if not (isinstance(pair, tuple) and len(pair) == 2
                and all(isinstance(text, str) for text in pair)):
            raise ValueError(f"catalogue key {key!r}: needs a (Chinese, English) pair of str")
    table.update(texts)


def check_language(language: str) -> str:
    """``language`` if it is one of LANGUAGES, else ValueError naming what is allowed."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: allowed {', '.join(LANGUAGES)}")
    return language


class Catalogue:
    """The texts of ``table`` in the chosen language; views listen for language changes."""

    #: Error codes whose ``error.<code>`` text takes the hub's ``{message}``.
    with_message: frozenset[str] = frozenset({"failed"})

    def __init__(self, table: Texts, language: str = "zh") -> None:
        self._table = table
        self._language = check_language(language)
        self._listeners: list[Callable[[], None]] = []

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> None:
        """Switch the language and tell every listener (views re-label themselves)."""
        language = check_language(language)
        if language == self._language:
            return
        self._language = language
        for listener in list(self._listeners):
            listener()

    def add_listener(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        """Forget a listener (a closed dialog); unknown listeners are ignored."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def has(self, key: str) -> bool:
        """Whether the catalogue has a text for ``key``."""
        return key in self._table

    def text(self, key: str, **fields: object) -> str:
        """The text of ``key`` in the current language, with ``fields`` filled in."""
        zh, en = self._table[key]
        template = zh if self._language == "zh" else en
        return template.format(**fields) if fields else template

    def error(self, code: str, message: str) -> str:
        """What to tell a person about a failed request, by the protocol's error code.

        Unknown codes (a newer hub) read like ``failed`` with the hub's message."""
        key = f"error.{code}"
        if key not in self._table:
            return self.text("error.failed", message=message)
        if code in self.with_message:
            return self.text(key, message=message)
        return self.text(key)
