"""The write path of grid work. Views, the API and the demo call these; each checks,
writes, re-checks scope and audits in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.errors import ErrorCode, PermissionDenied, ServiceError
from linli.core.roles import ROLE_LEVEL, Level, Role
from linli.core.scoping import in_scope, restrict, user_posts
from linli.core.services import do_create, do_save, do_update
from linli.people.models import GroupTag, Household, Resident
from linli.people.services import do_move_out, do_update_resident
from linli.regions.models import Compound, Region
from linli.regions.services import locate

from .models import Campaign, CampaignTarget, Delivery, DutyShift, HomeService, Visit, VisitPhoto

CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's clock a little ahead is not "the future"
PERSON_KINDS = (Visit.Kind.HOME, Visit.Kind.PHONE, Visit.Kind.CONDOLENCE)


@dataclass
class RegistryUpdate:
    """What a visit found out about the resident it met, applied through the registry."""

    new_phone: str = ""
    moved_out_on: dt.date | None = None
    moved_out_reason: str = ""


def _visible(model, pk, user, field: str, message) -> None:
    if pk is not None and not restrict(model.objects.filter(pk=pk), user).exists():
        raise ServiceError(ErrorCode.NOT_FOUND, message, field=field)


def _grid_of(visit: Visit, actor) -> Region:
    if visit.household:
        return visit.household.housing_unit.building.grid_region
    if visit.resident:
        return visit.resident.housing_unit.building.grid_region
    if visit.compound:
        return visit.compound.grid_region
    if visit.lat is not None and visit.lng is not None:
        try:
            return locate(visit.lng, visit.lat)
        except ServiceError as exc:
            raise ServiceError(ErrorCode.OUTSIDE_DISTRICT, exc.message, field="location") from exc
    if visit.grid_region_id:
        return visit.grid_region
    grids = [p.region for p in user_posts(actor) if p.role == Role.GRID_WORKER]
    if len(grids) == 1:
        return grids[0]
    raise ServiceError(
        ErrorCode.INVALID, _("请选择走访对象、小区或网格，或在地图上标出位置。"), field="grid_region"
    )


def do_record_visit(
    visit: Visit, *, actor, photos=(), registry: RegistryUpdate | None = None
) -> tuple[Visit, bool]:
    """Record a visit in ``actor``'s diary; returns (visit, created). What it learnt about
    the resident met goes into the registry through the registry's own services, in the
    same transaction. The same token returns the visit it recorded the first time."""
    if visit.token:
        found = Visit.objects.filter(token=visit.token).first()
        if found is not None:
            return found, False
    now = timezone.now()
    if visit.visited_at is None:
        visit.visited_at = now
    if visit.visited_at > now + CLOCK_SKEW:
        raise ServiceError(ErrorCode.INVALID, _("走访时间不能晚于现在。"), field="visited_at")
    _visible(Household, visit.household_id, actor, "household", _("该户不存在或不在您的管辖范围内。"))
    _visible(Resident, visit.resident_id, actor, "resident", _("该居民不存在或不在您的管辖范围内。"))
    _visible(Compound, visit.compound_id, actor, "compound", _("该小区不存在或不在您的管辖范围内。"))
    resident = visit.resident
    if resident and not visit.household_id and resident.household_id:
        visit.household = resident.household
    if resident and visit.household_id and resident.household_id != visit.household_id:
        raise ServiceError(ErrorCode.INVALID, _("所选居民不是该户成员。"), field="resident")
    if visit.kind in PERSON_KINDS and not (visit.household_id or visit.resident_id):
        raise ServiceError(
            ErrorCode.INVALID,
            _("“%(k)s”须选择走访的户或居民。") % {"k": visit.get_kind_display()},
            field="household",
        )
    if not (visit.findings.strip() or visit.needs.strip() or visit.met.strip()):
        raise ServiceError(ErrorCode.INVALID, _("请填写见到的人、发现的情况或居民诉求。"), field="findings")
    registry = registry or RegistryUpdate()
    if (registry.new_phone or registry.moved_out_on) and resident is None:
        raise ServiceError(ErrorCode.INVALID, _("更新居民信息须选择所见的居民。"), field="resident")
    visit.grid_region = _grid_of(visit, actor)
    visit.worker = actor
    with transaction.atomic():
        do_create(visit, actor=actor)
        for f in photos:
            VisitPhoto.objects.create(visit=visit, image=f)
        if registry.new_phone and resident is not None:
            resident = Resident.objects.get(pk=resident.pk)
            before = audit.snapshot(resident)
            resident.phone = registry.new_phone
            do_update_resident(resident, before, actor=actor)
        if registry.moved_out_on and resident is not None:
            if registry.moved_out_on > timezone.localtime(visit.visited_at).date():
                raise ServiceError(ErrorCode.INVALID, _("迁出日期不能晚于走访日期。"), field="moved_out_on")
            do_move_out(
                Resident.objects.get(pk=resident.pk),
                actor=actor,
                moved_on=registry.moved_out_on,
                reason=registry.moved_out_reason or _("走访发现已搬离"),
            )
    return visit, True


def do_visit_to_case(visit: Visit, *, actor, category, description: str = ""):
    """Turn a visit's finding into a case in one step; the visit links to it."""
    from linli.cases.models import Channel, Photo
    from linli.cases.services import Intake, report_case

    if visit.case:
        raise ServiceError(ErrorCode.DUPLICATE, _("该走访已转为事件 %(n)s。") % {"n": visit.case.number})
    with transaction.atomic():
        case, created = report_case(
            Intake(
                channel=Channel.GRID,
                category=category,
                description=(description or visit.findings or visit.needs).strip(),
                lat=visit.lat,
                lng=visit.lng,
                address=str(visit.household.housing_unit) if visit.household else visit.place,
                region=visit.grid_region,
                resident=visit.resident,
                household=visit.household,
                idempotency_key=f"visit:{visit.pk}",
            ),
            actor=actor,
        )
        if created:
            Photo.objects.bulk_create(
                [Photo(case=case, image=p.image.name, stage="reported") for p in visit.photos.all()]
            )
        before = audit.snapshot(visit)
        visit.case = case
        do_update(visit, before, actor=actor, validate=False)
    return case


# --- home services ---------------------------------------------------------------------


def check_weekdays(value: str) -> str:
    days = sorted({d.strip() for d in value.replace("，", ",").split(",") if d.strip()})
    if any(d not in "1234567" or len(d) != 1 for d in days):
        raise ServiceError(ErrorCode.INVALID, _("服务日请填写 1–7 的数字，用逗号分隔。"), field="weekdays")
    return ",".join(days)


def do_save_home_service(service: HomeService, before: dict | None = None, *, actor) -> HomeService:
    service.weekdays = check_weekdays(service.weekdays)
    if service.end_date and service.end_date < service.start_date:
        raise ServiceError(ErrorCode.INVALID, _("结束日期早于开始日期。"), field="end_date")
    if service.provider_kind == HomeService.Provider.MERCHANT and not (
        service.partner_id or service.provider
    ):
        raise ServiceError(ErrorCode.INVALID, _("请填写提供服务的商户。"), field="provider")
    return do_save(service, before, actor=actor)


def do_record_delivery(delivery: Delivery, *, actor) -> Delivery:
    service = delivery.service
    if delivery.delivered_on > timezone.localdate():
        raise ServiceError(ErrorCode.INVALID, _("服务日期不能晚于今天。"), field="delivered_on")
    if delivery.delivered_on < service.start_date or (
        service.end_date and delivery.delivered_on > service.end_date
    ):
        raise ServiceError(ErrorCode.INVALID, _("服务日期不在该服务的起止日期内。"), field="delivered_on")
    if not delivery.done and not delivery.note.strip():
        raise ServiceError(ErrorCode.INVALID, _("未完成的服务请在备注说明原因。"), field="note")
    if (
        Delivery.objects.filter(service=service, delivered_on=delivery.delivered_on)
        .exclude(pk=delivery.pk)
        .exists()
    ):
        raise ServiceError(ErrorCode.DUPLICATE, _("该服务当天已登记。"), field="delivered_on")
    delivery.recorded_by = actor
    if not delivery.by:
        delivery.by = str(actor)
    return do_create(delivery, actor=actor)  # type: ignore[return-value]


# --- holiday and hardship visits ------------------------------------------------------


def check_campaign(campaign: Campaign) -> None:
    if campaign.end_date < campaign.start_date:
        raise ServiceError(ErrorCode.INVALID, _("结束日期早于开始日期。"), field="end_date")
    if campaign.region.level == Level.GRID:
        raise ServiceError(ErrorCode.INVALID, _("慰问活动由社区、街道或区组织。"), field="region")


def do_save_campaign(campaign: Campaign, before: dict | None = None, *, actor) -> Campaign:
    check_campaign(campaign)
    return do_save(campaign, before, actor=actor)


def households_in_groups(campaign: Campaign, groups, *, actor):
    """Households under the campaign's region, in the actor's scope, with a current tag
    of one of ``groups`` (a household tag, or a member's)."""
    today = timezone.localdate()
    current = Q(end_date__isnull=True) | Q(end_date__gte=today)
    tags = GroupTag.objects.filter(current, group__in=groups, start_date__lte=today)
    households = restrict(Household.objects.filter(archived_at__isnull=True), actor).filter(
        **{f"{campaign.region.level}_id": campaign.region_id}
    )
    return households.filter(
        Q(pk__in=tags.filter(household__isnull=False).values("household_id"))
        | Q(pk__in=tags.filter(resident__archived_at__isnull=True).values("resident__household_id"))
    )


def do_add_targets(campaign: Campaign, households, *, actor, reason: str = "") -> int:
    """Put households on the campaign's list (those already on it are kept); returns how many were added."""
    if not in_scope(campaign, actor, "change"):
        raise PermissionDenied()
    households = list(restrict(Household.objects.filter(pk__in=[h.pk for h in households]), actor, "add"))
    have = set(campaign.targets.values_list("household_id", flat=True))
    added = 0
    with transaction.atomic():
        for h in households:
            if h.pk in have or getattr(h, f"{campaign.region.level}_id") != campaign.region_id:
                continue
            do_create(CampaignTarget(campaign=campaign, household=h, reason=reason), actor=actor)
            added += 1
    return added


def do_record_gift(
    target: CampaignTarget,
    *,
    actor,
    visited_on: dt.date,
    visitors: str,
    money=Decimal(0),
    goods: str = "",
    goods_value=Decimal(0),
) -> CampaignTarget:
    """What was given, when and by whom; it is also a 慰问 visit in the diary."""
    campaign = target.campaign
    if target.signed_off_at:
        raise ServiceError(ErrorCode.INVALID, _("已审核的记录不能修改。"))
    if visited_on > timezone.localdate():
        raise ServiceError(ErrorCode.INVALID, _("慰问日期不能晚于今天。"), field="visited_on")
    if not campaign.start_date <= visited_on <= campaign.end_date:
        raise ServiceError(ErrorCode.INVALID, _("慰问日期不在活动期间内。"), field="visited_on")
    money, goods_value = Decimal(money or 0), Decimal(goods_value or 0)
    if money < 0 or goods_value < 0:
        raise ServiceError(ErrorCode.INVALID, _("金额不能为负数。"), field="money")
    if money == 0 and not goods.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写慰问金或慰问品。"), field="money")
    if not visitors.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写慰问人。"), field="visitors")
    before = audit.snapshot(target)
    target.visited_on, target.visitors = visited_on, visitors.strip()
    target.money, target.goods, target.goods_value = money, goods.strip(), goods_value
    with transaction.atomic():
        do_update(target, before, actor=actor)
        given = ", ".join(x for x in (f"{money} 元" if money else "", goods.strip()) if x)
        do_record_visit(  # (visit, created): always created, it has no token
            Visit(
                kind=Visit.Kind.CONDOLENCE,
                visited_at=min(
                    timezone.now(), timezone.make_aware(dt.datetime.combine(visited_on, dt.time(12)))
                ),
                household=target.household,
                met=visitors.strip(),
                findings=f"{campaign.name}：{given}",
            ),
            actor=actor,
        )
    return target


def do_sign_off(target: CampaignTarget, *, actor) -> CampaignTarget:
    if not in_scope(target, actor, "sign_off"):
        raise PermissionDenied(_("只有社区及以上工作人员可以审核。"))
    if target.signed_off_at:
        raise ServiceError(ErrorCode.INVALID, _("该记录已审核。"))
    if not target.visited_on:
        raise ServiceError(ErrorCode.INVALID, _("尚未登记慰问情况，不能审核。"))
    before = audit.snapshot(target)
    target.signed_off_by, target.signed_off_at = actor, timezone.now()
    return do_update(target, before, actor=actor)  # type: ignore[return-value]


# --- duty rosters ----------------------------------------------------------------------


def _clash(shift: DutyShift, exclude=()) -> DutyShift | None:
    return (
        DutyShift.objects.filter(worker=shift.worker, day=shift.day, start__lt=shift.end, end__gt=shift.start)
        .exclude(pk__in=[pk for pk in (shift.pk, *exclude) if pk])
        .first()
    )


def check_shift(shift: DutyShift, exclude=()) -> None:
    level = shift.region.level if shift.region_id else None
    wanted = Level.COMMUNITY if shift.post == DutyShift.Post.HALL else Level.GRID
    if level != wanted:
        raise ServiceError(
            ErrorCode.INVALID,
            _("服务大厅值班请选择社区。") if wanted == Level.COMMUNITY else _("网格轮值请选择网格。"),
            field="region",
        )
    if shift.start >= shift.end:
        raise ServiceError(ErrorCode.INVALID, _("结束时间须晚于开始时间。"), field="end")
    community = shift.region_id if level == Level.COMMUNITY else shift.region.parent_id
    serves = [
        p
        for p in shift.worker.posts.filter(active=True).select_related("region")
        if p.region_id
        and p.role in ROLE_LEVEL
        and community in (p.region_id, p.region.parent_id if p.region else None)
    ]
    if not serves:
        raise ServiceError(
            ErrorCode.INVALID, _("%(w)s 不是本社区的工作人员。") % {"w": shift.worker}, field="worker"
        )
    other = _clash(shift, exclude)
    if other is not None:
        raise ServiceError(
            ErrorCode.DUPLICATE,
            _("%(w)s 在 %(d)s 已有重叠的值班：%(o)s。") % {"w": shift.worker, "d": shift.day, "o": other},
            field="start",
        )


def do_save_shift(shift: DutyShift, before: dict | None = None, *, actor) -> DutyShift:
    check_shift(shift)
    return do_save(shift, before, actor=actor)


def do_swap_shifts(a: DutyShift, b: DutyShift, *, actor) -> None:
    """换班: the two shifts exchange their workers; neither may then overlap another shift."""
    if a.pk == b.pk or a.worker_id == b.worker_id:
        raise ServiceError(ErrorCode.INVALID, _("请选择另一位人员的班次。"), field="other")
    for s in (a, b):
        if not in_scope(s, actor, "change"):
            raise ServiceError(ErrorCode.NOT_FOUND, _("记录不存在。"), field="other")
    before_a, before_b = audit.snapshot(a), audit.snapshot(b)
    a.worker, b.worker = b.worker, a.worker
    for s in (a, b):
        check_shift(s, exclude=(a.pk, b.pk))
    with transaction.atomic():
        do_update(a, before_a, actor=actor)
        do_update(b, before_b, actor=actor)


def do_rotate(
    region: Region, workers, *, actor, first_day: dt.date, days: int, start: dt.time, end: dt.time
) -> list[DutyShift]:
    """A rota: the workers take the post in turn, one a day, for ``days`` days (all or none)."""
    workers = list(workers)
    if not workers:
        raise ServiceError(ErrorCode.INVALID, _("请选择轮值人员。"), field="workers")
    if not 1 <= days <= 92:
        raise ServiceError(ErrorCode.INVALID, _("一次最多排 92 天。"), field="days")
    post = DutyShift.Post.HALL if region.level == Level.COMMUNITY else DutyShift.Post.GRID
    made = []
    with transaction.atomic():
        for i in range(days):
            made.append(
                do_save_shift(
                    DutyShift(
                        post=post,
                        region=region,
                        worker=workers[i % len(workers)],
                        day=first_day + dt.timedelta(days=i),
                        start=start,
                        end=end,
                    ),
                    actor=actor,
                )
            )
    return made
