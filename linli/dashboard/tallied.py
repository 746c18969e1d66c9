"""The figures that the counts kept by the database (``core.tally``) answer: residents by
type and age, households, cases new, open, overdue and closed, visits in a period. Each
function fills the table like its counterpart in ``figures`` (which counts the tables
themselves) and returns False, changing nothing, when the user's view is not by region
alone (a department handler's).

A count by age needs the exact birthday: "born on or before D" is the kept counts of the
years before D's, the months of D's year before D's month, and the residents born in D's
month up to D, counted from the residents (a few hundred rows, by the birth-date index).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import reduce
from operator import or_

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from linli.cases.models import OPEN_STATUSES, Case
from linli.core.dates import day_bounds
from linli.core.tally import sums, visible
from linli.people.codes import ResidenceType
from linli.people.models import Household, Resident
from linli.regions.models import Region
from linli.visits.models import Visit


class Table:
    """Numbers by child code (None: records above the children's level, or no children)
    and measure; a measure added once is there even when nothing counts."""

    def __init__(self) -> None:
        self.data: dict = defaultdict(lambda: defaultdict(int))

    def add(self, rows, key: str | None, **measures: str) -> None:
        """Add each row's ``column`` to ``measure`` (``measures``: measure -> column)."""
        for measure in measures:
            self.data[None][measure] += 0
        for r in rows:
            for measure, column in measures.items():
                self.data[r[key] if key else None][measure] += r[column] or 0

    def merge(self, other: Table) -> None:
        """Add ``other``'s numbers to these."""
        for key, row in other.data.items():
            for measure, n in row.items():
                self.data[key][measure] += n

    def total(self, measure: str) -> int:
        return sum(v.get(measure, 0) for v in self.data.values())


def _places(user, regions, col: str | None, model) -> dict[str, str | None]:
    """{region code: the child it counts for} for ``regions`` whose records of ``model``
    ``user`` may see (the filter ``restrict`` would apply to the records)."""
    q = visible(user, model)
    if q is not None:
        regions = regions.filter(q)
    return (
        dict(regions.values_list("code", col))
        if col
        else dict.fromkeys(regions.values_list("code", flat=True))
    )


def _under(node: Region):
    return Region.objects.filter(**{f"{node.level}_id": node.code})


def _exact(qs, ranges: dict[str, Q], places: dict, table, deepest) -> None:
    """Count ``qs`` rows in each of ``ranges`` (measure -> condition), grouped by the
    record's most specific region and folded into the children in Python, so the query
    is driven by the condition's index whatever the scope."""
    if not ranges:
        return
    cond = Q()
    for q in ranges.values():
        cond |= q
    rows = (
        qs.filter(cond)
        .values(place=deepest)
        .annotate(**{m: Count("pk", filter=q) for m, q in ranges.items()})
        .order_by()
    )
    for r in rows:
        if r["place"] in places:
            for m in ranges:
                table.data[places[r["place"]]][m] += r[m]


def _deepest():
    return Coalesce("grid_id", "community_id", "subdistrict_id", "district_id")


def born_by(user, node: Region, col: str | None, dates: dict[str, dt.date]) -> dict | None:
    """{measure: {child: current residents born on or before the date}} for ``dates``
    (measure -> date); None when the counts cannot answer for ``user``."""
    at = {f"{node.level}_id": node.code}
    years = sums(
        user,
        Resident,
        "resident.year",
        col,
        at,
        value__gt="",
        value__lt=f"{max(dates.values()):%Y}",
        folds={m: Q(value__lt=f"{d:%Y}") for m, d in dates.items()},
    )
    if years is None:
        return None
    months = {m: Q(value__gte=f"{d:%Y}-01", value__lt=f"{d:%Y-%m}") for m, d in dates.items()}
    table = Table()
    table.add(years, col, **{m: m for m in dates})
    table.add(
        sums(user, Resident, "resident.month", col, at, reduce(or_, months.values()), folds=months) or [],
        col,
        **{m: m for m in dates},
    )
    _exact(
        Resident.objects.filter(archived_at__isnull=True),
        {m: Q(birth_date__gte=d.replace(day=1), birth_date__lte=d) for m, d in dates.items()},
        _places(user, _under(node), col, Resident),
        table,
        _deepest(),
    )
    return {m: {k: v.get(m, 0) for k, v in table.data.items()} for m in dates}


def residents(user, node: Region, col: str | None, table) -> bool:
    """Current residents, and by residence type."""
    at = {f"{node.level}_id": node.code}
    types = {t: Q(value=t) for t in ResidenceType.values if t != "foreign"}
    rows = sums(user, Resident, "resident.type", col, at, folds={"residents": Q(), **types})
    if rows is None:
        return False
    table.add(rows, col, residents="residents", **{t: t for t in types})
    return True


def households(user, node: Region, col: str | None, table) -> bool:
    """Current households."""
    rows = sums(user, Household, "household", col, {f"{node.level}_id": node.code})
    if rows is None:
        return False
    table.add(rows, col, households="n")
    return True


def _next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _days(user, model, measure: str, col: str | None, at: dict, first: dt.date | None, last: dt.date):
    """The counts of ``measure`` (by day) over [first, last] (first None: since ever): its
    whole months from the month counts, the days at either end from the day counts."""
    one = dt.timedelta(days=1)
    months_to = _next_month(last) if _next_month(last) - one == last else last.replace(day=1)
    months_from = None if first is None else first if first.day == 1 else _next_month(first)
    spans: list[tuple[dt.date, dt.date]] = []
    months: Q | None
    if first is not None and months_from is not None and months_from >= months_to:  # no whole month inside
        spans, months = [(first, last)], None
    else:
        if first is not None and months_from is not None and first < months_from:
            spans.append((first, months_from - one))
        if months_to <= last:
            spans.append((months_to, last))
        months = Q(value__gt="", value__lt=f"{months_to:%Y-%m}")
        if months_from is not None:
            months &= Q(value__gte=f"{months_from:%Y-%m}")
    days = Q(pk__in=[])
    for lo, hi in spans:
        days |= Q(value__gte=lo.isoformat(), value__lte=hi.isoformat())
    rows = sums(user, model, measure, col, at, days, value__gt="")
    if rows is not None and months is not None:
        rows += sums(user, model, f"{measure}.month", col, at, months) or []
    return rows


def cases(
    user, node: Region, col: str | None, table, first: dt.date, last: dt.date, now: dt.datetime
) -> bool:
    """Cases new and closed in [first, last], open now and overdue now."""
    at = {f"{node.level}_id": node.code}
    today = timezone.localdate(now)
    found = [
        ("cases_new", _days(user, Case, "case.created", col, at, first, last)),
        ("cases_closed", _days(user, Case, "case.closed", col, at, first, last)),
        ("cases_open", sums(user, Case, "case.status", col, at, value__in=list(OPEN_STATUSES))),
        ("cases_overdue", _days(user, Case, "case.due", col, at, None, today - dt.timedelta(days=1))),
    ]
    if any(rows is None for _m, rows in found):
        return False
    for measure, rows in found:
        table.add(rows, col, **{measure: "n"})
    _due_today(now, _places(user, _under(node), col, Case), table, "cases_overdue")
    return True


def visits(user, node: Region, col: str | None, table, first: dt.date, last: dt.date) -> bool:
    """Visits in [first, last] (False: the user's view is not answered by the counts)."""
    rows = _days(user, Visit, "visit.day", col, {f"{node.level}_id": node.code}, first, last)
    if rows is None:
        return False
    table.add(rows, col, visits="n")
    return True


def _due_today(now: dt.datetime, places: dict, table: Table, measure: str) -> None:
    """The cases due earlier today (before ``now``): the exact part of "overdue now"."""
    today = timezone.localdate(now)
    _exact(
        Case.objects.all(),
        {measure: Q(due_at__gte=day_bounds(today, today)[0], due_at__lt=now)},
        places,
        table,
        _deepest(),
    )


def per_grid(user, indicator: str, codes: list[str], now: dt.datetime) -> dict[str, int] | None:
    """{grid: value} of a map indicator the counts answer (residents, open and overdue
    cases); None for another indicator, or when the user's view is not by region."""
    table = Table()
    at = {"grid_id__in": codes}
    if indicator == "residents":
        rows = sums(user, Resident, "resident.type", "grid_id", at)
    elif indicator == "cases_open":
        rows = sums(user, Case, "case.status", "grid_id", at, value__in=list(OPEN_STATUSES))
    elif indicator == "cases_overdue":
        today = timezone.localdate(now)
        rows = _days(user, Case, "case.due", "grid_id", at, None, today - dt.timedelta(days=1))
        if rows is not None:
            grids = Region.objects.filter(code__in=codes)
            _due_today(now, _places(user, grids, "code", Case), table, "n")
    else:
        return None
    if rows is None:
        return None
    table.add(rows, "grid_id", n="n")
    return {code: v["n"] for code, v in table.data.items() if code is not None}
