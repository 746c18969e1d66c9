"""Grid work endpoints under /api/v1/visits/: the diary, the due-list, quotas, coverage,
home-service deliveries and duty; scoped and audited like the pages."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from linli.cases.models import Category
from linli.core.models import region_q
from linli.core.scoping import access_by_pk, restrict

from . import care, services
from .models import Delivery, DutyShift, HomeService, Visit

router = Router(tags=["visits"])


class VisitIn(Schema):
    kind: Visit.Kind = Visit.Kind.HOME
    visited_at: dt.datetime | None = Field(None, description="default: now; never in the future")
    household: int | None = None
    resident: int | None = None
    compound: int | None = None
    place: str = ""
    met: str = ""
    findings: str = ""
    needs: str = ""
    lat: float | None = None
    lng: float | None = None
    new_phone: str = Field("", description="the resident's new mobile number, written to the registry")
    moved_out_on: dt.date | None = Field(None, description="the resident has moved out of the district")
    moved_out_reason: str = ""


class VisitOut(Schema):
    id: int
    kind: str
    visited_at: dt.datetime
    worker_id: int
    grid_code: str = Field(alias="grid_region_id")
    household_id: int | None
    resident_id: int | None
    compound_id: int | None
    place: str
    met: str
    findings: str
    needs: str
    lat: float | None
    lng: float | None
    case_id: int | None


class VisitQuery(Schema):
    region: str | None = None
    worker: int | None = None
    household: int | None = None
    kind: str | None = None
    since: dt.date | None = None


@router.post("/visits", response={201: VisitOut, 200: VisitOut})
def create_visit(request, payload: VisitIn):
    """Record a visit. An ``Idempotency-Key`` header makes a retried request return the
    visit it recorded the first time (200) instead of a second one."""
    key = request.headers.get("Idempotency-Key")
    visit = Visit(
        kind=payload.kind,
        visited_at=payload.visited_at or timezone.now(),
        household_id=payload.household,
        resident_id=payload.resident,
        compound_id=payload.compound,
        place=payload.place,
        met=payload.met,
        findings=payload.findings,
        needs=payload.needs,
        lat=payload.lat,
        lng=payload.lng,
        token=f"api:{request.auth.pk}:{key[:50]}" if key else None,
    )
    registry = services.RegistryUpdate(payload.new_phone, payload.moved_out_on, payload.moved_out_reason)
    visit, created = services.do_record_visit(visit, actor=request.auth, registry=registry)
    if not created:  # a retry: the visit as it is now, if the caller still may see it
        return Status(200, access_by_pk(Visit, request.auth, visit.pk))
    return Status(201, visit)


@router.get("/visits", response=list[VisitOut])
@paginate
def list_visits(request, query: Query[VisitQuery]):
    qs = restrict(Visit.objects.all(), request.auth)
    if query.region:
        qs = qs.filter(region_q(query.region))
    if query.worker:
        qs = qs.filter(worker_id=query.worker)
    if query.household:
        qs = qs.filter(household_id=query.household)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.since:
        qs = qs.filter(visited_at__date__gte=query.since)
    return qs


@router.get("/visits/{visit_id}", response=VisitOut)
def get_visit(request, visit_id: int):
    return access_by_pk(Visit, request.auth, visit_id)


class ToCaseIn(Schema):
    category: str = Field(description="subcategory code, see /api/v1/cases/categories")
    description: str = ""


class ToCaseOut(Schema):
    case_id: int
    number: str


@router.post("/visits/{visit_id}/case", response={201: ToCaseOut})
def visit_to_case(request, visit_id: int, payload: ToCaseIn):
    """Turn the visit's finding into a case (channel 网格员上报); the visit links to it."""
    visit = access_by_pk(Visit, request.auth, visit_id)
    category = Category.objects.filter(code=payload.category).first()
    case = services.do_visit_to_case(
        visit, actor=request.auth, category=category, description=payload.description
    )
    return Status(201, {"case_id": case.pk, "number": case.number})


class DueOut(Schema):
    household_id: int | None
    resident_id: int | None
    label: str
    address: str
    grid_code: str
    groups: list[str]
    every_days: int
    care_level: int
    last_visit: dt.date | None
    due_on: dt.date
    overdue_days: int


@router.get("/due", response=list[DueOut])
def due_list(
    request,
    region: str | None = None,
    window: int = Query(care.SOON_DAYS, ge=0, le=60),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
):
    """Who the special groups' care rules say is due (within ``window`` days) or overdue,
    most urgent first, for everyone in the caller's scope (optionally under ``region``)."""
    today = timezone.localdate()
    area = care.user_area(request.auth) & (region_q(region) if region else Q())
    page = care.due_items(area, today=today, window=window, labels=0)[offset : offset + limit]
    care.label_items(page)
    return [
        {**i.__dict__, "grid_code": i.grid_id, "overdue_days": max(0, i.overdue_days(today))} for i in page
    ]


class ProgressOut(Schema):
    user_id: int
    name: str
    role: str
    region: str
    quota: int
    households: int
    visits: int
    percent: int


@router.get("/progress", response=list[ProgressOut])
def progress(request, month: str | None = Query(None, description="YYYY-MM, default this month")):
    """Households visited in person this month against the quota, for the caller and
    everyone below the caller's posts."""
    day = care.month_start(month)
    return [
        {
            "user_id": r.user.pk,
            "name": str(r.user),
            "role": r.post.role,
            "region": r.post.region_id,
            "quota": r.quota,
            "households": r.households,
            "visits": r.visits,
            "percent": r.percent,
        }
        for r in care.progress(request.auth, day)
    ]


class CoverageOut(Schema):
    grid_code: str
    grid_name: str
    households: int
    visited: int
    not_visited: int
    percent: int
    care_due: int
    care_overdue: int


@router.get("/coverage", response=list[CoverageOut])
def coverage(request, days: int = Query(30, ge=1, le=366), region: str | None = None):
    rows = care.coverage(request.auth, days=days, area=region_q(region) if region else Q())
    return [
        {
            "grid_code": r.grid.code,
            "grid_name": r.grid.name,
            "households": r.households,
            "visited": r.visited,
            "not_visited": r.not_visited,
            "percent": r.percent,
            "care_due": r.care_due,
            "care_overdue": r.care_overdue,
        }
        for r in rows
    ]


class DeliveryIn(Schema):
    delivered_on: dt.date | None = None
    done: bool = True
    by: str = ""
    note: str = ""


class DeliveryOut(Schema):
    id: int
    service_id: int
    delivered_on: dt.date
    done: bool
    by: str
    note: str


@router.post("/home-services/{service_id}/deliveries", response={201: DeliveryOut})
def record_delivery(request, service_id: int, payload: DeliveryIn):
    service = access_by_pk(HomeService, request.auth, service_id)
    delivery = Delivery(
        service=service,
        delivered_on=payload.delivered_on or timezone.localdate(),
        done=payload.done,
        by=payload.by,
        note=payload.note,
    )
    return Status(201, services.do_record_delivery(delivery, actor=request.auth))


class ShiftOut(Schema):
    id: int
    post: str
    region_code: str = Field(alias="region_id")
    worker_id: int
    worker: str
    day: dt.date
    start: dt.time
    end: dt.time

    @staticmethod
    def resolve_worker(obj):
        return str(obj.worker)


@router.get("/duty", response=list[ShiftOut])
@paginate
def duty(request, start: dt.date | None = None, end: dt.date | None = None):
    """Duty shifts in the caller's scope between ``start`` and ``end`` (default: this week)."""
    today = timezone.localdate()
    start = start or today - dt.timedelta(days=today.weekday())
    end = end or start + dt.timedelta(days=6)
    return restrict(DutyShift.objects.filter(day__gte=start, day__lte=end), request.auth).select_related(
        "worker"
    )
