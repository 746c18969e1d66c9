"""Test helpers every app reuses: personas and generated scoped view tests.

Personas (Healthchecks' alice/bob/charlie idea), all in the real 集宁区 tree:
- ``grid_worker``: grid worker of grid A (150902001001001)
- ``staff``: community staff of community A (150902001001, 恩和路社区)
- ``operator``: subdistrict operator of S (150902001, 新体路街道)
- ``handler``: department handler of a district department
- ``outsider``: community staff of the sibling community B (150902001002), who
  must get 404 for everything of community A
- ``sysadmin`` and ``auditor``: the system roles (三员分立)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linli.core.roles import Role, SystemRole

DISTRICT = "150902"
SUBDISTRICT = "150902001"
COMMUNITY_A = "150902001001"
COMMUNITY_B = "150902001002"
GRID_A = "150902001001001"
GRID_A2 = "150902001001002"
GRID_B = "150902001002001"
PASSWORD = "persona-password-1"  # noqa: S105

PERSONAS = ("grid_worker", "staff", "operator", "handler", "outsider")


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def build_world() -> None:
    """Load the real subdistrict 新体路街道, draw three grids, create personas (via services)."""
    from linli.accounts.models import Department, User
    from linli.accounts.services import do_assign_post, do_create_user, do_set_system_role
    from linli.regions.models import Region
    from linli.regions.services import do_create_grid, load_regions

    load_regions([SUBDISTRICT])
    a = Region.objects.get(code=COMMUNITY_A)
    b = Region.objects.get(code=COMMUNITY_B)
    do_create_grid(a, "恩和路第1网格", boundary=square(113.10, 41.00), actor=None)
    do_create_grid(a, "恩和路第2网格", boundary=square(113.11, 41.00), actor=None)
    do_create_grid(b, "体育场第1网格", boundary=square(113.12, 41.00), actor=None)
    district = Region.objects.get(code=DISTRICT)
    dept = Department(region=district, name="区城市管理综合执法局")
    dept.save()

    def user(name, role=None, *, region=None, department=None, system_role=""):
        u = do_create_user(name, PASSWORD, full_name=name, actor=None)
        if system_role:
            do_set_system_role(u, system_role, actor=None)
        elif role:
            do_assign_post(u, role, region=region, department=department, actor=None)
        return u

    user("grid_worker", Role.GRID_WORKER, region=Region.objects.get(code=GRID_A))
    user("staff", Role.COMMUNITY_STAFF, region=a)
    user("operator", Role.SUBDISTRICT_OPERATOR, region=Region.objects.get(code=SUBDISTRICT))
    user("handler", Role.DEPARTMENT_HANDLER, department=dept)
    user("outsider", Role.COMMUNITY_STAFF, region=b)
    user("district_op", Role.DISTRICT_OPERATOR, region=district)
    user("sysadmin", system_role=SystemRole.SYSADMIN)
    user("auditor", system_role=SystemRole.AUDITOR)
    assert User.objects.count() == 8


@dataclass
class ScopedViewSpec:
    """How to exercise one Crud's pages for the generated tests.

    ``make(personas)`` creates a record inside grid A / community A through the
    services and returns it; ``form_data(obj)`` is valid POST data for a new record
    in community A; ``allowed`` maps each persona to the actions it may take on
    such a record (everything else must answer 404).
    """

    crud: Any
    make: Callable[[dict], Any]
    form_data: Callable[[Any], dict]
    allowed: dict[str, set[str]]
    label: Callable[[Any], str] | None = None  # text that shows the record in its list


# The default policy (core.roles.DEFAULT_POLICY) for a record inside grid A, spelled
# out by hand so that a change to the policy has to change the tests too.
DEFAULT_ALLOWED = {
    "grid_worker": {"list", "detail", "add", "edit"},
    "staff": {"list", "detail", "add", "edit", "delete", "export"},
    "operator": {"list", "detail", "add", "edit", "delete", "export"},
    "handler": set(),
    "outsider": set(),
}


# Every spec handed to scoped_view_tests, by "app:model", for the meta-test.
REGISTRY: dict[str, ScopedViewSpec] = {}


def _label(obj, spec: ScopedViewSpec | None = None) -> str:
    if spec is not None and spec.label is not None:
        return spec.label(obj)
    for attr in ("name", "room", "content"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)
    return str(obj)


def scoped_view_tests(specs: dict[str, ScopedViewSpec]) -> type:
    """A test class exercising each spec's list, detail, export, add, edit and delete
    pages for every persona. Use it in an app's tests: ``TestX = scoped_view_tests(SPECS)``.

    Each persona either may do an action (and it works) or gets 404 / no row and
    nothing changes. The fixtures ``users`` and ``client_for`` come from conftest.
    """
    import pytest

    for spec in specs.values():
        REGISTRY[spec.crud.model._meta.label_lower] = spec  # type: ignore[attr-defined]
    cases = [(key, persona) for key in specs for persona in PERSONAS]
    ids = [f"{k}-{p}" for k, p in cases]
    parametrize = pytest.mark.parametrize("case", cases, indirect=True, ids=ids)

    class ScopedViewTests:
        @pytest.fixture
        def case(self, users, request):
            key, persona = request.param
            spec = specs[key]
            return spec, spec.make(users), persona

        @parametrize
        def test_list_detail_export(self, case, client_for):
            spec, obj, persona = case
            allowed, crud = spec.allowed[persona], spec.crud
            c = client_for(persona)
            listing = c.get(crud.url("list"))
            assert listing.status_code == 200
            assert (_label(obj, spec) in listing.content.decode()) == ("list" in allowed)
            assert c.get(crud.url("detail", obj.pk)).status_code == (200 if "detail" in allowed else 404)
            export = c.get(crud.url("list") + "?export=csv")
            body = export.content.decode("utf-8-sig")
            if "export" in allowed:
                assert export.status_code == 200 and _label(obj, spec) in body
                assert not re.search(r"1[3-9]\d{9}", body), "exports are masked by default"
            else:
                assert export.status_code == 404 or _label(obj, spec) not in body

        @parametrize
        def test_add(self, case, client_for):
            spec, obj, persona = case
            model = spec.crud.model
            before = model.objects.count()
            resp = client_for(persona).post(spec.crud.url("add"), spec.form_data(obj))
            if "add" in spec.allowed[persona]:
                assert resp.status_code == 302, resp.content.decode()[-3000:]
                assert model.objects.count() == before + 1
            else:
                assert resp.status_code in (200, 404)
                assert model.objects.count() == before

        @parametrize
        def test_edit(self, case, client_for):
            spec, obj, persona = case
            c = client_for(persona)
            url = spec.crud.url("edit", obj.pk)
            if "edit" not in spec.allowed[persona]:
                assert c.get(url).status_code == 404
                assert c.post(url, spec.form_data(obj)).status_code == 404
                return
            assert c.get(url).status_code == 200
            resp = c.post(url, spec.form_data(obj))
            assert resp.status_code == 302, resp.content.decode()[-3000:]

        @parametrize
        def test_delete(self, case, client_for):
            spec, obj, persona = case
            model = spec.crud.model
            resp = client_for(persona).post(spec.crud.url("delete", obj.pk))
            if "delete" in spec.allowed[persona]:
                assert resp.status_code == 302
                assert not model.objects.filter(pk=obj.pk).exists()
            else:
                assert resp.status_code == 404
                assert model.objects.filter(pk=obj.pk).exists()

    return ScopedViewTests
