"""Volunteer work: registration and verification, teams, activities with sign-up, waiting
list and check-in, hours turning into points, the append-only ledger with its invariants
(also under concurrency), the reward shop, tasks and wishes, party members."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from linli.core.errors import ServiceError
from linli.core.models import AuditEntry
from linli.core.services import do_create
from linli.core.testing import COMMUNITY_A, COMMUNITY_B, GRID_A, SUBDISTRICT
from linli.regions.models import Region
from linli.volunteers import ledger, party, services
from linli.volunteers.models import (
    Activity,
    PartyMember,
    PointEntry,
    PointRule,
    Reward,
    ServicePost,
    SignUp,
    Task,
    Team,
    TeamMember,
    Volunteer,
)
from tests.test_visits import household

NOW = timezone.now
_phones = iter(range(13800000000, 13899999999, 7))


def phone() -> str:
    return str(next(_phones))


def region(code=COMMUNITY_A) -> Region:
    return Region.objects.get(code=code)


def volunteer(u, name="志愿者甲", community=COMMUNITY_A, actor="staff", **kw) -> Volunteer:
    v = Volunteer(name=name, phone=kw.pop("phone", None) or phone(), community=region(community), **kw)
    return services.do_save_volunteer(v, actor=u[actor])


def activity(u, *, capacity=3, starts_in=dt.timedelta(days=2), hours=3, publish=True, **kw) -> Activity:
    start = NOW() + starts_in
    a = Activity(
        region=region(kw.pop("region", COMMUNITY_A)),
        title=kw.pop("title", "清理楼道杂物"),
        kind=kw.pop("kind", Activity.Kind.ENVIRONMENT),
        place="恩和路小区",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        capacity=capacity,
        **kw,
    )
    services.do_save_activity(a, actor=u["staff"])
    if publish:
        services.do_publish(a, actor=u["staff"])
    return a


def started(a: Activity, ago=dt.timedelta(hours=1)) -> Activity:
    """Move an activity's times so that it started ``ago`` (sign-ups happened before)."""
    length = a.ends_at - a.starts_at
    Activity.objects.filter(pk=a.pk).update(starts_at=NOW() - ago, ends_at=NOW() - ago + length)
    a.refresh_from_db()
    return a


def reward(u, stock=5, points=30, name="洗衣液") -> Reward:
    return do_create(Reward(region=region(), name=name, points=points, stock=stock), actor=u["staff"])


def balance_ok(v: Volunteer) -> None:
    """The ledger's invariants: the balance is the sum of the lines, never negative, and
    each line's running balance follows from the one before."""
    v.refresh_from_db()
    lines = list(PointEntry.objects.filter(volunteer=v).order_by("id"))
    assert v.points_balance == sum(e.points for e in lines) >= 0
    running = 0
    for e in lines:
        running += e.points
        assert e.balance_after == running >= 0


# --- registration -----------------------------------------------------------------------


def test_staff_registration_is_active_with_a_number_and_phone_is_unique(users):
    v = volunteer(users, availability="weekend,evening")
    assert v.status == Volunteer.Status.ACTIVE and v.number.startswith("001001")
    assert v.verified_by == users["staff"]
    with pytest.raises(ServiceError) as exc:
        volunteer(users, name="同号", phone=v.phone.reveal())
    assert exc.value.code == "duplicate" and "已登记" in str(exc.value.message)
    with pytest.raises(ServiceError) as exc:
        volunteer(users, phone="1234")
    assert exc.value.field == "phone"
    with pytest.raises(ServiceError):
        volunteer(users, availability="sometimes")
    # staff of the sibling community cannot register into community A
    with pytest.raises(ServiceError):
        volunteer(users, actor="outsider")
    assert Volunteer.objects.filter(name="同号").count() == 0


def test_volunteer_linked_to_a_resident_lives_in_their_grid(users):
    _h, r = household(users, room="VL1", seq="611")
    v = services.do_save_volunteer(Volunteer(name="", phone=phone(), resident=r), actor=users["grid_worker"])
    assert v.name == r.name and v.community_id == COMMUNITY_A and v.grid_id == GRID_A


def test_self_application_waits_for_verification(users):
    v = Volunteer(name="居民申请", phone=phone(), community=region(), consent_contact=True)
    member = PartyMember(kind=PartyMember.Kind.IN_SERVICE, work_unit="区税务局", branch="区税务局第一党支部")
    services.do_apply(v, party=member)
    assert v.status == Volunteer.Status.PENDING and v.number is None
    assert PartyMember.objects.get(volunteer=v).active is False
    with pytest.raises(ServiceError):  # not yet registered: cannot sign up
        services.do_sign_up(activity(users), v, actor=None)
    with pytest.raises(ServiceError):  # grid workers do not verify
        services.do_verify(v, actor=users["grid_worker"], approve=True)
    services.do_verify(v, actor=users["staff"], approve=True)
    assert v.status == Volunteer.Status.ACTIVE and v.number
    assert PartyMember.objects.get(volunteer=v).active is True
    with pytest.raises(ServiceError):
        services.do_verify(v, actor=users["staff"], approve=True)
    found = services.find_volunteer(v.number, v.phone.reveal())
    assert found == v
    with pytest.raises(ServiceError):
        services.find_volunteer(v.number, "13900000000")


def test_application_needs_consent(users):
    v = Volunteer(name="未同意", phone=phone(), community=region(), consent_contact=False)
    with pytest.raises(ServiceError) as exc:
        services.do_apply(v)
    assert exc.value.field == "consent_contact" and not Volunteer.objects.filter(name="未同意").exists()


# --- teams --------------------------------------------------------------------------------


def test_team_members_and_one_leader(users):
    team = services.do_save_team(
        Team(region=region(), name="恩和路助老服务队", category=Team.Category.ELDERLY), actor=users["staff"]
    )
    a, b = volunteer(users, "队长甲"), volunteer(users, "队员乙")
    services.do_add_member(team, a, actor=users["staff"], role=TeamMember.Role.LEADER)
    services.do_add_member(team, b, actor=users["staff"])
    with pytest.raises(ServiceError, match="已是本队队员"):
        services.do_add_member(team, b, actor=users["staff"])
    c = volunteer(users, "想当队长")
    with pytest.raises(ServiceError, match="已有队长"):
        services.do_add_member(team, c, actor=users["staff"], role=TeamMember.Role.LEADER)
    elsewhere = volunteer(users, "外社区", community=COMMUNITY_B, actor="outsider")
    with pytest.raises(ServiceError):  # out of the staff's scope
        services.do_add_member(team, elsewhere, actor=users["staff"])
    group = services.do_save_team(
        Team(region=region(), parent=team, name="助老一组", category=Team.Category.ELDERLY),
        actor=users["staff"],
    )
    with pytest.raises(ServiceError, match="小组下不能再分组"):
        services.do_save_team(
            Team(region=region(), parent=group, name="再分组", category=Team.Category.ELDERLY),
            actor=users["staff"],
        )
    assert team.members.count() == 2


# --- activities -----------------------------------------------------------------------------


def test_capacity_waiting_list_and_promotion(users):
    a = activity(users, capacity=2)
    vs = [volunteer(users, f"报名者{i}") for i in range(5)]
    s = [services.do_sign_up(a, v, actor=users["staff"]) for v in vs[:4]]
    assert [x.status for x in s] == ["signed", "signed", "waiting", "waiting"]
    with pytest.raises(ServiceError) as exc:  # places and waiting list both full
        services.do_sign_up(a, vs[4], actor=None)
    assert "已满" in str(exc.value.message)
    assert SignUp.objects.filter(activity=a, volunteer=vs[4]).count() == 0
    with pytest.raises(ServiceError, match="已报名"):
        services.do_sign_up(a, vs[0], actor=None)
    services.do_cancel_signup(s[0], actor=None)
    s[2].refresh_from_db()
    s[3].refresh_from_db()
    assert (s[2].status, s[3].status) == ("signed", "waiting")  # first come, first served
    a.capacity = 3
    services.do_save_activity(a, {}, actor=users["staff"])
    s[3].refresh_from_db()
    assert s[3].status == "signed"
    a.capacity = 1
    with pytest.raises(ServiceError, match="不能少于已报名人数"):
        services.do_save_activity(a, {}, actor=users["staff"])


def test_draft_and_started_activities_take_no_sign_ups(users):
    v = volunteer(users, "太晚")
    draft = activity(users, publish=False)
    with pytest.raises(ServiceError, match="未在招募"):
        services.do_sign_up(draft, v, actor=None)
    a = started(activity(users))
    with pytest.raises(ServiceError, match="报名已截止"):
        services.do_sign_up(a, v, actor=None)
    with pytest.raises(ServiceError, match="结束时间须晚于"):
        activity(users, hours=-1)


def test_check_in_out_hours_and_points_by_rule(users):
    do_create(PointRule(region=region(), trigger=PointRule.Trigger.HOUR, points=12), actor=users["staff"])
    do_create(
        PointRule(
            region=region(SUBDISTRICT),
            trigger=PointRule.Trigger.ACTIVITY,
            activity_kind=Activity.Kind.ENVIRONMENT,
            points=5,
        ),
        actor=users["operator"],
    )
    a = activity(users, capacity=1, hours=3)
    v, late, stranger = volunteer(users, "签到者"), volunteer(users, "候补者"), volunteer(users, "未报名")
    signup = services.do_sign_up(a, v, actor=users["staff"])
    waiting = services.do_sign_up(a, late, actor=users["staff"])
    a = started(a, ago=dt.timedelta(hours=2, minutes=10))
    signup.refresh_from_db()
    with pytest.raises(ServiceError, match="未报名"):
        services.do_check_in(services.signup_of(a, stranger), actor=users["staff"])
    with pytest.raises(ServiceError, match="候补"):
        services.do_check_in(waiting, actor=users["staff"])
    with pytest.raises(ServiceError, match="尚未签到"):
        services.do_check_out(signup, actor=users["staff"])
    services.do_check_in(signup, actor=users["staff"], at=a.starts_at - dt.timedelta(minutes=20))
    services.do_check_out(signup, actor=users["staff"])
    assert signup.hours == Decimal("2.0")  # from the start (not the early arrival), in half hours
    with pytest.raises(ServiceError, match="已签退"):
        services.do_check_out(signup, actor=users["staff"])
    v.refresh_from_db()
    assert v.hours == Decimal("2.0") and v.last_active_on == timezone.localdate()
    assert v.points_balance == 2 * 12 + 5 == v.points_earned  # community hour rule, subdistrict kind rule
    assert sorted(PointEntry.objects.filter(volunteer=v).values_list("kind", flat=True)) == [
        "activity",
        "hours",
    ]
    balance_ok(v)


def test_staff_record_hours_afterwards_once_within_the_activity(users):
    a = activity(users, hours=4)
    v = volunteer(users, "补录")
    signup = services.do_sign_up(a, v, actor=users["staff"])
    with pytest.raises(ServiceError, match="尚未开始"):
        services.do_record_hours(signup, Decimal(2), actor=users["staff"])
    a = started(a)
    signup.refresh_from_db()
    with pytest.raises(ServiceError, match="0.5 到 4"):
        services.do_record_hours(signup, Decimal(5), actor=users["staff"])
    services.do_record_hours(signup, Decimal("3.5"), actor=users["staff"])
    with pytest.raises(ServiceError, match="已记录"):
        services.do_record_hours(signup, Decimal(1), actor=users["staff"])
    v.refresh_from_db()
    assert v.hours == Decimal("3.5") and v.points_balance == 35  # default: 10 points an hour
    with pytest.raises(ServiceError):  # a grid worker does not run community activities
        services.do_record_hours(signup, Decimal(1), actor=users["grid_worker"])


def test_venue_code_checks_in_then_out(users):
    a = activity(users, hours=2)
    v, other = volunteer(users, "扫码者"), volunteer(users, "没报名")
    services.do_sign_up(a, v, actor=None)
    with pytest.raises(ServiceError, match="不在活动签到时间"):
        services.venue_check(a.checkin_code, v)  # two days early
    a = started(a, ago=dt.timedelta(minutes=5))
    with pytest.raises(ServiceError, match="签到码无效"):
        services.venue_check("000000" if a.checkin_code != "000000" else "111111", v)
    with pytest.raises(ServiceError, match="未报名"):
        services.venue_check(a.checkin_code, other)
    first = services.venue_check(a.checkin_code, v)
    assert first.checked_in_at and first.hours is None
    second = services.venue_check(a.checkin_code, v, now=NOW() + dt.timedelta(hours=1, minutes=40))
    assert second.hours == Decimal("1.5")


def test_finish_and_cancel(users):
    a = activity(users)
    with pytest.raises(ServiceError, match="尚未开始"):
        services.do_finish_activity(a, "总结", actor=users["staff"])
    a = started(a)
    with pytest.raises(ServiceError, match="活动总结"):
        services.do_finish_activity(a, " ", actor=users["staff"])
    services.do_finish_activity(a, "清理杂物 3 车", actor=users["staff"])
    assert a.status == Activity.Status.FINISHED
    with pytest.raises(ServiceError):
        services.do_cancel_activity(a, actor=users["staff"])
    b = activity(users, title="下雨取消")
    services.do_cancel_activity(b, actor=users["staff"])
    assert b.status == Activity.Status.CANCELLED


# --- the ledger -------------------------------------------------------------------------------


def test_grant_redeem_correct_and_refusals_change_nothing(users):
    v = volunteer(users, "兑换者")
    item = reward(users, stock=2, points=30)
    ledger.do_grant(v, 50, "疫情防控志愿服务表彰", actor=users["staff"])
    for bad in (0, -5, 1001):
        with pytest.raises(ServiceError):
            ledger.do_grant(v, bad, "理由", actor=users["staff"])
    with pytest.raises(ServiceError, match="事由"):
        ledger.do_grant(v, 5, " ", actor=users["staff"])
    with pytest.raises(ServiceError):  # grid workers do not grant
        ledger.do_grant(v, 5, "理由", actor=users["grid_worker"])
    entry = ledger.do_redeem(v, item, 1, actor=users["staff"])
    assert entry.points == -30 and entry.balance_after == 20
    audits = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as exc:
        ledger.do_redeem(v, item, 1, actor=users["staff"])
    assert exc.value.code == "insufficient_points" and "当前余额 20 分" in str(exc.value.message)
    item.refresh_from_db()
    assert item.stock == 1 and AuditEntry.objects.count() == audits  # the stock went back too
    ledger.do_grant(v, 100, "补助", actor=users["staff"])
    with pytest.raises(ServiceError) as exc:
        ledger.do_redeem(v, item, 2, actor=users["staff"])
    assert exc.value.code == "out_of_stock"
    # a correction is a new line; the original stays
    fix = ledger.do_correct(entry, "登记错了", actor=users["staff"])
    assert fix.points == 30 and fix.corrects == entry
    item.refresh_from_db()
    assert item.stock == 2
    with pytest.raises(ServiceError, match="已经更正"):
        ledger.do_correct(entry, "再来", actor=users["staff"])
    with pytest.raises(ServiceError, match="不能再更正"):
        ledger.do_correct(fix, "更正更正", actor=users["staff"])
    balance_ok(v)


def test_the_database_refuses_to_change_or_delete_a_ledger_line(users):
    v = volunteer(users, "防篡改")
    entry = ledger.do_grant(v, 10, "测试", actor=users["staff"])
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        PointEntry.objects.filter(pk=entry.pk).update(points=1000)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        PointEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(Exception, match="cannot be changed"):
        entry.save()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():  # CHECK (balance >= 0)
        Volunteer.objects.filter(pk=v.pk).update(points_balance=-1)


def test_stale_balance_cannot_overspend(users):
    """Two redemptions prepared from the same reading of the balance (what two requests
    at the same moment see): the database's check decides, the second is refused."""
    v = volunteer(users, "同时兑换")
    ledger.do_grant(v, 40, "测试", actor=users["staff"])
    item = reward(users, stock=10, points=30)
    stale_a, stale_b = Volunteer.objects.get(pk=v.pk), Volunteer.objects.get(pk=v.pk)
    assert stale_a.points_balance == stale_b.points_balance == 40
    ledger.do_redeem(stale_a, item, 1, actor=users["staff"])
    with pytest.raises(ServiceError):
        ledger.do_redeem(stale_b, item, 1, actor=users["staff"])
    item.refresh_from_db()
    assert item.stock == 9
    balance_ok(v)


def test_one_credit_per_source(users):
    v = volunteer(users, "重复记分")
    ledger.post(v, PointEntry.Kind.GRANT, 5, "一次", actor=users["staff"], source_key="test:1")
    with pytest.raises(ServiceError) as exc:
        ledger.post(v, PointEntry.Kind.GRANT, 5, "两次", actor=users["staff"], source_key="test:1")
    assert exc.value.code == "duplicate"
    balance_ok(v)


def _hammer(n, fn):
    """Run ``fn(i)`` in ``n`` threads released at the same moment; each thread has its
    own database connection. Returns what each returned or raised."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(5)
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.skipif(
    "sqlite" in connection.settings_dict["ENGINE"],
    reason="SQLite: covered against the real server in tests/browser/test_volunteers_concurrency.py",
)
def test_concurrent_redemptions_and_claims_never_overspend(django_db_setup, django_db_blocker):
    """Committed data, eight threads at once: a balance for three redemptions gives exactly
    three; one task claimed by eight members goes to exactly one."""
    from linli.accounts.models import User

    with django_db_blocker.unblock():
        staff = User.objects.get(username="staff")
        v = volunteer({"staff": staff}, "并发兑换")
        ledger.do_grant(v, 90, "并发测试", actor=staff)
        item = reward({"staff": staff}, stock=100, points=30, name="并发物品")
        results = _hammer(8, lambda i: ledger.do_redeem(Volunteer.objects.get(pk=v.pk), item, 1, actor=staff))
        done = [r for r in results if isinstance(r, PointEntry)]
        refused = [r for r in results if isinstance(r, ServiceError)]
        assert len(done) == 3 and len(refused) == 5, results
        item.refresh_from_db()
        assert item.stock == 97
        balance_ok(v)
        assert v.points_balance == 0

        task = party.do_save_task(Task(region=region(), title="并发认领"), actor=staff)
        members = [volunteer({"staff": staff}, f"抢单{i}") for i in range(8)]
        results = _hammer(8, lambda i: party.do_claim(Task.objects.get(pk=task.pk), members[i], actor=staff))
        assert sum(isinstance(r, Task) for r in results) == 1, results
        task.refresh_from_db()
        assert task.status == Task.Status.CLAIMED and task.claimed_by in members


# --- tasks, wishes and party members -----------------------------------------------------------


def member(u, name="在职党员", unit="区财政局", community=COMMUNITY_A, actor="staff") -> PartyMember:
    return party.do_report(
        PartyMember(kind=PartyMember.Kind.IN_SERVICE, work_unit=unit, branch=f"{unit}机关党支部"),
        name=name,
        phone=phone(),
        community=region(community),
        actor=u[actor],
    )


def test_party_member_reports_to_a_community_in_the_district(users):
    m = member(users)
    assert m.volunteer.status == Volunteer.Status.ACTIVE and m.community_id == COMMUNITY_A
    for outside in ("110101001001", "150902001", "abc"):
        with pytest.raises(ServiceError) as exc:
            party.do_report(
                PartyMember(work_unit="外区单位", branch="外区支部"),
                name="外区党员",
                phone=phone(),
                community=outside,
                actor=users["staff"],
            )
        assert exc.value.code == "outside_district"
    with pytest.raises(ServiceError, match="工作单位"):
        member(users, unit="")
    assert not Volunteer.objects.filter(name="外区党员").exists()
    with pytest.raises(ServiceError, match="已经报到"):
        party.do_report(
            PartyMember(work_unit="区财政局", branch="支部"),
            name=m.volunteer.name,
            phone=m.volunteer.phone.reveal(),
            community=region(),
            actor=users["staff"],
        )


def test_wish_claimed_once_done_confirmed_and_reported_to_the_unit(users):
    _h, r = household(users, room="WISH1", seq="621", name="王奶奶")
    wish = party.do_save_task(
        Task(region=region(), kind=Task.Kind.WISH, title="想要一台收音机", resident=r, party_only=True),
        actor=users["staff"],
    )
    assert wish.wisher == "王**"
    m, other = member(users, "认领党员"), member(users, "晚到党员", unit="区教育局")
    plain = volunteer(users, "非党员")
    with pytest.raises(ServiceError, match="仅限报到党员"):
        party.do_claim(wish, plain, actor=None)
    party.do_claim(wish, m.volunteer, actor=None)
    with pytest.raises(ServiceError, match="已被认领"):
        party.do_claim(wish, other.volunteer, actor=None)
    with pytest.raises(ServiceError, match="只有认领人"):
        party.do_complete(wish, other.volunteer, "送到了", actor=None)
    party.do_complete(wish, m.volunteer, "收音机已送到王奶奶家", Decimal("1.5"), actor=None)
    with pytest.raises(ServiceError, match="退回原因"):
        party.do_confirm(wish, actor=users["staff"], approve=False)
    with pytest.raises(ServiceError):
        party.do_confirm(wish, actor=users["grid_worker"])
    party.do_confirm(wish, actor=users["staff"])
    v = m.volunteer
    v.refresh_from_db()
    assert wish.status == Task.Status.CONFIRMED and v.points_balance == 20 and v.hours == Decimal("1.5")
    with pytest.raises(ServiceError):
        party.do_confirm(wish, actor=users["staff"])
    today = timezone.localdate()
    lines = party.unit_report(
        PartyMember.objects.filter(pk__in=[m.pk, other.pk]), today.replace(day=1), today
    )
    mine = next(ln for ln in lines if ln.member == m)
    assert mine.tasks == ["想要一台收音机"] and mine.hours == Decimal("1.5") and mine.points == 20
    assert next(ln for ln in lines if ln.member == other).points == 0
    balance_ok(v)


def test_posts_fill_up_and_commitments_record_progress(users):
    post = do_create(
        ServicePost(region=region(), name="环境监督岗", duties="每周巡查", slots=1), actor=users["staff"]
    )
    a, b = member(users, "上岗甲"), member(users, "上岗乙", unit="区水务局")
    party.do_choose_post(post, a, actor=users["staff"])
    with pytest.raises(ServiceError, match="已在该岗位"):
        party.do_choose_post(post, a, actor=users["staff"])
    with pytest.raises(ServiceError, match="已满"):
        party.do_choose_post(post, b, actor=users["staff"])
    from linli.volunteers.models import Commitment

    c = party.do_save_commitment(
        Commitment(region=region(), member=a, content="每月走访 2 户困难家庭", due_date=timezone.localdate()),
        actor=users["staff"],
    )
    assert c.branch == a.branch
    with pytest.raises(ServiceError):
        party.do_commitment_progress(c, 120, "超额", actor=users["staff"])
    party.do_commitment_progress(c, 50, "已走访 1 户", actor=users["staff"])
    c.refresh_from_db()
    assert c.progress == 50 and c.updates.count() == 1
