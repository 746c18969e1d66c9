"""Case endpoints under /api/v1/cases/: intake (idempotent with an Idempotency-Key
header), lists, a case with its events, and transitions — scoped like the pages, and the
reporter hidden from departments the same way."""

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from linli.accounts.models import Department
from linli.core.clusters import parse_view
from linli.core.models import SCOPE_FIELDS
from linli.core.prepared import Prepared
from linli.core.scoping import access_by_pk, covers, restrict
from linli.regions.geo import to_wgs84

from . import indicators, workflow
from .mapping import case_features
from .models import Case, CaseEvent, Category, Channel
from .queries import bulk_selection, case_filters, indicator_filters, todo, todo_q
from .services import Intake, category_by_code, report_case

router = Router(tags=["cases"])


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    level: str
    accept_limit: str
    handle_limit: str
    verify_limit: str


class CaseIn(Schema):
    category: str = Field(description="subcategory code, e.g. 1101")
    description: str
    lat: float | None = None
    lng: float | None = None
    crs: str = Field(
        "wgs84", description="wgs84, or gcj02 for points from AMap / Tencent / WeChat location SDKs"
    )
    address: str = ""
    region: str | None = Field(None, description="grid or community code when no point is given")
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_visible: bool = False
    channel: str = Channel.API


class EventOut(Schema):
    at: dt.datetime
    action: str
    from_status: str
    to_status: str
    level: str
    actor: str = Field(alias="actor_label")
    note: str


class CaseOut(Schema):
    id: int
    number: str
    status: str
    level: str
    channel: str
    category: str = Field(alias="category.code")
    description: str
    address: str
    lat: float | None
    lng: float | None
    grid_code: str | None = Field(None, alias="grid_id")
    community_code: str | None = Field(None, alias="community_id")
    department_id: int | None
    due_at: dt.datetime | None
    warned: str
    reworks: int
    rating: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None


# what CaseOut reads: not the reporter (decrypted for nothing) nor the indicator facts
LIST_COLUMNS = (
    "number", "status", "level", "channel", "category__code", "description", "address", "lat", "lng",
    "grid", "community", "department", "due_at", "warned", "reworks", "rating", "created_at", "closed_at",
)  # fmt: skip


class CaseDetailOut(CaseOut):
    """``_detail`` attaches what the caller may see and do to the case first."""

    reporter_name: str | None = None
    reporter_phone: str | None = Field(None, description="masked; null where the caller may not see it")
    events: list[EventOut]
    actions: list[str] = Field(description="what the caller may do now")

    @staticmethod
    def resolve_reporter_name(obj):
        return obj.reporter_name if obj.api_reporter_visible else None

    @staticmethod
    def resolve_reporter_phone(obj):
        return obj.reporter_phone.masked if obj.api_reporter_visible and obj.reporter_phone else None

    @staticmethod
    def resolve_events(obj):
        return obj.api_events

    @staticmethod
    def resolve_actions(obj):
        return obj.api_actions


class ActIn(Schema):
    action: str
    note: str = ""
    department: int | None = None
    days: int | None = None
    rating: int | None = None


class BulkIn(Schema):
    ids: list[int] = Field(description="at most 200 case ids")
    action: str = Field(description="accept, reject, dispatch, escalate, send_down, supervise or verify")
    note: str = ""
    department: int | None = None


class BulkOut(Schema):
    done: list[int]


class CaseQuery(Schema):
    status: str | None = None
    level: str | None = None
    category: int | None = None
    department: int | None = None
    overdue: bool = False
    region: str | None = None
    todo: bool = Field(False, description="only what waits on the caller, most urgent first")


@router.get("/categories", response=list[CategoryOut])
def categories(request):
    return Category.objects.filter(active=True)


# on every action and detail (compiled once: see linli.core.prepared)
_events_of = Prepared(lambda case_id: CaseEvent.objects.filter(case_id=case_id))
_scope_of = Prepared(
    lambda pk: Case.objects.filter(pk=pk).only(*(f"{name}_id" for name in SCOPE_FIELDS), "department_id")
)


def _detail(request, case: Case) -> Case:
    case.api_reporter_visible = workflow.reporter_visible(request.auth, case)  # type: ignore[attr-defined]
    case.api_actions = workflow.allowed_actions(request.auth, case)  # type: ignore[attr-defined]
    events = getattr(case, "timeline", None)
    case.api_events = events if events is not None else _events_of(case_id=case.pk)  # type: ignore[attr-defined]
    return case


@router.post("/cases", response={201: CaseDetailOut, 200: CaseDetailOut})
def create_case(request, payload: CaseIn):
    from linli.regions.models import Region

    category = category_by_code(payload.category)
    region = None
    if payload.region:
        region = restrict(Region.objects.filter(code=payload.region), request.auth).first()
    key = request.headers.get("Idempotency-Key")
    lng, lat = to_wgs84(payload.lng, payload.lat, payload.crs)
    case, created = report_case(
        Intake(
            channel=payload.channel
            if payload.channel in (Channel.API, Channel.HOTLINE, Channel.GRID)
            else Channel.API,
            category=category,
            description=payload.description,
            lat=lat,
            lng=lng,
            address=payload.address,
            region=region,
            reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone,
            reporter_visible=payload.reporter_visible,
            idempotency_key=f"api:{request.auth.pk}:{key[:60]}" if key else None,
        ),
        actor=request.auth,
    )
    if not created:  # a retry: the case as it is now, if the caller still may see it
        case = access_by_pk(Case.objects.select_related("category"), request.auth, case.pk)
    return Status(201 if created else 200, _detail(request, case))


@router.get("/cases", response=list[CaseOut])
@paginate
def list_cases(request, query: Query[CaseQuery]):
    qs = Case.objects.select_related("category").only(*LIST_COLUMNS)
    if query.todo:
        qs = todo(qs, request.auth)
    return case_filters(restrict(qs, request.auth), query.dict())


class MapQuery(CaseQuery):
    bbox: str = Field(description="west,south,east,north in WGS84 degrees")
    zoom: int = Field(description="web-map zoom level, 0–20")


@router.get("/map", response=dict)
def case_map(request, query: Query[MapQuery]):
    """The cases in view as a GeoJSON FeatureCollection, clustered on the server (at most
    2,000 features): ``count`` per feature; single cases also carry ``id``, ``number``,
    ``category``, ``status``; every feature has ``bbox``, its cell, to list its cases."""
    view = parse_view(query.bbox, query.zoom)
    params = query.dict()
    params.pop("bbox")
    qs = Case.objects.all()
    if query.todo:
        qs = qs.filter(todo_q(request.auth))
    return case_features(
        case_filters(restrict(qs, request.auth), params), view, user=request.auth, params=params
    )


@router.get("/cases/{case_id}", response=CaseDetailOut)
def get_case(request, case_id: int):
    return _detail(request, access_by_pk(Case.objects.select_related("category"), request.auth, case_id))


@router.post("/cases/{case_id}/actions", response=CaseDetailOut)
def act(request, case_id: int, payload: ActIn):
    # the check alone, from the case's scope columns: act() reads the case again under its
    # lock. Missing and out of scope are the same 404, as access_by_pk makes them.
    found = _scope_of(pk=case_id)
    if not found or not covers(request.auth, found[0], "change"):
        raise Http404
    case = found[0]
    department = get_object_or_404(Department, pk=payload.department) if payload.department else None
    case = workflow.act(
        case,
        payload.action,
        actor=request.auth,
        note=payload.note,
        department=department,
        days=payload.days,
        rating=payload.rating,
    )
    # the case as the action left it, if the caller still may see it (a department's
    # handler who returns a case loses it)
    if not covers(request.auth, case, "view"):
        raise Http404
    return _detail(request, case)


@router.post("/bulk-actions", response=BulkOut)
def bulk_act(request, payload: BulkIn):
    """One action on many cases, all or nothing; a refusal lists every case that refused
    (``errors``: case number and message) and changes nothing."""
    cases = bulk_selection(request.auth, payload.ids)
    department = get_object_or_404(Department, pk=payload.department) if payload.department else None
    done = workflow.act_many(
        cases, payload.action, actor=request.auth, note=payload.note, department=department
    )
    return {"done": [c.pk for c in done]}


class IndicatorQuery(Schema):
    region: str | None = Field(None, description="district, subdistrict, community or grid code")
    department: int | None = None
    category: int | None = Field(None, description="a category id (its subcategories included)")
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None


class IndicatorsOut(Schema):
    period_from: dt.date
    period_to: dt.date
    accepted: int
    closed: int
    closure_rate: float | None
    on_time_handling_rate: float | None
    on_time_closure_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    satisfaction_rate: float | None
    rated: int
    average_handling_hours: float | None
    per_10k_residents: float | None
    residents: int


@router.get("/indicators", response=IndicatorsOut)
def case_indicators(request, query: Query[IndicatorQuery]):
    """Formulas: docs/indicators.md. The cohort is the cases accepted in the period."""
    params = {k: str(v) for k, v in query.dict(by_alias=True).items() if v is not None}
    cases, start, end, residents, first, last = indicator_filters(request.auth, params)
    data = indicators.compute(cases, start, end, residents=residents).as_dict()
    return {**data, "period_from": first, "period_to": last}
