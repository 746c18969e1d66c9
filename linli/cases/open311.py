"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Our subcategories are the services (service_code = category code, group = its parent);
cases are service requests (service_request_id = case number); every open state maps to
"open" and closed, rejected or merged to "closed", with the state in status_notes.
JSON and XML as the specification lays them out, chosen by the .json / .xml suffix.

POST requests needs an api_key (a Linli API token; the case is reported as that account,
within its scope). GET requests answer the public fields (code, status, times, a coarse
location) to anyone; the description and address only to a valid api_key whose account
may see the case. A reporter's identity is never returned.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET  # noqa: S405  (writing XML only; nothing is parsed)

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from linli.accounts.services import authenticate_token
from linli.core.errors import ServiceError
from linli.core.scoping import restrict
from linli.regions.models import Region

from .models import Case, Category, Channel, Status
from .services import Intake, report_case

CLOSED = {Status.CLOSED, Status.REJECTED, Status.MERGED}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_RESULTS = 1000
DEFAULT_DAYS = 90


def _respond(fmt: str, root: str, item: str, rows: list[dict], status: int = 200) -> HttpResponse:
    if fmt == "xml":
        top = ET.Element(root)
        for row in rows:
            el = ET.SubElement(top, item)
            for key, value in row.items():
                child = ET.SubElement(el, key)
                if isinstance(value, list):
                    for v in value:
                        ET.SubElement(child, "value" if key != "keywords" else "keyword").text = str(v)
                elif value is not None:
                    child.text = str(value).lower() if isinstance(value, bool) else str(value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, status=status, content_type=CONTENT_TYPES["xml"])
    return HttpResponse(
        json.dumps(rows, ensure_ascii=False), status=status, content_type=CONTENT_TYPES["json"]
    )


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _respond(fmt, "errors", "error", [{"code": status, "description": description}], status=status)


def _fmt(fmt: str) -> str:
    return fmt if fmt in CONTENT_TYPES else "json"


def discovery(request, fmt: str):
    fmt = _fmt(fmt)
    base = request.build_absolute_uri(reverse("open311_root"))
    doc = {
        "changeset": "2026-11-21T00:00:00+08:00",
        "contact": "Linli 邻里 — 社区网格化服务管理",
        "key_service": request.build_absolute_uri(reverse("accounts:tokens")),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-11-21T00:00:00+08:00",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    if fmt == "xml":
        top = ET.Element("discovery")
        for key in ("changeset", "contact", "key_service"):
            ET.SubElement(top, key).text = doc[key]  # type: ignore[assignment]
        endpoints = ET.SubElement(top, "endpoints")
        for ep in doc["endpoints"]:  # type: ignore[attr-defined]
            el = ET.SubElement(endpoints, "endpoint")
            for key, value in ep.items():
                child = ET.SubElement(el, key)
                if isinstance(value, list):
                    for v in value:
                        ET.SubElement(child, "format").text = v
                else:
                    child.text = value
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, content_type=CONTENT_TYPES["xml"])
    return HttpResponse(json.dumps(doc, ensure_ascii=False), content_type=CONTENT_TYPES["json"])


def _service(c: Category) -> dict:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.parent.name if c.parent else ''} / {c.name}",
        "metadata": False,
        "type": "realtime",
        "keywords": [c.parent.name] if c.parent else [],
        "group": c.parent.name if c.parent else "",
    }


def services(request, fmt: str):
    rows = Category.objects.filter(parent__isnull=False, active=True).select_related("parent")
    return _respond(_fmt(fmt), "services", "service", [_service(c) for c in rows])


def service_definition(request, code: str, fmt: str):
    fmt = _fmt(fmt)
    if not Category.objects.filter(code=code, parent__isnull=False, active=True).exists():
        return _error(fmt, 404, "service_code not found")
    body = {"service_code": code, "attributes": []}
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = code
        ET.SubElement(top, "attributes")
        xml = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(xml, content_type=CONTENT_TYPES["xml"])
    return HttpResponse(json.dumps(body), content_type=CONTENT_TYPES["json"])


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _request_row(case: Case, *, full: bool) -> dict:
    row = {
        "service_request_id": case.number,
        "status": "closed" if case.status in CLOSED else "open",
        "status_notes": case.get_status_display(),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description if full else None,
        "agency_responsible": case.department.name if case.department_id and case.department else "",
        "service_notice": "",
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.closed_at or case.created_at),
        "expected_datetime": _iso(case.due_at),
        "address": case.address if full else None,
        "address_id": case.region_id,
        "zipcode": None,
        # without a key, the location is rounded to about 100 m
        "lat": (case.lat if full else round(case.lat, 3)) if case.lat is not None else None,
        "long": (case.lng if full else round(case.lng, 3)) if case.lng is not None else None,
        "media_url": None,
    }
    return row


def _user(request):
    key = request.POST.get("api_key") or request.GET.get("api_key")
    return authenticate_token(key) if key else None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request, fmt: str):
    fmt = _fmt(fmt)
    if request.method == "POST":
        return _post_request(request, fmt)
    user = _user(request)
    if request.GET.get("api_key") and user is None:
        return _error(fmt, 403, "invalid api_key")
    qs = Case.objects.select_related("category", "department")
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        qs = qs.filter(number__in=ids[:MAX_RESULTS])
    else:
        start = parse_datetime(request.GET.get("start_date", "") or "")
        end = parse_datetime(request.GET.get("end_date", "") or "")
        if (request.GET.get("start_date") and start is None) or (request.GET.get("end_date") and end is None):
            return _error(fmt, 400, "start_date and end_date are w3c datetimes")
        end = end or timezone.now()
        start = start or end - dt.timedelta(days=DEFAULT_DAYS)
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if request.GET.get("service_code"):
            qs = qs.filter(category__code__in=request.GET["service_code"].split(","))
        status = request.GET.get("status")
        if status == "open":
            qs = qs.exclude(status__in=CLOSED)
        elif status == "closed":
            qs = qs.filter(status__in=CLOSED)
    visible = set(restrict(qs, user).values_list("pk", flat=True)[:MAX_RESULTS]) if user else set()
    rows = [_request_row(c, full=c.pk in visible) for c in qs.exclude(status=Status.MERGED)[:MAX_RESULTS]]
    return _respond(fmt, "service_requests", "request", rows)


def request_detail(request, number: str, fmt: str):
    fmt = _fmt(fmt)
    user = _user(request)
    case = Case.objects.select_related("category", "department").filter(number=number).first()
    if case is None:
        return _error(fmt, 404, "service_request_id not found")
    full = user is not None and restrict(Case.objects.filter(pk=case.pk), user).exists()
    return _respond(fmt, "service_requests", "request", [_request_row(case, full=full)])


def token_view(request, token: str, fmt: str):
    fmt = _fmt(fmt)
    case = Case.objects.filter(tracking_code=token.upper()).first()
    if case is None:
        return _error(fmt, 404, "token not found")
    return _respond(fmt, "service_requests", "request", [{"service_request_id": case.number, "token": token}])


def _post_request(request, fmt: str) -> HttpResponse:
    user = _user(request)
    if user is None:
        return _error(fmt, 403, "a valid api_key is required")
    p = request.POST
    category = Category.objects.filter(code=p.get("service_code", ""), parent__isnull=False).first()
    if category is None:
        return _error(fmt, 404, "service_code not found")
    try:
        lat = float(p["lat"]) if p.get("lat") else None
        lng = float(p["long"]) if p.get("long") else None
    except ValueError:
        return _error(fmt, 400, "lat and long are decimal degrees (WGS84)")
    region = None
    if p.get("address_id"):
        region = restrict(Region.objects.filter(code=p["address_id"]), user).first()
    if lat is None and region is None:
        return _error(fmt, 400, "lat/long or an address_id (grid or community code) is required")
    name = " ".join(x for x in (p.get("last_name", ""), p.get("first_name", "")) if x)
    key = request.headers.get("Idempotency-Key")
    try:
        case, _created = report_case(
            Intake(
                channel=Channel.API,
                category=category,
                description=p.get("description", ""),
                lat=lat,
                lng=lng,
                address=p.get("address_string", ""),
                region=region,
                reporter_name=name,
                reporter_phone=p.get("phone", ""),
                idempotency_key=f"open311:{user.pk}:{key[:60]}" if key else None,
            ),
            actor=user,
        )
    except ServiceError as exc:
        return _error(fmt, 400, str(exc.message))
    row = {"service_request_id": case.number, "service_notice": "", "account_id": None}
    return _respond(fmt, "service_requests", "request", [row], status=201)
