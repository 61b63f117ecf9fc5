"""callcenter-crm's parser (being built: issue 9)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("callcenter-crm: not built yet (issue 9)", file=sys.stderr)
    return 2
