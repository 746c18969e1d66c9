"""What grid work owes: the care due-list (special groups' visit rules), monthly quota
progress per worker and visit coverage per grid. Read-only; every query is scoped.

Visits that count, for quotas and for care rules alike, are the ones made in person
(入户走访 and 慰问: ``IN_PERSON``); a visit to a household counts for each member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Post, User
from linli.core.dates import day_bounds
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import SCOPE_FIELDS
from linli.core.roles import ROLE_LEVEL, Level, Role
from linli.core.scoping import restrict, scope_q
from linli.people.models import GroupTag, Household, Resident, SpecialGroup
from linli.regions.models import Region

from .models import HomeService, Visit, VisitQuota

IN_PERSON = (Visit.Kind.HOME, Visit.Kind.CONDOLENCE)
DEFAULT_QUOTA = 20
QUOTA_ROLES = (Role.COMMUNITY_STAFF, Role.GRID_WORKER)
SOON_DAYS = 3  # "due" means due within this many days; earlier dates are overdue


@dataclass
class DueItem:
    """A household or resident the care rules say must be visited."""

    household_id: int | None
    resident_id: int | None
    label: str
    address: str
    grid_id: str
    groups: list[str] = field(default_factory=list)
    every_days: int = 0
    care_level: int = 3
    since: dt.date | None = None
    last_visit: dt.date | None = None
    due_on: dt.date | None = None

    def overdue_days(self, today: dt.date) -> int:
        return (today - self.due_on).days if self.due_on else 0


def month_start(value: str | None) -> dt.date:
    """The first day of ``value`` ("YYYY-MM"), or of this month when empty."""
    if not value:
        return timezone.localdate().replace(day=1)
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise ServiceError(ErrorCode.INVALID, _("月份格式应为 YYYY-MM。"), field="month") from exc


def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = day.replace(day=1)
    return day_bounds(first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def due_items(
    area: Q, *, today: dt.date | None = None, window: int = SOON_DAYS, labels: int | None = None
) -> list[DueItem]:
    """Everyone under ``area`` (a Q on the scope columns) whose care rule makes a visit
    due by ``today + window``, most urgent first (earliest date, then care level).

    Reads plain columns only (no model instances, no decryption); names and addresses
    are filled in for the first ``labels`` items (all when None)."""
    today = today or timezone.localdate()
    groups = {g.pk: g for g in SpecialGroup.objects.filter(active=True, visit_every_days__isnull=False)}
    if not groups:
        return []
    items: dict[tuple, DueItem] = {}
    resident_household: dict[int, int | None] = {}

    def add(key, household_id, resident_id, grid_id, group, since, level):
        item = items.get(key)
        if item is None:
            item = items[key] = DueItem(
                household_id,
                resident_id,
                "",
                "",
                grid_id,
                every_days=group.visit_every_days,
                care_level=level,
                since=since,
            )
        item.groups.append(group.name)
        item.every_days = min(item.every_days, group.visit_every_days)
        item.care_level = min(item.care_level, level)
        item.since = min(item.since, since) if item.since else since

    current = Q(end_date__isnull=True) | Q(end_date__gte=today)
    tags = (
        GroupTag.objects.filter(area, current, group_id__in=list(groups), start_date__lte=today)
        .filter(
            Q(resident__isnull=False, resident__archived_at__isnull=True)
            | Q(household__isnull=False, household__archived_at__isnull=True)
        )
        .values_list(
            "resident_id",
            "resident__household_id",
            "household_id",
            "group_id",
            "start_date",
            "care_level",
            "grid_id",
        )
    )
    for resident_id, resident_hh, household_id, group_id, start, level, grid_id in tags:
        if resident_id:
            resident_household[resident_id] = resident_hh
            add(("r", resident_id), None, resident_id, grid_id, groups[group_id], start, level)
        else:
            add(("h", household_id), household_id, None, grid_id, groups[group_id], start, level)
    for g in groups.values():
        if not g.derived_min_age:
            continue
        born_by = _add_years(today, -g.derived_min_age)
        rows = Resident.objects.filter(area, archived_at__isnull=True, birth_date__lte=born_by).values_list(
            "pk", "household_id", "birth_date", "grid_id"
        )
        for pk, household_id, birth, grid_id in rows:
            if birth is None:
                continue
            resident_household[pk] = household_id
            add(("r", pk), None, pk, grid_id, g, _add_years(birth, g.derived_min_age), 2)
    if not items:
        return []
    # the last in-person visit, from visits recent enough to matter
    longest = max(i.every_days for i in items.values())
    recent = Visit.objects.filter(
        area, kind__in=IN_PERSON, visited_at__gte=timezone.now() - dt.timedelta(days=longest + window + 1)
    ).order_by()
    last_h = dict(
        recent.filter(household__isnull=False).values_list("household_id").annotate(at=Max("visited_at"))
    )
    last_r = dict(
        recent.filter(resident__isnull=False).values_list("resident_id").annotate(at=Max("visited_at"))
    )
    due = []
    for item in items.values():
        if item.household_id:
            seen = [last_h.get(item.household_id)]
        else:
            hh = resident_household.get(item.resident_id or 0)
            seen = [last_r.get(item.resident_id), last_h.get(hh) if hh else None]
        last = max((s for s in seen if s), default=None)
        item.last_visit = timezone.localtime(last).date() if last else None
        start = item.last_visit or item.since or today
        item.due_on = start + dt.timedelta(days=item.every_days)
        if item.due_on <= today + dt.timedelta(days=window):
            due.append(item)
    due.sort(key=lambda i: (i.due_on, i.care_level, i.grid_id))
    label_items(due if labels is None else due[:labels])
    return due


ADDRESS = (
    "housing_unit__building__compound__name",
    "housing_unit__building__name",
    "housing_unit__unit",
    "housing_unit__room",
)


def _address(compound, building, unit, room) -> str:
    return " ".join(x for x in (compound, building, f"{unit}单元{room}" if unit else room) if x)


def label_items(items: list[DueItem]) -> None:
    """Names and addresses of ``items`` (two queries; the name is not personal data here)."""
    residents = {
        pk: (name, _address(*addr))
        for pk, name, *addr in Resident.objects.filter(
            pk__in=[i.resident_id for i in items if i.resident_id]
        ).values_list("pk", "name", *ADDRESS)
    }
    households = {
        pk: (head or "", _address(*addr))
        for pk, head, *addr in Household.objects.filter(
            pk__in=[i.household_id for i in items if i.household_id]
        ).values_list("pk", "head__name", *ADDRESS)
    }
    for i in items:
        i.label, i.address = (
            residents.get(i.resident_id, ("", ""))
            if i.resident_id
            else households.get(i.household_id, ("", ""))
        )


def user_area(user) -> Q:
    """What ``user`` may see of grid work, as a Q on the scope columns (any scoped model's,
    the regions' included): the subtrees of their region posts; nothing for a department."""
    q = scope_q(user, Visit, "view")
    return Q(pk__in=[]) if q is None else q


def posts_below(user):
    """Active region posts held inside ``user``'s area (the people a leader leads)."""
    regions = Region.objects.filter(user_area(user)).values("code")
    return Post.objects.filter(active=True, role__in=list(ROLE_LEVEL), region__in=regions)


def services_due(user, day: dt.date):
    """Home services in ``user``'s scope due on ``day`` (its weekday, within their dates)
    and not yet recorded for it."""
    return (
        restrict(HomeService.objects.filter(weekdays__contains=str(day.isoweekday())), user)
        .filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gte=day))
        .exclude(deliveries__delivered_on=day)
        .select_related("resident__housing_unit__building__compound")
    )


# --- quotas -----------------------------------------------------------------------------


@dataclass
class Progress:
    user: User
    post: Post
    quota: int
    households: int
    visits: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.households / self.quota)) if self.quota else 100


def progress(
    user, day: dt.date | None = None, *, only_self: bool = False, area: Q | None = None
) -> list[Progress]:
    """This month's quota progress: the user's own, and everyone's below the user's posts
    (held in ``area``, a Q on the regions' scope columns, when given)."""
    day = day or timezone.localdate()
    start, end = month_bounds(day)
    posts = Post.objects.filter(active=True, role__in=QUOTA_ROLES, user__is_active=True).select_related(
        "user", "region"
    )
    if only_self:
        posts = posts.filter(user=user)
    else:
        own = Q(user=user) if user.pk else Q(pk__in=[])  # a scheduled report's principal has none
        posts = posts.filter(Q(pk__in=posts_below(user).values("pk")) | own)
    if area is not None:
        posts = posts.filter(region__in=Region.objects.filter(area).values("code"))
    post_list = list(posts.order_by("region_id", "user__username"))
    quotas = _quotas(post_list)
    counts = {
        row["worker"]: row
        for row in Visit.objects.filter(
            worker__in={p.user_id for p in post_list}, visited_at__gte=start, visited_at__lt=end
        )
        .values("worker")
        .annotate(
            households=Count("household", distinct=True, filter=Q(kind__in=IN_PERSON)), visits=Count("pk")
        )
        .order_by()
    }
    seen: set[int] = set()
    rows = []
    for p in post_list:
        if p.user_id in seen:
            continue
        seen.add(p.user_id)
        c: Mapping = counts.get(p.user_id, {})
        rows.append(
            Progress(p.user, p, quotas[(p.role, p.region_id)], c.get("households", 0), c.get("visits", 0))
        )
    return rows


def _quotas(posts: list[Post]) -> dict[tuple[str, str | None], int]:
    """quota_for every post in one query."""
    codes = {getattr(p.region, f"{lvl}_id") for p in posts for lvl in SCOPE_FIELDS}
    found = {
        (q.role, q.region_id): q.households for q in VisitQuota.objects.filter(region_id__in=codes - {None})
    }
    out = {}
    for p in posts:
        value = DEFAULT_QUOTA
        for lvl in SCOPE_FIELDS:  # from the district down: the nearest setting wins
            code = getattr(p.region, f"{lvl}_id")
            if (p.role, code) in found:
                value = found[(p.role, code)]
        out[(p.role, p.region_id)] = value
    return out


# --- coverage ---------------------------------------------------------------------------


@dataclass
class Coverage:
    grid: Region
    households: int = 0
    visited: int = 0
    care_due: int = 0
    care_overdue: int = 0

    @property
    def not_visited(self) -> int:
        return max(0, self.households - self.visited)

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.households) if self.households else 0


def recent_visits(user, days: int, *, now: dt.datetime | None = None):
    """In-person visits to households still living here in the last ``days`` days, in
    ``user``'s scope: what coverage counts (households visited: distinct ``household``)."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    return restrict(
        # households that moved out: the few archived ones, not a lookup per visit
        Visit.objects.filter(kind__in=IN_PERSON, visited_at__gte=since, household__isnull=False).exclude(
            household__in=Household.objects.filter(archived_at__isnull=False).values("pk")
        ),
        user,
    )


def coverage(user, *, days: int = 30, area: Q | None = None, today: dt.date | None = None) -> list[Coverage]:
    """Per grid in the user's scope (and ``area``): households, households visited in
    person in the last ``days`` days, special-group visits due and overdue."""
    today = today or timezone.localdate()
    area = area if area is not None else Q()
    grids = Region.objects.filter(user_area(user), area, level=Level.GRID).order_by("code")
    rows = {g.code: Coverage(g) for g in grids}
    households = restrict(Household.objects.filter(archived_at__isnull=True), user).filter(area)
    for grid_id, n in households.values_list("grid_id").annotate(n=Count("pk")).order_by():
        if grid_id in rows:
            rows[grid_id].households = n
    visited = (
        recent_visits(user, days)
        .filter(area)
        .values_list("grid_id")
        .annotate(n=Count("household", distinct=True))
        .order_by()
    )
    for grid_id, n in visited:
        if grid_id in rows:
            rows[grid_id].visited = n
    scope = user_area(user) & area
    for item in due_items(scope, today=today, window=0, labels=0):
        row = rows.get(item.grid_id)
        if row:
            row.care_due += 1
            if item.due_on and item.due_on < today:
                row.care_overdue += 1
    return list(rows.values())


def not_visited(user, *, days: int, area: Q):
    """Households in ``area`` not visited in person for ``days`` days (the coverage drill-down)."""
    since = timezone.now() - dt.timedelta(days=days)
    seen = Visit.objects.filter(
        area, kind__in=IN_PERSON, visited_at__gte=since, household__isnull=False
    ).values("household_id")
    return (
        restrict(Household.objects.filter(archived_at__isnull=True), user)
        .filter(area)
        .exclude(pk__in=seen)
        .annotate(last_visit=Max("visits__visited_at", filter=Q(visits__kind__in=IN_PERSON)))
        .select_related("housing_unit__building__compound", "head")
        .order_by("last_visit", "pk")
    )
