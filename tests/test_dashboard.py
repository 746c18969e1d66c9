"""The command centre: every dashboard number agrees with the list it links to, the API
and the monthly report; scoping (a sibling's numbers never show, not even in a total);
query counts that do not grow with the children; the map, reports and registers."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.accounts.models import Department
from linli.cases import workflow
from linli.cases.services import report_case
from linli.core import clusters
from linli.core.models import AuditEntry, region_q
from linli.core.services import do_create
from linli.core.testing import COMMUNITY_A, COMMUNITY_B, DISTRICT, GRID_A, GRID_B, SUBDISTRICT, square
from linli.dashboard import figures, gridmap
from linli.dashboard.measures import MEASURES, group_measures
from linli.dashboard.models import MonthlyReport
from linli.dashboard.reports import build, month_period
from linli.people import services as people
from linli.people.models import GroupTag, SpecialGroup
from linli.regions.models import Building, HousingUnit, Region
from linli.regions.services import do_create_grid
from tests.test_api import api  # noqa: F401  (fixture)
from tests.test_cases import intake
from tests.test_people import register
from tests.test_visits import household, visit
from tests.test_volunteers import volunteer

COUNT = re.compile(r"共 (\d+) 条")


def this_month() -> figures.Period:
    today = timezone.localdate()
    return figures.Period("month", today.replace(day=1), today)


@pytest.fixture
def world(users):
    """Residents, households, a special group, visits, cases in every state, volunteers,
    in both communities, all through the services."""
    u = users
    register(u, "老人甲", birth="19400101", seq="011")
    register(u, "青年乙", birth="19900101", seq="021", room="102", residence_type="floating")
    register(u, "孩子丙", birth="20150101", seq="031", room="103")
    register(u, "邻社区丁", birth="19700101", seq="041", grid=GRID_B, room="201")
    h, r = household(u, room="V201", name="低保户主", seq="351")
    group = SpecialGroup.objects.filter(applies_to="resident").order_by("sort").first()
    people.do_add_tag(GroupTag(group=group, resident=r, start_date=dt.date(2024, 1, 1)), actor=u["staff"])
    visit(u, household=h, visited_at=timezone.now() - dt.timedelta(hours=2))
    hb, _rb = household(u, grid=GRID_B, room="V301", name="体育场户主", seq="361")
    visit(u, "outsider", household=hb, visited_at=timezone.now() - dt.timedelta(hours=3))
    # cases: one closed, one dispatched to the department (and overdue), one just reported
    closed, _ = report_case(intake(), actor=u["grid_worker"])
    closed = workflow.act(closed, "accept", actor=u["staff"])
    closed = workflow.act(closed, "handle", actor=u["grid_worker"], note="已处理")
    workflow.act(closed, "verify", actor=u["staff"])
    sent, _ = report_case(intake(), actor=u["grid_worker"])
    sent = workflow.act(sent, "accept", actor=u["staff"])
    sent = workflow.act(sent, "escalate", actor=u["staff"], note="x")
    sent = workflow.act(sent, "escalate", actor=u["operator"], note="y")
    sent = workflow.act(sent, "dispatch", actor=u["district_op"], department=Department.objects.get())
    type(sent).objects.filter(pk=sent.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    report_case(intake(lat=41.005, lng=113.125), actor=u["outsider"])
    volunteer(u, "看板志愿者")
    return u


def listed(client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    found = COUNT.search(page.content.decode())
    assert found, url
    return int(found.group(1))


LIST_VIEWS = (
    "people:",
    "cases:list",
    "visits:visit_list",
    "volunteers:volunteer_list",
    "volunteers:activity",
)


def test_numbers_agree_with_lists_api_and_report(world, client_for):
    u = world
    period = this_month()
    for who, code in (("district_op", DISTRICT), ("operator", SUBDISTRICT), ("staff", COMMUNITY_A)):
        board = figures.board(u[who], Region.objects.get(code=code), period)
        client = client_for(who)
        rows = [(code, board.total), *[(child.code, row) for child, row in board.rows]]
        checked = 0
        for node_code, row in rows:
            for m in [*MEASURES, *group_measures(board.groups)]:
                if m.url_name and m.url_name.startswith(LIST_VIEWS) and m.kind == "count":
                    assert listed(client, m.url(node_code, period)) == row[m.key], (who, node_code, m.key)
                    checked += 1
        assert checked >= 15
        # the API gives the same numbers
        got = client.get(f"/api/v1/dashboard/board?region={code}").json()
        assert got["node"]["figures"]["residents"] == board.total["residents"]
        assert got["node"]["figures"]["cases_open"] == board.total["cases_open"]
        assert {c["code"]: c["figures"]["cases_new"] for c in got["children"]} == {
            child.code: row["cases_new"] for child, row in board.rows
        }
    total = figures.board(u["district_op"], Region.objects.get(code=DISTRICT), period).total
    assert total["residents"] >= 6 and total["cases_new"] == 3 and total["cases_open"] == 2
    assert total["cases_overdue"] == 1 and total["cases_closed"] == 1 and total["floating"] == 1
    assert total["visits"] == 2 and total["households_visited"] == 2
    # the coverage and quota numbers are those of the pages they link to
    from linli.visits import care

    cov = care.coverage(u["staff"], days=30, area=region_q(COMMUNITY_A))
    staff_total = figures.board(u["staff"], Region.objects.get(code=COMMUNITY_A), period).total
    assert staff_total["households_visited"] == sum(r.visited for r in cov) == 1
    assert staff_total["households"] == sum(r.households for r in cov)
    quota = care.progress(u["staff"], period.month, area=region_q(COMMUNITY_A))
    assert staff_total["quota_workers"] == len(quota) >= 2
    assert staff_total["quota_met"] == sum(r.households >= r.quota for r in quota)
    # the monthly report carries the same figures
    report = build(u["operator"], Region.objects.get(code=COMMUNITY_A), period.first)
    values = {m.key: v for _s, items in report.summary for m, v in items}
    month_total = figures.board(
        u["staff"], Region.objects.get(code=COMMUNITY_A), month_period(period.first)
    ).total
    assert values["residents"] == month_total["residents"] and values["cases_new"] == month_total["cases_new"]


def test_scoping_never_shows_a_sibling(world, client_for):
    u = world
    period = this_month()
    outsider = figures.board(u["outsider"], Region.objects.get(code=SUBDISTRICT), period)
    assert [c.code for c, _r in outsider.rows] == [COMMUNITY_B]
    b_only = figures.board(u["operator"], Region.objects.get(code=COMMUNITY_B), period).total
    for key in ("residents", "households", "cases_new", "cases_open", "visits", "vol_volunteers"):
        assert outsider.total[key] == b_only[key], key
    assert client_for("outsider").get(f"/dashboard/?region={COMMUNITY_A}").status_code == 404
    assert client_for("operator").get(f"/dashboard/?region={DISTRICT}").status_code == 404
    assert client_for("operator").get(f"/api/v1/dashboard/board?region={DISTRICT}").status_code == 422
    assert client_for("staff").get(f"/dashboard/map/grids/{GRID_B}/").status_code == 404
    # the handler sees its department's dashboard, not the region's
    handler = client_for("handler")
    assert handler.get("/dashboard/").url.endswith("/dashboard/departments/")
    page = handler.get("/dashboard/departments/").content.decode()
    assert "区城市管理综合执法局" in page
    total, rows = figures.departments(u["handler"], period)
    assert [r.figures["waiting"] for r in rows] == [1] and total["overdue"] == 1
    assert listed(handler, f"/cases/?department={rows[0].department.pk}&status=dispatched&overdue=1") == 1
    first, last = period.first.isoformat(), period.last.isoformat()
    dispatched = f"/cases/?department={rows[0].department.pk}&dispatched_from={first}&dispatched_to={last}"
    assert listed(handler, dispatched) == rows[0].figures["dispatched"] == 1
    assert client_for("staff").get("/dashboard/departments/").status_code == 404
    export = client_for("district_op").get("/dashboard/departments/?format=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_query_count_does_not_grow_with_children(world):
    u = world
    node = Region.objects.get(code=COMMUNITY_A)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            b = figures.board(u["staff"], node, this_month())
        return len(ctx), len(b.rows)

    before, children = queries()
    for i in range(3):
        grid = do_create_grid(
            node, f"恩和路第{i + 3}网格", boundary=square(113.13 + i * 0.01, 41.0), actor=None
        )
        b = do_create(Building(grid_region=grid, name="新楼", floors=6), actor=u["staff"])
        hu = do_create(HousingUnit(building=b, unit="1", floor=1, room="101"), actor=u["staff"])
        register(u, f"新网格居民{i}", seq=f"4{i}1", housing_unit=hu)
    after, more = queries()
    assert more == children + 3 and after == before


def test_pages_render_for_each_persona(world, client_for):
    for who in ("district_op", "operator", "staff", "grid_worker"):
        c = client_for(who)
        page = c.get("/dashboard/?period=last_month")
        assert page.status_code == 200 and "data-measure" in page.content.decode()
        for period in ("year", "custom&start=2026-01-01&end=2026-12-31", "custom&start=bad"):
            assert c.get(f"/dashboard/?period={period}").status_code == 200
        assert c.get("/dashboard/map/").status_code == 200
        assert c.get("/dashboard/reports/").status_code == 200
    drill = client_for("operator").get(f"/dashboard/?region={COMMUNITY_A}").content.decode()
    assert f"?region={GRID_A}" in drill and f"?region={SUBDISTRICT}" in drill  # down and back up
    assert client_for("handler").get("/dashboard/map/").status_code == 200
    assert client_for("district_op").get("/accounts/home/").url.endswith("/dashboard/")


def test_map_grids_in_view_and_capped(world, client_for, monkeypatch):
    c = client_for("staff")
    data = c.get("/dashboard/map/grids/?bbox=113.0,40.9,113.2,41.1&zoom=13&indicator=residents").json()
    codes = {f["properties"]["code"] for f in data["features"]}
    assert codes == {GRID_A, f"{COMMUNITY_A}002"}  # the sibling's grid is not sent
    a = next(f for f in data["features"] if f["properties"]["code"] == GRID_A)
    assert (
        a["properties"]["value"]
        == figures.board(world["staff"], Region.objects.get(code=GRID_A), this_month()).total["residents"]
    )
    far = c.get("/dashboard/map/grids/?bbox=100,30,101,31&zoom=13&indicator=residents").json()
    assert far["features"] == []
    for indicator in gridmap.INDICATORS:
        assert (
            c.get(f"/dashboard/map/grids/?bbox=113,40.9,113.2,41.1&zoom=12&indicator={indicator}").status_code
            == 200
        )
    assert c.get("/dashboard/map/grids/?bbox=113,40.9,113.2,41.1&zoom=12&indicator=nope").status_code == 400
    assert c.get("/dashboard/map/grids/?bbox=bad&zoom=12").status_code == 400
    monkeypatch.setattr(gridmap, "MAX_FEATURES", 1)
    points = client_for("operator").get("/dashboard/map/grids/?bbox=113,40.9,113.2,41.1&zoom=10").json()
    assert points["level"] == "community" and {f["geometry"]["type"] for f in points["features"]} == {"Point"}
    assert len(points["features"]) <= 2
    card = c.get(f"/dashboard/map/grids/{GRID_A}/").content.decode()
    assert "恩和路第1网格" in card
    assert clusters.MAX_FEATURES == 2000


def test_region_box_follows_the_boundary(users):
    grid = Region.objects.get(code=GRID_A)
    assert (grid.west, grid.south) == (113.10, 41.00) and grid.east > grid.west


def test_monthly_reports_on_demand_and_scheduled(world, client_for):
    staff = client_for("staff")
    month = timezone.localdate().strftime("%Y-%m")
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        r = staff.post("/dashboard/reports/monthly/", {"region": COMMUNITY_A, "month": month, "format": fmt})
        assert r.status_code == 302
        got = staff.get(r.url)
        assert got.content.startswith(magic)
    wb = openpyxl.load_workbook(io.BytesIO(bytes(MonthlyReport.objects.get(format="xlsx").content)))
    assert {"指标", "排名", "超期事件"} <= set(wb.sheetnames)
    assert AuditEntry.objects.filter(action="export", object_type="dashboard.monthlyreport").exists()
    # someone else's community, a grid worker, a grid node: refused, nothing kept
    assert (
        staff.post("/dashboard/reports/monthly/", {"region": COMMUNITY_B, "month": month}).status_code == 404
    )
    worker = client_for("grid_worker")
    assert (
        worker.post("/dashboard/reports/monthly/", {"region": COMMUNITY_A, "month": month}).status_code == 404
    )
    refused = staff.post("/dashboard/reports/monthly/", {"region": GRID_A, "month": month}, follow=True)
    assert "月报按社区或街道生成" in refused.content.decode()
    assert (
        client_for("outsider").get(f"/dashboard/reports/{MonthlyReport.objects.first().pk}/").status_code
        == 404
    )
    assert MonthlyReport.objects.count() == 2
    call_command("monthly_reports", month=month, district=DISTRICT, stdout=io.StringIO())
    communities = Region.objects.filter(level__in=["community", "subdistrict"]).count()
    assert MonthlyReport.objects.count() == communities * 2
    listing = staff.get("/dashboard/reports/").content.decode()
    assert "恩和路" in listing and "体育场" not in listing.split('id="kept"')[1]


def test_ledgers_masked_and_audited(world, client_for):
    staff = client_for("staff")
    month = timezone.localdate().strftime("%Y-%m")
    r = staff.get(f"/dashboard/ledgers/special-groups/?region={COMMUNITY_A}&month={month}")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert "特殊人群台账" in rows[0][0] and rows[1][0] == "序号"
    ids = [row[5] for row in rows[2:]]
    assert ids and all("*" in i for i in ids)  # masked
    for kind in ("visits", "cases", "activities"):
        got = staff.get(f"/dashboard/ledgers/{kind}/?region={COMMUNITY_A}&month={month}")
        assert got.status_code == 200 and got.content.startswith(b"PK")
    assert AuditEntry.objects.filter(action="export", object_type="regions.region").count() == 4
    assert client_for("grid_worker").get("/dashboard/ledgers/cases/").status_code == 404
    assert staff.get(f"/dashboard/ledgers/cases/?region={COMMUNITY_B}").status_code == 404
    assert staff.get("/dashboard/ledgers/nope/").status_code == 404


def test_gcj02_points_are_stored_in_wgs84(users, api):  # noqa: F811
    from linli.regions.geo import gcj02_to_wgs84, wgs84_to_gcj02

    # Tiananmen: WGS84 (116.391275, 39.907499) is GCJ-02 (116.397519, 39.908900)
    glng, glat = wgs84_to_gcj02(116.391275, 39.907499)
    assert abs(glng - 116.397519) < 2e-5 and abs(glat - 39.908900) < 2e-5
    back = gcj02_to_wgs84(glng, glat)
    assert abs(back[0] - 116.391275) < 1e-6 and abs(back[1] - 39.907499) < 1e-6
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)  # outside China: no shift
    # a phone SDK's point inside grid A (its WGS84 form) lands in grid A
    lng, lat = wgs84_to_gcj02(113.105, 41.005)
    client = api("grid_worker")
    body = {"category": "1101", "description": "高德定位上报", "lat": lat, "lng": lng, "crs": "gcj02"}
    made = client.post("/api/v1/cases/cases", body, content_type="application/json")
    assert made.status_code == 201, made.content
    case = made.json()
    assert abs(case["lng"] - 113.105) < 1e-6 and abs(case["lat"] - 41.005) < 1e-6
    bad = client.post("/api/v1/cases/cases", {**body, "crs": "bd09"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_bad_months_are_refused_with_a_message(world, client_for):
    from django.core.management.base import CommandError

    staff = client_for("staff")
    made = staff.post("/dashboard/reports/monthly/", {"region": COMMUNITY_A, "month": "2026-13"}, follow=True)
    assert "月份格式应为 YYYY-MM" in made.content.decode() and not MonthlyReport.objects.exists()
    ledger = staff.get(f"/dashboard/ledgers/cases/?region={COMMUNITY_A}&month=bad", follow=True)
    assert "月份格式应为 YYYY-MM" in ledger.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()
    page = staff.get("/dashboard/reports/?month=nope")
    assert page.status_code == 200 and "月份格式应为 YYYY-MM" in page.content.decode()
    with pytest.raises(CommandError):
        call_command("monthly_reports", month="2026/11", stdout=io.StringIO())


def test_api_departments_and_map_errors(world, api):  # noqa: F811
    got = api("handler").get("/api/v1/dashboard/departments").json()
    assert [d["figures"]["waiting"] for d in got["departments"]] == [1]
    assert {m["key"] for m in got["measures"]} >= {"dispatched", "waiting", "overdue"}
    op = api("operator")
    grids = op.get("/api/v1/dashboard/map/grids?bbox=113,40.9,113.2,41.1&zoom=12&indicator=coverage")
    assert grids.status_code == 200 and grids["Content-Type"] == "application/geo+json"
    bad = op.get("/api/v1/dashboard/map/grids?bbox=113,40.9,113.2,41.1&zoom=12&indicator=nope")
    assert bad.status_code == 422 and bad.json()["field"] == "indicator"
    assert op.get("/api/v1/dashboard/map/grids?bbox=1,2&zoom=12").status_code == 422


def test_visit_progress_follows_the_region(world, client_for):
    from linli.visits import care

    op = world["operator"]
    everyone = {r.user.username for r in care.progress(op)}
    only_b = {r.user.username for r in care.progress(op, area=region_q(COMMUNITY_B))}
    assert {"grid_worker", "staff", "outsider"} <= everyone and only_b == {"outsider"}
    page = client_for("operator").get(f"/visits/progress/?region={COMMUNITY_B}").content.decode()
    assert "outsider" in page and "grid_worker" not in page


def test_number_cells_link_and_escape():
    from linli.dashboard.templatetags.board import number_cells

    m = MEASURES[0]
    html = number_cells(
        [
            {"measure": m, "text": "1,234", "url": "/people/residents/?region=1&residence_type=a"},
            {"measure": m, "text": "<b>", "url": None},
        ]
    )
    assert html == (
        f'<td class="text-end"><a href="/people/residents/?region=1&amp;residence_type=a" '
        f'data-measure="{m.key}">1,234</a></td><td class="text-end">&lt;b&gt;</td>'
    )
