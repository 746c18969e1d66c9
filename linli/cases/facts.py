"""What the indicators read of each case, kept on the case itself (docs/indicators.md).

The event log is the record; these columns are what it says, written as each event is
(``note``, called by the workflow in the same transaction), so the indicators of a
period are one indexed range over the cases (``Case.accepted_at``) instead of a search
of the log for every case of the cohort. ``rebuild`` recomputes them from the log: the
migration that added them, and anything that writes events by hand (the demo's
back-dating, the benchmarks) call it.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from . import worktime


def note(case, action: str, on_time: bool | None, now: dt.datetime) -> None:
    """Record on ``case`` (not saved) what event ``action`` at ``now`` tells the indicators."""
    if action == "accept" and case.accepted_at is None:
        case.accepted_at = now
    elif action == "handle":
        if not case.handled:
            case.handled, case.handled_on_time = True, on_time is True
        case.late = case.late or on_time is False
    elif action == "verify":
        case.late = case.late or on_time is False
        case.handling_seconds = handling_seconds(case.accepted_at, now)
    elif action == "extend_approve":
        case.extended = True


def handling_seconds(accepted_at: dt.datetime | None, verified_at: dt.datetime | None) -> int | None:
    """Working time from acceptance to the verification that closed the case."""
    if accepted_at is None or verified_at is None:
        return None
    return round(worktime.working_seconds_between(accepted_at, verified_at))


def rebuild(case_model, event_model, cases=None, *, batch: int = 5000) -> int:
    """Recompute the facts of ``cases`` (default: all) from their events; the models are
    passed in so that a migration can use its historical ones. Returns how many closed
    cases got their handling time."""
    qs = cases if cases is not None else case_model.objects.all()
    events = event_model.objects.filter(case=OuterRef("pk"))

    def has(**where):
        return Exists(events.filter(**where))

    qs.update(
        accepted_at=Subquery(events.filter(action="accept").order_by("at", "id").values("at")[:1]),
        handled=has(action="handle"),
        handled_on_time=Coalesce(
            Subquery(events.filter(action="handle").order_by("at", "id").values("on_time")[:1]),
            Value(False),
        ),
        late=has(action__in=["handle", "verify"], on_time=False),
        extended=has(action="extend_approve"),
        reworks=Coalesce(
            Subquery(events.filter(action="rework").values("case").annotate(n=Count("pk")).values("n")),
            Value(0),
        ),
        handling_seconds=None,
    )
    last_verify = Subquery(events.filter(action="verify").order_by("-at", "-id").values("at")[:1])
    closed = qs.filter(status="closed", accepted_at__isnull=False).annotate(verified_at=last_verify)
    table = connection.ops.quote_name(case_model._meta.db_table)
    done, after = 0, 0
    while True:  # in id order, a batch at a time (not writing under an open cursor)
        part = list(
            closed.filter(pk__gt=after).order_by("pk").values_list("pk", "accepted_at", "verified_at")[:batch]
        )
        if not part:
            return done
        after = part[-1][0]
        rows = [(handling_seconds(a, v), pk) for pk, a, v in part if v is not None]
        with connection.cursor() as cur:
            cur.executemany(f"UPDATE {table} SET handling_seconds = %s WHERE id = %s", rows)  # noqa: S608
        done += len(rows)
