"""Customer search: which customers a text matches, their count and one page, in name order.

Each customer has one short search text in ``customer_search`` (name, company, customer number in
lower case and the numbers' index digits, each followed by ``\\x1f``), an index on
(name key, id) for the name order, a trigram index over the texts (``customer_fts``, FTS5,
external content) and the list of its trigrams (``customer_fts_terms``, fts5vocab).

``match(db, needle)`` decides how to find ``needle`` (lower case; digits for a number):

- three characters or more: the trigram index, one phrase;
- two: every trigram that begins with them (a text holding the pair holds one of them, as each
  field ends with ``\\x1f``), unless there are more than ``MAX_TERMS``;
- selective (at most ``INDEX_LIMIT`` customers): the ids are put in name order once and kept:
  count and pages are then list operations;
- one character or too many trigrams: a scan of the narrow texts (stopped once it has found
  more than ``INDEX_LIMIT``);
- broad (more than ``INDEX_LIMIT`` customers, or no text at all): nothing is materialised;
  a page walks the name index and keeps what matches until it has enough (cheap when many
  match), the count is one SQL count (the trigram index's when it serves, else a scan of the
  narrow texts), asked only when the caller wants it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["INDEX_LIMIT", "MAX_TERMS", "Match", "match"]

#: Most customers an index lookup materialises in name order (more: the broad way).
INDEX_LIMIT: Final = 5_000
#: Most trigrams a two-character search looks up before it takes the broad way.
MAX_TERMS: Final = 400

_PAGE: Final = ("SELECT customer_id FROM customer_search INDEXED BY customer_search_name "
                "{where} ORDER BY name_key, customer_id LIMIT ? OFFSET ?")


@dataclass
class Match:
    """The customers one search text matches: ``ids`` in name order (selective), or an SQL
    condition on ``customer_search`` with its parameters (broad)."""

    ids: list[int] | None = None
    condition: str = ""
    params: tuple[Any, ...] = ()
    count_sql: str = ""
    _total: int | None = field(default=None, repr=False)

    def count(self, db: Any) -> int:
        if self.ids is not None:
            return len(self.ids)
        if self._total is None:
            self._total = int(db.execute_sql(self.count_sql, self.params).fetchone()[0])
        return self._total

    def page(self, db: Any, limit: int, offset: int) -> list[int]:
        if self.ids is not None:
            return self.ids[offset:offset + limit]
        where = f"WHERE {self.condition}" if self.condition else ""
        return [r[0] for r in db.execute_sql(_PAGE.format(where=where),
                                             (*self.params, limit, offset))]


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def match(db: Any, needle: str) -> Match:
    """How the customers holding ``needle`` (lower case) are found (module docstring)."""
    if not needle:
        return Match(count_sql="SELECT COUNT(*) FROM customer_search")
    query: str | None = None
    if len(needle) >= 3:
        query = _phrase(needle)
    elif len(needle) == 2:
        terms = [r[0] for r in db.execute_sql(
            "SELECT term FROM customer_fts_terms WHERE term >= ? AND term < ? LIMIT ?",
            (needle, needle + "\U0010ffff", MAX_TERMS + 1))]
        if not terms:
            return Match(ids=[])
        if len(terms) <= MAX_TERMS:
            query = " OR ".join(_phrase(t) for t in terms)
    if query is None:
        broad = Match(condition="instr(text, ?) > 0", params=(needle,),
                      count_sql="SELECT COUNT(*) FROM customer_search NOT INDEXED "
                                "WHERE instr(text, ?) > 0")
        found = db.execute_sql(
            "SELECT name_key, customer_id FROM customer_search NOT INDEXED "
            "WHERE instr(text, ?) > 0 LIMIT ?", (needle, INDEX_LIMIT + 1)).fetchall()
        return broad if len(found) > INDEX_LIMIT else Match(ids=[i for _, i in sorted(found)])
    candidates = [r[0] for r in db.execute_sql(
        "SELECT rowid FROM customer_fts WHERE customer_fts MATCH ? LIMIT ?",
        (query, INDEX_LIMIT + 1))]
    if len(candidates) <= INDEX_LIMIT:
        if not candidates:
            return Match(ids=[])
        return Match(ids=[r[0] for r in db.execute_sql(
            "SELECT customer_id FROM customer_search WHERE customer_id IN "
            "(SELECT value FROM json_each(?)) ORDER BY name_key, customer_id",
            (json.dumps(candidates),))])
    return Match(condition="customer_id IN (SELECT rowid FROM customer_fts "
                           "WHERE customer_fts MATCH ?)", params=(query,),
                 count_sql="SELECT COUNT(*) FROM customer_fts WHERE customer_fts MATCH ?")
