"""Which cases a page or endpoint shows: the to-do of a person, the list filters and the
indicators' selection. Callers pass the user's scoped queryset (``core.scoping.restrict``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.clusters import parse_bbox
from linli.core.dates import day_bounds, parse_day
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import region_q
from linli.core.roles import Role
from linli.core.scoping import restrict, user_posts

from .models import OPEN_STATUSES, Case, CaseEvent, HandlingLevel, Status
from .workflow import check_bulk_size


def todo_q(user) -> Q:
    """The cases waiting on this person: what their posts have to do next."""
    q = Q(pk__in=[])
    for p in user_posts(user):
        if p.role == Role.DEPARTMENT_HANDLER:
            q |= Q(status=Status.DISPATCHED, department_id=p.department_id)
        elif p.role == Role.GRID_WORKER:
            q |= Q(grid_id=p.region_id) & (
                Q(status=Status.HANDLED) | Q(status=Status.ACCEPTED, level=HandlingLevel.COMMUNITY)
            )
        elif p.role == Role.COMMUNITY_STAFF:
            q |= Q(community_id=p.region_id) & (
                Q(status__in=[Status.REPORTED, Status.HANDLED])
                | Q(status=Status.ACCEPTED, level=HandlingLevel.COMMUNITY)
            )
        elif p.role == Role.SUBDISTRICT_OPERATOR:
            q |= Q(subdistrict_id=p.region_id, status=Status.ACCEPTED, level=HandlingLevel.SUBDISTRICT)
        elif p.role == Role.DISTRICT_OPERATOR:
            q |= Q(district_id=p.region_id, status=Status.ACCEPTED, level=HandlingLevel.DISTRICT)
    return q


def todo(qs: QuerySet[Case], user) -> QuerySet[Case]:
    """The cases of ``qs`` waiting on ``user``, most urgent first (time limit, then id):
    the to-do page and the API's ``todo=true``, along the to-do indexes."""
    return qs.filter(todo_q(user)).order_by("due_at", "id")


def _common(qs: QuerySet, f: Mapping) -> QuerySet:
    if f.get("region"):
        qs = qs.filter(region_q(str(f["region"])))
    if str(f.get("department") or "").isdigit():
        qs = qs.filter(department_id=f["department"])
    if str(f.get("category") or "").isdigit():
        qs = qs.filter(Q(category_id=f["category"]) | Q(category__parent_id=f["category"]))
    return qs


def case_filters(qs: QuerySet[Case], f: Mapping) -> QuerySet[Case]:
    """List filters: status (``open`` for any open one), level, category (with its
    subcategories), department, overdue, region node, report, dispatch and closing dates, a map
    area (``bbox``)."""
    qs = _common(qs, f)
    box = parse_bbox(f.get("bbox"))  # a malformed area is ignored, like a malformed date
    if box:
        qs = qs.filter(lng__gte=box[0], lat__gte=box[1], lng__lte=box[2], lat__lte=box[3])
    if f.get("status") in Status.values:
        qs = qs.filter(status=f["status"])
    if f.get("level") in HandlingLevel.values:
        qs = qs.filter(level=f["level"])
    if f.get("open"):
        qs = qs.filter(status__in=OPEN_STATUSES)
    if f.get("overdue"):
        qs = qs.filter(due_at__lt=timezone.now())
    dispatched = {
        lookup: day
        for key, lookup in (("dispatched_from", "at__date__gte"), ("dispatched_to", "at__date__lte"))
        if (day := parse_day(str(f.get(key) or "")))
    }
    if dispatched:  # dispatched to its department in those days
        qs = qs.filter(
            Exists(
                CaseEvent.objects.filter(
                    case=OuterRef("pk"), action="dispatch", department=OuterRef("department"), **dispatched
                )
            )
        )
    for key, lookup in (
        ("from", "created_at__date__gte"),
        ("to", "created_at__date__lte"),
        ("closed_from", "closed_at__date__gte"),
        ("closed_to", "closed_at__date__lte"),
    ):
        day = parse_day(str(f.get(key) or ""))
        if day:
            qs = qs.filter(**{lookup: day})
    return qs


def indicator_filters(user, f: Mapping) -> tuple:
    """(cases, start, end, residents, first day, last day) for the indicators: region
    node, department, category and the period ``from``–``to`` (dates, both included; the
    last 30 days by default), within the user's scope."""
    from linli.people.models import Resident

    today = timezone.localdate()
    first = parse_day(str(f.get("from") or "")) or today - dt.timedelta(days=29)
    last = parse_day(str(f.get("to") or "")) or today
    start, end = day_bounds(first, last)
    cases = _common(restrict(Case.objects.all(), user), f)
    residents = restrict(Resident.objects.filter(archived_at__isnull=True), user)
    if f.get("region"):
        residents = residents.filter(region_q(str(f["region"])))
    return cases, start, end, residents.count(), first, last


def bulk_selection(user, ids: list[int]) -> QuerySet[Case]:
    """The cases chosen for a bulk action; refused whole when there are too many or when
    any of them is missing or out of the user's scope."""
    check_bulk_size(len(ids))
    cases = restrict(Case.objects.filter(pk__in=ids), user, "change").order_by("id")
    if cases.count() != len(set(ids)):
        raise ServiceError(
            ErrorCode.NOT_FOUND, _("所选事件中有的不存在或不在您的管辖范围内，全部未处理。"), field="ids"
        )
    return cases
