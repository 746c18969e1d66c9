"""The demo district: 集宁区 (150902) with drawn grids, departments, housing and users.

Everything is idempotent: running it again keeps what exists. The grids are
synthetic (the real boundaries are the district's to draw): each subdistrict gets a
block of the district's extent, each community a cell of it, each cell two to four
grid strips, so they tile without overlapping and points can be located.
"""

from __future__ import annotations

import math

from django.db import transaction

from linli.core.roles import Level, Role, SystemRole
from linli.regions.models import Building, Compound, GridTeamMember, GridTeamRole, HousingUnit, Region
from linli.regions.services import load_regions

from .models import Department, User
from .services import do_assign_post, do_set_system_role

DISTRICT = "150902"
BOUNDS = (113.02, 40.97, 113.20, 41.08)  # lng/lat extent of the demo grids (WGS84)
DEMO_PASSWORD = "linli-demo-2026"  # noqa: S105 - printed for the demo; never used in production

DISTRICT_DEPARTMENTS = [
    "区城市管理综合执法局",
    "区住房和城乡建设局",
    "区民政局",
    "区人力资源和社会保障局",
    "区卫生健康委员会",
    "区市场监督管理局",
    "区应急管理局",
    "区水务局",
    "区教育局",
    "区司法局",
    "公安集宁分局",
    "市生态环境局集宁区分局",
]
SUBDISTRICT_DEPARTMENTS = ["综合执法队", "社会事务办公室", "平安建设办公室"]

USERS = [
    # username, full name, role or system role, region code or department name
    ("admin", "系统管理员", SystemRole.SYSADMIN, None),
    ("auditor", "安全审计员", SystemRole.AUDITOR, None),
    ("district", "区指挥中心 王敏", Role.DISTRICT_OPERATOR, DISTRICT),
    ("xintilu", "新体路街道 李强", Role.SUBDISTRICT_OPERATOR, "150902001"),
    ("enhelu", "恩和路社区 张丽", Role.COMMUNITY_STAFF, "150902001001"),
    ("grid", "网格员 刘洋", Role.GRID_WORKER, "150902001001001"),
    ("tiyuchang", "体育场社区 陈静", Role.COMMUNITY_STAFF, "150902001002"),
    ("chengguan", "城管局 赵刚", Role.DEPARTMENT_HANDLER, "区城市管理综合执法局"),
]

TEAM = [
    (GridTeamRole.LEADER, "刘洋", "13904740001"),
    (GridTeamRole.ASSISTANT, "孙丽华", "13904740002"),
    (GridTeamRole.POLICE, "周建国", "13904740003"),
    (GridTeamRole.FIRE, "吴海", "13904740004"),
    (GridTeamRole.LEGAL, "郑律", "13904740005"),
    (GridTeamRole.LIAISON, "冯秀英", "13904740006"),
    (GridTeamRole.SUPERVISOR, "陈卫东", "13904740007"),
    (GridTeamRole.CLEANER, "褚红", "13904740008"),
]


def _rect(x0, y0, x1, y1) -> dict:
    ring = [[round(x, 6), round(y, 6)] for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]
    return {"type": "Polygon", "coordinates": [ring]}


def _grids_for(district: Region) -> list[Region]:
    subs = list(Region.objects.filter(parent=district).order_by("code"))
    x0, y0, x1, y1 = BOUNDS
    cols = 5
    rows = math.ceil(len(subs) / cols)
    bw, bh = (x1 - x0) / cols, (y1 - y0) / rows
    grids = []
    for i, sub in enumerate(subs):
        bx, by = x0 + (i % cols) * bw, y1 - (i // cols + 1) * bh
        comms = list(Region.objects.filter(parent=sub).order_by("code"))
        if not comms:
            continue
        ccols = math.ceil(math.sqrt(len(comms)))
        crows = math.ceil(len(comms) / ccols)
        cw, ch = bw / ccols, bh / crows
        for j, comm in enumerate(comms):
            cx, cy = bx + (j % ccols) * cw, by + (j // ccols) * ch
            k = 2 + int(comm.code[-3:]) % 3
            for s in range(k):
                gx0 = cx + s * cw / k
                boundary = _rect(gx0 + cw * 0.005, cy + ch * 0.01, gx0 + cw / k - cw * 0.005, cy + ch * 0.99)
                code = f"{comm.code}{s + 1:03d}"
                grid = Region(
                    code=code,
                    name=f"{comm.short_name}第{s + 1}网格",
                    level=Level.GRID,
                    parent=comm,
                    boundary=boundary,
                    centroid_lng=round(gx0 + cw / k / 2, 6),
                    centroid_lat=round(cy + ch / 2, 6),
                )
                grid.fill_scope()
                grid.fill_box()
                grids.append(grid)
    return grids


@transaction.atomic
def setup_demo(stdout=None) -> list[tuple[str, str, str]]:
    def say(msg):
        if stdout:
            stdout.write(msg)

    report = load_regions([DISTRICT])
    say(f"集宁区 regions: added {len(report.added)}, kept {len(report.kept)}")
    district = Region.objects.get(code=DISTRICT)
    existing = set(
        Region.objects.filter(level=Level.GRID, district_id=DISTRICT).values_list("code", flat=True)
    )
    new = [g for g in _grids_for(district) if g.code not in existing]
    Region.objects.bulk_create(new, batch_size=1000)
    say(f"grids: added {len(new)}, kept {len(existing)}")

    for name in DISTRICT_DEPARTMENTS:
        Department.objects.get_or_create(region=district, name=name)
    for sub in Region.objects.filter(parent=district):
        for name in SUBDISTRICT_DEPARTMENTS:
            Department.objects.get_or_create(region=sub, name=name)

    grid = Region.objects.get(code="150902001001001")
    for team_role, name, phone in TEAM:
        if not GridTeamMember.objects.filter(grid_region=grid, role=team_role).exists():
            GridTeamMember.objects.create(
                grid_region=grid, role=team_role, name=name, phone=phone, organisation="", on_card=True
            )
    compound, _ = Compound.objects.get_or_create(
        grid_region=grid, name="恩和小区", defaults={"address": "恩和路 18 号"}
    )
    for b in range(1, 4):
        building, _ = Building.objects.get_or_create(
            grid_region=grid, compound=compound, name=f"{b}号楼", defaults={"floors": 6, "units": 2}
        )
        for unit in ("1", "2"):
            for floor in range(1, 7):
                for room in ("01", "02"):
                    HousingUnit.objects.get_or_create(
                        building=building,
                        unit=unit,
                        room=f"{floor}{room}",
                        defaults={"floor": floor, "area": 86},
                    )

    accounts = []
    for username, full_name, role, where in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name)
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role in SystemRole.values:
                do_set_system_role(user, role, actor=None)
                user.is_superuser = role == SystemRole.SYSADMIN
                user.save(update_fields=["is_superuser"])
            elif role == Role.DEPARTMENT_HANDLER:
                do_assign_post(
                    user, role, department=Department.objects.get(region=district, name=where), actor=None
                )
            else:
                do_assign_post(user, role, region=Region.objects.get(code=where), actor=None)
        accounts.append((username, DEMO_PASSWORD, str(dict(Role.choices + SystemRole.choices).get(role))))
    return accounts
