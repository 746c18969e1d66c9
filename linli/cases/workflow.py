"""The case workflow, in one place: which actions exist, from which states, who may take
them, where they lead. ``act`` is the only way a case changes state: it checks, writes
the case, a ``CaseEvent`` and an audit record in one transaction, and notifies the
people who now have work.

reported ─accept→ accepted ─dispatch→ dispatched ─handle→ handled ─verify→ closed ─rate
    └reject→ rejected   │  └escalate (community→subdistrict→district)      └rework→ back
                        └handle (community level)   dispatched ─return→ accepted
Also: extend_request / extend_approve (延期), suspend / resume (挂账), supervise (督办),
reopen, merge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import AuditAction
from linli.core.prepared import Prepared
from linli.core.roles import Role
from linli.core.scoping import user_posts

from . import facts, notify, worktime
from .models import Case, CaseEvent, HandlingLevel, Satisfaction, Status

S = Status
NEXT_LEVEL = {
    HandlingLevel.COMMUNITY: HandlingLevel.SUBDISTRICT,
    HandlingLevel.SUBDISTRICT: HandlingLevel.DISTRICT,
}
LEVEL_ROLES = {
    HandlingLevel.COMMUNITY: ({Role.COMMUNITY_STAFF}, "community_id"),
    HandlingLevel.SUBDISTRICT: ({Role.SUBDISTRICT_OPERATOR}, "subdistrict_id"),
    HandlingLevel.DISTRICT: ({Role.DISTRICT_OPERATOR}, "district_id"),
}
# the posts that run cases at some level (and so dispatch them)
DISPATCHER_ROLES = frozenset().union(*(roles for roles, _column in LEVEL_ROLES.values()))


# --- who -------------------------------------------------------------------------


def holds_level(user, case: Case, level: str) -> bool:
    """The user holds the post that runs cases at ``level`` over this case's place."""
    roles, column = LEVEL_ROLES[HandlingLevel(level)]
    return any(p.role in roles and p.region_id == getattr(case, column) for p in user_posts(user))


def is_dispatcher(user, case: Case) -> bool:
    """Whoever holds the case's current level, or any level above it."""
    order = [HandlingLevel.COMMUNITY, HandlingLevel.SUBDISTRICT, HandlingLevel.DISTRICT]
    return any(holds_level(user, case, lv) for lv in order[order.index(HandlingLevel(case.level)) :])


def is_department_handler(user, case: Case) -> bool:
    return case.department_id is not None and any(
        p.role == Role.DEPARTMENT_HANDLER and p.department_id == case.department_id for p in user_posts(user)
    )


def is_grid_worker(user, case: Case) -> bool:
    return any(p.role == Role.GRID_WORKER and p.region_id == case.grid_id for p in user_posts(user))


def is_handler(user, case: Case) -> bool:
    """Who does the work now: the department it went to, else the level that holds it
    (at community level the case's grid worker too)."""
    if case.status == S.DISPATCHED:
        return is_department_handler(user, case)
    if case.level == HandlingLevel.COMMUNITY and is_grid_worker(user, case):
        return True
    return holds_level(user, case, case.level)


def is_verifier(user, case: Case) -> bool:
    return holds_level(user, case, HandlingLevel.COMMUNITY) or is_grid_worker(user, case)


def is_reporter(user, case: Case) -> bool:
    return user is not None and case.reporter_user_id is not None and case.reporter_user_id == user.pk


def reporter_visible(user, case: Case) -> bool:
    """Complainants are not exposed: someone who reaches the case only as its department
    sees the reporter only when the reporter allowed it."""
    if case.reporter_visible or not is_department_handler(user, case):
        return True
    return any(p.role != Role.DEPARTMENT_HANDLER for p in user_posts(user))


def is_operator_above_community(user, case: Case) -> bool:
    return holds_level(user, case, HandlingLevel.SUBDISTRICT) or holds_level(
        user, case, HandlingLevel.DISTRICT
    )


def department_serves(department, case: Case) -> bool:
    """A case held by a subdistrict goes to that subdistrict's departments; one held by
    the district to the district's own departments."""
    if department.district_id != case.district_id:
        return False
    if case.level == HandlingLevel.SUBDISTRICT:
        return department.subdistrict_id == case.subdistrict_id
    return case.level == HandlingLevel.DISTRICT and department.subdistrict_id is None


# --- what ------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    label: object
    sources: tuple[str, ...]
    target: str | None  # None: the state does not change (or is worked out by ``apply``)
    who: Callable[[object, Case], bool]
    needs_note: bool = False


ACTIONS: dict[str, Action] = {
    "accept": Action(gettext_lazy("立案"), (S.REPORTED,), S.ACCEPTED, is_dispatcher),
    "reject": Action(gettext_lazy("不予受理"), (S.REPORTED,), S.REJECTED, is_dispatcher, needs_note=True),
    "dispatch": Action(gettext_lazy("派遣"), (S.ACCEPTED,), S.DISPATCHED, is_operator_above_community),
    "escalate": Action(
        gettext_lazy("上报上级"), (S.ACCEPTED,), S.ACCEPTED, lambda u, c: holds_level(u, c, c.level), True
    ),
    "send_down": Action(
        gettext_lazy("交回下级"), (S.ACCEPTED,), S.ACCEPTED, lambda u, c: holds_level(u, c, c.level), True
    ),
    "return": Action(
        gettext_lazy("退回"), (S.DISPATCHED,), S.ACCEPTED, is_department_handler, needs_note=True
    ),
    "handle": Action(
        gettext_lazy("处置完毕"), (S.ACCEPTED, S.DISPATCHED), S.HANDLED, is_handler, needs_note=True
    ),
    "verify": Action(gettext_lazy("核查通过，结案"), (S.HANDLED,), S.CLOSED, is_verifier),
    "rework": Action(gettext_lazy("核查未通过（返工）"), (S.HANDLED,), None, is_verifier, needs_note=True),
    "extend_request": Action(
        gettext_lazy("申请延期"), (S.ACCEPTED, S.DISPATCHED), None, is_handler, needs_note=True
    ),
    "extend_approve": Action(
        gettext_lazy("批准延期"), (S.ACCEPTED, S.DISPATCHED), None, is_operator_above_community
    ),
    "suspend": Action(
        gettext_lazy("挂账"), (S.ACCEPTED, S.DISPATCHED), S.SUSPENDED, is_operator_above_community, True
    ),
    "resume": Action(gettext_lazy("恢复办理"), (S.SUSPENDED,), S.ACCEPTED, is_operator_above_community),
    "supervise": Action(
        gettext_lazy("督办"), (S.ACCEPTED, S.DISPATCHED, S.HANDLED), None, is_operator_above_community, True
    ),
    "reopen": Action(gettext_lazy("重新办理"), (S.CLOSED,), S.ACCEPTED, is_dispatcher, needs_note=True),
    "rate": Action(gettext_lazy("评价"), (S.CLOSED,), None, is_reporter),
}


def allowed_actions(user, case: Case) -> list[str]:
    """The actions ``user`` may take on ``case`` now (for buttons)."""
    return [
        name
        for name, a in ACTIONS.items()
        if case.status in a.sources
        and name != "rate"
        and a.who(user, case)
        and _precondition(name, case) is None
    ]


def _precondition(name: str, case: Case):
    if name == "escalate" and case.level not in NEXT_LEVEL:
        return _("已在区级，不能再上报。")
    if name == "send_down" and case.level == HandlingLevel.COMMUNITY:
        return _("已在社区，不能再下交。")
    if name == "rate" and case.rating is not None:
        return _("该事件已评价。")
    return None


def _limit_for(case: Case, step: str) -> str:
    return getattr(case.category, f"{step}_limit") or "5d"


def _deadline(start: dt.datetime, limit: str) -> dt.datetime:
    """In UTC, as the database gives it back: the case an action answers with is the case
    a read then gives."""
    return worktime.deadline(start, limit).astimezone(dt.UTC)


def _set_due(case: Case, step: str | None, now: dt.datetime) -> None:
    case.due_at = _deadline(now, _limit_for(case, step)) if step else None
    case.warned = ""


# --- doing -----------------------------------------------------------------------

# the case under the write lock, with its category (without its region: the save in act
# writes no scope column, see ScopedModel.save); compiled once, as it runs inside the lock.
# On PostgreSQL the case's row alone, and in the mode an UPDATE of non-key columns takes:
# a plain FOR UPDATE locks the joined category too, and every action on a case of that
# category would wait for this one to commit.
_locked = Prepared(
    lambda pk: (
        Case.objects.select_for_update(of=("self",), no_key=True).select_related("category").filter(pk=pk)
    )
)


def act(case: Case, name: str, *, actor, note: str = "", department=None, rating: int | None = None,
        days: int | None = None, system: bool = False, at=None) -> Case:  # fmt: skip
    """Take action ``name`` on ``case`` as ``actor``. Raises ServiceError (nothing changed)
    when the action does not exist, is not allowed from the current state or to this user,
    or lacks what it needs. ``at``: the time a system action takes as now (the supervisor
    gives the time its cards were decided at), else the time now."""
    if at is not None and not system:
        raise ValueError("only a system action is taken at a given time")
    action = ACTIONS.get(name)
    if action is None:
        raise ServiceError(ErrorCode.INVALID, _("未知的操作。"))
    note = (note or "").strip()
    with transaction.atomic():
        found = _locked(pk=case.pk)
        if not found:
            raise Case.DoesNotExist
        case = found[0]
        if case.status not in action.sources:
            raise ServiceError(
                ErrorCode.INVALID_TRANSITION,
                _("当前状态“%(s)s”下不能%(a)s。") % {"s": case.get_status_display(), "a": action.label},
            )
        if not system and not action.who(actor, case):
            raise ServiceError(
                ErrorCode.PERMISSION_DENIED, _("您不能对该事件执行“%(a)s”。") % {"a": action.label}
            )
        problem = _precondition(name, case)
        if problem:
            raise ServiceError(ErrorCode.INVALID_TRANSITION, problem)
        if action.needs_note and not note:
            raise ServiceError(ErrorCode.INVALID, _("请填写说明。"), field="note")
        before, now = case.status, at or timezone.now()
        loaded = _values(case)
        on_time = (now <= case.due_at) if case.due_at else None
        recipients = _apply(case, name, now, note=note, department=department, rating=rating, days=days)
        if action.target is not None:
            case.status = action.target
        on_time = on_time if name in TIMED_STEPS else None
        facts.note(case, name, on_time, now)
        # only what the action changed: a full-row UPDATE rewrites the entries of every
        # index on the table and wakes every count trigger
        case.save(update_fields=[*_changed(case, loaded), "updated_at"])
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=_actor_label(actor, system),
            action=name,
            from_status=before,
            to_status=case.status,
            level=case.level,
            department=case.department,
            note=note[:500],
            on_time=on_time,
        )
        audit.record(
            AuditAction.UPDATE,
            case,
            actor=actor,
            changes={"action": name, "status": [before, case.status]},
            actor_name="system" if system else "",
        )
        notify.work_arrived(case, recipients, str(action.label))
    return case


# what a dispatcher may do to many cases at once (the rest need a look at each case)
BULK_ACTIONS = ("accept", "reject", "dispatch", "escalate", "send_down", "supervise", "verify")
BULK_MAX = 200


def check_bulk_size(n: int) -> None:
    if n == 0:
        raise ServiceError(ErrorCode.INVALID, _("请至少选择一个事件。"), field="ids")
    if n > BULK_MAX:
        raise ServiceError(ErrorCode.INVALID, _("一次最多处理 %(n)d 个事件。") % {"n": BULK_MAX}, field="ids")


def act_many(cases, name: str, *, actor, note: str = "", department=None) -> list[Case]:
    """Take one action on many cases, all or nothing: every case goes through ``act`` (its
    checks, event, audit, notifications); if any case refuses, nothing changes and the
    ServiceError lists every refusal as ``errors`` ({"case": number, "message": …})."""
    if name not in BULK_ACTIONS:
        raise ServiceError(ErrorCode.INVALID, _("该操作不能批量执行。"), field="action")
    cases = list(cases)
    check_bulk_size(len(cases))
    done, errors = [], []
    with transaction.atomic():
        for case in cases:
            try:
                done.append(act(case, name, actor=actor, note=note, department=department))
            except ServiceError as exc:
                errors.append({"case": case.number, "message": str(exc.message)})
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ServiceError(
            ErrorCode.INVALID_TRANSITION,
            _("%(n)d 个事件不能%(a)s，全部未处理。") % {"n": len(errors), "a": ACTIONS[name].label},
            errors=errors,
        )
    return done


# steps whose finishing counts for the on-time indicators
TIMED_STEPS = {"accept", "handle", "verify"}


def _values(case: Case) -> dict:
    return {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}


def _changed(case: Case, loaded: dict) -> list[str]:
    return [
        f.name
        for f in Case._meta.concrete_fields
        if not f.primary_key and getattr(case, f.attname) != loaded[f.attname]
    ]


def _actor_label(actor, system: bool) -> str:
    if system or actor is None or not getattr(actor, "is_authenticated", False):
        return _("系统")
    return actor.get_full_name() or actor.get_username()


def _apply(case: Case, name: str, now, *, note, department, rating, days) -> str:
    """The effects of an action beyond its target state; returns who gets the work
    ("level" for the level holding it, "department", "verifiers", "" for nobody)."""
    if name == "accept":
        case.level = case.category.level
        _set_due(case, "handle", now)
        return "level"
    if name == "reject":
        _set_due(case, None, now)
        case.closed_at = now
        return ""
    if name == "dispatch":
        if department is None:
            raise ServiceError(ErrorCode.INVALID, _("请选择处置部门。"), field="department")
        if not department_serves(department, case):
            raise ServiceError(ErrorCode.INVALID, _("该部门不负责此层级、此区域的事件。"), field="department")
        case.department = department
        _set_due(case, "handle", now)
        return "department"
    if name == "escalate":
        case.level = NEXT_LEVEL[HandlingLevel(case.level)]
        _set_due(case, "handle", now)
        return "level"
    if name == "send_down":
        order = [HandlingLevel.COMMUNITY, HandlingLevel.SUBDISTRICT, HandlingLevel.DISTRICT]
        case.level = order[order.index(HandlingLevel(case.level)) - 1]
        _set_due(case, "handle", now)
        return "level"
    if name == "return":
        case.department = None
        _set_due(case, "handle", now)
        return "level"
    if name == "handle":
        _set_due(case, "verify", now)
        return "verifiers"
    if name == "verify":
        case.closed_at = now
        _set_due(case, None, now)
        return "reporter"
    if name == "rework":
        case.reworks += 1
        case.status = S.DISPATCHED if case.department_id else S.ACCEPTED
        _set_due(case, "handle", now)
        return "department" if case.department_id else "level"
    if name == "extend_request":
        return "level"
    if name == "extend_approve":
        if not days or not 1 <= days <= 60:
            raise ServiceError(ErrorCode.INVALID, _("延期天数应为 1–60 个工作日。"), field="days")
        start = case.due_at or now
        case.due_at = _deadline(start, f"{days}d")
        case.warned = ""
        return "department" if case.department_id else "level"
    if name == "suspend":
        case.due_at = None
        return ""
    if name == "resume":
        case.department = None
        _set_due(case, "handle", now)
        return "level"
    if name == "supervise":
        case.warned = "red" if case.due_at and now > case.due_at else "yellow"
        if case.status == S.HANDLED:
            return "verifiers"
        return "department" if case.status == S.DISPATCHED else "level"
    if name == "reopen":
        case.closed_at = None
        case.rating = None
        _set_due(case, "handle", now)
        return "level"
    if name == "rate":
        if rating not in Satisfaction.values:
            raise ServiceError(ErrorCode.INVALID, _("请选择满意度。"), field="rating")
        case.rating = rating
        case.rating_note = note[:200]
        return ""
    raise AssertionError(name)
