"""Start-up data verification (数据校验): read the PBX's parameter image over the link.

Each group is read with ``ParameterRead`` blocks; several blocks are outstanding at once so
the line never idles waiting for an answer.  A block answered with fewer rows than asked
(the PBX sends what fits in one frame) is continued from where it stopped.  A group whose
checksum (from ``Identity``) equals the saved image's is not read again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from callcenter.common.pbx.frame import escape
from callcenter.common.pbx.messages import Identity, Message, ParameterBlock, ParameterRead
from callcenter.common.schema import Group, Row, Schema, build_schema
from callcenter.server.pbx.image import ParameterImage
from callcenter.server.pbx.link import PbxLink
from callcenter.server.pbx.parameters import PbxProtocolError, rows_to_params

log = logging.getLogger(__name__)

#: Encoded bytes one block should stay under (a frame may be at most 4096).
BLOCK_BYTES = 2400
MAX_BLOCK_ROWS = 256
#: Blocks requested ahead of the answers; the link's window (8 frames) bounds it anyway.
PIPELINE = 4

Progress = Callable[[int, int, Group], None]


@dataclass(frozen=True)
class Verification:
    """The outcome of a verification: the image and which groups were read or skipped."""

    image: ParameterImage
    groups_read: tuple[Group, ...]
    groups_skipped: tuple[Group, ...]
    rows_read: int


def _row_bytes(schema: Schema, row: Row) -> int:
    # A generous guess: a value may be longer than its default (twice it, at least 8 bytes).
    size = len(row.prefix) + 4
    for key in row.keys:
        size += max(2 * len(escape(schema.default(key))), 8) + 1
    return size


def block_rows(schema: Schema, group: Group) -> int:
    """How many rows of ``group`` to ask for in one ParameterRead."""
    rows = schema.group_rows(group)
    if not rows:
        return 1
    widest = max(_row_bytes(schema, row) for row in rows)
    return max(1, min(MAX_BLOCK_ROWS, BLOCK_BYTES // widest))


def _reader(group: Group, offset: int, count: int) -> Callable[[int], Message]:
    return lambda request_id: ParameterRead(request_id, group.value, offset, count)


def read_groups(link: PbxLink, schema: Schema, groups: Sequence[Group], *,
                progress: Progress | None = None, timeout: float = 10.0,
                pipeline: int = PIPELINE) -> tuple[dict[str, str], int]:
    """Read every row of ``groups``; returns ``({key: value}, rows read)``."""
    total = sum(len(schema.group_rows(g)) for g in groups)
    done = 0
    params: dict[str, str] = {}
    for group in groups:
        count = len(schema.group_rows(group))
        size = block_rows(schema, group)
        todo: deque[tuple[int, int]] = deque(
            (offset, min(size, count - offset)) for offset in range(0, count, size))
        inflight: deque[tuple[int, int, Future[Message]]] = deque()
        while todo or inflight:
            while todo and len(inflight) < pipeline:
                offset, n = todo.popleft()
                inflight.append((offset, n, link.submit(_reader(group, offset, n))))
            offset, n, future = inflight.popleft()
            block = link.result(future, timeout)
            if not isinstance(block, ParameterBlock) or block.offset != offset:
                raise PbxProtocolError(f"the PBX answered a read of {group} row {offset} "
                                       f"with {block!r:.80}")
            got = len(block.rows)
            if got == 0:
                raise PbxProtocolError(f"the PBX sent no {group} rows from row {offset} "
                                       f"(it says the group has {block.total})")
            if got < n:
                todo.appendleft((offset + got, n - got))
            params.update(rows_to_params(schema, block))
            done += got
            if progress is not None:
                progress(done, total, group)
    return params, done


def verify(link: PbxLink, identity: Identity, saved: ParameterImage | None, *,
           progress: Progress | None = None, force: bool = False,
           timeout: float = 10.0) -> Verification:
    """Bring the image up to date with the PBX, reading only the groups that changed."""
    schema = build_schema(identity.extensions, identity.trunks)
    image = ParameterImage.for_identity(identity)
    reusable = saved if saved is not None and saved.matches(identity) else None
    to_read: list[Group] = []
    skipped: list[Group] = []
    for group in Group:
        checksum = identity.checksum(group.value)
        if (not force and reusable is not None and checksum
                and reusable.checksums.get(group.value) == checksum
                and reusable.has_group(schema, group)):
            image.params.update(reusable.group_params(schema, group))
            skipped.append(group)
        else:
            to_read.append(group)
    log.info("data verification: reading %s; unchanged: %s",
             ", ".join(to_read) or "nothing", ", ".join(skipped) or "nothing")
    params, rows = read_groups(link, schema, to_read, progress=progress, timeout=timeout)
    image.params.update(params)
    order = schema.keys()
    image.params = {k: image.params[k] for k in order if k in image.params}
    image.checksums = {g.value: identity.checksum(g.value) for g in Group}
    return Verification(image, tuple(to_read), tuple(skipped), rows)
