"""Volunteer pages, the residents' pages and the API: generated scoped page tests, a month
of volunteer life through the pages, the figures agreeing with the lists they link to."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone

from linli.core.models import AuditEntry
from linli.core.services import do_create
from linli.core.testing import (
    COMMUNITY_A,
    COMMUNITY_B,
    DEFAULT_ALLOWED,
    SUBDISTRICT,
    ScopedViewSpec,
    scoped_view_tests,
)
from linli.volunteers import ledger, party, services
from linli.volunteers.models import (
    Activity,
    Commitment,
    PartyMember,
    PointEntry,
    PointRule,
    ServicePost,
    SignUp,
    Task,
    Team,
    Volunteer,
)
from linli.volunteers.partyviews import COMMITMENTS, SERVICE_POSTS, TASKS
from linli.volunteers.views import ACTIVITIES, REWARDS, TEAMS, VOLUNTEERS
from tests.test_visits import household
from tests.test_volunteers import activity, member, phone, region, reward, started, volunteer

STAFF_ONLY_AT_COMMUNITY = {**DEFAULT_ALLOWED, "grid_worker": set()}
LOCAL = "%Y-%m-%dT%H:%M"


def grid_volunteer(u):
    _h, r = household(u, room="VP1", seq="631", name="网格志愿者")
    return services.do_save_volunteer(Volunteer(name="", phone=phone(), resident=r), actor=u["staff"])


def make_team(u):
    return services.do_save_team(
        Team(region=region(), name="恩和路治安巡逻队", category=Team.Category.PATROL), actor=u["staff"]
    )


def make_task(u):
    return party.do_save_task(Task(region=region(), title="帮独居老人换灯泡"), actor=u["staff"])


def make_post(u):
    return do_create(
        ServicePost(region=region(), name="政策宣传岗", duties="宣传", slots=2), actor=u["staff"]
    )


def make_commitment(u):
    return party.do_save_commitment(
        Commitment(
            region=region(),
            branch="恩和路社区党支部",
            content="办好十件民生实事",
            due_date=timezone.localdate(),
        ),
        actor=u["staff"],
    )


def _when(days=3):
    start = timezone.localtime() + dt.timedelta(days=days)
    return {"starts_at": start.strftime(LOCAL), "ends_at": (start + dt.timedelta(hours=2)).strftime(LOCAL)}


SPECS = {
    # a volunteer living in grid A: its grid worker registers and keeps them
    "volunteers": ScopedViewSpec(
        VOLUNTEERS,
        grid_volunteer,
        lambda o: {
            "name": "新登记志愿者",
            "phone": phone(),
            "community": COMMUNITY_A,
            "resident": o.resident_id,
        },
        DEFAULT_ALLOWED,
        label=lambda o: o.name,
    ),
    "teams": ScopedViewSpec(
        TEAMS,
        make_team,
        lambda o: {"region": COMMUNITY_A, "name": "新建卫生监督队", "category": "sanitation"},
        STAFF_ONLY_AT_COMMUNITY,
    ),
    "activities": ScopedViewSpec(
        ACTIVITIES,
        lambda u: activity(u, title="重阳节敬老活动", publish=False),
        lambda o: {
            "region": COMMUNITY_A,
            "title": "新建活动",
            "kind": "culture",
            "place": "活动室",
            "capacity": 10,
            **_when(),
        },
        STAFF_ONLY_AT_COMMUNITY,
        label=lambda o: o.title,
    ),
    "rewards": ScopedViewSpec(
        REWARDS,
        lambda u: reward(u, name="爱心大米"),
        lambda o: {"region": COMMUNITY_A, "name": "新上架物品", "points": 20, "stock": 3, "active": "on"},
        STAFF_ONLY_AT_COMMUNITY,
    ),
    "tasks": ScopedViewSpec(
        TASKS,
        make_task,
        lambda o: {"region": COMMUNITY_A, "kind": "task", "title": "新建任务清理小广告"},
        STAFF_ONLY_AT_COMMUNITY,
        label=lambda o: o.title,
    ),
    "posts": ScopedViewSpec(
        SERVICE_POSTS,
        make_post,
        lambda o: {
            "region": COMMUNITY_A,
            "name": "新建文明劝导岗",
            "duties": "劝导",
            "slots": 1,
            "active": "on",
        },
        STAFF_ONLY_AT_COMMUNITY,
    ),
    "commitments": ScopedViewSpec(
        COMMITMENTS,
        make_commitment,
        lambda o: {
            "region": COMMUNITY_A,
            "branch": "恩和路社区党支部",
            "content": "新建承诺：环境整治",
            "due_date": timezone.localdate().isoformat(),
            "public": "on",
        },
        STAFF_ONLY_AT_COMMUNITY,
        label=lambda o: o.content,
    ),
}
TestVolunteerScopedViews = scoped_view_tests(SPECS)


def _flash(resp) -> str:
    return resp.content.decode()


def test_a_month_of_volunteer_life_through_the_pages(users, client_for):
    """Teams, an activity with sign-up and check-in, hours into points, a redemption."""
    staff = client_for("staff")
    v1, v2 = volunteer(users, "页面志愿者甲"), volunteer(users, "页面志愿者乙")
    # a team with a leader
    resp = staff.post(
        TEAMS.url("add"), {"region": COMMUNITY_A, "name": "页面助老服务队", "category": "elderly"}
    )
    team = Team.objects.get(name="页面助老服务队")
    staff.post(f"/volunteers/teams/{team.pk}/members/", {"volunteer": v1.pk, "role": "leader"})
    resp = staff.post(
        f"/volunteers/teams/{team.pk}/members/", {"volunteer": v2.pk, "role": "leader"}, follow=True
    )
    assert "已有队长" in _flash(resp)
    staff.post(f"/volunteers/teams/{team.pk}/members/", {"volunteer": v2.pk, "role": "member"})
    assert team.members.count() == 2
    page = staff.get(TEAMS.url("detail", team.pk)).content.decode()
    assert "页面志愿者甲" in page and "队长" in page
    # an activity, published, one place: the second person waits
    resp = staff.post(
        ACTIVITIES.url("add"),
        {
            "region": COMMUNITY_A,
            "team": team.pk,
            "title": "页面助老活动",
            "kind": "elderly",
            "place": "日间照料中心",
            "capacity": 1,
            **_when(),
        },
    )
    a = Activity.objects.get(title="页面助老活动")
    staff.post(f"/volunteers/activities/{a.pk}/publish/")
    a.refresh_from_db()
    assert a.status == "published" and len(a.checkin_code) == 6
    staff.post(f"/volunteers/activities/{a.pk}/signups/", {"volunteer": v1.pk})
    resp = staff.post(f"/volunteers/activities/{a.pk}/signups/", {"volunteer": v2.pk}, follow=True)
    assert "候补" in _flash(resp)
    page = staff.get(ACTIVITIES.url("detail", a.pk)).content.decode()
    assert a.checkin_code in page and 'id="waiting"' in page
    # the day comes: check in, check out; the waiting one cannot be checked in
    a = started(a, ago=dt.timedelta(hours=1, minutes=35))
    s1 = SignUp.objects.get(activity=a, volunteer=v1)
    s2 = SignUp.objects.get(activity=a, volunteer=v2)
    resp = staff.post(f"/volunteers/signups/{s2.pk}/checkin/", follow=True)
    assert "不能签到" in _flash(resp)
    staff.post(f"/volunteers/signups/{s1.pk}/checkin/")
    assert SignUp.objects.get(pk=s1.pk).checked_in_at
    SignUp.objects.filter(pk=s1.pk).update(checked_in_at=a.starts_at)  # they came on time
    staff.post(f"/volunteers/signups/{s1.pk}/checkout/")
    s1.refresh_from_db()
    assert s1.hours == Decimal("1.5")
    resp = staff.post(f"/volunteers/signups/{s1.pk}/nonsense/")
    assert resp.status_code == 404
    # finish with a summary
    staff.post(f"/volunteers/activities/{a.pk}/finish/", {"summary": "陪老人聊天、理发 12 人"})
    a.refresh_from_db()
    assert a.status == "finished"
    # the hours became points; redeem at the reward shop, too much is refused
    v1.refresh_from_db()
    assert v1.points_balance == 15
    item = reward(users, stock=3, points=10, name="页面物品")
    staff.post(f"/volunteers/people/{v1.pk}/redeem/", {"reward": item.pk, "quantity": 1})
    resp = staff.post(f"/volunteers/people/{v1.pk}/redeem/", {"reward": item.pk, "quantity": 1}, follow=True)
    assert "积分不足" in _flash(resp)
    staff.post(f"/volunteers/people/{v1.pk}/grant/", {"points": 30, "reason": "优秀志愿者"})
    v1.refresh_from_db()
    item.refresh_from_db()
    assert v1.points_balance == 35 and item.stock == 2
    # correcting a line from its page
    entry = PointEntry.objects.filter(volunteer=v1, kind="redeem").get()
    assert staff.get(f"/volunteers/points/{entry.pk}/").status_code == 200
    staff.post(f"/volunteers/points/{entry.pk}/correct/", {"reason": "误操作"})
    v1.refresh_from_db()
    assert v1.points_balance == 45
    # the person's page, the ledger list, the leaderboard, the certificate
    page = staff.get(VOLUNTEERS.url("detail", v1.pk)).content.decode()
    assert 'id="ledger"' in page and "优秀志愿者" in page
    assert "优秀志愿者" in staff.get(f"/volunteers/points/?volunteer={v1.pk}").content.decode()
    board = staff.get(f"/volunteers/leaderboard/?team={team.pk}").content.decode()
    assert board.index("页面志愿者甲") < board.index("页面志愿者乙")
    assert (
        "页面志愿者甲"
        in staff.get(f"/volunteers/leaderboard/?region={COMMUNITY_A}&by=hours").content.decode()
    )
    cert = staff.get(f"/volunteers/people/{v1.pk}/certificate/").content.decode()
    assert "志愿服务证明" in cert and "页面助老活动" in cert and v1.number in cert
    assert not re.search(r"1[3-9]\d{9}", cert)
    # others cannot touch it
    out = client_for("outsider")
    assert out.post(f"/volunteers/people/{v1.pk}/grant/", {"points": 5, "reason": "x"}).status_code == 404
    assert out.get(f"/volunteers/people/{v1.pk}/certificate/").status_code == 404
    assert out.post(f"/volunteers/signups/{s1.pk}/checkout/").status_code == 404
    assert out.post(f"/volunteers/points/{entry.pk}/correct/", {"reason": "x"}).status_code == 404
    grid = client_for("grid_worker")
    assert grid.post(f"/volunteers/teams/{team.pk}/members/", {"volunteer": v2.pk}).status_code == 404
    staff.post(f"/volunteers/team-members/{team.members.get(volunteer=v2).pk}/remove/")
    assert team.members.count() == 1
    # cancelling: another activity
    b = activity(users, title="页面取消活动")
    staff.post(f"/volunteers/activities/{b.pk}/cancel/")
    b.refresh_from_db()
    assert b.status == "cancelled"
    assert staff.get("/volunteers/").status_code == 200


def test_verification_pages(users, client_for):
    v = Volunteer(name="待审核的人", phone=phone(), community=region(), consent_contact=True)
    services.do_apply(v)
    staff = client_for("staff")
    assert "待审核的人" in staff.get("/volunteers/people/pending/").content.decode()
    assert "待审核的人" not in client_for("outsider").get("/volunteers/people/pending/").content.decode()
    assert (
        client_for("grid_worker").post(f"/volunteers/people/{v.pk}/verify/", {"approve": "1"}).status_code
        == 404
    )
    staff.post(f"/volunteers/people/{v.pk}/verify/", {"approve": "1", "next": "/volunteers/people/pending/"})
    v.refresh_from_db()
    assert v.status == "active" and v.number


def test_party_pages_tasks_posts_commitments_and_unit_report(users, client_for):
    staff = client_for("staff")
    resp = staff.post(
        "/volunteers/party/report/",
        {"name": "页面党员", "phone": phone(), "community": COMMUNITY_A, "kind": "in_service",
         "work_unit": "区审计局", "branch": "区审计局党支部", "reported_on": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert resp.status_code == 302
    m = PartyMember.objects.get(volunteer__name="页面党员")
    resp = staff.post(
        "/volunteers/party/report/",
        {"name": "外区", "phone": phone(), "community": COMMUNITY_B, "kind": "retired", "branch": "x",
         "reported_on": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert resp.status_code == 200 and not Volunteer.objects.filter(name="外区").exists()
    assert client_for("grid_worker").get("/volunteers/party/report/").status_code == 404
    page = staff.get(f"/volunteers/party/{m.pk}/").content.decode()
    assert "区审计局" in page
    assert staff.get("/volunteers/party/add/")["Location"] == "/volunteers/party/report/"
    edit = {"kind": "in_service", "work_unit": "区审计局", "branch": "区审计局第二党支部",
            "reported_on": timezone.localdate().isoformat(), "active": "on"}  # fmt: skip
    assert client_for("outsider").post(f"/volunteers/party/{m.pk}/edit/", edit).status_code == 404
    assert staff.post(f"/volunteers/party/{m.pk}/edit/", edit).status_code == 302
    m.refresh_from_db()
    assert m.branch == "区审计局第二党支部"
    gone = member(users, "删除党员", unit="区档案局")
    assert client_for("grid_worker").post(f"/volunteers/party/{gone.pk}/delete/").status_code == 404
    staff.post(f"/volunteers/party/{gone.pk}/delete/")
    assert not PartyMember.objects.filter(pk=gone.pk).exists()
    assert "页面党员" in staff.get("/volunteers/party/?unit=区审计局").content.decode()
    # a task claimed, done and confirmed from the task's page
    task = make_task(users)
    staff.post(f"/volunteers/tasks/{task.pk}/claim/", {"volunteer": m.volunteer_id})
    staff.post(f"/volunteers/tasks/{task.pk}/complete/", {"note": "灯泡已换", "hours": "1"})
    staff.post(f"/volunteers/tasks/{task.pk}/return/", {"note": "照片不清楚"})
    task.refresh_from_db()
    assert task.status == "claimed" and "照片不清楚" in task.done_note
    staff.post(f"/volunteers/tasks/{task.pk}/complete/", {"note": "灯泡已换，已补照片", "hours": "1"})
    staff.post(f"/volunteers/tasks/{task.pk}/confirm/")
    task.refresh_from_db()
    assert task.status == "confirmed"
    other = make_task(users)
    staff.post(f"/volunteers/tasks/{other.pk}/cancel/")
    other.refresh_from_db()
    assert other.status == "cancelled"
    assert staff.post(f"/volunteers/tasks/{task.pk}/bogus/").status_code == 404
    # the unit's list: printable page and xlsx (audited)
    report = staff.get("/volunteers/party/unit-report/?unit=区审计局").content.decode()
    assert "页面党员" in report and "帮独居老人换灯泡" in report
    exports = AuditEntry.objects.filter(action="export").count()
    xlsx = staff.get("/volunteers/party/unit-report/?unit=区审计局&export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="export").count() == exports + 1
    assert "页面党员" not in client_for("outsider").get("/volunteers/party/unit-report/").content.decode()
    # a post chosen and left; a commitment's progress
    post = make_post(users)
    staff.post(f"/volunteers/posts/{post.pk}/choose/", {"member": m.pk})
    holder = post.holders.get()
    assert "页面党员" in staff.get(SERVICE_POSTS.url("detail", post.pk)).content.decode()
    staff.post(f"/volunteers/post-holders/{holder.pk}/leave/")
    assert post.holders.count() == 0
    c = make_commitment(users)
    staff.post(f"/volunteers/commitments/{c.pk}/progress/", {"progress": 40, "note": "已完成四件"})
    c.refresh_from_db()
    assert c.progress == 40
    assert (
        client_for("outsider")
        .post(f"/volunteers/commitments/{c.pk}/progress/", {"progress": 90, "note": "x"})
        .status_code
        == 404
    )


def test_point_rules_pages(users, client_for):
    staff = client_for("staff")
    resp = staff.post(
        "/volunteers/point-rules/add/", {"region": COMMUNITY_A, "trigger": "task", "points": 25}
    )
    assert resp.status_code == 302
    rule = PointRule.objects.get(region_id=COMMUNITY_A, trigger="task")
    assert staff.get(f"/volunteers/point-rules/{rule.pk}/").status_code == 200
    assert (
        staff.post(
            f"/volunteers/point-rules/{rule.pk}/edit/",
            {"region": COMMUNITY_A, "trigger": "task", "points": 30},
        ).status_code
        == 302
    )
    assert client_for("outsider").get(f"/volunteers/point-rules/{rule.pk}/").status_code == 404
    assert client_for("grid_worker").post(
        "/volunteers/point-rules/add/", {"region": COMMUNITY_A, "trigger": "hour", "points": 1}
    ).status_code in (200, 404)
    assert not PointRule.objects.filter(trigger="hour", region_id=COMMUNITY_A).exists()
    assert staff.get("/volunteers/point-rules/").status_code == 200
    staff.post(f"/volunteers/point-rules/{rule.pk}/delete/")
    assert not PointRule.objects.filter(pk=rule.pk).exists()


def test_ledger_pages_cannot_add_change_or_delete(users, client_for):
    v = volunteer(users, "账本页面")
    e = ledger.do_grant(v, 10, "账本测试", actor=users["staff"])
    staff = client_for("staff")
    assert "账本测试" in staff.get("/volunteers/points/").content.decode()
    assert staff.get("/volunteers/points/?export=csv").status_code == 200
    for url in (
        "/volunteers/points/add/",
        f"/volunteers/points/{e.pk}/edit/",
        f"/volunteers/points/{e.pk}/delete/",
    ):
        assert staff.post(url, {}).status_code == 404
    assert PointEntry.objects.filter(pk=e.pk, points=10).exists()
    assert client_for("outsider").get(f"/volunteers/points/{e.pk}/").status_code == 404


def test_figures_agree_with_the_lists_and_stay_in_scope(users, client_for):
    today = timezone.localdate()
    a_vol, b_vol = (
        volunteer(users, "统计甲"),
        volunteer(users, "统计乙", community=COMMUNITY_B, actor="outsider"),
    )
    ledger.do_grant(a_vol, 40, "统计", actor=users["staff"])
    ledger.do_grant(b_vol, 70, "统计", actor=users["outsider"])
    item = reward(users, stock=5, points=10, name="统计物品")
    ledger.do_redeem(a_vol, item, 2, actor=users["staff"])
    started(activity(users, title="统计活动"))
    op = client_for("operator")
    page = op.get(f"/volunteers/stats/?region={SUBDISTRICT}").content.decode()
    assert "恩和路" in page and "体育场" in page
    from linli.volunteers import stats

    total, children = stats.figures(users["operator"], region(SUBDISTRICT), today.replace(day=1), today)
    by_code = {c.region.code: c for c in children}
    a_fig = by_code[COMMUNITY_A]
    assert a_fig.points_redeemed == 20 and a_fig.points_issued >= 40 and a_fig.activities >= 1
    assert total.points_issued == sum(c.points_issued for c in children)
    # each number is the count of the list it links to
    start, end = today.replace(day=1).isoformat(), today.isoformat()
    lists = {
        "volunteers": (VOLUNTEERS, f"?status=active&area={COMMUNITY_A}"),
        "activities": (ACTIVITIES, f"?area={COMMUNITY_A}&from={start}&to={end}&held=1"),
    }
    staff = client_for("staff")
    for name, (crud, query) in lists.items():
        listed = staff.get(crud.url("list") + query + "&export=csv").content.decode("utf-8-sig")
        rows = len([ln for ln in listed.splitlines()[1:] if ln.strip()])
        assert rows == getattr(a_fig, name), name
    bad = staff.get(ACTIVITIES.url("list") + f"?area={COMMUNITY_A}&from=2026-13-45&export=csv")
    assert bad.content.decode("utf-8-sig").strip().count("\n") == 0  # a bad date matches nothing
    entries = PointEntry.objects.filter(community_id=COMMUNITY_A, created_at__date__gte=today.replace(day=1))
    listed = staff.get(
        f"/volunteers/points/?area={COMMUNITY_A}&flow=redeemed&from={start}&to={end}&export=csv"
    )
    body = listed.content.decode("utf-8-sig")
    assert (
        sum(int(line.split(",")[3].lstrip("'")) for line in body.splitlines()[1:] if line.strip())
        == -a_fig.points_redeemed
    )
    assert entries.exists()
    # the sibling's staff see only their own community, not even in a total
    own, kids = stats.figures(users["outsider"], region(SUBDISTRICT), today.replace(day=1), today)
    assert {c.region.code for c in kids} == {COMMUNITY_B}
    assert own.points_redeemed == 0 and own.points_issued == by_code[COMMUNITY_B].points_issued
    assert client_for("outsider").get(f"/volunteers/stats/?region={COMMUNITY_A}").status_code == 404
    assert client_for("handler").get("/volunteers/stats/").status_code == 404
    for period in ("last_month", "year", "custom&start=2026-01-01&end=2026-12-31", "custom&start=bad"):
        assert op.get(f"/volunteers/stats/?period={period}").status_code == 200


def test_public_pages_apply_sign_up_check_in_me_and_tasks(users, client):
    # apply (with party details); a bad phone changes nothing
    resp = client.get("/volunteer/apply/")
    assert resp.status_code == 200
    bad = {"name": "居民甲", "phone": "123", "community": COMMUNITY_A, "consent_contact": "on"}
    assert "手机" in client.post("/volunteer/apply/", bad).content.decode()
    assert not Volunteer.objects.filter(name="居民甲").exists()
    mobile = phone()
    ok = {
        **bad,
        "phone": mobile,
        "party": "on",
        "party_kind": "in_service",
        "work_unit": "区人社局",
        "branch": "区人社局支部",
    }
    resp = client.post("/volunteer/apply/", ok)
    assert 'id="applied"' in resp.content.decode()
    v = Volunteer.objects.get(name="居民甲")
    assert v.status == "pending" and PartyMember.objects.get(volunteer=v).active is False
    resp = client.post("/volunteer/apply/", {**ok, "name": "居民乙"})
    assert "已登记" in resp.content.decode() and not Volunteer.objects.filter(name="居民乙").exists()
    services.do_verify(v, actor=users["staff"], approve=True)
    ident = {"number": v.number, "phone": mobile}
    # an activity on the public list; sign up by number and phone
    a = activity(users, title="公开招募活动", capacity=1)
    index = client.get(f"/volunteer/?community={COMMUNITY_A}").content.decode()
    assert "公开招募活动" in index
    resp = client.post(f"/volunteer/activities/{a.pk}/", {"number": v.number, "phone": "13900000001"})
    assert "不符" in resp.content.decode()
    resp = client.post(f"/volunteer/activities/{a.pk}/", ident)
    assert 'id="signup-result"' in resp.content.decode()
    resp = client.post(f"/volunteer/activities/{a.pk}/", ident)
    assert "已报名" in resp.content.decode()
    assert SignUp.objects.filter(activity=a, volunteer=v).count() == 1
    # check in at the venue with the code, then out
    started(a, ago=dt.timedelta(minutes=1))
    resp = client.post("/volunteer/checkin/", {**ident, "code": a.checkin_code})
    assert 'id="checkin-result"' in resp.content.decode()
    assert SignUp.objects.get(activity=a, volunteer=v).checked_in_at
    resp = client.post("/volunteer/checkin/", {**ident, "code": "99999"})
    assert "签到码无效" in resp.content.decode()
    # my record
    me = client.post("/volunteer/me/", ident).content.decode()
    assert 'id="my-record"' in me and "公开招募活动" in me
    assert mobile not in me
    # a wish on the public list shows the family name only; claimed by number and phone
    _h, r = household(users, room="PUB1", seq="641", name="李爷爷")
    wish = party.do_save_task(
        Task(region=region(), kind=Task.Kind.WISH, title="想学用智能手机", resident=r), actor=users["staff"]
    )
    index = client.get("/volunteer/").content.decode()
    assert "想学用智能手机" in index and "李**" in index and "李爷爷" not in index
    resp = client.post(f"/volunteer/tasks/{wish.pk}/", ident)
    assert 'id="task-result"' in resp.content.decode()
    resp = client.post(f"/volunteer/tasks/{wish.pk}/", {**ident, "note": "教了两个下午"})
    wish.refresh_from_db()
    assert wish.status == "done"
    # commitments on public display
    c = make_commitment(users)
    party.do_commitment_progress(c, 70, "进展", actor=users["staff"])
    page = client.get(f"/volunteer/commitments/?community={COMMUNITY_A}").content.decode()
    assert "办好十件民生实事" in page and "70%" in page
    assert client.get("/volunteer/activities/999999/").status_code == 404
    draft = activity(users, title="草稿不公开", publish=False)
    assert client.get(f"/volunteer/activities/{draft.pk}/").status_code == 404


def test_api_volunteers_ledger_tasks_party_and_stats(users, client_for):
    staff = client_for("staff")

    def post(url, data):
        return staff.post(f"/api/v1/volunteers/{url}", data, content_type="application/json")

    resp = post(
        "volunteers",
        {"name": "接口志愿者", "phone": phone(), "community": COMMUNITY_A, "availability": ["weekend"]},
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "active" and "****" in body["phone"] and body["availability"] == ["weekend"]
    vid = body["id"]
    assert (
        post("volunteers", {"name": "外区", "phone": phone(), "community": "110101001001"}).json()["code"]
        == "outside_district"
    )
    assert post(f"volunteers/{vid}/points", {"points": 25, "reason": "接口奖励"}).status_code == 201
    item = reward(users, stock=1, points=20, name="接口物品")
    assert post(f"volunteers/{vid}/redemptions", {"reward": item.pk}).status_code == 201
    resp = post(f"volunteers/{vid}/redemptions", {"reward": item.pk})
    assert resp.status_code == 422 and resp.json()["code"] in ("insufficient_points", "out_of_stock")
    ledger_rows = staff.get(f"/api/v1/volunteers/volunteers/{vid}/points").json()["items"]
    assert [r["points"] for r in ledger_rows] == [-20, 25]
    assert post(f"points/{ledger_rows[0]['id']}/correct", {"reason": "退货"}).status_code == 201
    # an activity through the API
    start = timezone.now() + dt.timedelta(days=1)
    resp = post("activities", {"region": COMMUNITY_A, "title": "接口活动", "kind": "publicity", "place": "广场",
                               "starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=2)).isoformat(), "capacity": 1})  # fmt: skip
    aid = resp.json()["id"]
    assert post(f"activities/{aid}/publish", {}).json()["status"] == "published"
    signup = post(f"activities/{aid}/signups", {"volunteer": vid}).json()
    assert signup["status"] == "signed"
    assert post(f"signups/{signup['id']}/check-in", {}).status_code == 200
    # tasks
    tid = post("tasks", {"region": COMMUNITY_A, "title": "接口任务"}).json()["id"]
    assert post(f"tasks/{tid}/claim", {"volunteer": vid}).json()["status"] == "claimed"
    other = volunteer(users, "接口第二人")
    resp = post(f"tasks/{tid}/claim", {"volunteer": other.pk})
    assert resp.status_code in (409, 422) and resp.json()["code"] == "invalid_transition"
    assert post(f"tasks/{tid}/complete", {"note": "完成", "hours": "2"}).json()["status"] == "done"
    assert post(f"tasks/{tid}/confirm", {}).json()["status"] == "confirmed"
    # party members
    resp = post(
        "party-members",
        {
            "name": "接口党员",
            "phone": phone(),
            "community": COMMUNITY_A,
            "work_unit": "区统计局",
            "branch": "支部",
        },
    )
    assert resp.status_code == 201
    resp = post(
        "party-members", {"name": "外区党员", "phone": phone(), "community": "110101001001", "branch": "支部"}
    )
    assert resp.json()["code"] == "outside_district"
    assert staff.get("/api/v1/volunteers/party-members?unit=区统计局").json()["count"] == 1
    # figures, the same as the page's
    stats = staff.get(f"/api/v1/volunteers/stats?region={COMMUNITY_A}").json()
    assert stats["total"]["tasks_done"] >= 1 and stats["total"]["region_code"] == COMMUNITY_A
    assert (
        client_for("outsider").get(f"/api/v1/volunteers/stats?region={COMMUNITY_A}").json()["code"]
        == "unknown_region"
    )
    assert client_for("outsider").get(f"/api/v1/volunteers/volunteers/{vid}").status_code == 404
    assert staff.get("/api/v1/volunteers/teams").status_code == 200
    assert staff.get(f"/api/v1/volunteers/activities?area={COMMUNITY_A}").json()["count"] >= 1
    assert staff.get("/api/v1/volunteers/rewards").status_code == 200
    assert staff.get(f"/api/v1/volunteers/activities/{aid}/signups").json()[0]["volunteer_id"] == vid


def test_skills_list_is_kept_by_the_administrator(client_for):
    admin = client_for("sysadmin")
    page = admin.get("/admin/volunteers/skill/")
    assert page.status_code == 200 and "书法" in page.content.decode()
    resp = admin.post(
        "/admin/volunteers/skill/add/", {"name": "剪纸", "kind": "artist", "sort": 5, "active": "on"}
    )
    assert resp.status_code == 302
    form = client_for("staff").get("/volunteers/people/add/").content.decode()
    assert "剪纸" in form
    assert client_for("sysadmin").get("/admin/people/specialgroup/").status_code == 200
    assert client_for("staff").get("/admin/volunteers/skill/").status_code == 302  # not an admin user


def test_figures_take_the_same_queries_at_every_level(users):
    """One GROUP BY per measure: the query count does not grow with the number of children."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.core.testing import DISTRICT, GRID_A
    from linli.volunteers import stats

    today = timezone.localdate()
    stats.figures(users["district_op"], region(GRID_A), today, today)  # the user's posts, fetched once
    counts = []
    for code in (DISTRICT, SUBDISTRICT, COMMUNITY_A):  # a grid has no children to list
        node = region(code)
        with CaptureQueriesContext(connection) as ctx:
            stats.figures(users["district_op"], node, today.replace(day=1), today)
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1 and counts[0] <= 10, counts
