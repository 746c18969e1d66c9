"""Case indicators computed from the event log (formulas in docs/indicators.md).

The cohort is the cases accepted (立案) within the period, among the cases in view
(scope, region node, department, category). Every rate is over that cohort, so a
period's figures do not move when later periods are added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery

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


def compute(cases: QuerySet[Case], start: dt.datetime, end: dt.datetime, *, residents: int) -> Indicators:
    """Indicators of the cases in ``cases`` accepted in [start, end)."""
    accepted_in = CaseEvent.objects.filter(case=OuterRef("pk"), action="accept", at__gte=start, at__lt=end)
    cohort = cases.filter(Exists(accepted_in))
    n = cohort.count()
    closed = cohort.filter(status=Status.CLOSED)
    n_closed = closed.count()

    def has(action: str, **extra) -> Exists:
        return Exists(CaseEvent.objects.filter(case=OuterRef("pk"), action=action, **extra))

    handled = cohort.filter(has("handle"))
    first_handle = CaseEvent.objects.filter(case=OuterRef("pk"), action="handle").order_by("at", "id")
    n_handled = handled.count()
    handled_on_time = (
        handled.annotate(first=Subquery(first_handle.values("on_time")[:1])).filter(first=True).count()
    )
    late = Exists(
        CaseEvent.objects.filter(case=OuterRef("pk"), action__in=["handle", "verify"], on_time=False)
    )
    closed_on_time = closed.exclude(late).count()
    reworked = handled.filter(has("rework")).count()
    extended = cohort.filter(has("extend_approve")).count()
    rated = cohort.filter(rating__isnull=False)
    n_rated = rated.count()
    satisfied = rated.filter(rating__gte=3).count()
    spans = closed.annotate(
        accepted_at=Subquery(
            CaseEvent.objects.filter(case=OuterRef("pk"), action="accept").order_by("at").values("at")[:1]
        )
    ).values_list("pk", "accepted_at")
    last_verify = dict(  # the verification that closed it (the last one, after any reopening)
        CaseEvent.objects.filter(case__in=closed, action="verify")
        .values("case_id")
        .annotate(at=Max("at"))
        .values_list("case_id", "at")
    )
    hours = [
        worktime.working_seconds_between(accepted_at, last_verify[pk]) / 3600
        for pk, accepted_at in spans
        if accepted_at is not None and pk in last_verify
    ]
    return Indicators(
        accepted=n,
        closed=n_closed,
        closure_rate=_rate(n_closed, n),
        on_time_handling_rate=_rate(handled_on_time, n_handled),
        on_time_closure_rate=_rate(closed_on_time, n_closed),
        rework_rate=_rate(reworked, n_handled),
        extension_rate=_rate(extended, n),
        satisfaction_rate=_rate(satisfied, n_rated),
        rated=n_rated,
        average_handling_hours=round(sum(hours) / len(hours), 2) if hours else None,
        per_10k_residents=round(n * 10000 / residents, 2) if residents else None,
        residents=residents,
    )
