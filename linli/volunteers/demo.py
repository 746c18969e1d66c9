"""Demo volunteer life for the demo district, every step through the services: in each
community with residents, volunteers registered from the registry (some applications
waiting), teams with leaders, point rules, a reward shop, activities of the last weeks
with hours recorded (their times moved into the past, as when last month's sign-in
sheets are entered), one coming up, tasks and small wishes, party members who reported
with their posts and commitments."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from linli.core.errors import ServiceError
from linli.core.roles import Level
from linli.core.services import do_create
from linli.people.models import Resident
from linli.regions.models import Region

from . import ledger, party, services
from .models import (
    Activity,
    Commitment,
    PartyMember,
    PointRule,
    Reward,
    ServicePost,
    Skill,
    Task,
    Team,
    TeamMember,
    Volunteer,
)

TEAMS = [
    ("党员先锋服务队", Team.Category.PARTY),
    ("平安巡逻队", Team.Category.PATROL),
    ("夕阳红助老服务队", Team.Category.ELDERLY),
    ("文体队", Team.Category.CULTURE),
]
ACTIVITIES = [
    ("楼道杂物清理", Activity.Kind.ENVIRONMENT, "小区各楼道"),
    ("空巢老人陪伴", Activity.Kind.ELDERLY, "日间照料中心"),
    ("夜间治安巡逻", Activity.Kind.PATROL, "社区辖区"),
    ("防诈骗宣传", Activity.Kind.PUBLICITY, "社区广场"),
    ("便民理发义剪", Activity.Kind.CONVENIENCE, "社区服务站"),
]
REWARDS = [
    ("洗衣液", 50, 20),
    ("大米 5kg", 150, 10),
    ("食用油", 120, 10),
    ("毛巾", 20, 40),
    ("理发券", 30, 30),
]
WISHES = ["想要一台收音机", "想学用智能手机视频通话", "希望有人帮忙修理轮椅", "想给孙子买一套课外书"]
TASKS = ["为独居老人更换楼道灯泡", "清理单元门口小广告", "协助核酸检测点秩序维护"]
UNITS = ["区财政局", "区教育局", "区卫健委", "区税务局", "区人社局"]
MAX_COMMUNITIES = 30  # enough to compare communities; the rest of the district starts empty
POSTS = [
    ("环境监督岗", "每周巡查楼院环境卫生"),
    ("政策宣传岗", "入户宣传惠民政策"),
    ("矛盾调解岗", "参与邻里纠纷调解"),
]


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _past(a: Activity, days_ago: int) -> Activity:
    length = a.ends_at - a.starts_at
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) - dt.timedelta(days=days_ago)
    Activity.objects.filter(pk=a.pk).update(starts_at=start, ends_at=start + length)
    a.refresh_from_db()
    return a


def _community(community: Region, rng: random.Random, counts: dict[str, int], per_community: int) -> None:
    residents = list(
        Resident.objects.filter(
            community_id=community.code, archived_at__isnull=True, birth_date__isnull=False
        ).order_by("?")[: per_community + 4]
    )
    skills = list(Skill.objects.filter(active=True))
    volunteers: list[Volunteer] = []
    for r in residents[:per_community]:
        v = Volunteer(
            name=r.name,
            phone=_phone(rng),
            resident=r,
            consent_contact=True,
            availability=rng.choice(["weekend", "weekday,weekend", "evening,weekend", "anytime"]),
        )
        try:
            volunteers.append(services.do_save_volunteer(v, actor=None, skills=rng.sample(skills, 2)))
        except ServiceError:
            continue
    for r in residents[per_community:]:  # applications on the residents' page, waiting
        v = Volunteer(name=r.name, phone=_phone(rng), community=community, consent_contact=True)
        try:
            services.do_apply(v, skills=rng.sample(skills, 1))
        except ServiceError:
            continue
    counts["volunteers"] += len(volunteers)
    if len(volunteers) < 8:
        return
    teams = []
    for i, (name, category) in enumerate(TEAMS):
        team = services.do_save_team(Team(region=community, name=name, category=category), actor=None)
        crew = volunteers[i :: len(TEAMS)] + rng.sample(volunteers, 2)
        for j, v in enumerate(dict.fromkeys(crew)):
            role = TeamMember.Role.LEADER if j == 0 else TeamMember.Role.MEMBER
            services.do_add_member(team, v, actor=None, role=role)
        teams.append(team)
    for name, points, stock in REWARDS:
        do_create(Reward(region=community, name=name, points=points, stock=stock), actor=None)
    # activities of the last weeks, with hours; one coming up; one being prepared
    now = timezone.now()
    for k, (title, kind, place) in enumerate(ACTIVITIES):
        start = now + dt.timedelta(days=1)
        a = Activity(
            region=community,
            team=teams[k % len(teams)],
            title=title,
            kind=kind,
            place=place,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=rng.choice([2, 3, 4])),
            capacity=rng.randint(6, 12),
        )
        services.do_save_activity(a, actor=None)
        if k == len(ACTIVITIES) - 1:
            continue  # a draft
        services.do_publish(a, actor=None)
        for v in rng.sample(volunteers, min(len(volunteers), a.capacity + 2)):
            services.do_sign_up(a, v, actor=None)
        counts["activities"] += 1
        if k == len(ACTIVITIES) - 2:
            continue  # coming up tomorrow
        a = _past(a, days_ago=rng.randint(2, 40))
        for s in a.signups.filter(status="signed").select_related("volunteer", "activity"):
            if rng.random() < 0.85:
                hours = min(a.duration_hours, Decimal(rng.choice([1, 1.5, 2, 2.5, 3])))
                services.do_record_hours(s, hours, actor=_staff(community))
        services.do_finish_activity(a, f"{title}顺利完成，居民反映良好。", actor=_staff(community))
    # points spent at the shop
    rewards = list(Reward.objects.filter(region=community))
    for v in rng.sample(volunteers, 4):
        v.refresh_from_db()
        affordable = [r for r in rewards if r.points <= v.points_balance]
        if affordable:
            ledger.do_redeem(v, rng.choice(affordable), 1, actor=None)
            counts["redemptions"] += 1
    ledger.do_grant(volunteers[0], 50, "社区优秀志愿者表彰", actor=None)
    # party members, posts, commitments, tasks and wishes
    members: list[PartyMember] = []
    for person in volunteers[:5]:
        unit = rng.choice(UNITS)
        m: PartyMember = party.do_save_member(
            PartyMember(
                volunteer=person, work_unit=unit, branch=f"{unit}机关党支部", reported_on=timezone.localdate()
            ),
            actor=None,
        )
        members.append(m)
    counts["party_members"] += len(members)
    for (name, duties), m in zip(POSTS, members, strict=False):
        post = ServicePost(region=community, name=name, duties=duties, slots=2)
        do_create(post, actor=None)
        party.do_choose_post(post, m, actor=None)
    branch = party.do_save_commitment(
        Commitment(
            region=community,
            branch=f"{community.short_name}党委",
            content="年内为居民办好 10 件民生实事",
            due_date=timezone.localdate().replace(month=12, day=31),
        ),
        actor=None,
    )
    party.do_commitment_progress(
        branch, rng.randint(30, 80), "已完成加装扶手、修缮健身器材等", actor=_staff(community)
    )
    for m in members[:3]:
        party.do_save_commitment(
            Commitment(region=community, member=m, content="每月联系 2 户困难家庭", due_date=branch.due_date),
            actor=None,
        )
    wishers = residents[-2:]
    for i, title in enumerate(rng.sample(WISHES, 2)):
        wish = party.do_save_task(
            Task(
                region=community,
                kind=Task.Kind.WISH,
                title=title,
                resident=wishers[i % len(wishers)],
                party_only=True,
            ),
            actor=None,
        )
        if i == 0:
            party.do_claim(wish, members[0].volunteer, actor=None)
            party.do_complete(wish, members[0].volunteer, "已送到心愿人家中", Decimal(1), actor=None)
            party.do_confirm(wish, actor=_staff(community))
    for title in rng.sample(TASKS, 2):
        party.do_save_task(Task(region=community, title=title), actor=None)


def _staff(community: Region):
    """Who confirms in the demo: a community worker of the community, or the operator's command."""
    from linli.accounts.models import Post

    post = (
        Post.objects.filter(region=community, active=True, role="community_staff")
        .select_related("user")
        .first()
    )
    return post.user if post else None


def seed_volunteers(district: str, *, seed: int = 2026, per_community: int = 16) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"volunteers": 0, "activities": 0, "redemptions": 0, "party_members": 0}
    with transaction.atomic():
        region = Region.objects.get(code=district)
        PointRule.objects.get_or_create(
            region=region, trigger=PointRule.Trigger.HOUR, activity_kind="", defaults={"points": 10}
        )
        PointRule.objects.get_or_create(
            region=region, trigger=PointRule.Trigger.TASK, activity_kind="", defaults={"points": 20}
        )
        populated = (
            Resident.objects.filter(district_id=district)
            .values("community_id")
            .annotate(n=Count("id"))
            .filter(n__gte=20)
            .values_list("community_id", flat=True)
        )
        communities = Region.objects.filter(code__in=list(populated), level=Level.COMMUNITY).order_by("code")
        for community in communities[:MAX_COMMUNITIES]:
            _community(community, rng, counts, per_community)
    return counts
