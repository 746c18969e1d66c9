"""Staff pages of volunteer work: volunteers and verification, teams, activities with
sign-up, check-in and hours, the points ledger and the reward shop."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from linli.core.htmx import render_page
from linli.core.scoping import access_by_pk, can, in_scope, restrict
from linli.core.views import Crud, message_form_errors, run_service

from . import filters, ledger, services
from .forms import (
    ActivityForm,
    FinishForm,
    GrantForm,
    HoursForm,
    PickVolunteerForm,
    ReasonForm,
    RedeemForm,
    VolunteerForm,
)
from .models import Activity, PointEntry, PointRule, Reward, SignUp, Team, TeamMember, Volunteer


def _save_volunteer(obj, before=None, *, actor):
    return services.do_save_volunteer(obj, before, actor=actor, skills=getattr(obj, "_pending_skills", None))


def _volunteer_context(request, v):
    user = request.user
    rewards = restrict(Reward.objects.filter(active=True, stock__gt=0, district_id=v.district_id), user)
    return {
        "v": v,
        "teams": v.teams.select_related("team"),
        "signups": v.signups.select_related("activity").order_by("-signed_at")[:20],
        "entries": v.points.select_related("reward", "actor")[:20],
        "tasks": v.tasks.all()[:20],
        "member": getattr(v, "party_member", None),
        "can_verify": v.status == Volunteer.Status.PENDING and in_scope(v, user, "verify"),
        "can_points": v.status == Volunteer.Status.ACTIVE and in_scope(v, user, "points"),
        "grant_form": GrantForm(),
        "redeem_form": RedeemForm(rewards=rewards),
    }


VOLUNTEERS = Crud(
    Volunteer,
    [
        "name",
        "phone",
        "community",
        "resident",
        "skills",
        "talents",
        "availability",
        "consent_contact",
        "note",
    ],
    ["number", "name", "phone", "community", "status", "hours", "points_balance"],
    search=["name", "number"],
    select_related=("community",),
    filters={"status": "status", "community": "community_id", "skill": "skills", "team": "teams__team"},
    filter_function=filters.VOLUNTEERS,
    form_class=VolunteerForm,
    create_service=_save_volunteer,
    update_service=_save_volunteer,
    detail_template="volunteers/volunteer_detail.html",
    detail_context=_volunteer_context,
    list_actions=(
        (_("待审核"), "volunteers:pending"),
        (_("积分排行"), "volunteers:leaderboard"),
        (_("统计"), "volunteers:stats"),
    ),
    detail_links=((_("服务证明"), "volunteers:certificate"),),
)


def _team_context(request, team):
    members = team.members.select_related("volunteer").order_by("role", "-volunteer__points_earned")
    return {
        "members": members,
        "groups": team.groups.all(),
        "activities": team.activities.all()[:10],
        "can_change": can(request.user, Team, "change") and in_scope(team, request.user, "change"),
        "member_form": PickVolunteerForm(user=request.user, with_role=True),
    }


TEAMS = Crud(
    Team,
    ["region", "parent", "name", "category", "description", "founded_on"],
    ["name", "category", "region", "parent", "founded_on"],
    search=["name"],
    select_related=("region", "parent"),
    filters={"category": "category", "region": "region_id"},
    create_service=services.do_save_team,
    update_service=services.do_save_team,
    detail_template="volunteers/team_detail.html",
    detail_context=_team_context,
)


def _activity_context(request, a):
    signups = a.signups.select_related("volunteer").exclude(status=SignUp.Status.CANCELLED)
    editable = in_scope(a, request.user, "change")
    return {
        "signed": [s for s in signups if s.status == SignUp.Status.SIGNED],
        "waiting": sorted(
            (s for s in signups if s.status == SignUp.Status.WAITING), key=lambda s: (s.signed_at, s.pk)
        ),
        "editable": editable,
        "started": a.starts_at <= timezone.now(),
        "signup_form": PickVolunteerForm(user=request.user),
        "hours_form": HoursForm(),
        "finish_form": FinishForm(),
        "photos": a.photos.all(),
    }


ACTIVITIES = Crud(
    Activity,
    ["region", "team", "title", "kind", "description", "place", "starts_at", "ends_at", "capacity"],
    ["title", "kind", "region", "starts_at", "place", "capacity", "status"],
    search=["title", "place"],
    select_related=("region",),
    filters={"status": "status", "kind": "kind", "team": "team_id", "region": "region_id"},
    filter_function=filters.ACTIVITIES,
    form_class=ActivityForm,
    create_service=services.do_save_activity,
    update_service=services.do_save_activity,
    detail_template="volunteers/activity_detail.html",
    detail_context=_activity_context,
    exclude_from_detail=("description",),
)

REWARDS = Crud(
    Reward,
    ["region", "name", "points", "stock", "description", "active"],
    ["name", "points", "stock", "region", "active"],
    search=["name"],
    select_related=("region",),
    filters={"region": "region_id"},
)

POINT_RULES = Crud(
    PointRule,
    ["region", "trigger", "activity_kind", "points"],
    ["region", "trigger", "activity_kind", "points"],
    select_related=("region",),
)

POINT_ENTRIES = Crud(
    PointEntry,
    [],
    ["created_at", "volunteer", "kind", "points", "balance_after", "reason", "actor"],
    search=["volunteer__name", "volunteer__number", "reason"],
    select_related=("volunteer", "actor"),
    filters={"volunteer": "volunteer_id", "kind": "kind"},
    filter_function=filters.ENTRIES,
    detail_template="volunteers/pointentry_detail.html",
    detail_context=lambda request, e: {
        "correction": PointEntry.objects.filter(corrects=e).first(),
        "can_correct": e.kind != PointEntry.Kind.CORRECTION and in_scope(e.volunteer, request.user, "points"),
        "reason_form": ReasonForm(),
    },
)


# --- volunteers ------------------------------------------------------------------------


@login_required
def pending(request):
    qs = restrict(Volunteer.objects.filter(status=Volunteer.Status.PENDING), request.user, "verify")
    rows = qs.select_related("community").prefetch_related("skills")[:200]
    return render_page(request, "volunteers/pending.html", {"rows": rows})


@login_required
@require_POST
def verify(request, pk):
    v = access_by_pk(Volunteer, request.user, pk, "verify")
    approve = request.POST.get("approve") == "1"
    note = request.POST.get("note", "")
    run_service(
        request,
        lambda: services.do_verify(v, actor=request.user, approve=approve, note=note),
        _("已通过审核。") if approve else _("已退回申请。"),
    )
    return redirect(request.POST.get("next") or VOLUNTEERS.url("detail", pk))


@login_required
@require_POST
def grant(request, pk):
    v = access_by_pk(Volunteer, request.user, pk, "points")
    form = GrantForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        run_service(
            request,
            lambda: ledger.do_grant(v, d["points"], d["reason"], actor=request.user),
            _("积分已记入。"),
        )
    else:
        message_form_errors(request, form)
    return redirect(VOLUNTEERS.url("detail", pk))


@login_required
@require_POST
def redeem(request, pk):
    v = access_by_pk(Volunteer, request.user, pk, "points")
    form = RedeemForm(request.POST, rewards=restrict(Reward.objects.all(), request.user))
    if form.is_valid():
        d = form.cleaned_data
        run_service(
            request,
            lambda: ledger.do_redeem(v, d["reward"], d["quantity"], actor=request.user),
            _("兑换成功。"),
        )
    else:
        message_form_errors(request, form)
    return redirect(VOLUNTEERS.url("detail", pk))


@login_required
@require_POST
def correct(request, pk):
    entry = access_by_pk(PointEntry.objects.select_related("volunteer"), request.user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: ledger.do_correct(entry, form.cleaned_data["reason"], actor=request.user),
            _("已冲正。"),
        )
    else:
        message_form_errors(request, form)
    return redirect(POINT_ENTRIES.url("detail", pk))


# --- teams ------------------------------------------------------------------------------


@login_required
@require_POST
def member_add(request, pk):
    team = access_by_pk(Team, request.user, pk, "change")
    form = PickVolunteerForm(request.POST, user=request.user, with_role=True)
    if form.is_valid():
        d = form.cleaned_data
        run_service(
            request,
            lambda: services.do_add_member(team, d["volunteer"], actor=request.user, role=d["role"]),
            _("已加入队伍。"),
        )
    else:
        message_form_errors(request, form)
    return redirect(TEAMS.url("detail", pk))


@login_required
@require_POST
def member_remove(request, pk):
    member = TeamMember.objects.select_related("team").filter(pk=pk).first()
    if member is None or not in_scope(member.team, request.user, "change"):
        raise Http404
    run_service(request, lambda: services.do_remove_member(member, actor=request.user), _("已移出队伍。"))
    return redirect(TEAMS.url("detail", member.team_id))


# --- activities ---------------------------------------------------------------------------


ACTIVITY_ACTIONS = {
    "publish": (services.do_publish, _("活动已发布，居民可以报名。")),
    "cancel": (services.do_cancel_activity, _("活动已取消。")),
}


@login_required
@require_POST
def activity_action(request, pk, action):
    a = access_by_pk(Activity, request.user, pk, "change")
    if action == "finish":
        form = FinishForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            run_service(
                request,
                lambda: services.do_finish_activity(a, d["summary"], actor=request.user, photos=d["photos"]),
                _("活动已结束。"),
            )
        else:
            message_form_errors(request, form)
    elif action in ACTIVITY_ACTIONS:
        fn, ok = ACTIVITY_ACTIONS[action]
        run_service(request, lambda: fn(a, actor=request.user), ok)
    else:
        raise Http404
    return redirect(ACTIVITIES.url("detail", pk))


@login_required
@require_POST
def signup_add(request, pk):
    a = access_by_pk(Activity, request.user, pk, "change")
    form = PickVolunteerForm(request.POST, user=request.user)
    if form.is_valid():
        signup = run_service(
            request,
            lambda: services.do_sign_up(a, form.cleaned_data["volunteer"], actor=request.user),
            _("已报名。"),
        )
        if signup is not None and signup.status == SignUp.Status.WAITING:
            messages.info(request, _("名额已满，已列入候补名单。"))
    else:
        message_form_errors(request, form)
    return redirect(ACTIVITIES.url("detail", pk))


def _signup(request, pk) -> SignUp:
    signup = SignUp.objects.select_related("activity", "volunteer").filter(pk=pk).first()
    if signup is None or not in_scope(signup.activity, request.user, "change"):
        raise Http404
    return signup


@login_required
@require_POST
def signup_action(request, pk, action):
    signup = _signup(request, pk)
    user = request.user
    if action == "hours":
        form = HoursForm(request.POST)
        if not form.is_valid():
            message_form_errors(request, form)
            return redirect(ACTIVITIES.url("detail", signup.activity_id))
        hours = form.cleaned_data["hours"]
        run_service(
            request, lambda: services.do_record_hours(signup, hours, actor=user), _("服务时长已记录。")
        )
    elif action == "checkin":
        run_service(request, lambda: services.do_check_in(signup, actor=user), _("已签到。"))
    elif action == "checkout":
        run_service(request, lambda: services.do_check_out(signup, actor=user), _("已签退，服务时长已记录。"))
    elif action == "cancel":
        run_service(request, lambda: services.do_cancel_signup(signup, actor=user), _("已取消报名。"))
    else:
        raise Http404
    return redirect(ACTIVITIES.url("detail", signup.activity_id))
