"""Generated scoped view tests for the regions and accounts pages (core.testing), plus
the scoping cases the generator does not express."""

from __future__ import annotations

import datetime as dt

from linli.accounts.models import Department
from linli.accounts.views import DEPARTMENTS
from linli.core.services import do_create
from linli.core.testing import (
    COMMUNITY_A,
    DEFAULT_ALLOWED,
    GRID_A,
    PERSONAS,
    SUBDISTRICT,
    ScopedViewSpec,
    scoped_view_tests,
)
from linli.regions.models import (
    Building,
    Compound,
    GridTeamMember,
    HousingUnit,
    PartnerPairing,
    PartnerUnit,
    Region,
)
from linli.regions.views import CRUDS

ALL = {"list", "detail", "add", "edit", "delete", "export"}
NONE: dict[str, set[str]] = {p: set() for p in PERSONAS}


def grid_a():
    return Region.objects.get(code=GRID_A)


def make_compound(u):
    return do_create(Compound(grid_region=grid_a(), name="测试小区甲"), actor=u["staff"])


def make_building(u):
    return do_create(
        Building(grid_region=grid_a(), compound=make_compound(u), name="测试楼甲", floors=6), actor=u["staff"]
    )


def make_unit(u):
    return do_create(
        HousingUnit(building=make_building(u), unit="1", floor=2, room="测试201"), actor=u["staff"]
    )


def make_member(u):
    return do_create(
        GridTeamMember(grid_region=grid_a(), role="police", name="测试民警", phone="13912345678"),
        actor=u["staff"],
    )


def make_partner(u):
    return do_create(
        PartnerUnit(
            region=Region.objects.get(code=COMMUNITY_A),
            name="测试共建单位",
            credit_code="91110000600037341L",
            phone="13912345678",
        ),
        actor=u["staff"],
    )


def make_pairing(u):
    return do_create(
        PartnerPairing(
            partner=make_partner(u),
            community_region=Region.objects.get(code=COMMUNITY_A),
            content="测试包联内容",
        ),
        actor=u["staff"],
    )


def make_department(u):
    return do_create(
        Department(region=Region.objects.get(code=SUBDISTRICT), name="测试街道部门"), actor=u["operator"]
    )


SPECS: dict[str, ScopedViewSpec] = {
    "compounds": ScopedViewSpec(
        CRUDS["compounds"],
        make_compound,
        lambda o: {"grid_region": GRID_A, "name": "新建小区乙"},
        DEFAULT_ALLOWED,
    ),
    "buildings": ScopedViewSpec(
        CRUDS["buildings"],
        make_building,
        lambda o: {"grid_region": GRID_A, "name": "新建楼乙", "floors": 5, "units": 1},
        DEFAULT_ALLOWED,
    ),
    "housing-units": ScopedViewSpec(
        CRUDS["housing-units"],
        make_unit,
        lambda o: {
            "building": o.building_id,
            "unit": "2",
            "floor": 1,
            "room": "新建101",
            "usage": "residential",
        },
        DEFAULT_ALLOWED,
    ),
    "team": ScopedViewSpec(
        CRUDS["team"],
        make_member,
        lambda o: {"grid_region": GRID_A, "role": "fire", "name": "新建消防员", "phone": "13812345678"},
        DEFAULT_ALLOWED,
    ),
    # registered at community level: a grid worker's subtree does not hold them
    "partners": ScopedViewSpec(
        CRUDS["partners"],
        make_partner,
        lambda o: {
            "region": COMMUNITY_A,
            "name": "新建共建单位乙",
            "credit_code": "91310115065934254C",
            "phone": "13812345678",
        },
        {**DEFAULT_ALLOWED, "grid_worker": set()},
    ),
    "pairings": ScopedViewSpec(
        CRUDS["pairings"],
        make_pairing,
        lambda o: {
            "partner": o.partner_id,
            "community_region": COMMUNITY_A,
            "content": "新建包联乙",
            "since": dt.date(2026, 1, 1).isoformat(),
        },
        {**DEFAULT_ALLOWED, "grid_worker": set()},
    ),
    # a subdistrict department: its operator manages it; its handler sees only their own
    "departments": ScopedViewSpec(
        DEPARTMENTS,
        make_department,
        lambda o: {"region": SUBDISTRICT, "name": "新建街道部门乙"},
        {**NONE, "operator": ALL},
    ),
}

TestScopedViews = scoped_view_tests(SPECS)


def test_move_out_of_scope_is_rolled_back(users, client_for):
    """A grid worker cannot move a compound of their grid into another grid."""
    obj = make_compound(users)
    resp = client_for("grid_worker").post(
        CRUDS["compounds"].url("edit", obj.pk), {"grid_region": "150902001001002", "name": obj.name}
    )
    assert resp.status_code == 200  # the other grid is not even a choice
    obj.refresh_from_db()
    assert obj.grid_region_id == GRID_A


def test_department_handler_sees_own_department(users, client_for):
    dept = Department.objects.get(name="区城市管理综合执法局")
    c = client_for("handler")
    assert c.get(DEPARTMENTS.url("detail", dept.pk)).status_code == 200
    assert c.get(DEPARTMENTS.url("edit", dept.pk)).status_code == 404


def test_invalid_input_is_refused_with_message(users, client_for):
    c = client_for("staff")
    n = PartnerUnit.objects.count()
    resp = c.post(
        CRUDS["partners"].url("add"),
        {"region": COMMUNITY_A, "name": "坏代码单位", "credit_code": "91110000600037341X", "phone": "123"},
    )
    page = resp.content.decode()
    assert resp.status_code == 200 and "统一社会信用代码无效" in page and "手机号码" in page
    assert PartnerUnit.objects.count() == n


def test_list_cells_are_escaped(users, client_for):
    """The list's rows are built in Python: text from users is escaped there as the
    template would escape it."""
    do_create(Compound(grid_region=grid_a(), name="<b>粗体</b>小区"), actor=users["staff"])
    html = client_for("staff").get("/regions/compounds/").content.decode()
    assert "&lt;b&gt;粗体&lt;/b&gt;小区" in html and "<b>粗体" not in html
