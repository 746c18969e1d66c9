"""Demo cases for the demo district: reported over the past weeks on every channel, at
points inside the grids, and moved along the workflow by the service functions (as the
system), so lists, to-do pages and timelines have something real to show."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone
from shapely.geometry import shape

from linli.accounts.models import Department
from linli.core.errors import ServiceError
from linli.core.roles import Level
from linli.regions.models import Region

from . import facts, workflow
from .models import Case, CaseEvent, Category, Channel
from .services import Intake, report_case

DESCRIPTIONS = {
    "噪音扰民": "楼上每天夜里十一点后还在装修，影响休息",
    "电梯故障": "单元电梯停运两天，楼里有老人上下楼困难",
    "机动车乱停放": "小区门口车辆乱停，消防通道被堵",
    "暴露垃圾": "路边垃圾堆放多日无人清运",
    "路灯损坏": "巷口路灯不亮，晚上出行不安全",
    "楼道堆物": "楼道堆放杂物，存在消防隐患",
    "占道经营": "早市摊点占用人行道",
    "电动车楼道充电": "有住户在楼道里给电动车充电",
}
# how far each demo case gets: (share, the actions after acceptance)
PATHS = [
    (0.15, []),
    (0.20, ["accept"]),
    (0.15, ["accept", "handle"]),
    (0.35, ["accept", "handle", "verify"]),
    (0.10, ["accept", "escalate"]),
    (0.05, ["reject"]),
]


def seed_cases(district_code: str, n: int, *, seed: int = 2026) -> int:
    rng = random.Random(seed)
    grids = [g for g in Region.objects.filter(level=Level.GRID, district_id=district_code) if g.boundary]
    if not grids:
        return 0
    shapes = [(g, shape(g.boundary)) for g in grids]
    categories = list(Category.objects.filter(parent__isnull=False, active=True))
    channels = [Channel.GRID, Channel.GRID, Channel.HOTLINE, Channel.WALK_IN, Channel.PUBLIC]
    department = Department.objects.filter(district_id=district_code, subdistrict__isnull=True).first()
    now = timezone.now()
    made = 0
    for i in range(n):
        grid, poly = rng.choice(shapes)
        minx, miny, maxx, maxy = poly.bounds
        for _try in range(20):
            lng, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if poly.contains(shape({"type": "Point", "coordinates": [lng, lat]})):
                break
        else:
            point = poly.representative_point()
            lng, lat = point.x, point.y
        category = rng.choice(categories)
        case, created = report_case(
            Intake(
                channel=rng.choice(channels),
                category=category,
                description=DESCRIPTIONS.get(category.name, f"{category.name}问题，请尽快处理"),
                lat=round(lat, 6),
                lng=round(lng, 6),
                address=f"{grid.name}附近",
                reporter_phone=f"13{rng.randrange(10**9):09d}",
                idempotency_key=f"demo:{district_code}:{seed}:{i}",
            ),
            actor=None,
        )
        if not created:
            continue
        made += 1
        path = rng.choices([p for _s, p in PATHS], [s for s, _p in PATHS])[0]
        for name in path:
            note = {"reject": "不属于受理范围", "handle": "已处理完毕", "escalate": "需上级协调"}.get(
                name, ""
            )
            try:
                case = workflow.act(case, name, actor=None, note=note, system=True)
            except ServiceError:  # e.g. escalating a case the district already holds
                break
            if case.status == "accepted" and case.level == "district" and department is not None:
                case = workflow.act(case, "dispatch", actor=None, department=department, system=True)
        # spread over the past four weeks, keeping the order of each case's events
        shift = dt.timedelta(days=rng.uniform(0, 28))
        Case.objects.filter(pk=case.pk).update(
            created_at=now - shift,
            due_at=case.due_at - shift if case.due_at else None,
            closed_at=case.closed_at - shift if case.closed_at else None,
        )
        for e in CaseEvent.objects.filter(case=case):
            CaseEvent.objects.filter(pk=e.pk).update(at=e.at - shift)
    # the facts the indicators read, from the back-dated events
    facts.rebuild(Case, CaseEvent, Case.objects.filter(district_id=district_code))
    return made
