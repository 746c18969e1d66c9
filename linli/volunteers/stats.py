"""Volunteer figures for a region node and each of its children: one GROUP BY per measure
on the child level's scope column (no query per child), each through the user's scope.

- volunteers: registered (active) volunteers registered under the node; ``active_90``:
  of them, those who served in the last 90 days; ``party_members``: members on the roll
- ``hours``: hours served in the period (activities starting in it, tasks confirmed in
  it), counted where the volunteer is registered
- ``activities``: activities published or finished that start in the period
- ``points_issued`` / ``points_redeemed``: earned and spent in the period, net of
  corrections of such entries
- ``tasks_claimed`` / ``tasks_done``: tasks and wishes claimed / confirmed in the period
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from linli.core.dates import day_bounds
from linli.core.scoping import restrict
from linli.regions.models import Region

from .filters import HELD, ISSUED, REDEEMED
from .models import Activity, PartyMember, PointEntry, SignUp, Task, Volunteer

ACTIVE_DAYS = 90


@dataclass
class Figures:
    region: Region | None
    volunteers: int = 0
    active_90: int = 0
    party_members: int = 0
    hours: Decimal = field(default_factory=Decimal)
    activities: int = 0
    points_issued: int = 0
    points_redeemed: int = 0
    tasks_claimed: int = 0
    tasks_done: int = 0

    def add(self, other: Figures) -> None:
        for f in fields(self):
            if f.name != "region":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "region"}
        data["hours"] = float(self.hours)
        return data


def figures(user, node: Region, start: dt.date, end: dt.date, *, today: dt.date | None = None):
    """(total, [figures per child]) for ``node`` in [start, end], within ``user``'s scope."""
    today = today or timezone.localdate()
    lo, hi = day_bounds(start, end)
    col = node.child_level
    at = f"{node.level}_id"
    rows: dict[str | None, Figures] = {}

    def row(key) -> Figures:
        return rows.setdefault(key, Figures(None))

    def grouped(qs, prefix: str = "", **aggregates):
        key = f"{prefix}{col}_id" if col else None
        if key is None:
            return [{"key": None, **qs.aggregate(**aggregates)}]
        return [{"key": r[key], **r} for r in qs.values(key).annotate(**aggregates).order_by()]

    volunteers = restrict(Volunteer.objects.filter(**{at: node.code}, status=Volunteer.Status.ACTIVE), user)
    since = today - dt.timedelta(days=ACTIVE_DAYS)
    for r in grouped(volunteers, n=Count("id"), active=Count("id", filter=Q(last_active_on__gte=since))):
        row(r["key"]).volunteers += r["n"] or 0
        row(r["key"]).active_90 += r["active"] or 0
    members = restrict(PartyMember.objects.filter(**{at: node.code}, active=True), user)
    for r in grouped(members, n=Count("id")):
        row(r["key"]).party_members += r["n"] or 0

    in_scope_volunteers = restrict(Volunteer.objects.filter(**{at: node.code}), user).values("pk")
    signups = SignUp.objects.filter(
        volunteer__in=in_scope_volunteers,
        hours__isnull=False,
        activity__starts_at__gte=lo,
        activity__starts_at__lt=hi,
    )
    for r in grouped(signups, "volunteer__", h=Sum("hours")):
        row(r["key"]).hours += r["h"] or 0
    tasks_confirmed = Task.objects.filter(
        claimed_by__in=in_scope_volunteers,
        status=Task.Status.CONFIRMED,
        confirmed_at__gte=lo,
        confirmed_at__lt=hi,
    )
    for r in grouped(tasks_confirmed, "claimed_by__", h=Sum("hours")):
        row(r["key"]).hours += r["h"] or 0

    activities = restrict(
        Activity.objects.filter(
            **{at: node.code},
            status__in=HELD,
            starts_at__gte=lo,
            starts_at__lt=hi,
        ),
        user,
    )
    for r in grouped(activities, n=Count("id")):
        row(r["key"]).activities += r["n"] or 0

    entries = restrict(
        PointEntry.objects.filter(**{at: node.code}, created_at__gte=lo, created_at__lt=hi), user
    )
    for r in grouped(entries, issued=Sum("points", filter=ISSUED), spent=Sum("points", filter=REDEEMED)):
        row(r["key"]).points_issued += r["issued"] or 0
        row(r["key"]).points_redeemed -= r["spent"] or 0

    tasks = restrict(Task.objects.filter(**{at: node.code}), user)
    for r in grouped(
        tasks,
        claimed=Count("id", filter=Q(claimed_at__gte=lo, claimed_at__lt=hi)),
        done=Count("id", filter=Q(status=Task.Status.CONFIRMED, confirmed_at__gte=lo, confirmed_at__lt=hi)),
    ):
        row(r["key"]).tasks_claimed += r["claimed"] or 0
        row(r["key"]).tasks_done += r["done"] or 0

    total = Figures(node)
    for f in rows.values():
        total.add(f)
    children = []
    if col:
        for child in restrict(Region.objects.filter(parent=node), user).order_by("code"):
            figures_of = rows.get(child.code, Figures(None))
            figures_of.region = child
            children.append(figures_of)
    return total, children
