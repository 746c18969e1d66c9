"""Case indicators computed from what the event log says of each case (formulas in
docs/indicators.md; the workflow keeps those facts on the case, ``facts.py``).

The cohort is the cases accepted (立案) within the period, among the cases in view
(scope, region node, department, category). Every rate is over that cohort, so a
period's figures do not move when later periods are added.

``compute_by`` gives the indicators per value of one column (a level's scope column,
the department) in one query, however many values there are: the
dashboards compare children with it; ``compute`` is the one-row case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from .models import Case, Status


@dataclass
class Indicators:
    accepted: int  # 立案数
    closed: int  # 结案数 (of the cohort, up to now)
    closure_rate: float | None  # 结案率
    on_time_handling_rate: float | None  # 按期处置率
    on_time_closure_rate: float | None  # 按期结案率
    rework_rate: float | None  # 返工率
    extension_rate: float | None  # 延期率
    satisfaction_rate: float | None  # 满意率
    rated: int
    average_handling_hours: float | None  # 平均处置时长 (working hours, accepted → closed)
    per_10k_residents: float | None  # 每万人立案数
    residents: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def compute_by(
    cases: QuerySet[Case],
    start: dt.datetime,
    end: dt.datetime,
    key: str | None,
    *,
    residents: dict,
    total: bool = False,
) -> dict:
    """{value of ``key`` (None for all): Indicators} for the cases in ``cases`` accepted
    in [start, end); ``residents`` maps the same values to the residents counted there.
    One query, whatever the number of values; ``None`` in the result is the total when
    ``total`` is set (computed from the same counts, not queried again)."""
    return indicators_of(cohort_counts(cases, start, end, key, total=total), residents)


def cohort_counts(
    cases: QuerySet[Case], start: dt.datetime, end: dt.datetime, key: str | None, *, total: bool = False
) -> dict:
    """{value of ``key``: the counts ``indicators_of`` turns into indicators} (``compute_by``)."""
    # one indexed range over the facts the workflow keeps on each case (facts.py); rows are
    # counted by accepted_at (never null here), not by the id, which PostgreSQL's index
    # lacks: COUNT(id) made it read the table, not the index alone
    cohort = cases.filter(accepted_at__gte=start, accepted_at__lt=end).order_by()
    closed = Q(status=Status.CLOSED)
    timed = closed & Q(handling_seconds__isnull=False)
    counts = {
        "n": Count("accepted_at"),
        "closed": Count("accepted_at", filter=closed),
        "handled_n": Count("accepted_at", filter=Q(handled=True)),
        "handled_on_time": Count("accepted_at", filter=Q(handled=True, handled_on_time=True)),
        "closed_on_time": Count("accepted_at", filter=closed & Q(late=False)),
        "reworked": Count("accepted_at", filter=Q(handled=True, reworks__gt=0)),
        "extended": Count("accepted_at", filter=Q(extended=True)),
        "rated": Count("accepted_at", filter=Q(rating__isnull=False)),
        "satisfied": Count("accepted_at", filter=Q(rating__gte=3)),
        "timed": Count("accepted_at", filter=timed),
        "seconds": Sum("handling_seconds", filter=timed),
    }
    if key is None:
        return {None: cohort.aggregate(**counts)}
    rows = {r[key]: r for r in cohort.values(key).annotate(**counts)}
    if total:
        rows[None] = {k: sum(r.get(k) or 0 for r in rows.values()) for k in counts}
    return rows


def indicators_of(rows: dict, residents: dict) -> dict:
    """{value: Indicators} from ``cohort_counts`` and the residents counted per value."""
    out = {}
    for value in set(rows) | set(residents):
        r = rows.get(value) or {}
        n, n_closed, n_handled, n_rated = (r.get(k) or 0 for k in ("n", "closed", "handled_n", "rated"))
        people = residents.get(value, 0)
        timed_n = r.get("timed") or 0
        out[value] = Indicators(
            accepted=n,
            closed=n_closed,
            closure_rate=_rate(n_closed, n),
            on_time_handling_rate=_rate(r.get("handled_on_time") or 0, n_handled),
            on_time_closure_rate=_rate(r.get("closed_on_time") or 0, n_closed),
            rework_rate=_rate(r.get("reworked") or 0, n_handled),
            extension_rate=_rate(r.get("extended") or 0, n),
            satisfaction_rate=_rate(r.get("satisfied") or 0, n_rated),
            rated=n_rated,
            average_handling_hours=round((r.get("seconds") or 0) / 3600 / timed_n, 2) if timed_n else None,
            per_10k_residents=round(n * 10000 / people, 2) if people else None,
            residents=people,
        )
    return out


def compute(cases: QuerySet[Case], start: dt.datetime, end: dt.datetime, *, residents: int) -> Indicators:
    """Indicators of the cases in ``cases`` accepted in [start, end)."""
    return compute_by(cases, start, end, None, residents={None: residents})[None]
