"""Grid work: the visit diary, registry updates from a visit, a finding turned into a
case, care due-lists, quotas and coverage (services, pages and scoping)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from linli.cases.models import Case, Category, Channel, Photo
from linli.core.errors import ServiceError
from linli.core.models import AuditEntry
from linli.core.services import do_create
from linli.core.testing import COMMUNITY_A, GRID_A, GRID_A2, GRID_B
from linli.people import services as people
from linli.people.codes import Relation
from linli.people.models import GroupTag, Household, Resident, SpecialGroup
from linli.regions.models import Building, Compound, HousingUnit, Region
from linli.visits import care, services
from linli.visits.models import Visit, VisitQuota
from tests.test_people import make_id

NOW = timezone.now


def household(users, grid=GRID_A, room="V101", name="走访户主", birth="19500101", seq="301", phone=""):
    actor = users["staff"] if grid != GRID_B else users["outsider"]
    g = Region.objects.get(code=grid)
    b = Building.objects.filter(grid_region=g, name="走访测试楼").first() or do_create(
        Building(grid_region=g, name="走访测试楼", floors=6), actor=actor
    )
    hu = do_create(HousingUnit(building=b, unit="1", floor=1, room=room), actor=actor)
    h = people.do_create_household(Household(housing_unit=hu), actor=actor)
    r = people.do_register_resident(
        Resident(
            name=name,
            citizen_id=make_id(birth, seq),
            housing_unit=hu,
            household=h,
            relation=Relation.HEAD,
            phone=phone or None,
        ),
        actor=actor,
    )
    h.refresh_from_db()
    return h, r


def tag(users, code, *, resident=None, household=None, days_ago=10):
    return people.do_add_tag(
        GroupTag(
            group=SpecialGroup.objects.get(code=code),
            resident=resident,
            household=household,
            start_date=timezone.localdate() - dt.timedelta(days=days_ago),
        ),
        actor=users["staff"],
    )


def visit(users, who="grid_worker", **kw):
    kw.setdefault("kind", Visit.Kind.HOME)
    kw.setdefault("findings", "家中一切正常")
    v, created = services.do_record_visit(Visit(**kw), actor=users[who])
    assert created
    return v


def png() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    buf.seek(0)
    buf.name = "x.png"
    return buf


# --- the diary --------------------------------------------------------------------------


def test_visit_recorded_in_grid_of_household_and_audited(users):
    h, r = household(users)
    v = visit(users, household=h, met="户主本人")
    assert (v.grid_region_id, v.community_id, v.worker, v.household) == (
        GRID_A,
        COMMUNITY_A,
        users["grid_worker"],
        h,
    )
    assert AuditEntry.objects.filter(
        object_type="visits.visit", object_id=str(v.pk), action="create"
    ).exists()
    # a resident's household is filled in
    v2 = visit(users, resident=r)
    assert v2.household_id == h.pk


@pytest.mark.parametrize(
    "kw,field,message",
    [
        ({"visited_at": "future"}, "visited_at", "走访时间不能晚于现在"),
        ({"household": None, "kind": Visit.Kind.HOME}, "household", "须选择走访的户或居民"),
        ({"findings": "", "met": "", "needs": ""}, "findings", "请填写"),
    ],
)
def test_bad_visits_refused_and_nothing_changed(users, kw, field, message):
    h, _r = household(users)
    data = {"household": h, "kind": Visit.Kind.HOME, "findings": "正常", **kw}
    if data.get("visited_at") == "future":
        data["visited_at"] = NOW() + dt.timedelta(hours=2)
    n = Visit.objects.count()
    with pytest.raises(ServiceError) as err:
        services.do_record_visit(Visit(**data), actor=users["grid_worker"])
    assert err.value.field == field and message in str(err.value.message)
    assert Visit.objects.count() == n


def test_visit_outside_scope_refused(users):
    h_b, _ = household(users, grid=GRID_B, room="VB1", seq="302")
    h_a2, _ = household(users, grid=GRID_A2, room="VA2", seq="303")
    n = Visit.objects.count()
    for h in (h_b, h_a2):  # another community; another grid of the worker's community
        with pytest.raises(ServiceError) as err:
            visit(users, household=h)
        assert err.value.code == "not_found" and "不在您的管辖范围内" in str(err.value.message)
    assert Visit.objects.count() == n
    # the community's staff may visit any grid of the community
    assert visit(users, "staff", household=h_a2).grid_region_id == GRID_A2


def test_a_visit_updates_the_registry_through_its_services(users):
    h, r = household(users, phone="13912340000")
    services.do_record_visit(
        Visit(kind=Visit.Kind.HOME, household=h, resident=r, findings="换了手机号"),
        actor=users["grid_worker"],
        registry=services.RegistryUpdate(new_phone="13812349999"),
    )
    r.refresh_from_db()
    assert r.phone.reveal() == "13812349999"
    # a bad number refuses the whole visit
    n = Visit.objects.count()
    with pytest.raises(ServiceError):
        services.do_record_visit(
            Visit(kind=Visit.Kind.HOME, household=h, resident=r, findings="x"),
            actor=users["grid_worker"],
            registry=services.RegistryUpdate(new_phone="12345"),
        )
    assert Visit.objects.count() == n
    services.do_record_visit(
        Visit(kind=Visit.Kind.HOME, household=h, resident=r, findings="已搬走"),
        actor=users["grid_worker"],
        registry=services.RegistryUpdate(
            moved_out_on=timezone.localdate(), moved_out_reason="随子女迁往外地"
        ),
    )
    r.refresh_from_db()
    assert r.archived_at == timezone.localdate() and r.moves.filter(kind="out").exists()


def test_visit_page_phone_form_with_photo_is_idempotent(users, client_for):
    h, r = household(users)
    c = client_for("grid_worker")
    assert c.get(f"/visits/new/?household={h.pk}").status_code == 200
    data = {
        "kind": "home",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "household": h.pk,
        "resident": r.pk,
        "met": "户主",
        "findings": "单元门禁坏了",
        "form_token": "tok-1",
    }
    n = Visit.objects.count()
    first = c.post("/visits/new/", {**data, "photos": png()})
    assert first.status_code == 302, first.content.decode()[-2000:]
    again = c.post("/visits/new/", {**data, "photos": png()})
    assert again.status_code == 302 and again.url == first.url
    assert Visit.objects.count() == n + 1
    v = Visit.objects.latest("pk")
    assert v.photos.count() == 1
    detail = c.get(first.url).content.decode()
    assert "单元门禁坏了" in detail and "转为事件" in detail
    # a visit in the future: a message, nothing recorded
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    bad = c.post("/visits/new/", {**data, "form_token": "tok-2", "visited_at": future})
    assert bad.status_code == 200 and "走访时间不能晚于现在" in bad.content.decode()
    assert Visit.objects.count() == n + 1


def test_finding_becomes_a_case_in_one_step(users, client_for):
    h, r = household(users)
    v, _created = services.do_record_visit(
        Visit(kind=Visit.Kind.HOME, household=h, resident=r, findings="楼道里堆满杂物，有消防隐患"),
        actor=users["grid_worker"],
        photos=[_upload()],
    )
    category = Category.objects.filter(parent__isnull=False, active=True).first()
    c = client_for("grid_worker")
    resp = c.post(f"/visits/diary/{v.pk}/case/", {"category": category.pk})
    assert resp.status_code == 302
    v.refresh_from_db()
    case = v.case
    assert case is not None and resp.url == f"/cases/{case.pk}/"
    assert (case.channel, case.household, case.resident, case.grid_id) == (Channel.GRID, h, r, GRID_A)
    assert case.description == "楼道里堆满杂物，有消防隐患"
    assert Photo.objects.filter(case=case).count() == 1
    # twice: a message, still one case
    n = Case.objects.count()
    c.post(f"/visits/diary/{v.pk}/case/", {"category": category.pk})
    assert Case.objects.count() == n
    assert f'href="/cases/{case.pk}/"' in c.get(f"/visits/diary/{v.pk}/").content.decode()
    # out of scope: 404
    assert (
        client_for("outsider").post(f"/visits/diary/{v.pk}/case/", {"category": category.pk}).status_code
        == 404
    )


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.png", png().read(), content_type="image/png")


def test_diary_scoped_and_edit_keeps_who_and_where(users, client_for):
    h, _ = household(users)
    v = visit(users, household=h, findings="日记条目甲")
    assert "日记条目甲" in client_for("staff").get("/visits/diary/").content.decode()
    assert "日记条目甲" not in client_for("outsider").get("/visits/diary/").content.decode()
    assert client_for("outsider").get(f"/visits/diary/{v.pk}/").status_code == 404
    assert client_for("handler").get(f"/visits/diary/{v.pk}/").status_code == 404
    resp = client_for("grid_worker").post(
        f"/visits/diary/{v.pk}/edit/",
        {"met": "户主", "findings": "日记条目甲（更正）", "needs": "", "place": ""},
    )
    assert resp.status_code == 302
    v.refresh_from_db()
    assert v.findings == "日记条目甲（更正）" and v.household == h
    # the generic add page leads to the phone form; the worker cannot delete, staff can
    assert client_for("grid_worker").get("/visits/diary/add/").url == "/visits/new/"
    assert client_for("grid_worker").post(f"/visits/diary/{v.pk}/delete/").status_code == 404
    assert client_for("staff").post(f"/visits/diary/{v.pk}/delete/").status_code == 302


# --- due-lists ----------------------------------------------------------------------


def test_due_list_follows_care_rules(users, client_for):
    today = timezone.localdate()
    h1, alone = household(users, room="D1", name="独居甲", seq="311")
    h2, _poor = household(users, room="D2", name="低保户乙", birth="19700101", seq="312")
    h3, old = household(users, room="D3", name="高龄丙", birth=f"{today.year - 85}0101", seq="313")
    hb, alone_b = household(users, grid=GRID_B, room="DB", name="独居丁", seq="314")
    tag(users, "dujulaoren", resident=alone, days_ago=10)  # weekly: due 3 days ago
    tag(users, "dibao", household=h2, days_ago=40)  # monthly, never visited: overdue
    people.do_add_tag(
        GroupTag(
            group=SpecialGroup.objects.get(code="dujulaoren"),
            resident=alone_b,
            start_date=today - dt.timedelta(days=9),
        ),
        actor=users["outsider"],
    )
    area = care.user_area(users["grid_worker"])
    due = {i.label: i for i in care.due_items(area, today=today)}
    assert {"独居甲", "低保户乙", "高龄丙"} <= set(due) and "独居丁" not in due
    assert due["独居甲"].due_on == today - dt.timedelta(days=3) and due["独居甲"].every_days == 7
    assert due["低保户乙"].groups == ["低保"] and due["低保户乙"].household_id == h2.pk
    assert "高龄" in due["高龄丙"].groups
    order = [i.label for i in care.due_items(area, today=today)]
    assert order.index("低保户乙") < order.index("独居甲")  # the most overdue first
    # a phone call does not meet the rule; a home visit to the household does
    visit(users, household=h1, kind=Visit.Kind.PHONE)
    assert "独居甲" in {i.label for i in care.due_items(area, today=today)}
    visit(users, household=h1)
    after = {i.label: i for i in care.due_items(area, today=today)}
    assert "独居甲" not in after
    assert {i.label for i in care.due_items(area, today=today + dt.timedelta(days=7))} >= {"独居甲"}
    # an ended tag is no longer due; the landing page shows the list
    home = client_for("grid_worker").get("/visits/").content.decode()
    assert "低保户乙" in home and "高龄丙" in home and "独居丁" not in home
    assert "独居丁" in client_for("outsider").get("/visits/").content.decode()
    _ = old, h3


# --- quotas, progress, coverage --------------------------------------------------------


def test_quota_progress_counts_households_visited_in_person(users, client_for):
    h1, _ = household(users, room="Q1", seq="321")
    h2, _ = household(users, room="Q2", seq="322")
    visit(users, household=h1)
    visit(users, household=h1)  # the same household twice counts once
    visit(users, household=h2, kind=Visit.Kind.PHONE)  # not in person
    rows = {r.user.username: r for r in care.progress(users["staff"])}
    me = rows["grid_worker"]
    assert (me.households, me.visits, me.quota) == (1, 3, 20)
    assert "outsider" not in rows  # another community
    # the nearest quota applies
    do_create(
        VisitQuota(region=Region.objects.get(code="150902"), role="grid_worker", households=18), actor=None
    )
    do_create(
        VisitQuota(region=Region.objects.get(code=COMMUNITY_A), role="grid_worker", households=25), actor=None
    )
    assert care.progress(users["grid_worker"], only_self=True)[0].quota == 25
    page = client_for("staff").get("/visits/progress/").content.decode()
    assert "grid_worker" in page and "4%" in page  # 1 of 25
    assert client_for("grid_worker").get("/visits/").status_code == 200


@pytest.mark.parametrize("households", ["0", "1000", "-3"])
def test_impossible_quota_refused(users, client_for, households):
    n = VisitQuota.objects.count()
    resp = client_for("staff").post(
        "/visits/quotas/add/", {"region": COMMUNITY_A, "role": "grid_worker", "households": households}
    )
    assert resp.status_code == 200 and "invalid-feedback" in resp.content.decode()
    assert VisitQuota.objects.count() == n


def test_coverage_per_grid(users, client_for):
    h1, _ = household(users, room="C1", seq="331")
    h2, r2 = household(users, room="C2", seq="332")
    visit(users, household=h1)
    tag(users, "dujulaoren", resident=r2, days_ago=20)
    rows = {r.grid.code: r for r in care.coverage(users["staff"], days=30)}
    a = rows[GRID_A]
    assert (a.households, a.visited, a.not_visited, a.care_overdue) == (2, 1, 1, 1)
    assert GRID_B not in rows
    page = client_for("staff").get(f"/visits/coverage/{GRID_A}/?days=30").content.decode()
    assert str(h2.housing_unit) in page and "走访户主" in page
    assert client_for("outsider").get(f"/visits/coverage/{GRID_A}/").status_code == 404
    assert "50%" in client_for("staff").get("/visits/coverage/").content.decode()


def test_more_bad_visits_refused_and_nothing_changed(users):
    h, r = household(users, room="BV1", seq="341")
    _h2, r2 = household(users, room="BV2", seq="342")
    _hb, rb = household(users, grid=GRID_B, room="BVB", seq="343")
    compound_b = do_create(
        Compound(grid_region=Region.objects.get(code=GRID_B), name="外社区小区"), actor=users["outsider"]
    )
    later = timezone.localdate() + dt.timedelta(days=1)
    cases = [
        ({"resident": rb}, None, "resident", "不在您的管辖范围内"),
        ({"compound": compound_b, "kind": Visit.Kind.PATROL}, None, "compound", "不在您的管辖范围内"),
        ({"household": h, "resident": r2}, None, "resident", "不是该户成员"),
        ({"household": h}, services.RegistryUpdate(new_phone="13812340001"), "resident", "须选择所见的居民"),
        ({"resident": r}, services.RegistryUpdate(moved_out_on=later), "moved_out_on", "不能晚于走访日期"),
    ]
    n, archived = Visit.objects.count(), Resident.objects.filter(archived_at__isnull=False).count()
    for kw, registry, field, message in cases:
        with pytest.raises(ServiceError) as err:
            services.do_record_visit(
                Visit(kind=kw.pop("kind", Visit.Kind.HOME), findings="x", **kw),
                actor=users["grid_worker"],
                registry=registry,
            )
        assert err.value.field == field and message in str(err.value.message)
    assert Visit.objects.count() == n
    assert Resident.objects.filter(archived_at__isnull=False).count() == archived


def test_list_filters_with_bad_values_match_nothing(users, client_for):
    h, _ = household(users, room="F1", seq="351")
    visit(users, household=h, findings="筛选测试条目")
    c = client_for("staff")
    assert "筛选测试条目" in c.get(f"/visits/diary/?household={h.pk}").content.decode()
    for url in ("/visits/diary/?worker=abc", "/visits/diary/?household=x", "/regions/buildings/?compound=x"):
        resp = c.get(url)
        assert resp.status_code == 200 and "筛选测试条目" not in resp.content.decode()


def test_visit_form_queries_do_not_grow_with_households(users, client_for, django_assert_max_num_queries):
    for i in range(12):
        household(users, room=f"N{i}", name=f"户主{i}", seq=f"{360 + i}")
    c = client_for("grid_worker")
    with django_assert_max_num_queries(16):  # the household choices' labels come with the list
        page = c.get("/visits/new/").content.decode()
    assert "户主11" in page
