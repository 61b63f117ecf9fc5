"""Batch writes of PBX parameters: validate everything first, then write key by key.

``validate_batch`` checks every pair against the schema *and* the consistency rules before
anything is sent, in the order the keys will be written: a value the schema refuses, or one
that would break a rule given the values written before it, is ``invalid`` and never sent;
a value the image already holds is ``unchanged``.  ``run_batch`` then writes the rest one
by one through the caller's single-key writer (the service's: write, read back, image,
event, audit), checking ``cancelled()`` between keys and reporting ``progress``; once the
link is down or the batch is cancelled, the keys left are ``not_sent``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from callcenter.common.schema import ParameterError, RowIndex, Schema

#: The status of one key of a batch (``WriteResult.status``).
WRITTEN: Final = "written"  # written, and reading it back showed the value
REFUSED: Final = "refused"  # the PBX said no (reason), or read back another value
INVALID: Final = "invalid"  # not sent: the schema or its consistency rules refuse it
NOT_SENT: Final = "not_sent"  # not sent: the link was down, or the batch was cancelled
UNCHANGED: Final = "unchanged"  # the PBX already held that value; nothing sent
#: Sent, but neither the PBX's answer nor the read-back arrived (the link went down or
#: timed out): the PBX may or may not hold the value; the image marks the key "written".
UNCONFIRMED: Final = "unconfirmed"
STATUSES: Final = (WRITTEN, REFUSED, INVALID, NOT_SENT, UNCHANGED, UNCONFIRMED)

#: ``progress(done, total, text)`` and ``cancelled()``, as the admin API's jobs give them.
Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class WriteResult:
    """What happened to one key: ``value`` asked for (canonical when valid), ``old`` the
    value held before (``""`` when not known), ``status`` (``STATUSES``), ``reason`` for
    people (empty when written or unchanged)."""

    key: str
    value: str
    old: str
    status: str
    reason: str = ""

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "old": self.old,
                "status": self.status, "reason": self.reason}


def validate_batch(schema: Schema, current: Mapping[str, str],
                   pairs: Sequence[tuple[str, str]], *, trusted: Callable[[str], bool],
                   check_rules: bool = True
                   ) -> tuple[list[tuple[str, str]], dict[str, WriteResult]]:
    """``(to_write, settled)``: the canonical pairs to send, in order, and the results of the
    keys that need nothing sent (invalid, unchanged).  A key given twice counts once, with
    its last value.  ``trusted(key)``: the image's value of ``key`` is what the PBX holds
    (else it is written even when equal).  ``check_rules=False``: ``current`` is not the
    whole image, so the consistency rules (which would judge missing keys) are left to the
    PBX."""
    last: dict[str, str] = {}
    for key, text in pairs:
        last.pop(key, None)
        last[key] = text
    image = RowIndex(dict(current))
    rules = check_rules and bool(schema.rules)
    known = set(schema.check_consistency(image)) if rules else set()
    to_write: list[tuple[str, str]] = []
    settled: dict[str, WriteResult] = {}
    for key, text in last.items():
        old = current.get(key, "")
        try:
            value = schema.validate(key, text)
        except ParameterError as exc:
            settled[key] = WriteResult(key, text, old, INVALID, exc.message)
            continue
        if key in current and old == value and trusted(key):
            settled[key] = WriteResult(key, value, old, UNCHANGED)
            continue
        if rules:
            trial = image.changed(key, value)
            problems = schema.check_consistency(trial)
            new = [p for p in problems if p not in known]
            if new:
                settled[key] = WriteResult(key, value, old, INVALID, "; ".join(new))
                continue
            image, known = trial, set(problems)
        to_write.append((key, value))
    return to_write, settled


def run_batch(pairs: Sequence[tuple[str, str]], settled: Mapping[str, WriteResult],
              order: Sequence[str], write_one: Callable[[str, str], WriteResult], *,
              current: Mapping[str, str], link_up: Callable[[], bool],
              progress: Progress | None = None,
              cancelled: Cancelled | None = None) -> list[WriteResult]:
    """Write ``pairs`` one by one; the results of every key in ``order`` (the caller's).
    ``current``: the values held before, for the keys left unsent."""
    results: dict[str, WriteResult] = dict(settled)
    total = len(pairs)
    stop_reason = ""
    for done, (key, value) in enumerate(pairs):
        if not stop_reason and cancelled is not None and cancelled():
            stop_reason = "cancelled before this key was sent"
        if not stop_reason and not link_up():
            stop_reason = "the PBX link is down"
        if stop_reason:
            results[key] = WriteResult(key, value, current.get(key, ""), NOT_SENT, stop_reason)
            continue
        if progress is not None:
            progress(done, total, key)
        result = write_one(key, value)
        results[key] = result
        if result.status in (NOT_SENT, UNCONFIRMED):
            stop_reason = f"not sent: the batch stopped at {key} ({result.reason})"
    if progress is not None and not stop_reason:
        progress(total, total, "")
    return [results[key] for key in order if key in results]


def summary(results: Sequence[WriteResult]) -> str:
    """``"3 written and read back, 1 refused, ..."`` for messages (counts that are not 0)."""
    words = {WRITTEN: "written and read back", REFUSED: "refused", INVALID: "invalid",
             NOT_SENT: "not sent", UNCHANGED: "unchanged", UNCONFIRMED: "not confirmed"}
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
    return ", ".join(f"{n} {words[s]}" for s, n in counts.items() if n) or "nothing to do"
