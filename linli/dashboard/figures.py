"""The figures of a region node and of each of its children, for the dashboards, the
API, the map and the monthly reports alike (so they cannot disagree).

Every measure is one query grouped on the children's scope column (``subdistrict_id``
under a district …), run through the user's scope: the number of queries does not grow
with the number of children, and a total only adds up what the user may see. Each
measure counts exactly what the list it links to lists (``links``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from linli.accounts.models import Department
from linli.cases.indicators import cohort_counts, compute_by, indicators_of
from linli.cases.models import OPEN_STATUSES, Case, Status
from linli.cases.queries import case_filters
from linli.core import parallel
from linli.core.dates import day_bounds, years_ago
from linli.core.scoping import restrict
from linli.people.codes import ResidenceType
from linli.people.models import GroupTag, Household, Resident, SpecialGroup, current_tag_q
from linli.regions.models import Region
from linli.visits import care
from linli.visits.models import Visit
from linli.volunteers import stats

from . import tallied
from .tallied import Table

# age bands: (key, youngest, oldest or None)
AGE_BANDS = (("age_0_17", 0, 17), ("age_18_59", 18, 59), ("age_60_79", 60, 79), ("age_80", 80, None))
COVERAGE_DAYS = 30


@dataclass
class Period:
    name: str
    first: dt.date
    last: dt.date

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return day_bounds(self.first, self.last)

    @property
    def month(self) -> dt.date:
        """The month whose visit quota counts: the period's last."""
        return self.last.replace(day=1)


@dataclass
class Board:
    """A node's figures (``total``) and each visible child's (``rows``), by measure key."""

    node: Region
    period: Period
    total: dict = field(default_factory=dict)
    rows: list[tuple[Region, dict]] = field(default_factory=list)
    groups: list[SpecialGroup] = field(default_factory=list)


def _grouped(qs, col: str | None, **aggregates):
    """Rows of ``aggregates`` per value of ``col`` (one row without a column)."""
    if col is None:
        return [qs.aggregate(**aggregates)]
    return list(qs.values(col).annotate(**aggregates).order_by())


def _grouped_in_range(qs, col: str | None, **aggregates):
    """``_grouped`` for rows found by a range index (a period): grouped by an expression of
    ``col`` that no index gives in order, or SQLite walks the whole ``col`` index to skip
    the sorting (every visit ever, to count a month's)."""
    if col is None:
        return [qs.aggregate(**aggregates)]
    rows = qs.values(k=Coalesce(col, Value(""))).annotate(**aggregates).order_by()
    return [{col: r.pop("k") or None, **r} for r in rows]


def population(user, node: Region, col: str | None, table: Table, today: dt.date) -> list[SpecialGroup]:
    """Residents by residence type and age band, households, special-group members.

    A group's member counts once, as the list filter does: the residents with a current
    tag (counted from the tags, a small table), plus for a group with an age rule those of
    that age (counted with the residents), tagged or not."""
    at = {f"{node.level}_id": node.code}
    groups = list(SpecialGroup.objects.filter(active=True, applies_to=SpecialGroup.AppliesTo.RESIDENT))
    counts = {"residents": Count("pk")}
    counts.update(
        {t: Count("pk", filter=Q(residence_type=t)) for t in ResidenceType.values if t != "foreign"}
    )
    for key, young, old in AGE_BANDS:
        cond = Q(birth_date__lte=years_ago(young, today))
        if old is not None:
            cond &= Q(birth_date__gt=years_ago(old + 1, today))
        counts[key] = Count("pk", filter=cond)
    aged = {
        f"aged_{g.code}": Count("pk", filter=Q(birth_date__lte=years_ago(g.derived_min_age, today)))
        for g in groups
        if g.derived_min_age
    }
    if not _tallied_residents(user, node, col, table, today, groups):
        residents = restrict(Resident.objects.filter(archived_at__isnull=True, **at), user)
        table.add(
            _grouped(residents, col, **counts, **aged),
            col,
            **{k: k for k in counts},
            **{k.replace("aged_", "group_", 1): k for k in aged},
        )
    if not tallied.households(user, node, col, table):
        households = restrict(Household.objects.filter(archived_at__isnull=True, **at), user)
        table.add(_grouped(households, col, n=Count("pk")), col, households="n")
    _members(user, at, col, table, today, groups)
    return groups


def _members(user, at: dict, col: str | None, table: Table, today: dt.date, groups) -> None:
    """The residents with a current tag of each group (those of a group with an age rule
    only when younger: the others are counted by age, with the residents)."""
    # residents who moved out: the few archived ones, not a lookup per tag
    moved_out = Resident.objects.filter(archived_at__isnull=False).values("pk")
    tags = restrict(
        GroupTag.objects.filter(current_tag_q(today), resident__isnull=False, **at).exclude(
            resident__in=moved_out
        ),
        user,
    )
    plain = {g.pk: f"group_{g.code}" for g in groups if not g.derived_min_age}
    if plain:  # from the tags' index alone, per child and group
        rows = (
            tags.filter(group__in=plain)
            .values(*[c for c in (col, "group") if c])
            .annotate(n=Count("resident", distinct=True))
        )
        for r in rows.order_by():
            table.data[r[col] if col else None][plain[r["group"]]] += r["n"]
    younger = {
        f"group_{g.code}": Count(
            "resident",
            distinct=True,
            filter=Q(group=g) & ~Q(resident__birth_date__lte=years_ago(g.derived_min_age, today)),
        )
        for g in groups
        if g.derived_min_age
    }
    if younger:
        part = tags.filter(group__in=[g.pk for g in groups if g.derived_min_age])
        table.add(_grouped(part, col, **younger), col, **{k: k for k in younger})
    for key in plain.values():  # a group nobody is in still shows, as 0
        table.data[None][key] += 0


def _tallied_residents(user, node: Region, col: str | None, table: Table, today: dt.date, groups) -> bool:
    """``population``'s resident counts from the kept counts (False: count the table)."""
    if not tallied.residents(user, node, col, table):
        return False
    dates = {f"by_{young}": years_ago(young, today) for _k, young, _o in AGE_BANDS}
    dates.update({f"by_{old + 1}": years_ago(old + 1, today) for _k, _y, old in AGE_BANDS if old is not None})
    dates.update(
        {f"by_{g.derived_min_age}": years_ago(g.derived_min_age, today) for g in groups if g.derived_min_age}
    )
    born = tallied.born_by(user, node, col, dates)
    assert born is not None  # residents are seen by region, as the type counts just were
    for child in set().union(*born.values()):
        by = {m: born[m].get(child, 0) for m in born}
        for key, young, old in AGE_BANDS:
            table.data[child][key] += by[f"by_{young}"] - (by[f"by_{old + 1}"] if old is not None else 0)
        for g in groups:
            if g.derived_min_age:
                table.data[child][f"group_{g.code}"] += by[f"by_{g.derived_min_age}"]
    return True


def cases(user, node: Region, col: str | None, table: Table, period: Period, now: dt.datetime) -> dict:
    """New, open, overdue and closed cases; the counts of the period's cohort for the case
    indicators (``indicators_of``, once the residents are counted)."""
    at = {f"{node.level}_id": node.code}
    lo, hi = period.bounds
    qs = restrict(Case.objects.filter(**at), user)
    if not tallied.cases(user, node, col, table, period.first, period.last, now):
        for measure, where in (
            ("cases_new", Q(created_at__gte=lo, created_at__lt=hi)),
            ("cases_open", Q(status__in=OPEN_STATUSES)),
            ("cases_overdue", Q(due_at__lt=now)),
            ("cases_closed", Q(closed_at__gte=lo, closed_at__lt=hi)),
        ):
            table.add(_grouped(qs.filter(where), col, n=Count("pk")), col, **{measure: "n"})
    return cohort_counts(qs, lo, hi, col, total=True)


def visits(user, node: Region, col: str | None, table: Table, period: Period, now: dt.datetime) -> None:
    """Visits in the period, households visited in person in the last 30 days (coverage),
    grid workers and community staff who met this month's quota."""
    at = {f"{node.level}_id": node.code}
    lo, hi = period.bounds
    if not tallied.visits(user, node, col, table, period.first, period.last):
        table.add(
            _grouped_in_range(
                restrict(Visit.objects.filter(visited_at__gte=lo, visited_at__lt=hi, **at), user),
                col,
                n=Count("pk"),
            ),
            col,
            visits="n",
        )
    recent = care.recent_visits(user, COVERAGE_DAYS, now=now).filter(**at)
    table.add(
        _grouped_in_range(recent, col, n=Count("household", distinct=True)), col, households_visited="n"
    )
    for row in care.progress(user, period.month, area=Q(**at)):
        key = getattr(row.post.region, col) if col else None
        table.data[key]["quota_workers"] += 1
        table.data[key]["quota_met"] += int(row.households >= row.quota)


def volunteers(user, node: Region, col: str | None, table: Table, period: Period, today: dt.date) -> None:
    total, children = stats.figures(user, node, period.first, period.last, today=today)
    keys = ("volunteers", "active_90", "party_members", "hours", "activities", "points_issued")
    rows = [(c.region.code if c.region else None, c) for c in children] if col else [(None, total)]
    for key, f in rows:
        for k in keys:
            table.data[key][f"vol_{k}"] += getattr(f, k)
    if col:  # what sits above the children's level (a subdistrict's own volunteers …)
        for k in keys:
            table.data[None][f"vol_{k}"] += getattr(total, k) - sum(getattr(f, k) for _c, f in rows)


def _rates(row: dict) -> None:
    """The rates derived from counts, in place."""
    row["coverage"] = (
        round(row["households_visited"] / row["households"], 4) if row.get("households") else None
    )
    workers = row.get("quota_workers", 0)
    row["quota_rate"] = round(row.get("quota_met", 0) / workers, 4) if workers else None


def board(user, node: Region, period: Period, *, now: dt.datetime | None = None) -> Board:
    """The dashboard of ``node`` for ``user`` (who must be allowed to see the node).

    Its counts run in two groups at once (``core.parallel``): people (population,
    volunteers) and activity (cases, visits)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    col = f"{node.child_level}_id" if node.child_level else None
    children = list(restrict(Region.objects.filter(parent=node), user).order_by("code")) if col else []

    def people() -> tuple[Table, list[SpecialGroup]]:
        table = Table()
        groups = population(user, node, col, table, today)
        volunteers(user, node, col, table, period, today)
        return table, groups

    def activity() -> tuple[Table, dict]:
        table = Table()
        cohort = cases(user, node, col, table, period, now)
        visits(user, node, col, table, period, now)
        return table, cohort

    (table, groups), (more, cohort) = parallel.both(people, activity)
    table.merge(more)
    residents = {child.code: table.data.get(child.code, {}).get("residents", 0) for child in children}
    residents[None] = table.total("residents")
    by_child = indicators_of(cohort, residents)

    measures = {m for row in table.data.values() for m in row}
    total = {m: table.total(m) for m in measures}
    total.update(by_child.pop(None).as_dict())
    _rates(total)
    out = Board(node=node, period=period, total=total, groups=groups)
    for child in children:
        row = {m: table.data.get(child.code, {}).get(m, 0) for m in measures}
        row.update(by_child[child.code].as_dict())
        _rates(row)
        out.rows.append((child, row))
    return out


@dataclass
class DepartmentRow:
    department: Department
    figures: dict


def departments(user, period: Period, *, now: dt.datetime | None = None) -> tuple[dict, list[DepartmentRow]]:
    """Per functional department the user may see: cases dispatched to it in the period,
    waiting on it now, overdue now, and the case indicators of the period's cohort."""
    now = now or timezone.now()
    lo, hi = period.bounds
    depts = list(restrict(Department.objects.select_related("region"), user).order_by("region_id", "name"))
    ids = [d.pk for d in depts]
    qs = restrict(Case.objects.filter(department_id__in=ids), user)
    table = Table()
    # the case list's own filter: dispatched in the period to the department it is with now
    dispatched = case_filters(
        qs, {"dispatched_from": period.first.isoformat(), "dispatched_to": period.last.isoformat()}
    )
    table.add(_grouped(dispatched, "department_id", n=Count("pk")), "department_id", dispatched="n")
    waiting = qs.filter(status=Status.DISPATCHED)
    table.add(_grouped(waiting, "department_id", n=Count("pk")), "department_id", waiting="n")
    table.add(
        _grouped(waiting.filter(due_at__lt=now), "department_id", n=Count("pk")), "department_id", overdue="n"
    )
    by_dept = compute_by(qs, lo, hi, "department_id", residents=dict.fromkeys(ids, 0))
    total = {m: table.total(m) for m in ("dispatched", "waiting", "overdue")}
    total.update(compute_by(qs, lo, hi, None, residents={None: 0})[None].as_dict())
    rows = []
    for d in depts:
        row = {m: table.data.get(d.pk, {}).get(m, 0) for m in ("dispatched", "waiting", "overdue")}
        row.update(by_dept[d.pk].as_dict())
        rows.append(DepartmentRow(d, row))
    return total, rows
