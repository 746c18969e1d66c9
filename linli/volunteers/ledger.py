"""The points ledger (积分制): rules, credits, grants, redemptions and corrections.

The balance lives on the volunteer's row and changes only through ``post``, by a
conditional UPDATE (``balance = balance + n WHERE balance + n >= 0``) in the transaction
that appends the ledger line: two redemptions at the same moment are serialised by the
database on that row, and the second one sees the first one's balance. Stock is taken
the same way. The database refuses UPDATE and DELETE on ledger lines (migration 0002);
a correction is a new line that reverses the one it corrects.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import SCOPE_FIELDS, AuditAction
from linli.core.scoping import require

from .models import PointEntry, PointRule, Reward, Volunteer

MAX_GRANT = 1000
# points where no rule is set (a common practice: 10 points an hour, 20 a task or wish)
DEFAULT_POINTS = {
    PointRule.Trigger.HOUR: 10,
    PointRule.Trigger.ACTIVITY: 0,
    PointRule.Trigger.TASK: 20,
    PointRule.Trigger.WISH: 20,
}
EARNING = {
    PointEntry.Kind.HOURS,
    PointEntry.Kind.ACTIVITY,
    PointEntry.Kind.TASK,
    PointEntry.Kind.WISH,
    PointEntry.Kind.GRANT,
}


class InsufficientPoints(ServiceError):
    def __init__(self, balance: int, needed: int):
        super().__init__(
            "insufficient_points",
            _("积分不足：当前余额 %(b)d 分，需要 %(n)d 分。") % {"b": balance, "n": needed},
            field="points",
        )


def rule_points(record, trigger: str, activity_kind: str = "") -> int:
    """The points of the nearest rule above ``record`` (anything with scope columns): the
    most specific region wins, and within it a rule for the activity's kind beats one for
    all kinds."""
    codes = [getattr(record, f"{name}_id") for name in SCOPE_FIELDS]
    codes = [c for c in codes if c]
    rules = PointRule.objects.filter(
        region_id__in=codes, trigger=trigger, activity_kind__in=["", activity_kind]
    )
    best = max(rules, key=lambda r: (len(r.region_id), bool(r.activity_kind)), default=None)
    return best.points if best else DEFAULT_POINTS[PointRule.Trigger(trigger)]


def post(
    volunteer: Volunteer,
    kind: str,
    points: int,
    reason: str,
    *,
    actor,
    source_key: str | None = None,
    **refs,
) -> PointEntry | None:
    """Append one line and move the balance, atomically; None when ``points`` is 0.

    Refuses (nothing changed) a line that would take the balance below zero, and a second
    credit for the same ``source_key``.
    """
    if points == 0:
        return None
    if source_key and PointEntry.objects.filter(source_key=source_key).exists():
        raise ServiceError(ErrorCode.DUPLICATE, _("该项积分已经记过。"))
    change = {"points_balance": F("points_balance") + points}
    if kind in EARNING and points > 0:
        change["points_earned"] = F("points_earned") + points
    try:
        with transaction.atomic():
            moved = Volunteer.objects.filter(pk=volunteer.pk, points_balance__gte=-points).update(**change)
            if not moved:
                balance = Volunteer.objects.values_list("points_balance", flat=True).get(pk=volunteer.pk)
                raise InsufficientPoints(balance, -points)
            fresh = Volunteer.objects.only("points_balance", *(f"{n}_id" for n in SCOPE_FIELDS)).get(
                pk=volunteer.pk
            )
            entry = PointEntry(
                volunteer=fresh,
                kind=kind,
                points=points,
                balance_after=fresh.points_balance,
                reason=reason[:200],
                source_key=source_key,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                **refs,
            )
            entry.save()
            audit.record(
                AuditAction.CREATE,
                entry,
                actor=actor,
                changes={
                    "volunteer": volunteer.pk,
                    "kind": kind,
                    "points": points,
                    "balance": entry.balance_after,
                },
            )
    except IntegrityError as exc:  # the same source credited by a concurrent request
        raise ServiceError(ErrorCode.DUPLICATE, _("该项积分已经记过。")) from exc
    volunteer.points_balance = entry.balance_after
    return entry


def do_grant(volunteer: Volunteer, points: int, reason: str, *, actor) -> PointEntry:
    """A staff grant with its reason (奖励积分)."""
    require(volunteer, actor, "points")
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise ServiceError(ErrorCode.INVALID, _("只能给已注册的志愿者记积分。"))
    if not 1 <= points <= MAX_GRANT:
        raise ServiceError(
            ErrorCode.INVALID, _("奖励积分须在 1 到 %(n)d 分之间。") % {"n": MAX_GRANT}, field="points"
        )
    if not reason.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写奖励事由。"), field="reason")
    entry = post(volunteer, PointEntry.Kind.GRANT, points, reason.strip(), actor=actor)
    assert entry is not None
    return entry


def do_redeem(volunteer: Volunteer, reward: Reward, quantity: int, *, actor) -> PointEntry:
    """Spend points at the reward shop: the stock and the balance both move or neither."""
    require(volunteer, actor, "points")
    require(reward, actor, "view")
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise ServiceError(ErrorCode.INVALID, _("只有已注册的志愿者可以兑换。"))
    if not reward.active:
        raise ServiceError(ErrorCode.INVALID, _("该物品已下架。"), field="reward")
    if not 1 <= quantity <= 100:
        raise ServiceError(ErrorCode.INVALID, _("兑换数量须在 1 到 100 之间。"), field="quantity")
    if reward.district_id != volunteer.district_id:
        raise ServiceError(ErrorCode.INVALID, _("只能兑换本区的爱心超市物品。"), field="reward")
    cost = reward.points * quantity
    with transaction.atomic():
        taken = Reward.objects.filter(pk=reward.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
        if not taken:
            stock = Reward.objects.values_list("stock", flat=True).get(pk=reward.pk)
            raise ServiceError(
                "out_of_stock",
                _("库存不足：“%(r)s”还剩 %(s)d 件。") % {"r": reward.name, "s": stock},
                field="quantity",
            )
        entry = post(
            volunteer,
            PointEntry.Kind.REDEEM,
            -cost,
            _("兑换 %(r)s × %(q)d") % {"r": reward.name, "q": quantity},
            actor=actor,
            reward=reward,
            quantity=quantity,
        )
    assert entry is not None
    reward.refresh_from_db(fields=["stock"])
    return entry


def do_correct(entry: PointEntry, reason: str, *, actor) -> PointEntry:
    """Reverse a ledger line with a new one (a redemption's item goes back into stock)."""
    require(entry.volunteer, actor, "points")
    if not reason.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写更正原因。"), field="reason")
    if entry.kind == PointEntry.Kind.CORRECTION:
        raise ServiceError(ErrorCode.INVALID, _("更正记录不能再更正，如有错误请另行奖励或更正原记录。"))
    if PointEntry.objects.filter(corrects=entry).exists():
        raise ServiceError(ErrorCode.DUPLICATE, _("该记录已经更正过。"))
    with transaction.atomic():
        if entry.kind == PointEntry.Kind.REDEEM and entry.reward_id and entry.quantity:
            Reward.objects.filter(pk=entry.reward_id).update(stock=F("stock") + entry.quantity)
        try:
            correction = post(
                entry.volunteer,
                PointEntry.Kind.CORRECTION,
                -entry.points,
                _("更正：%(r)s（%(why)s）") % {"r": entry.reason, "why": reason.strip()},
                actor=actor,
                corrects=entry,
            )
        except ServiceError as exc:
            if exc.code == ErrorCode.DUPLICATE:
                raise ServiceError(ErrorCode.DUPLICATE, _("该记录已经更正过。")) from exc
            raise
    assert correction is not None
    return correction
