"""Grid work around the diary: home services, holiday visits, duty rosters, building
heads, quotas (generated scoped page tests), the public grid card and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from linli.core.errors import ServiceError
from linli.core.services import do_create
from linli.core.testing import (
    COMMUNITY_A,
    DEFAULT_ALLOWED,
    GRID_A,
    GRID_A2,
    SUBDISTRICT,
    ScopedViewSpec,
    scoped_view_tests,
)
from linli.people.models import SpecialGroup
from linli.regions.models import Building, GridTeamMember, Region
from linli.visits import services
from linli.visits.models import (
    BuildingContact,
    Campaign,
    Delivery,
    DutyShift,
    HomeService,
    Visit,
    VisitQuota,
)
from linli.visits.teams import BUILDING_CONTACTS, CAMPAIGNS, HOME_SERVICES, QUOTAS, SHIFTS
from tests.test_visits import household, tag

TODAY = timezone.localdate
STAFF_ONLY_AT_COMMUNITY = {**DEFAULT_ALLOWED, "grid_worker": set()}


def make_service(u, room="H1", seq="401", weekdays="1,2,3,4,5,6,7"):
    _h, r = household(u, room=room, seq=seq)
    return services.do_save_home_service(
        HomeService(
            resident=r,
            kind=HomeService.Kind.MEALS,
            provider_kind=HomeService.Provider.VOLUNTEERS,
            provider="助老服务队测试",
            weekdays=weekdays,
            start_date=TODAY() - dt.timedelta(days=30),
        ),
        actor=u["staff"],
    )


def make_campaign(u, region=COMMUNITY_A, actor="staff"):
    return services.do_save_campaign(
        Campaign(
            region=Region.objects.get(code=region),
            name="测试慰问活动",
            occasion=Campaign.Occasion.SPRING,
            start_date=TODAY() - dt.timedelta(days=10),
            end_date=TODAY() + dt.timedelta(days=10),
        ),
        actor=u[actor],
    )


def make_shift(u, day=None, start=dt.time(8, 30), end=dt.time(12, 0), worker="grid_worker", region=GRID_A):
    return services.do_save_shift(
        DutyShift(
            post=DutyShift.Post.GRID if len(region) == 15 else DutyShift.Post.HALL,
            region=Region.objects.get(code=region),
            worker=u[worker],
            day=day or TODAY(),
            start=start,
            end=end,
        ),
        actor=u["staff"],
    )


def make_contact(u):
    b = do_create(Building(grid_region=Region.objects.get(code=GRID_A), name="楼长测试楼"), actor=u["staff"])
    return do_create(
        BuildingContact(building=b, role=BuildingContact.Role.HEAD, name="测试楼栋长", phone="13912345678"),
        actor=u["staff"],
    )


def make_quota(u):
    return do_create(
        VisitQuota(region=Region.objects.get(code=COMMUNITY_A), role="community_staff", households=187),
        actor=u["staff"],
    )


SPECS = {
    "home-services": ScopedViewSpec(
        HOME_SERVICES,
        make_service,
        lambda o: {
            "resident": o.resident_id,
            "kind": "haircut",
            "provider_kind": "merchant",
            "provider": "新建理发店",
            "weekdays": "3",
            "start_date": TODAY().isoformat(),
        },
        DEFAULT_ALLOWED,
        label=lambda o: o.provider,
    ),
    "campaigns": ScopedViewSpec(
        CAMPAIGNS,
        make_campaign,
        lambda o: {
            "region": COMMUNITY_A,
            "name": "新建慰问活动",
            "occasion": "midautumn",
            "start_date": TODAY().isoformat(),
            "end_date": TODAY().isoformat(),
        },
        STAFF_ONLY_AT_COMMUNITY,
    ),
    # grid A's rota: its worker sees it; only staff and above arrange it
    "duty": ScopedViewSpec(
        SHIFTS,
        make_shift,
        lambda o: {
            "post": "grid",
            "region": GRID_A,
            "worker": o.worker_id,
            "day": (o.day + dt.timedelta(days=1)).isoformat(),
            "start": "14:00",
            "end": "17:00",
        },
        {**DEFAULT_ALLOWED, "grid_worker": {"list", "detail"}},
        label=lambda o: "grid_worker",
    ),
    "building-contacts": ScopedViewSpec(
        BUILDING_CONTACTS,
        make_contact,
        lambda o: {
            "building": o.building_id,
            "role": "reporter",
            "name": "新建信息员",
            "phone": "13812345678",
        },
        DEFAULT_ALLOWED,
    ),
    "quotas": ScopedViewSpec(
        QUOTAS,
        make_quota,
        lambda o: {"region": COMMUNITY_A, "role": "grid_worker", "households": 24},
        STAFF_ONLY_AT_COMMUNITY,
        label=lambda o: "187",
    ),
}

TestVisitScopedViews = scoped_view_tests(SPECS)


# --- home services ---------------------------------------------------------------------


def test_home_service_deliveries(users, client_for):
    s = make_service(users)
    c = client_for("grid_worker")
    assert "助老服务队测试" in c.get("/visits/").content.decode()  # due today, on the landing page
    resp = c.post(
        f"/visits/home-services/{s.pk}/deliver/",
        {"delivered_on": TODAY().isoformat(), "done": "on", "by": "志愿者甲", "next": "home"},
    )
    assert resp.status_code == 302 and resp.url == "/visits/"
    d = Delivery.objects.get(service=s)
    assert (d.by, d.recorded_by, d.grid_id) == ("志愿者甲", users["grid_worker"], GRID_A)
    assert "助老服务队测试" not in c.get("/visits/").content.decode()  # done for today
    # twice the same day, in the future, missed without a reason: refused, nothing added
    for data in (
        {"delivered_on": TODAY().isoformat(), "done": "on"},
        {"delivered_on": (TODAY() + dt.timedelta(days=1)).isoformat(), "done": "on"},
        {"delivered_on": (TODAY() - dt.timedelta(days=1)).isoformat()},
    ):
        page = c.post(f"/visits/home-services/{s.pk}/deliver/", data, follow=True).content.decode()
        assert "alert-danger" in page
    assert Delivery.objects.filter(service=s).count() == 1
    assert (
        client_for("outsider")
        .post(f"/visits/home-services/{s.pk}/deliver/", {"delivered_on": TODAY().isoformat()})
        .status_code
        == 404
    )


def test_home_service_weekdays_checked(users):
    with pytest.raises(ServiceError) as err:
        make_service(users, weekdays="1,8")
    assert err.value.field == "weekdays"


# --- holiday and hardship visits ----------------------------------------------------------


def test_campaign_targets_gifts_and_sign_off(users, client_for):
    h1, r1 = household(users, room="P1", seq="411")
    h2, _ = household(users, grid=GRID_A2, room="P2", seq="412")
    tag(users, "dibao", household=h1)
    tag(users, "youfu", resident=_resident_of(h2))
    campaign = make_campaign(users, region=SUBDISTRICT, actor="operator")
    op = client_for("operator")
    groups = SpecialGroup.objects.filter(code__in=["dibao", "youfu"]).values_list("pk", flat=True)
    resp = op.post(f"/visits/campaigns/{campaign.pk}/targets/", {"groups": list(groups)})
    assert resp.status_code == 302
    assert set(campaign.targets.values_list("household_id", flat=True)) >= {h1.pk, h2.pk}
    target = campaign.targets.get(household=h1)
    # the community's staff find their targets of the subdistrict's campaign
    staff = client_for("staff")
    assert staff.get(f"/visits/campaigns/{campaign.pk}/").status_code == 404
    assert str(h1.housing_unit) in staff.get("/visits/targets/").content.decode()
    assert str(h1.housing_unit) not in client_for("outsider").get("/visits/targets/").content.decode()
    # bad gift: nothing given, in the future
    for data in (
        {"visited_on": TODAY().isoformat(), "visitors": "张丽", "money": "0", "goods_value": "0"},
        {
            "visited_on": (TODAY() + dt.timedelta(days=1)).isoformat(),
            "visitors": "张丽",
            "money": "300",
            "goods_value": "0",
        },
    ):
        assert staff.post(f"/visits/targets/{target.pk}/gift/", data).status_code == 200
    target.refresh_from_db()
    assert target.visited_on is None
    n = Visit.objects.filter(household=h1).count()
    resp = staff.post(
        f"/visits/targets/{target.pk}/gift/",
        {
            "visited_on": TODAY().isoformat(),
            "visitors": "张丽、书记",
            "money": "300",
            "goods": "米面油",
            "goods_value": "120",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[-3000:]
    target.refresh_from_db()
    assert (target.money, target.goods_value) == (Decimal("300.00"), Decimal("120.00"))
    v = Visit.objects.filter(household=h1).latest("pk")  # it is a 慰问 visit in the diary
    assert Visit.objects.filter(household=h1).count() == n + 1 and v.kind == Visit.Kind.CONDOLENCE
    # a grid worker may not sign off; staff may, once
    assert client_for("grid_worker").post(f"/visits/targets/{target.pk}/sign-off/").status_code == 302
    target.refresh_from_db()
    assert target.signed_off_at is None
    staff.post(f"/visits/targets/{target.pk}/sign-off/")
    target.refresh_from_db()
    assert target.signed_off_by == users["staff"]
    with pytest.raises(ServiceError):
        services.do_record_gift(target, actor=users["staff"], visited_on=TODAY(), visitors="x", money=1)
    # totals per community on the campaign page
    page = op.get(f"/visits/campaigns/{campaign.pk}/").content.decode()
    assert "恩和路社区" in page and "300.00" in page
    _ = r1


def _resident_of(h):
    return h.members.first()


# --- duty -------------------------------------------------------------------------------


def test_roster_overlaps_refused_swaps_and_rota(users, client_for):
    day = TODAY() + dt.timedelta(days=30)
    a = make_shift(users, day=day)
    n = DutyShift.objects.count()
    with pytest.raises(ServiceError) as err:  # the same person twice at once
        make_shift(users, day=day, start=dt.time(11, 0), end=dt.time(13, 0), region=COMMUNITY_A)
    assert err.value.code == "duplicate" and "重叠" in str(err.value.message)
    with pytest.raises(ServiceError) as err:  # the hall needs a community
        services.do_save_shift(
            DutyShift(
                post="hall",
                region=Region.objects.get(code=GRID_A),
                worker=users["staff"],
                day=day,
                start=dt.time(9),
                end=dt.time(10),
            ),
            actor=users["staff"],
        )
    assert err.value.field == "region"
    with pytest.raises(ServiceError) as err:  # someone from another community
        make_shift(users, day=day, worker="outsider", region=COMMUNITY_A)
    assert err.value.field == "worker"
    assert DutyShift.objects.count() == n
    # page: an overlapping shift is refused with its message
    c = client_for("staff")
    resp = c.post(
        "/visits/duty/add/",
        {
            "post": "hall",
            "region": COMMUNITY_A,
            "worker": users["grid_worker"].pk,
            "day": day.isoformat(),
            "start": "10:00",
            "end": "11:00",
        },
    )
    assert resp.status_code == 200 and "重叠" in resp.content.decode()
    # swap with the staff member's hall shift the same afternoon
    b = make_shift(users, day=day, start=dt.time(14), end=dt.time(17), worker="staff", region=COMMUNITY_A)
    b2 = make_shift(users, day=day, start=dt.time(14), end=dt.time(17), worker="grid_worker", region=GRID_A2)
    resp = c.post(f"/visits/duty/{a.pk}/swap/", {"other": b.pk})
    assert resp.status_code == 200  # a grid shift swaps only with grid shifts
    resp = c.post(f"/visits/duty/{b2.pk}/swap/", {"other": a.pk})
    assert resp.status_code == 200 and "invalid-feedback" in resp.content.decode()  # not one's own shift
    b2.refresh_from_db()
    assert b2.worker == users["grid_worker"]
    # rota: one a day, all or nothing
    resp = c.post(
        "/visits/duty/rotate/",
        {
            "region": COMMUNITY_A,
            "workers": [users["staff"].pk],
            "first_day": (day - dt.timedelta(days=2)).isoformat(),
            "days": 3,
            "start": "13:00",
            "end": "15:00",
        },
    )
    assert resp.status_code == 200 and "重叠" in resp.content.decode()  # day 3 clashes with b
    assert DutyShift.objects.filter(day__lt=day, worker=users["staff"]).count() == 0
    resp = c.post(
        "/visits/duty/rotate/",
        {
            "region": COMMUNITY_A,
            "workers": [users["staff"].pk, users["grid_worker"].pk],
            "first_day": (day - dt.timedelta(days=3)).isoformat(),
            "days": 2,
            "start": "08:30",
            "end": "17:30",
        },
    )
    assert resp.status_code == 302
    assert list(
        DutyShift.objects.filter(day__lt=day).order_by("day").values_list("worker__username", flat=True)
    ) == ["grid_worker", "staff"]  # in the order listed
    week = c.get(f"/visits/duty/week/?week={day.isoformat()}").content.decode()
    assert "服务大厅值班" in week and "网格轮值" in week
    assert (
        "服务大厅值班"
        not in client_for("outsider").get(f"/visits/duty/week/?week={day.isoformat()}").content.decode()
    )


def test_swap_exchanges_workers(users, client_for):
    day = TODAY() + dt.timedelta(days=40)
    a = make_shift(users, day=day, region=GRID_A)
    b = make_shift(users, day=day + dt.timedelta(days=1), region=GRID_A2, worker="staff")
    resp = client_for("staff").post(f"/visits/duty/{a.pk}/swap/", {"other": b.pk})
    assert resp.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.worker, b.worker) == (users["staff"], users["grid_worker"])


# --- the public grid card -----------------------------------------------------------------


def test_public_grid_card_shows_only_consenting_members(users, client):
    grid = Region.objects.get(code=GRID_A)
    do_create(Building(grid_region=grid, name="名片楼", address="恩和路名片街 9 号"), actor=users["staff"])
    do_create(
        GridTeamMember(grid_region=grid, role="leader", name="公开网格长", phone="13911110000", on_card=True),
        actor=None,
    )
    do_create(
        GridTeamMember(grid_region=grid, role="police", name="未公开民警", phone="13911112222"), actor=None
    )
    page = client.get("/grid-card/?q=名片街").content.decode()
    assert "公开网格长" in page and "13911110000" in page
    assert "未公开民警" not in page and "13911112222" not in page
    by_point = client.get("/grid-card/?lat=41.005&lng=113.105").content.decode()
    assert "公开网格长" in by_point
    assert "没有找到" in client.get("/grid-card/?q=不存在的地址").content.decode()


# --- the API ------------------------------------------------------------------------------


def test_api_diary_due_progress_coverage_duty(users, client_for):
    h, r = household(users, room="API1", seq="421")
    tag(users, "dujulaoren", resident=r, days_ago=30)
    c = client_for("grid_worker")
    due = c.get("/api/v1/visits/due").json()
    assert any(i["resident_id"] == r.pk and i["overdue_days"] > 0 for i in due)
    body = {"household": h.pk, "resident": r.pk, "met": "本人", "findings": "身体不错"}
    first = c.post(
        "/api/v1/visits/visits", body, content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert first.status_code == 201, first.content
    again = c.post(
        "/api/v1/visits/visits", body, content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert not any(i["resident_id"] == r.pk for i in c.get("/api/v1/visits/due").json())
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    bad = c.post("/api/v1/visits/visits", {**body, "visited_at": future}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid" and bad.json()["field"] == "visited_at"
    h_b, _ = household(users, grid="150902001002001", room="APIB", seq="422")
    out = c.post(
        "/api/v1/visits/visits", {"household": h_b.pk, "findings": "x"}, content_type="application/json"
    )
    assert out.status_code == 404 and out.json()["code"] == "not_found"
    vid = first.json()["id"]
    assert client_for("outsider").get(f"/api/v1/visits/visits/{vid}").status_code == 404
    assert vid in [v["id"] for v in client_for("staff").get("/api/v1/visits/visits").json()["items"]]
    assert vid not in [v["id"] for v in client_for("outsider").get("/api/v1/visits/visits").json()["items"]]
    from linli.cases.models import Category

    code = Category.objects.filter(parent__isnull=False, active=True).first().code
    made = c.post(f"/api/v1/visits/visits/{vid}/case", {"category": code}, content_type="application/json")
    assert made.status_code == 201 and made.json()["number"]
    twice = c.post(f"/api/v1/visits/visits/{vid}/case", {"category": code}, content_type="application/json")
    assert twice.status_code == 422 and twice.json()["code"] == "duplicate"
    progress = {p["name"]: p for p in client_for("staff").get("/api/v1/visits/progress").json()}
    assert progress["grid_worker"]["households"] >= 1
    cov = {g["grid_code"]: g for g in client_for("staff").get("/api/v1/visits/coverage?days=30").json()}
    assert cov[GRID_A]["visited"] >= 1 and "150902001002001" not in cov
    make_shift(users, day=TODAY())
    assert [s["worker"] for s in c.get("/api/v1/visits/duty").json()["items"]] == ["grid_worker"]
    s = make_service(users, room="API2", seq="423")
    d = c.post(
        f"/api/v1/visits/home-services/{s.pk}/deliveries", {"by": "志愿者"}, content_type="application/json"
    )
    assert d.status_code == 201 and d.json()["delivered_on"] == TODAY().isoformat()
    dup = c.post(f"/api/v1/visits/home-services/{s.pk}/deliveries", {}, content_type="application/json")
    assert dup.status_code == 422 and dup.json()["code"] == "duplicate"


def test_home_service_and_campaign_checks(users, client_for):
    _h, r = household(users, room="HC1", seq="431")
    bad = [
        ({"weekdays": "1", "end_date": TODAY() - dt.timedelta(days=40)}, "end_date"),
        ({"weekdays": "1", "provider_kind": HomeService.Provider.MERCHANT, "provider": ""}, "provider"),
    ]
    n = HomeService.objects.count()
    for kw, field in bad:
        data = {
            "resident": r,
            "kind": HomeService.Kind.HAIRCUT,
            "provider_kind": HomeService.Provider.VOLUNTEERS,
            "provider": "队",
            "start_date": TODAY() - dt.timedelta(days=30),
            **kw,
        }
        with pytest.raises(ServiceError) as err:
            services.do_save_home_service(HomeService(**data), actor=users["staff"])
        assert err.value.field == field
    assert HomeService.objects.count() == n
    with pytest.raises(ServiceError) as err:  # a grid does not organise campaigns
        make_campaign(users, region=GRID_A)
    assert err.value.field == "region"
    # adding targets needs the right to change the campaign
    campaign = make_campaign(users, region=SUBDISTRICT, actor="operator")
    dibao = SpecialGroup.objects.get(code="dibao").pk
    for persona in ("staff", "grid_worker"):
        assert (
            client_for(persona)
            .post(f"/visits/campaigns/{campaign.pk}/targets/", {"groups": [dibao]})
            .status_code
            == 404
        )
    assert not campaign.targets.exists()


def test_campaign_page_shows_the_first_targets_and_links_to_all(users, client_for, monkeypatch):
    from linli.visits import teams

    for i in range(2):
        h, _ = household(users, room=f"CP{i}", seq=f"{441 + i}")
        tag(users, "dibao", household=h)
    campaign = make_campaign(users)
    staff = client_for("staff")
    staff.post(
        f"/visits/campaigns/{campaign.pk}/targets/", {"groups": [SpecialGroup.objects.get(code="dibao").pk]}
    )
    assert campaign.targets.count() >= 2
    assert "全部慰问对象" not in staff.get(f"/visits/campaigns/{campaign.pk}/").content.decode()
    monkeypatch.setattr(teams, "CAMPAIGN_PAGE_TARGETS", 1)
    page = staff.get(f"/visits/campaigns/{campaign.pk}/").content.decode()
    assert f"/visits/targets/?campaign={campaign.pk}" in page


def test_swap_refused_when_it_would_overlap_and_rota_length_bounded(users):
    day = TODAY() + dt.timedelta(days=50)
    a = make_shift(users, day=day, start=dt.time(8), end=dt.time(10))  # grid worker, grid A
    b = make_shift(users, day=day, start=dt.time(14), end=dt.time(16), worker="staff", region=GRID_A2)
    make_shift(users, day=day, start=dt.time(9), end=dt.time(11), worker="staff", region=COMMUNITY_A)
    # taking a's morning, the staff member would be in the hall and on grid A at once
    with pytest.raises(ServiceError) as err:
        services.do_swap_shifts(a, b, actor=users["staff"])
    assert "重叠" in str(err.value.message)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.worker, b.worker) == (users["grid_worker"], users["staff"])
    with pytest.raises(ServiceError) as err:
        services.do_rotate(
            Region.objects.get(code=COMMUNITY_A),
            [users["staff"]],
            actor=users["staff"],
            first_day=day,
            days=93,
            start=dt.time(8),
            end=dt.time(9),
        )
    assert err.value.field == "days"


def test_api_bad_month_and_departments_see_no_grid_work(users, client_for):
    h, r = household(users, room="AH1", seq="451")
    tag(users, "dujulaoren", resident=r, days_ago=30)
    staff = client_for("staff")
    bad = staff.get("/api/v1/visits/progress?month=2026-13")
    assert bad.status_code == 422 and bad.json()["field"] == "month"
    assert staff.get("/api/v1/visits/progress?month=2026-10").status_code == 200
    assert len(staff.get("/api/v1/visits/due?limit=1").json()) == 1
    handler = client_for("handler")  # a department sees the district's regions, not its people
    assert handler.get("/api/v1/visits/progress").json() == []
    assert handler.get("/api/v1/visits/coverage").json() == []
    assert handler.get("/api/v1/visits/due").json() == []
    assert handler.get("/visits/progress/").status_code == 404
