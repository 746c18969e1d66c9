"""Case indicators computed from the event log (formulas in docs/indicators.md).

The cohort is the cases accepted (立案) within the period, among the cases in view
(scope, region node, department, category). Every rate is over that cohort, so a
period's figures do not move when later periods are added.

``compute_by`` gives the indicators per value of one column (a level's scope column,
the department) in a fixed number of queries, however many values there are: the
dashboards compare children with it; ``compute`` is the one-row case.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from . import worktime
from .models import Case, CaseEvent, Status


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


def _has(action: str, **extra) -> Exists:
    return Exists(CaseEvent.objects.filter(case=OuterRef("pk"), action=action, **extra))


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
    Two queries, whatever the number of values; ``None`` in the result is the total when
    ``total`` is set (computed from the same counts, not queried again)."""
    # driven from the events of the period (an index range), not a probe per case
    accepted = CaseEvent.objects.filter(action="accept", at__gte=start, at__lt=end).values("case_id")
    cohort = cases.filter(pk__in=accepted).order_by()
    first_handle = CaseEvent.objects.filter(case=OuterRef("pk"), action="handle").order_by("at", "id")
    late = Exists(
        CaseEvent.objects.filter(case=OuterRef("pk"), action__in=["handle", "verify"], on_time=False)
    )
    closed = Q(status=Status.CLOSED)
    marked = cohort.annotate(
        is_handled=_has("handle"),
        first_on_time=Subquery(first_handle.values("on_time")[:1]),
        is_late=late,
        is_reworked=_has("rework"),
        is_extended=_has("extend_approve"),
    )
    counts = {
        "n": Count("pk"),
        "closed": Count("pk", filter=closed),
        "handled_n": Count("pk", filter=Q(is_handled=True)),
        "handled_on_time": Count("pk", filter=Q(is_handled=True, first_on_time=True)),
        "closed_on_time": Count("pk", filter=closed & Q(is_late=False)),
        "reworked": Count("pk", filter=Q(is_handled=True, is_reworked=True)),
        "extended": Count("pk", filter=Q(is_extended=True)),
        "rated": Count("pk", filter=Q(rating__isnull=False)),
        "satisfied": Count("pk", filter=Q(rating__gte=3)),
    }
    if key is None:
        rows = {None: marked.aggregate(**counts)}
    else:
        rows = {r[key]: r for r in marked.values(key).annotate(**counts)}
    hours: dict = defaultdict(list)
    spans = cohort.filter(closed).annotate(
        accepted_at=Subquery(
            CaseEvent.objects.filter(case=OuterRef("pk"), action="accept").order_by("at").values("at")[:1]
        ),
        # the verification that closed it (the last one, after any reopening)
        verified_at=Subquery(
            CaseEvent.objects.filter(case=OuterRef("pk"), action="verify").order_by("-at").values("at")[:1]
        ),
    )
    for value, accepted_at, verified_at in spans.values_list(key or "pk", "accepted_at", "verified_at"):
        if accepted_at is not None and verified_at is not None:
            hours[value if key else None].append(
                worktime.working_seconds_between(accepted_at, verified_at) / 3600
            )
    if total and key is not None:
        whole: dict = {k: sum(r.get(k) or 0 for r in rows.values()) for k in counts}
        rows = {**rows, None: whole}
        hours[None] = [h for spent in hours.values() for h in spent]
    out = {}
    for value in set(rows) | set(residents):
        r = rows.get(value) or {}
        n, n_closed, n_handled, n_rated = (r.get(k) or 0 for k in ("n", "closed", "handled_n", "rated"))
        people = residents.get(value, 0)
        spent = hours.get(value)
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
            average_handling_hours=round(sum(spent) / len(spent), 2) if spent else None,
            per_10k_residents=round(n * 10000 / people, 2) if people else None,
            residents=people,
        )
    return out


def compute(cases: QuerySet[Case], start: dt.datetime, end: dt.datetime, *, residents: int) -> Indicators:
    """Indicators of the cases in ``cases`` accepted in [start, end)."""
    return compute_by(cases, start, end, None, residents={None: residents})[None]
