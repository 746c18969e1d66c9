"""Party members in the community (在职党员到社区报到, 亮身份、领任务、作表率、比奉献):
reporting, tasks and small wishes (微心愿) to claim, public-service posts (设岗定责),
commitments (二级承诺), and the list of service reported back to their units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import AuditAction
from linli.core.pii import pii_match
from linli.core.scoping import require, restrict
from linli.core.services import do_save, do_update

from . import ledger
from .models import (
    Commitment,
    CommitmentUpdate,
    PartyMember,
    PointEntry,
    PointRule,
    PostHolder,
    ServicePost,
    SignUp,
    Task,
    Volunteer,
)
from .services import add_hours, community_in_district, do_save_volunteer

MAX_TASK_HOURS = Decimal(24)


def do_save_member(member: PartyMember, before: dict | None = None, *, actor) -> PartyMember:
    """Register a party member with the community where they live (the person's volunteer
    record carries the community, checked to be in the district)."""
    v = member.volunteer
    if v.status in (Volunteer.Status.REJECTED, Volunteer.Status.LEFT):
        raise ServiceError(ErrorCode.INVALID, _("该志愿者登记未通过或已退出。"), field="volunteer")
    if member.kind == PartyMember.Kind.IN_SERVICE and not member.work_unit.strip():
        raise ServiceError(ErrorCode.INVALID, _("在职党员须填写工作单位。"), field="work_unit")
    if member.reported_on and member.reported_on > timezone.localdate():
        raise ServiceError(ErrorCode.INVALID, _("报到日期不能晚于今天。"), field="reported_on")
    clash = PartyMember.objects.filter(volunteer=v).exclude(pk=member.pk).exists()
    if clash:
        raise ServiceError(ErrorCode.DUPLICATE, _("%(v)s 已经报到。") % {"v": v}, field="volunteer")
    member.reported_on = member.reported_on or timezone.localdate()
    return do_save(member, before, actor=actor)


def do_report(member: PartyMember, *, name: str, phone: str, community, actor) -> PartyMember:
    """A member reports to the community where they live: their volunteer record (found by
    phone among those the actor sees, or registered now) and the member's record."""
    community = community_in_district(community)
    existing = restrict(Volunteer.objects.filter(pii_match(Volunteer, "phone", phone)), actor).first()
    with transaction.atomic():
        if existing is None:
            existing = do_save_volunteer(
                Volunteer(name=name, phone=phone, community=community, consent_contact=True), actor=actor
            )
        elif existing.community_id != community.code:
            raise ServiceError(
                ErrorCode.INVALID,
                _("%(v)s 登记在%(c)s，请到其居住社区报到。") % {"v": existing, "c": existing.community},
                field="community",
            )
        member.volunteer = existing
        return do_save_member(member, actor=actor)


def is_member(v: Volunteer) -> bool:
    return PartyMember.objects.filter(volunteer=v, active=True).exists()


# --- tasks and small wishes -----------------------------------------------------------


def do_save_task(task: Task, before: dict | None = None, *, actor) -> Task:
    if task.kind == Task.Kind.WISH and not task.resident_id:
        raise ServiceError(ErrorCode.INVALID, _("微心愿须选择提出心愿的居民。"), field="resident")
    if task.resident_id and getattr(task.resident, f"{task.region.level}_id") != task.region_id:
        raise ServiceError(ErrorCode.INVALID, _("心愿人不在发布单位的区域内。"), field="resident")
    if before is None and task.deadline and task.deadline < timezone.localdate():
        raise ServiceError(ErrorCode.INVALID, _("完成期限不能早于今天。"), field="deadline")
    if task.pk and task.status not in (Task.Status.OPEN, Task.Status.CLAIMED):
        raise ServiceError(ErrorCode.INVALID_TRANSITION, _("已完成的任务不能修改。"))
    return do_save(task, before, actor=actor)


def _move(task: Task, frm: tuple[str, ...], *, actor, message, **values) -> Task:
    """Change the task's status only if it is still in one of ``frm`` (a conditional
    UPDATE, so of two people claiming at the same moment exactly one gets it)."""
    before = audit.snapshot(task)
    with transaction.atomic():
        moved = Task.objects.filter(pk=task.pk, status__in=frm).update(**values, updated_at=timezone.now())
        if not moved:
            raise ServiceError(ErrorCode.INVALID_TRANSITION, message)
        task.refresh_from_db()
        changes = audit.diff(before, audit.snapshot(task))
        audit.record(AuditAction.UPDATE, task, actor=actor, actor_name="public", changes=changes)
    return task


def do_claim(task: Task, volunteer: Volunteer, *, actor) -> Task:
    """``actor`` None: the member on the residents' page."""
    if actor is not None:
        require(task, actor, "view")
        require(volunteer, actor, "view")
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise ServiceError(ErrorCode.INVALID, _("只有已注册的志愿者可以认领。"), field="volunteer")
    if task.party_only and not is_member(volunteer):
        raise ServiceError(ErrorCode.INVALID, _("该任务仅限报到党员认领。"), field="volunteer")
    if task.deadline and task.deadline < timezone.localdate():
        raise ServiceError(ErrorCode.INVALID, _("该任务已过期限。"))
    claimed = Task.objects.filter(pk=task.pk).values_list("status", flat=True).first()
    taken = _("该任务已被认领。") if claimed != Task.Status.CANCELLED else _("该任务已取消。")
    return _move(
        task,
        (Task.Status.OPEN,),
        actor=actor,
        message=taken,
        status=Task.Status.CLAIMED,
        claimed_by=volunteer,
        claimed_at=timezone.now(),
    )


def do_complete(task: Task, volunteer: Volunteer | None, note: str, hours=None, *, actor) -> Task:
    """The claimer reports it done (or staff on their behalf); staff then confirm it."""
    if actor is not None:
        require(task, actor, "change")
    elif volunteer is None or task.claimed_by_id != volunteer.pk:
        raise ServiceError(ErrorCode.PERMISSION_DENIED, _("只有认领人可以报告完成。"))
    if not note.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写完成情况。"), field="done_note")
    if hours is not None and not Decimal(0) <= Decimal(hours) <= MAX_TASK_HOURS:
        raise ServiceError(ErrorCode.INVALID, _("服务时长须在 0 到 24 小时之间。"), field="hours")
    return _move(
        task,
        (Task.Status.CLAIMED,),
        actor=actor,
        message=_("只有已认领的任务可以报告完成。"),
        status=Task.Status.DONE,
        done_at=timezone.now(),
        done_note=note.strip()[:500],
        hours=Decimal(hours).quantize(Decimal("0.1")) if hours is not None else None,
    )


def do_confirm(task: Task, *, actor, approve: bool = True, note: str = "") -> Task:
    """Staff confirm a reported completion: the points (and hours) go to the claimer. Not
    confirmed, it goes back to the claimer with the reason."""
    require(task, actor, "confirm")
    if not approve:
        if not note.strip():
            raise ServiceError(ErrorCode.INVALID, _("请填写退回原因。"), field="note")
        return _move(
            task,
            (Task.Status.DONE,),
            actor=actor,
            message=_("只有待确认的任务可以退回。"),
            status=Task.Status.CLAIMED,
            done_note=_("退回：%(n)s") % {"n": note.strip()[:480]},
        )
    with transaction.atomic():
        _move(
            task,
            (Task.Status.DONE,),
            actor=actor,
            message=_("只有待确认的任务可以确认。"),
            status=Task.Status.CONFIRMED,
            confirmed_by=actor,
            confirmed_at=timezone.now(),
        )
        v = task.claimed_by
        assert v is not None
        add_hours(v, task.hours or Decimal(0), timezone.localdate())
        wish = task.kind == Task.Kind.WISH
        ledger.post(
            v,
            PointEntry.Kind.WISH if wish else PointEntry.Kind.TASK,
            ledger.rule_points(task, PointRule.Trigger.WISH if wish else PointRule.Trigger.TASK),
            (_("实现微心愿“%(t)s”") if wish else _("完成任务“%(t)s”")) % {"t": task.title},
            actor=actor,
            source_key=f"task:{task.pk}",
            task=task,
        )
    return task


def do_cancel_task(task: Task, *, actor) -> Task:
    require(task, actor, "change")
    return _move(
        task,
        (Task.Status.OPEN, Task.Status.CLAIMED),
        actor=actor,
        message=_("已完成的任务不能取消。"),
        status=Task.Status.CANCELLED,
    )


# --- posts and commitments ---------------------------------------------------------------


def do_choose_post(post: ServicePost, member: PartyMember, *, actor) -> PostHolder:
    require(post, actor, "change")
    require(member, actor, "view")
    if not post.active or not member.active:
        raise ServiceError(ErrorCode.INVALID, _("该岗位已停用，或党员不在册。"))
    if getattr(member, f"{post.region.level}_id") != post.region_id:
        raise ServiceError(ErrorCode.INVALID, _("该党员不在本岗位所属区域报到。"), field="member")
    with transaction.atomic():
        post = ServicePost.objects.select_for_update().get(pk=post.pk)
        if post.holders.filter(member=member).exists():
            raise ServiceError(ErrorCode.DUPLICATE, _("%(m)s 已在该岗位。") % {"m": member}, field="member")
        if post.holders.count() >= post.slots:
            raise ServiceError(
                ErrorCode.INVALID,
                _("“%(p)s”已满（%(n)d 人）。") % {"p": post.name, "n": post.slots},
                field="post",
            )
        holder = PostHolder.objects.create(post=post, member=member, since=timezone.localdate())
        audit.record(AuditAction.CREATE, holder, actor=actor, changes={"post": post.pk, "member": member.pk})
    return holder


def do_leave_post(holder: PostHolder, *, actor) -> None:
    require(holder.post, actor, "change")
    with transaction.atomic():
        audit.record(AuditAction.DELETE, holder, actor=actor, changes={"post": holder.post_id})
        holder.delete()


def do_save_commitment(c: Commitment, before: dict | None = None, *, actor) -> Commitment:
    if c.member_id and getattr(c.member, f"{c.region.level}_id") != c.region_id:
        raise ServiceError(ErrorCode.INVALID, _("该党员不在本区域报到。"), field="member")
    member = c.member if c.member_id else None
    if member is not None and not c.branch:
        c.branch = member.branch
    return do_save(c, before, actor=actor)


def do_commitment_progress(c: Commitment, progress: int, note: str, *, actor) -> CommitmentUpdate:
    require(c, actor, "change")
    if not 0 <= progress <= 100:
        raise ServiceError(ErrorCode.INVALID, _("完成进度须在 0 到 100 之间。"), field="progress")
    if not note.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写进展情况。"), field="note")
    before = audit.snapshot(c)
    c.progress = progress
    with transaction.atomic():
        update = CommitmentUpdate.objects.create(
            commitment=c, progress=progress, note=note.strip(), actor=actor
        )
        do_update(c, before, actor=actor)
    return update


# --- reported back to the unit -------------------------------------------------------------


@dataclass
class ServiceLine:
    member: PartyMember
    hours: Decimal = Decimal(0)
    activities: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    points: int = 0


def unit_report(members, start: dt.date, end: dt.date) -> list[ServiceLine]:
    """Each member's service in [start, end]: activity hours, confirmed tasks, points
    earned — the list the community sends back to the member's unit. Four queries."""
    members = list(members.select_related("volunteer"))
    lines = {m.volunteer_id: ServiceLine(m) for m in members}
    ids = list(lines)
    signups = SignUp.objects.filter(
        volunteer_id__in=ids,
        hours__isnull=False,
        activity__starts_at__date__gte=start,
        activity__starts_at__date__lte=end,
    ).select_related("activity")
    for s in signups.order_by("activity__starts_at"):
        line = lines[s.volunteer_id]
        line.hours += s.hours or 0
        line.activities.append(
            f"{timezone.localtime(s.activity.starts_at):%m-%d} {s.activity.title}（{s.hours}h）"
        )
    tasks = Task.objects.filter(
        claimed_by_id__in=ids,
        status=Task.Status.CONFIRMED,
        confirmed_at__date__gte=start,
        confirmed_at__date__lte=end,
    )
    for t in tasks.order_by("confirmed_at"):
        line = lines[t.claimed_by_id]  # type: ignore[index]
        line.hours += t.hours or 0
        line.tasks.append(t.title)
    earned = (
        PointEntry.objects.filter(
            volunteer_id__in=ids, created_at__date__gte=start, created_at__date__lte=end
        )
        .filter(~Q(kind__in=[PointEntry.Kind.REDEEM, PointEntry.Kind.CORRECTION]))
        .values("volunteer_id")
        .annotate(n=Sum("points"))
    )
    for row in earned:
        lines[row["volunteer_id"]].points = row["n"] or 0
    return sorted(lines.values(), key=lambda ln: (ln.member.work_unit, ln.member.volunteer.name))
