import pytest
from django.db.models import Q

from linli.accounts.models import Department
from linli.accounts.services import do_assign_post
from linli.core.errors import OutOfScope, ServiceError
from linli.core.scoping import access_by_pk, can, covers, in_scope, may_at, restrict, scope_q
from linli.core.services import do_create
from linli.core.testing import COMMUNITY_A, COMMUNITY_B, GRID_A, GRID_B, SUBDISTRICT
from linli.regions.models import Compound, Region
from linli.regions.services import do_create_grid


def visible(user, **filters):
    return set(restrict(Region.objects.filter(**filters), user).values_list("code", flat=True))


def test_each_persona_sees_its_subtree(users):
    assert visible(users["grid_worker"]) == {GRID_A}
    assert visible(users["staff"]) == {COMMUNITY_A, GRID_A, GRID_A[:-1] + "2"}
    assert visible(users["outsider"]) == {COMMUNITY_B, GRID_B}
    op = visible(users["operator"])
    assert SUBDISTRICT in op and COMMUNITY_A in op and COMMUNITY_B in op and "150902" not in op
    assert "150902" in visible(users["district_op"])


def test_department_handler_sees_its_departments_region(users):
    assert "150902" in visible(users["handler"])  # a district department: the district's tree
    assert scope_q(users["handler"], Compound) == Q(pk__in=[])


def test_system_roles(users):
    assert scope_q(users["sysadmin"], Region) is None  # configures the tree
    assert scope_q(users["sysadmin"], Compound) == Q(pk__in=[])  # but sees no one's registry
    assert scope_q(users["auditor"], Region) == Q(pk__in=[])
    assert not can(users["auditor"], Compound, "view")


def test_anonymous_and_inactive_see_nothing(users):
    from django.contrib.auth.models import AnonymousUser

    assert not restrict(Region.objects.all(), AnonymousUser()).exists()
    u = users["operator"]
    u.is_active = False
    assert not restrict(Region.objects.all(), u).exists()


def test_access_by_pk_same_404(users):
    from django.http import Http404

    with pytest.raises(Http404):
        access_by_pk(Region, users["outsider"], GRID_A)
    with pytest.raises(Http404):
        access_by_pk(Region, users["outsider"], "150902001002999")
    assert access_by_pk(Region, users["outsider"], GRID_B).code == GRID_B


def test_save_outside_scope_rolls_back(users):
    outside = Compound(grid_region=Region.objects.get(code=GRID_B), name="越界小区")
    with pytest.raises(OutOfScope):
        do_create(outside, actor=users["staff"])
    assert not Compound.objects.filter(name="越界小区").exists()


def test_separation_of_duties(users):
    with pytest.raises(ServiceError) as exc:
        do_assign_post(
            users["auditor"], "community_staff", region=Region.objects.get(code=COMMUNITY_A), actor=None
        )
    assert exc.value.code == "separation_of_duties"
    from linli.accounts.services import do_set_system_role

    with pytest.raises(ServiceError):
        do_set_system_role(users["staff"], "auditor", actor=None)


def test_post_level_must_match_role(users):
    with pytest.raises(ServiceError):
        do_assign_post(users["staff"], "grid_worker", region=Region.objects.get(code=COMMUNITY_A), actor=None)
    with pytest.raises(ServiceError):
        do_assign_post(
            users["staff"], "department_handler", region=Region.objects.get(code=COMMUNITY_A), actor=None
        )


def test_dropdowns_do_not_leak(client_for):
    page = client_for("grid_worker").get("/regions/compounds/add/").content.decode()
    assert GRID_A in page and GRID_B not in page and "150902001001002" not in page


def test_counts_do_not_leak(client_for, users):
    do_create(Compound(grid_region=Region.objects.get(code=GRID_B), name="乙小区"), actor=users["outsider"])
    page = client_for("operator").get(f"/regions/{SUBDISTRICT}/").content.decode()
    assert 'data-count="小区">1<' in page
    # the staff of A cannot open S and sees no total that includes B
    assert client_for("staff").get(f"/regions/{SUBDISTRICT}/").status_code == 404


def test_grid_delete_view(client_for, users):
    g = do_create_grid(Region.objects.get(code=COMMUNITY_A), "待删网格", actor=users["staff"])
    assert client_for("grid_worker").post(f"/regions/{g.code}/delete/").status_code == 404
    assert client_for("outsider").post(f"/regions/{g.code}/delete/").status_code == 404
    assert client_for("staff").post(f"/regions/{g.code}/delete/").status_code == 302
    assert not Region.objects.filter(code=g.code).exists()
    # a grid in use cannot be deleted; a community cannot be deleted at all
    do_create(Compound(grid_region=Region.objects.get(code=GRID_A), name="占用"), actor=users["staff"])
    c = client_for("staff")
    c.post(f"/regions/{GRID_A}/delete/")
    assert Region.objects.filter(code=GRID_A).exists()
    assert client_for("operator").post(f"/regions/{COMMUNITY_A}/delete/").status_code == 404


def test_departments_visible_for_dispatch(users):
    region = Region.objects.get(code=GRID_A)
    names = set(
        Department.objects.filter(Department.visible_to_region_q(region)).values_list("name", flat=True)
    )
    assert "区城市管理综合执法局" in names


def test_in_memory_answers_agree_with_the_database(users):
    """``covers`` and ``may_at`` read a record's or region's scope columns in memory; for
    every persona, action and place they answer what the scoped query answers."""
    from linli.cases.models import Case, Category, Channel
    from linli.cases.services import Intake, report_case

    made = []
    for lng in (113.105, 113.115, 113.125):  # grid A, community A's second grid, community B
        intake = Intake(Channel.API, Category.objects.get(code="1101"), "路灯不亮", lat=41.005, lng=lng)
        made.append(report_case(intake, actor=None)[0].pk)
    Case.objects.filter(pk=made[2]).update(department=Department.objects.get())
    cases = list(Case.objects.filter(pk__in=made))
    regions = list(Region.objects.all())
    seen = set()
    for user in users.values():
        for case in cases:
            for action in ("view", "change", "add", "export", "delete", "reveal"):
                answer = covers(user, case, action)
                assert answer == in_scope(case, user, action), (user.username, case.grid_id, action)
                seen.add(answer)
        q = scope_q(user, Case, "add")
        for region in regions:
            expected = q is None or Region.objects.filter(q, pk=region.pk).exists()
            assert may_at(user, Case, "add", region) == expected, (user.username, region.code)
    assert seen == {True, False}
