"""The case counts the database keeps (``core.tally``): by status, and by the local day
and month each case came in, was closed, and is due (a period is its whole months plus
the days at either end; overdue now = due before today, plus those due earlier today,
counted exactly); and by status and map cell of ``BASE_ZOOM`` (the district's map)."""

from linli.core.clusters import base_cell
from linli.core.tally import Measure, by_day, plain

MEASURES = [
    Measure("case.status", "cases_case", plain("status"), lambda row: "1 = 1", ("status",)),
    *(
        m
        for name, column in (("created", "created_at"), ("closed", "closed_at"), ("due", "due_at"))
        for m in by_day(f"case.{name}", "cases_case", column)
    ),
]


def _cell(vendor: str, row: str) -> str:
    """'status:cx:cy', the point's cell of ``core.clusters.BASE_ZOOM`` computed as the
    clustering query computes it (``clusters.CellIndex``)."""
    width, height = base_cell()
    if vendor == "postgresql":
        x = f"FLOOR(({row}.lng + 180.0::float8) / {width!r}::float8)::bigint"
        y = f"FLOOR(({row}.lat + 90.0::float8) / {height!r}::float8)::bigint"
    else:
        x = f"CAST(({row}.lng + 180.0) / {width!r} AS INTEGER)"
        y = f"CAST(({row}.lat + 90.0) / {height!r} AS INTEGER)"
    return f"{row}.status || ':' || {x} || ':' || {y}"


CELLS = Measure(
    "case.cell",
    "cases_case",
    _cell,
    lambda row: f"{row}.lat IS NOT NULL AND {row}.lng IS NOT NULL",
    ("status", "lat", "lng"),
)
MEASURES.append(CELLS)
