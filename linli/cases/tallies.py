"""The case counts the database keeps (``core.tally``): by status, and by the local day
and month each case came in, was closed, and is due (a period is its whole months plus
the days at either end; overdue now = due before today, plus those due earlier today,
counted exactly)."""

from linli.core.tally import Measure, local_day, plain


def _day(column: str):
    return lambda vendor, row: local_day(vendor, f"{row}.{column}")


def _month(column: str):
    return lambda vendor, row: f"substr({local_day(vendor, f'{row}.{column}')}, 1, 7)"


def _has(column: str):
    return lambda row: f"{row}.{column} IS NOT NULL"


MEASURES = [
    Measure("case.status", "cases_case", plain("status"), lambda row: "1 = 1", ("status",)),
    *(
        Measure(f"case.{name}{suffix}", "cases_case", value(column), _has(column), (column,))
        for name, column in (("created", "created_at"), ("closed", "closed_at"), ("due", "due_at"))
        for suffix, value in (("", _day), (".month", _month))
    ),
]
