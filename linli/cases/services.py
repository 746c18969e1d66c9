"""Intake of cases from every channel, and the likely duplicates of a new one."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.bulk import reserve_ids
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import AuditAction
from linli.core.pii import normalize
from linli.core.prepared import Prepared
from linli.core.scoping import covers
from linli.regions.models import Region
from linli.regions.services import locate

from . import notify
from .models import OPEN_STATUSES, Case, CaseEvent, Category, Channel

DUPLICATE_RADIUS_M = 150
DUPLICATE_DAYS = 3


_category = Prepared(lambda code: Category.objects.filter(code=code)[:1])
_case_with_key = Prepared(lambda key: Case.objects.filter(idempotency_key=key).only("pk")[:1])


def category_by_code(code: str) -> Category | None:
    """The category with this code, active or not (on every intake: compiled once)."""
    found = _category(code=code)
    return found[0] if found else None


@dataclass
class Intake:
    channel: str
    category: Category | None
    description: str
    lat: float | None = None
    lng: float | None = None
    address: str = ""
    region: Region | None = None  # where no point is given: the grid or community it concerns
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_visible: bool = False
    resident: Any = None
    household: Any = None
    idempotency_key: str | None = None


def _place(intake: Intake) -> Region:
    if intake.lat is not None and intake.lng is not None:
        try:
            grid = locate(intake.lng, intake.lat)
        except ServiceError as exc:
            raise ServiceError(ErrorCode.OUTSIDE_DISTRICT, exc.message, field="location") from exc
        return grid
    if intake.region is not None:
        return intake.region
    raise ServiceError(ErrorCode.INVALID, _("请在地图上标出位置，或选择所在网格/社区。"), field="location")


def report_case(intake: Intake, *, actor) -> tuple[Case, bool]:
    """Create a case; returns (case, created). The same idempotency key returns the case
    it created the first time instead of a second one. A created case carries its events
    as ``timeline``."""
    # the key's index alone (a retry then reads the case)
    if intake.idempotency_key and (found := _case_with_key(key=intake.idempotency_key)):
        return Case.objects.get(pk=found[0].pk), False
    description = (intake.description or "").strip()
    if not description:
        raise ServiceError(ErrorCode.INVALID, _("请填写事件描述。"), field="description")
    category = intake.category
    if category is None or not category.active or category.parent_id is None:
        raise ServiceError(ErrorCode.INVALID, _("请选择有效的事件小类。"), field="category")
    phone = None
    if intake.reporter_phone:
        try:
            phone = normalize(intake.reporter_phone, "mobile")
        except ValidationError as exc:
            raise ServiceError(ErrorCode.INVALID_MOBILE, exc.messages[0], field="reporter_phone") from exc
    if intake.channel == Channel.PUBLIC and not phone:
        raise ServiceError(ErrorCode.INVALID, _("请留下手机号码，以便告知办理结果。"), field="reporter_phone")
    region = _place(intake)
    case = Case(
        channel=intake.channel,
        category=category,
        description=description[:5000],
        address=intake.address[:200],
        lat=intake.lat,
        lng=intake.lng,
        region=region,
        reporter_name=intake.reporter_name[:50],
        reporter_phone=phone,
        reporter_user=actor if getattr(actor, "is_authenticated", False) else None,
        reporter_visible=intake.reporter_visible,
        resident=intake.resident,
        household=intake.household,
        idempotency_key=intake.idempotency_key or None,
    )
    case.fill_scope()
    staff_intake = getattr(actor, "is_authenticated", False) and intake.channel != Channel.PUBLIC
    # reads and checks before the write transaction, which then holds the database only
    # for writes (the scope columns are filled: the check reads them, not the table)
    if staff_intake and not covers(actor, case, "add"):
        raise ServiceError(ErrorCode.OUT_OF_SCOPE, _("该位置不在您的管辖范围内。"), field="location")
    to_notify = notify.recipients(case, "level")
    try:
        with transaction.atomic():
            # the key first, so the row goes in with its number: no UPDATE after it, and no
            # placeholder number for concurrent intakes to wait on in the unique index
            case.pk = reserve_ids(Case, 1)[0]
            case.number = f"{timezone.localdate():%Y%m%d}{case.pk:07d}"
            case.save(force_insert=True)
            event = CaseEvent.objects.create(
                case=case,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                actor_label=actor.get_username() if getattr(actor, "is_authenticated", False) else _("群众"),
                action="report",
                to_status=case.status,
                level=case.level,
            )
            audit.record(AuditAction.CREATE, case, actor=actor, changes={"channel": case.channel})
            notify.work_arrived(case, "level", _("新上报"), users=to_notify)
        case.timeline = [event]  # type: ignore[attr-defined]  # all its events: the API answers without a query
    except IntegrityError:
        if intake.idempotency_key:  # the same key won a race with this request
            return Case.objects.get(idempotency_key=intake.idempotency_key), False
        raise
    return case, True


def _metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def likely_duplicates(case: Case, qs=None) -> list[Case]:
    """Open cases of the same category within DUPLICATE_RADIUS_M and DUPLICATE_DAYS."""
    if case.lat is None or case.lng is None:
        return []
    qs = qs if qs is not None else Case.objects.all()
    d_lat = DUPLICATE_RADIUS_M / 111_000
    d_lng = d_lat / max(math.cos(math.radians(case.lat)), 0.1)
    since = case.created_at - dt.timedelta(days=DUPLICATE_DAYS)
    near = qs.filter(
        category_id=case.category_id,
        status__in=OPEN_STATUSES,
        created_at__gte=since,
        lat__range=(case.lat - d_lat, case.lat + d_lat),
        lng__range=(case.lng - d_lng, case.lng + d_lng),
    ).exclude(pk=case.pk)
    return [c for c in near if _metres(case.lat, case.lng, c.lat, c.lng) <= DUPLICATE_RADIUS_M]  # type: ignore[arg-type]


def merge(duplicate: Case, into: Case, *, actor) -> None:
    """Close ``duplicate`` as merged into ``into``; its reporter follows ``into``'s outcome."""
    from .workflow import is_dispatcher

    if duplicate.pk == into.pk or duplicate.status not in OPEN_STATUSES or not into.is_open:
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("只能合并两件未办结的事件。"))
    if not (is_dispatcher(actor, duplicate) and is_dispatcher(actor, into)):
        raise ServiceError(ErrorCode.PERMISSION_DENIED, _("您不能合并这两件事件。"))
    with transaction.atomic():
        before = duplicate.status
        duplicate.status, duplicate.merged_into, duplicate.due_at = "merged", into, None
        duplicate.save()
        CaseEvent.objects.create(
            case=duplicate, actor=actor, actor_label=actor.get_username(), action="merge",
            from_status=before, to_status="merged", note=into.number,
        )  # fmt: skip
        audit.record(AuditAction.UPDATE, duplicate, actor=actor, changes={"merged_into": into.number})


def reporters_of(case: Case) -> list[Case]:
    """The case and every case merged into it: each reporter hears the outcome."""
    return [case, *Case.objects.filter(merged_into=case)]
