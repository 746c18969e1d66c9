"""Demo grid work for the demo district: a grid worker for every grid, two months of
visit diaries (care-group households first, as workers do), quotas, home services with
deliveries, a Double Ninth campaign, this week's duty roster and building heads.

Historical diary entries are inserted in bulk (as an import of last months' paper
diaries would be); everything after that goes through the services."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from faker import Faker

from linli.accounts.models import Post, User
from linli.core.roles import Level, Role
from linli.core.services import do_create
from linli.people.models import GroupTag, Household, Resident, SpecialGroup
from linli.regions.models import Building, Region

from . import services
from .models import BuildingContact, Campaign, Delivery, DutyShift, HomeService, Visit, VisitQuota

FINDINGS = [
    "家中一切正常，老人身体状况良好",
    "反映楼道灯不亮，已记录",
    "询问低保年审材料，已解释",
    "家中暖气不热，请物业上门查看",
    "老人独自在家，叮嘱注意用电安全",
    "住户反映楼上漏水",
    "子女在外地，希望社区多关照",
    "咨询高龄津贴办理流程",
    "家中无人，留联系卡",
    "了解就业意向，推荐招聘会",
]
NEEDS = ["希望增加助餐点", "希望小区增设休息座椅", "希望开展健康讲座", "", "", ""]


def _workers(district: str, rng: random.Random, fake: Faker) -> dict[str, User]:
    """A grid worker for every grid (the demo's own 'grid' account keeps its grid)."""
    have: dict[str, User] = {
        str(p.region_id): p.user
        for p in Post.objects.filter(
            role=Role.GRID_WORKER, active=True, region__district_id=district
        ).select_related("user")
    }
    grids = Region.objects.filter(level=Level.GRID, district_id=district).order_by("code")
    for grid in grids:
        if grid.code in have:
            continue
        user = User(username=f"w{grid.code}", full_name=f"网格员 {fake.name()}")
        user.set_unusable_password()  # demo colleagues: numbers on the pages, no login
        user.save()
        Post.objects.create(user=user, role=Role.GRID_WORKER, region=grid)
        have[grid.code] = user
    return have


def seed_grid_work(district: str, *, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        workers = _workers(district, rng, fake)
        region = Region.objects.get(code=district)
        for role in (Role.GRID_WORKER, Role.COMMUNITY_STAFF):
            VisitQuota.objects.get_or_create(region=region, role=role, defaults={"households": 20})
        tagged = set(
            GroupTag.objects.filter(
                district_id=district, end_date__isnull=True, household__isnull=False
            ).values_list("household_id", flat=True)
        ) | set(
            GroupTag.objects.filter(
                district_id=district, end_date__isnull=True, resident__isnull=False
            ).values_list("resident__household_id", flat=True)
        )
        by_grid: dict[str, list[int]] = {}
        for pk, grid in Household.objects.filter(district_id=district, archived_at__isnull=True).values_list(
            "pk", "grid_id"
        ):
            by_grid.setdefault(grid, []).append(pk)
        grids = {g.code: g for g in Region.objects.filter(level=Level.GRID, district_id=district)}
        visits = []
        month_start = today.replace(day=1)
        for code, households in by_grid.items():
            worker = workers.get(code)
            if worker is None:
                continue
            care = [h for h in households if h in tagged]
            rest = [h for h in households if h not in tagged]
            # this month: 40–130 % of the quota; last month about the quota
            for days_back, count in (
                ((today - month_start).days, int(20 * rng.uniform(0.4, 1.3))),
                (45, rng.randint(15, 25)),
            ):
                for _ in range(count):
                    pool = care if care and rng.random() < 0.6 else (rest or care)
                    at = now - dt.timedelta(
                        days=rng.uniform(0, days_back)
                        if days_back <= 31
                        else rng.uniform((today - month_start).days + 1, days_back),
                        hours=rng.uniform(0, 3),
                    )
                    v = Visit(
                        worker=worker,
                        kind=rng.choice([Visit.Kind.HOME] * 5 + [Visit.Kind.PHONE]),
                        visited_at=at,
                        grid_region=grids[code],
                        household_id=rng.choice(pool),
                        met=rng.choice(["户主", "老人本人", "家属", "租户"]),
                        findings=rng.choice(FINDINGS),
                        needs=rng.choice(NEEDS),
                    )
                    v.fill_scope()
                    visits.append(v)
        Visit.objects.bulk_create(visits, batch_size=2000)
    made = {"visits": len(visits), "workers": len(workers)}
    made.update(_community_life(rng, today))
    return made


def _community_life(rng: random.Random, today: dt.date) -> dict[str, int]:
    """Home services, a campaign, duty and building heads in 恩和路社区 (the demo's community)."""
    community = Region.objects.filter(code="150902001001").first()
    staff = _staff(community) if community else None
    if community is None or staff is None:
        return {}
    operator = (_user(Role.SUBDISTRICT_OPERATOR, community.parent) if community.parent else None) or staff
    made = {"home_services": 0, "deliveries": 0, "campaign_targets": 0, "shifts": 0, "building_contacts": 0}
    elderly = list(
        Resident.objects.filter(
            community_id=community.code,
            archived_at__isnull=True,
            birth_date__lte=today - dt.timedelta(days=75 * 365),
        ).order_by("pk")[:24]
    )
    kinds = [
        HomeService.Kind.MEALS,
        HomeService.Kind.GROCERIES,
        HomeService.Kind.HAIRCUT,
        HomeService.Kind.RECYCLING,
    ]
    for i, r in enumerate(elderly):
        kind = kinds[i % len(kinds)]
        service = services.do_save_home_service(
            HomeService(
                resident=r,
                kind=kind,
                provider_kind=HomeService.Provider.VOLUNTEERS if i % 2 else HomeService.Provider.MERCHANT,
                provider="助老服务队" if i % 2 else "恩和社区食堂",
                weekdays="1,2,3,4,5" if kind == HomeService.Kind.MEALS else str(1 + i % 7),
                time="11:30" if kind == HomeService.Kind.MEALS else "09:00",
                start_date=today - dt.timedelta(days=60),
            ),
            actor=None,
        )
        made["home_services"] += 1
        for back in range(1, 15):
            day = today - dt.timedelta(days=back)
            if service.due_on(day) and rng.random() < 0.9:
                services.do_record_delivery(
                    Delivery(service=service, delivered_on=day, by=service.provider), actor=staff
                )
                made["deliveries"] += 1
    double9 = dt.date(today.year, 10, 20) if today.month >= 11 else dt.date(today.year - 1, 10, 20)
    campaign = services.do_save_campaign(
        Campaign(
            region=community.parent,
            name=f"{double9.year}年重阳节走访慰问",
            occasion=Campaign.Occasion.DOUBLE9,
            start_date=double9 - dt.timedelta(days=10),
            end_date=double9 + dt.timedelta(days=10),
            standard="每户慰问金 300 元、米面油一份",
        ),
        actor=None,
    )
    groups = SpecialGroup.objects.filter(code__in=["dibao", "tekun", "youfu"])
    services.do_add_targets(  # by the subdistrict; each community then records its own
        campaign,
        services.households_in_groups(campaign, groups, actor=operator),
        actor=operator,
        reason="低保、特困、优抚",
    )
    for t in campaign.targets.filter(community_id=community.code).select_related("household", "campaign")[
        :40
    ]:
        if rng.random() < 0.85:
            services.do_record_gift(
                t,
                actor=staff,
                visited_on=double9 - dt.timedelta(days=rng.randint(0, 5)),
                visitors=f"{staff}、社区书记",
                money=Decimal(300),
                goods="米面油一份",
                goods_value=Decimal(120),
            )
    made["campaign_targets"] = campaign.targets.count()
    team = [
        staff,
        *User.objects.filter(posts__region__parent=community, posts__role=Role.GRID_WORKER).order_by(
            "username"
        ),
    ]
    monday = today - dt.timedelta(days=today.weekday())
    if not DutyShift.objects.filter(region=community, day=monday).exists():
        made["shifts"] = len(
            services.do_rotate(
                community,
                team,
                actor=None,
                first_day=monday,
                days=7,
                start=dt.time(8, 30),
                end=dt.time(17, 30),
            )
        )
    for b in Building.objects.filter(grid_region__parent=community).order_by("pk")[:12]:
        head = (
            Resident.objects.filter(housing_unit__building=b, archived_at__isnull=True).order_by("pk").first()
        )
        if head and not b.contacts.exists():
            do_create(
                BuildingContact(
                    building=b,
                    role=BuildingContact.Role.HEAD,
                    resident=head,
                    name=head.name,
                    phone=head.phone,
                ),
                actor=None,
            )
            made["building_contacts"] += 1
    return made


def _user(role: str, region: Region) -> User | None:
    post = Post.objects.filter(role=role, region=region, active=True).select_related("user").first()
    return post.user if post else None


def _staff(community: Region) -> User | None:
    return _user(Role.COMMUNITY_STAFF, community)
