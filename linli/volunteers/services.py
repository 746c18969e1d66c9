"""The write path of volunteer work: registration and verification, teams, activities
with sign-up, waiting list, check-in and hours. Views, the API, the residents' pages
and the demo call these; each checks, writes, re-checks scope and audits in one
transaction. Points are in ``ledger``; party members and tasks in ``party``."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import AuditAction
from linli.core.pii import pii_match, plain
from linli.core.roles import Level
from linli.core.scoping import require, restrict
from linli.core.services import do_create, do_save, do_update
from linli.regions.models import Region

from . import ledger
from .models import (
    Activity,
    ActivityPhoto,
    Availability,
    PointEntry,
    PointRule,
    SignUp,
    Team,
    TeamMember,
    Volunteer,
)

CHECKIN_WINDOW = dt.timedelta(hours=1)  # the venue code works from an hour before to an hour after
MAX_HOURS = Decimal(24)


def community_in_district(code_or_region) -> Region:
    """The community a person registers with: a community of this deployment's tree."""
    region = code_or_region
    if not isinstance(region, Region):
        region = Region.objects.filter(code=str(code_or_region or "")).first()
    if region is None or region.level != Level.COMMUNITY:
        raise ServiceError(
            ErrorCode.OUTSIDE_DISTRICT,
            _("所选社区不在本区，请到居住地所在区的社区登记报到。"),
            field="community",
        )
    return region


# --- volunteers ---------------------------------------------------------------------


def check_volunteer(v: Volunteer) -> None:
    resident = v.resident if v.resident_id else None
    if resident is not None:
        if resident.archived_at:
            raise ServiceError(ErrorCode.INVALID, _("该居民已迁出，不能关联。"), field="resident")
        v.community = community_in_district(resident.community_id)
        if not v.name:
            v.name = resident.name
    elif not v.community_id:
        raise ServiceError(ErrorCode.INVALID, _("请选择注册社区，或关联居民档案。"), field="community")
    else:
        v.community = community_in_district(v.community)
    codes = [a for a in (v.availability or "").split(",") if a]
    if any(a not in Availability.values for a in codes):
        raise ServiceError(ErrorCode.INVALID, _("服务时间选项无效。"), field="availability")
    v.availability = ",".join(codes)
    phone = plain(v.phone)
    if phone and Volunteer.objects.filter(pii_match(Volunteer, "phone", phone)).exclude(pk=v.pk).exists():
        raise ServiceError(ErrorCode.DUPLICATE, _("该手机号码已登记为志愿者。"), field="phone")


def do_save_volunteer(v: Volunteer, before: dict | None = None, *, actor, skills=None) -> Volunteer:
    """Register (staff: active at once, with a number) or change a volunteer."""
    check_volunteer(v)
    with transaction.atomic():
        if before is None:  # staff (or an operator's command) register: no verification step
            v.status, v.source = Volunteer.Status.ACTIVE, Volunteer.Source.STAFF
            v.verified_by, v.verified_at = actor, timezone.now()
        do_save(v, before, actor=actor)
        if v.status == Volunteer.Status.ACTIVE and not v.number:
            _number(v)
        if skills is not None:
            v.skills.set(skills)
    return v


def _number(v: Volunteer) -> None:
    """志愿者编号: the community's place in the district and the record's sequence."""
    v.number = f"{v.community_id[6:]}{v.pk:05d}"
    Volunteer.objects.filter(pk=v.pk).update(number=v.number)


def do_apply(v: Volunteer, *, skills=(), party=None) -> Volunteer:
    """A resident's own registration on the residents' page: waits for staff to verify it.
    ``party`` is an unsaved PartyMember when the applicant reports as a party member."""
    from . import party as party_services

    v.status, v.source = Volunteer.Status.PENDING, Volunteer.Source.SELF
    if not v.consent_contact:
        raise ServiceError(
            ErrorCode.INVALID, _("请同意社区在志愿服务需要时与您联系。"), field="consent_contact"
        )
    check_volunteer(v)
    with transaction.atomic():
        do_create(v, actor=None)
        v.skills.set(skills)
        if party is not None:
            party.volunteer = v
            party.active = False  # until the community verifies the registration
            party_services.do_save_member(party, actor=None)
    return v


def do_verify(v: Volunteer, *, actor, approve: bool, note: str = "") -> Volunteer:
    require(v, actor, "verify")
    if v.status != Volunteer.Status.PENDING:
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("该登记已审核过。"))
    before = audit.snapshot(v)
    v.status = Volunteer.Status.ACTIVE if approve else Volunteer.Status.REJECTED
    v.verified_by, v.verified_at = actor, timezone.now()
    if note:
        v.note = note[:200]
    with transaction.atomic():
        do_update(v, before, actor=actor)
        if approve:
            _number(v)
        member = getattr(v, "party_member", None)
        if member is not None and approve and not member.active:
            member.active = True
            member.save(update_fields=["active"])
    return v


def do_leave(v: Volunteer, *, actor, note: str = "") -> Volunteer:
    require(v, actor, "change")
    before = audit.snapshot(v)
    v.status = Volunteer.Status.LEFT
    v.note = (note or v.note)[:200]
    return do_update(v, before, actor=actor)  # type: ignore[return-value]


def find_volunteer(number: str, phone: str) -> Volunteer:
    """A registered volunteer by number and phone (the residents' pages' identity)."""
    v = (
        Volunteer.objects.filter(number=(number or "").strip(), status=Volunteer.Status.ACTIVE)
        .filter(pii_match(Volunteer, "phone", phone or ""))
        .first()
    )
    if v is None:
        raise ServiceError(
            ErrorCode.NOT_FOUND, _("志愿者编号与手机号码不符，或登记尚未通过审核。"), field="number"
        )
    return v


# --- teams --------------------------------------------------------------------------


def _under(region: Region, record) -> bool:
    return getattr(record, f"{region.level}_id") == region.code


def do_save_team(team: Team, before: dict | None = None, *, actor) -> Team:
    parent = team.parent if team.parent_id else None
    if parent is not None:
        if team.pk and parent.pk == team.pk:
            raise ServiceError(ErrorCode.INVALID, _("上级队伍不能是本队。"), field="parent")
        if parent.parent_id:
            raise ServiceError(ErrorCode.INVALID, _("小组下不能再分组。"), field="parent")
        if not _under(parent.region, team.region):
            raise ServiceError(ErrorCode.INVALID, _("小组须在上级队伍的区域内。"), field="parent")
    return do_save(team, before, actor=actor)  # type: ignore[no-any-return]


def do_add_member(team: Team, volunteer: Volunteer, *, actor, role=TeamMember.Role.MEMBER, joined_on=None):
    require(team, actor, "change")
    require(volunteer, actor, "view")
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise ServiceError(ErrorCode.INVALID, _("只有已注册的志愿者可以入队。"), field="volunteer")
    if not _under(team.region, volunteer):
        raise ServiceError(ErrorCode.INVALID, _("该志愿者不在本队所属区域。"), field="volunteer")
    if team.members.filter(volunteer=volunteer).exists():
        raise ServiceError(
            ErrorCode.DUPLICATE, _("%(v)s 已是本队队员。") % {"v": volunteer}, field="volunteer"
        )
    if role == TeamMember.Role.LEADER:
        leader = team.members.filter(role=TeamMember.Role.LEADER).select_related("volunteer").first()
        if leader is not None:
            raise ServiceError(
                ErrorCode.INVALID,
                _("本队已有队长（%(v)s），请先调整原队长的职务。") % {"v": leader.volunteer},
                field="role",
            )
    member = TeamMember(
        team=team, volunteer=volunteer, role=role, joined_on=joined_on or timezone.localdate()
    )
    with transaction.atomic():
        member.save()
        audit.record(AuditAction.CREATE, member, actor=actor, changes={"team": team.pk, "role": role})
    return member


def do_remove_member(member: TeamMember, *, actor) -> None:
    require(member.team, actor, "change")
    with transaction.atomic():
        audit.record(AuditAction.DELETE, member, actor=actor, changes={"team": member.team_id})
        member.delete()


# --- activities ---------------------------------------------------------------------


def check_activity(a: Activity) -> None:
    if a.starts_at and a.ends_at and a.ends_at <= a.starts_at:
        raise ServiceError(ErrorCode.INVALID, _("结束时间须晚于开始时间。"), field="ends_at")
    if a.starts_at and a.ends_at and a.ends_at - a.starts_at > dt.timedelta(days=7):
        raise ServiceError(ErrorCode.INVALID, _("一次活动不超过 7 天，长期服务请分次发布。"), field="ends_at")
    team = a.team if a.team_id else None
    if team is not None and not _under(a.region, team) and not _under(team.region, a.region):
        raise ServiceError(ErrorCode.INVALID, _("服务队不在组织单位的区域内。"), field="team")
    if a.status in (Activity.Status.FINISHED, Activity.Status.CANCELLED) and a.pk:
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("已结束或已取消的活动不能修改。"))


def do_save_activity(a: Activity, before: dict | None = None, *, actor) -> Activity:
    check_activity(a)
    if a.pk:
        signed = a.signups.filter(status=SignUp.Status.SIGNED).count()
        if a.capacity < signed:
            raise ServiceError(
                ErrorCode.INVALID,
                _("已有 %(n)d 人报名，招募人数不能少于已报名人数。") % {"n": signed},
                field="capacity",
            )
    with transaction.atomic():
        do_save(a, before, actor=actor)
        if a.status == Activity.Status.PUBLISHED:
            _promote(a)
    return a


def do_publish(a: Activity, *, actor) -> Activity:
    require(a, actor, "change")
    if a.status != Activity.Status.DRAFT:
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("只有草稿可以发布。"))
    if a.ends_at <= timezone.now():
        raise ServiceError(ErrorCode.INVALID, _("活动已过结束时间，不能发布。"))
    before = audit.snapshot(a)
    a.status, a.published_at = Activity.Status.PUBLISHED, timezone.now()
    a.checkin_code = f"{secrets.randbelow(10**6):06d}"
    return do_update(a, before, actor=actor)  # type: ignore[return-value]


def do_cancel_activity(a: Activity, *, actor) -> Activity:
    require(a, actor, "change")
    if a.status not in (Activity.Status.DRAFT, Activity.Status.PUBLISHED):
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("该活动已结束或已取消。"))
    if a.signups.filter(hours__isnull=False).exists():
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("已有人记录服务时长，不能取消，请结束活动。"))
    before = audit.snapshot(a)
    a.status = Activity.Status.CANCELLED
    return do_update(a, before, actor=actor)  # type: ignore[return-value]


def do_finish_activity(a: Activity, summary: str, *, actor, photos=()) -> Activity:
    require(a, actor, "change")
    if a.status != Activity.Status.PUBLISHED:
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("只有已发布的活动可以结束。"))
    if a.starts_at > timezone.now():
        raise ServiceError(ErrorCode.INVALID, _("活动尚未开始。"))
    if not summary.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写活动总结。"), field="summary")
    before = audit.snapshot(a)
    a.status, a.summary = Activity.Status.FINISHED, summary.strip()
    with transaction.atomic():
        do_update(a, before, actor=actor)
        for f in photos:
            ActivityPhoto.objects.create(activity=a, image=f)
    return a


def _locked(a: Activity) -> Activity:
    """The activity's row, locked for this transaction (PostgreSQL; SQLite's write
    transactions are serialised already)."""
    return Activity.objects.select_for_update().get(pk=a.pk)


def _promote(a: Activity) -> list[SignUp]:
    """Move people from the waiting list into free places, first come first served."""
    free = a.capacity - a.signups.filter(status=SignUp.Status.SIGNED).count()
    if free <= 0:
        return []
    moved = list(a.signups.filter(status=SignUp.Status.WAITING).order_by("signed_at", "id")[:free])
    SignUp.objects.filter(pk__in=[s.pk for s in moved]).update(status=SignUp.Status.SIGNED)
    return moved


def do_sign_up(a: Activity, volunteer: Volunteer, *, actor) -> SignUp:
    """Sign ``volunteer`` up (on the waiting list when the activity is full).
    ``actor`` None: the volunteer on the residents' page."""
    if actor is not None:
        require(a, actor, "view")
        require(volunteer, actor, "view")
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise ServiceError(ErrorCode.INVALID, _("只有已注册的志愿者可以报名。"), field="volunteer")
    with transaction.atomic():
        a = _locked(a)
        if a.status != Activity.Status.PUBLISHED:
            raise ServiceError(ErrorCode.INVALID_TRANSITION, _("该活动未在招募中。"))
        if a.starts_at <= timezone.now():
            raise ServiceError(ErrorCode.INVALID, _("活动已经开始，报名已截止。"))
        signup = SignUp.objects.filter(activity=a, volunteer=volunteer).first()
        if signup is not None and signup.status != SignUp.Status.CANCELLED:
            raise ServiceError(
                ErrorCode.DUPLICATE,
                _("%(v)s 已报名（%(s)s）。") % {"v": volunteer, "s": signup.get_status_display()},
                field="volunteer",
            )
        signed = a.signups.filter(status=SignUp.Status.SIGNED).count()
        if signed < a.capacity:
            status = SignUp.Status.SIGNED
        elif a.signups.filter(status=SignUp.Status.WAITING).count() < a.capacity:  # as long again
            status = SignUp.Status.WAITING
        else:
            raise ServiceError(
                "activity_full", _("名额和候补名单均已满（%(n)d 人），不能再报名。") % {"n": a.capacity}
            )
        if signup is None:
            signup = SignUp.objects.create(activity=a, volunteer=volunteer, status=status)
        else:
            signup.status, signup.signed_at = status, timezone.now()
            signup.save(update_fields=["status", "signed_at"])
        audit.record(AuditAction.CREATE, signup, actor=actor, actor_name="public", changes={"status": status})
    return signup


def do_cancel_signup(signup: SignUp, *, actor) -> SignUp:
    if actor is not None:
        require(signup.activity, actor, "change")
    if signup.status == SignUp.Status.CANCELLED:
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("该报名已取消。"))
    if signup.checked_in_at:
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("已签到，不能取消报名。"))
    with transaction.atomic():
        a = _locked(signup.activity)
        signup.status = SignUp.Status.CANCELLED
        signup.save(update_fields=["status"])
        audit.record(
            AuditAction.UPDATE, signup, actor=actor, actor_name="public", changes={"status": "cancelled"}
        )
        _promote(a)
    return signup


def _checkable(signup: SignUp) -> None:
    if signup.status != SignUp.Status.SIGNED:
        raise ServiceError(
            ErrorCode.INVALID,
            _("%(v)s 未报名本次活动（或在候补名单中），不能签到。") % {"v": signup.volunteer},
            field="volunteer",
        )
    if signup.activity.status not in (Activity.Status.PUBLISHED, Activity.Status.FINISHED):
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("该活动未在进行中。"))


def signup_of(a: Activity, volunteer: Volunteer) -> SignUp:
    signup = (
        SignUp.objects.filter(activity=a, volunteer=volunteer).select_related("activity", "volunteer").first()
    )
    if signup is None:
        raise ServiceError(
            ErrorCode.INVALID, _("%(v)s 未报名本次活动，不能签到。") % {"v": volunteer}, field="volunteer"
        )
    return signup


def do_check_in(signup: SignUp, *, actor, at: dt.datetime | None = None) -> SignUp:
    if actor is not None:
        require(signup.activity, actor, "change")
    _checkable(signup)
    if signup.checked_in_at:
        raise ServiceError(ErrorCode.DUPLICATE, _("%(v)s 已签到。") % {"v": signup.volunteer})
    signup.checked_in_at = at or timezone.now()
    with transaction.atomic():
        signup.save(update_fields=["checked_in_at"])
        audit.record(
            AuditAction.UPDATE, signup, actor=actor, actor_name="public", changes={"checked_in": True}
        )
    return signup


def _round_hours(delta: dt.timedelta) -> Decimal:
    """Service time in half hours, rounded down."""
    halves = Decimal(int(max(delta.total_seconds(), 0) // 1800))
    return (halves / 2).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def do_check_out(signup: SignUp, *, actor, at: dt.datetime | None = None) -> SignUp:
    """Check out and record the hours: from check-in to check-out, within the activity's times."""
    if actor is not None:
        require(signup.activity, actor, "change")
    _checkable(signup)
    if not signup.checked_in_at:
        raise ServiceError(ErrorCode.INVALID, _("%(v)s 尚未签到。") % {"v": signup.volunteer})
    if signup.checked_out_at:
        raise ServiceError(ErrorCode.DUPLICATE, _("%(v)s 已签退。") % {"v": signup.volunteer})
    a = signup.activity
    out = at or timezone.now()
    start, end = max(signup.checked_in_at, a.starts_at), min(out, a.ends_at)
    signup.checked_out_at = out
    return _record(signup, _round_hours(end - start), actor=actor, fields=["checked_out_at"])


def do_record_hours(signup: SignUp, hours: Decimal, *, actor) -> SignUp:
    """Hours entered by staff afterwards (from the sign-in sheet)."""
    require(signup.activity, actor, "change")
    _checkable(signup)
    if signup.hours is not None:
        raise ServiceError(ErrorCode.DUPLICATE, _("%(v)s 的服务时长已记录。") % {"v": signup.volunteer})
    hours = Decimal(hours)
    limit = min(signup.activity.duration_hours or Decimal("0.5"), MAX_HOURS)
    if not Decimal("0.5") <= hours <= limit:
        raise ServiceError(
            ErrorCode.INVALID, _("服务时长须在 0.5 到 %(n)s 小时之间。") % {"n": limit}, field="hours"
        )
    if signup.activity.starts_at > timezone.now():
        raise ServiceError(ErrorCode.INVALID, _("活动尚未开始。"), field="hours")
    if not signup.checked_in_at:
        signup.checked_in_at = signup.activity.starts_at
    return _record(signup, hours.quantize(Decimal("0.1")), actor=actor, fields=["checked_in_at"])


def _record(signup: SignUp, hours: Decimal, *, actor, fields: list[str]) -> SignUp:
    """Hours onto the sign-up and the volunteer, and the points they earn, in one transaction."""
    a, v = signup.activity, signup.volunteer
    signup.hours = hours
    signup.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    day = timezone.localtime(a.starts_at).date()
    with transaction.atomic():
        signup.save(update_fields=[*fields, "hours", "recorded_by"])
        audit.record(
            AuditAction.UPDATE, signup, actor=actor, actor_name="public", changes={"hours": str(hours)}
        )
        add_hours(v, hours, day)
        per_hour = ledger.rule_points(a, PointRule.Trigger.HOUR)
        ledger.post(
            v,
            PointEntry.Kind.HOURS,
            int(hours * per_hour),
            _("参加“%(a)s” %(h)s 小时") % {"a": a.title, "h": hours},
            actor=actor,
            source_key=f"signup:{signup.pk}:hours",
            signup=signup,
        )
        ledger.post(
            v,
            PointEntry.Kind.ACTIVITY,
            ledger.rule_points(a, PointRule.Trigger.ACTIVITY, a.kind),
            _("参加“%(a)s”") % {"a": a.title},
            actor=actor,
            source_key=f"signup:{signup.pk}:activity",
            signup=signup,
        )
    return signup


def add_hours(v: Volunteer, hours: Decimal, day: dt.date) -> None:
    Volunteer.objects.filter(pk=v.pk).update(hours=F("hours") + hours)
    Volunteer.objects.filter(pk=v.pk).filter(
        Q(last_active_on__isnull=True) | Q(last_active_on__lt=day)
    ).update(last_active_on=day)


def venue_check(code: str, volunteer: Volunteer, *, now: dt.datetime | None = None) -> SignUp:
    """Check in (or, the second time, out) with the code shown at the venue."""
    now = now or timezone.now()
    code = (code or "").strip()
    candidates = Activity.objects.filter(
        status=Activity.Status.PUBLISHED,
        checkin_code=code,
        starts_at__lte=now + CHECKIN_WINDOW,
        ends_at__gte=now - CHECKIN_WINDOW,
    )
    signup = (
        SignUp.objects.filter(activity__in=candidates, volunteer=volunteer)
        .select_related("activity", "volunteer")
        .first()
    )
    if signup is None:
        if not candidates.exists():
            raise ServiceError(ErrorCode.INVALID, _("签到码无效，或不在活动签到时间内。"), field="code")
        raise ServiceError(ErrorCode.INVALID, _("您未报名本次活动，不能签到。"), field="code")
    if signup.checked_in_at is None:
        return do_check_in(signup, actor=None, at=now)
    return do_check_out(signup, actor=None, at=now)


def visible_volunteers(user):
    return restrict(Volunteer.objects.filter(status=Volunteer.Status.ACTIVE), user)
