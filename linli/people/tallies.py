"""The counts of current residents and households the database keeps (``core.tally``):
residents by residence type, and by year and month of birth (age bands are sums of years
and months, plus the residents born in the last month's first days, counted exactly)."""

from linli.core.tally import Measure, date_part, plain


def _current(row: str) -> str:
    return f"{row}.archived_at IS NULL"


MEASURES = [
    Measure(
        "resident.type",
        "people_resident",
        plain("residence_type"),
        _current,
        ("residence_type", "archived_at"),
    ),
    Measure(
        "resident.year",
        "people_resident",
        lambda vendor, row: date_part(vendor, f"{row}.birth_date", "year"),
        _current,
        ("birth_date", "archived_at"),
    ),
    Measure(
        "resident.month",
        "people_resident",
        lambda vendor, row: date_part(vendor, f"{row}.birth_date", "month"),
        _current,
        ("birth_date", "archived_at"),
    ),
]

HOUSEHOLDS = Measure("household", "people_household", lambda vendor, row: "''", _current, ("archived_at",))
MEASURES.append(HOUSEHOLDS)
