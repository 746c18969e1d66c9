"""Generated scoped view tests: every Crud's list/detail/add/edit/delete/export/API,
for every persona, with the record inside and outside their scope. A meta-test
fails when a URL pattern or a scoped model has no such coverage."""

from __future__ import annotations

import datetime as dt
import inspect
import sys

import pytest
from django.apps import apps
from django.urls import get_resolver, reverse

from linli.accounts.models import Department
from linli.accounts.views import DEPARTMENTS
from linli.core.models import ScopedModel
from linli.core.services import do_create
from linli.core.testing import COMMUNITY_A, DEFAULT_ALLOWED, GRID_A, PERSONAS, SUBDISTRICT, ScopedViewSpec
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

CASES = [(key, persona) for key in SPECS for persona in PERSONAS]


@pytest.fixture
def setup(users, request):
    key, persona = request.param
    spec = SPECS[key]
    obj = spec.make(users)
    return spec, obj, persona


def label(obj) -> str:
    return next(
        v
        for v in (getattr(obj, "name", None), getattr(obj, "room", None), getattr(obj, "content", None))
        if v
    )


@pytest.mark.parametrize("setup", CASES, indirect=True, ids=[f"{k}-{p}" for k, p in CASES])
def test_list_detail_export(setup, client_for):
    spec, obj, persona = setup
    allowed = spec.allowed[persona]
    c = client_for(persona)
    listing = c.get(spec.crud.url("list"))
    assert listing.status_code == 200
    assert (label(obj) in listing.content.decode()) == ("list" in allowed)
    assert c.get(spec.crud.url("detail", obj.pk)).status_code == (200 if "detail" in allowed else 404)
    export = c.get(spec.crud.url("list") + "?export=csv")
    if "export" in allowed:
        assert export.status_code == 200 and label(obj) in export.content.decode("utf-8-sig")
        assert "13912345678" not in export.content.decode("utf-8-sig")  # masked by default
    else:
        assert export.status_code == 404 or label(obj) not in export.content.decode("utf-8-sig")


@pytest.mark.parametrize("setup", CASES, indirect=True, ids=[f"{k}-{p}" for k, p in CASES])
def test_add(setup, client_for):
    spec, obj, persona = setup
    model = spec.crud.model
    before = model.objects.count()
    resp = client_for(persona).post(spec.crud.url("add"), spec.form_data(obj))
    if "add" in spec.allowed[persona]:
        assert resp.status_code == 302, resp.content.decode()[-3000:]
        assert model.objects.count() == before + 1
    else:
        assert resp.status_code in (200, 404)
        assert model.objects.count() == before


@pytest.mark.parametrize("setup", CASES, indirect=True, ids=[f"{k}-{p}" for k, p in CASES])
def test_edit(setup, client_for):
    spec, obj, persona = setup
    c = client_for(persona)
    url = spec.crud.url("edit", obj.pk)
    if "edit" not in spec.allowed[persona]:
        assert c.get(url).status_code == 404
        assert c.post(url, spec.form_data(obj)).status_code == 404
        return
    assert c.get(url).status_code == 200
    data = spec.form_data(obj)
    resp = c.post(url, data)
    assert resp.status_code == 302, resp.content.decode()[-3000:]


@pytest.mark.parametrize("setup", CASES, indirect=True, ids=[f"{k}-{p}" for k, p in CASES])
def test_delete(setup, client_for):
    spec, obj, persona = setup
    model = spec.crud.model
    resp = client_for(persona).post(spec.crud.url("delete", obj.pk))
    if "delete" in spec.allowed[persona]:
        assert resp.status_code == 302
        assert not model.objects.filter(pk=obj.pk).exists()
    else:
        assert resp.status_code == 404
        assert model.objects.filter(pk=obj.pk).exists()


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


# --- meta-tests -------------------------------------------------------------------

GENERATED_VIEWS = {"list", "add", "detail", "edit", "delete"}
# URL names tested by hand, with the test that covers each.
EXPLICIT = {
    "regions:tree": "tests/test_regions.py::test_region_pages",
    "regions:detail": "tests/test_regions.py::test_region_detail_out_of_scope_is_404",
    "regions:grid_edit": "tests/test_regions.py::test_grid_form_create_and_errors",
    "regions:grid_delete": "tests/test_scoping.py::test_grid_delete_view",
    "regions:housing_import": "tests/test_regions.py::test_housing_import_page",
    "accounts:login": "tests/test_audit.py::test_logins_logouts_and_failures_with_address",
    "accounts:logout": "tests/test_audit.py::test_logins_logouts_and_failures_with_address",
    "accounts:password_change": "tests/test_accounts.py::test_password_change",
    "accounts:home": "tests/test_accounts.py::test_home_lands_on_region",
    "accounts:tokens": "tests/test_accounts.py::test_tokens_page",
    "accounts:token_revoke": "tests/test_accounts.py::test_tokens_page",
    "accounts:audit_log": "tests/test_audit.py::test_audit_log_page_only_for_auditors",
    "reveal": "tests/test_pii.py::test_reveal_view",
}
SCOPED_EXPLICIT = {Region: "tests/test_regions.py"}


def _project_url_names() -> set[str]:
    names = set()
    resolver = get_resolver()
    for ns, (_prefix, sub) in resolver.namespace_dict.items():
        if ns in ("regions", "accounts"):
            names |= {f"{ns}:{n}" for n in sub.reverse_dict if isinstance(n, str)}
    names |= {n for n in resolver.reverse_dict if isinstance(n, str) and n == "reveal"}
    return names


def test_every_url_is_covered():
    generated = {f"{s.crud.app_label}:{s.crud.name}_{v}" for s in SPECS.values() for v in GENERATED_VIEWS}
    missing = _project_url_names() - generated - set(EXPLICIT)
    assert not missing, f"URL patterns without tests: {sorted(missing)}"
    for target in EXPLICIT.values():
        path, _, func = target.partition("::")
        module = sys.modules.get("tests." + path.split("/")[-1][:-3]) or __import__(
            "tests." + path.split("/")[-1][:-3], fromlist=["x"]
        )
        assert inspect.isfunction(getattr(module, func, None)), f"{target} does not exist"
    assert reverse("regions:tree")


def test_every_scoped_model_is_covered():
    models = {m for m in apps.get_models() if issubclass(m, ScopedModel)}
    covered = {s.crud.model for s in SPECS.values()} | set(SCOPED_EXPLICIT)
    assert models - covered == set(), f"scoped models without generated tests: {models - covered}"
