"""Staff pages for party members in the community: reporting (报到), tasks and small wishes,
public-service posts, commitments, and the service list sent back to the units."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from linli.core import audit
from linli.core.dates import period
from linli.core.errors import ServiceError
from linli.core.forms import add_service_error
from linli.core.htmx import render_page
from linli.core.models import AuditAction
from linli.core.scoping import access_by_pk, can, in_scope, restrict
from linli.core.tabular import table_response
from linli.core.views import Crud, message_form_errors, run_service

from . import filters, party
from .forms import PartyReportForm, PickVolunteerForm, ProgressForm, TaskDoneForm
from .models import Commitment, PartyMember, PostHolder, ServicePost, Task

PARTY_MEMBERS = Crud(
    PartyMember,
    ["kind", "work_unit", "branch", "unit_contact", "unit_phone", "reported_on", "active"],
    ["volunteer", "kind", "work_unit", "branch", "reported_on", "active"],
    search=["volunteer__name", "work_unit", "branch"],
    select_related=("volunteer",),
    filters={"kind": "kind", "unit": "work_unit", "active": "active"},
    filter_function=filters.AREA,
    create_service=party.do_save_member,
    update_service=party.do_save_member,
    add_url_name="volunteers:party_report",
    list_actions=((gettext_lazy("向单位反馈服务情况"), "volunteers:unit_report"),),
    detail_template="volunteers/partymember_detail.html",
    detail_context=lambda request, m: {
        "posts": m.posts.select_related("post"),
        "commitments": m.commitments.all(),
        "tasks": m.volunteer.tasks.all()[:20],
    },
)


def _task_context(request, task):
    return {
        "can_change": in_scope(task, request.user, "change"),
        "can_confirm": in_scope(task, request.user, "confirm"),
        "claim_form": PickVolunteerForm(user=request.user),
        "done_form": TaskDoneForm(),
    }


TASKS = Crud(
    Task,
    ["region", "kind", "title", "description", "resident", "party_only", "deadline"],
    ["title", "kind", "region", "status", "claimed_by", "deadline"],
    search=["title"],
    select_related=("region", "claimed_by"),
    filters={"kind": "kind", "status": "status", "region": "region_id"},
    filter_function=filters.TASKS,
    create_service=party.do_save_task,
    update_service=party.do_save_task,
    detail_template="volunteers/task_detail.html",
    detail_context=_task_context,
)


def _post_context(request, post):
    holders = post.holders.select_related("member__volunteer")
    members = restrict(PartyMember.objects.filter(active=True), request.user).filter(
        **{f"{post.region.level}_id": post.region_id}
    )
    return {
        "holders": holders,
        "members": members.select_related("volunteer").exclude(pk__in=[h.member_id for h in holders])[:300],
        "can_change": in_scope(post, request.user, "change"),
    }


SERVICE_POSTS = Crud(
    ServicePost,
    ["region", "name", "duties", "slots", "active"],
    ["name", "region", "slots", "active"],
    search=["name"],
    select_related=("region",),
    detail_template="volunteers/servicepost_detail.html",
    detail_context=_post_context,
)

COMMITMENTS = Crud(
    Commitment,
    ["region", "branch", "member", "content", "due_date", "public"],
    ["branch", "member", "content", "due_date", "progress", "public"],
    search=["branch", "content", "member__volunteer__name"],
    select_related=("region", "member__volunteer"),
    create_service=party.do_save_commitment,
    update_service=party.do_save_commitment,
    detail_template="volunteers/commitment_detail.html",
    detail_context=lambda request, c: {
        "updates": c.updates.select_related("actor"),
        "can_change": in_scope(c, request.user, "change"),
        "progress_form": ProgressForm(initial={"progress": c.progress}),
    },
)


@login_required
def party_report(request):
    """报到: the person and their party details in one form."""
    if not can(request.user, PartyMember, "add"):
        raise Http404
    form = PartyReportForm(
        request.POST or None, user=request.user, initial={"reported_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            member = party.do_report(
                form.save(commit=False),
                name=d["name"],
                phone=d["phone"],
                community=d["community"],
                actor=request.user,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已报到。"))
            return redirect(PARTY_MEMBERS.url("detail", member.pk))
    return render_page(request, "volunteers/party_report.html", {"form": form})


TASK_ACTIONS = ("claim", "complete", "confirm", "return", "cancel")


@login_required
@require_POST
def task_action(request, pk, action):
    if action not in TASK_ACTIONS:
        raise Http404
    task = access_by_pk(Task.objects.select_related("region", "claimed_by"), request.user, pk)
    user = request.user
    if action == "claim":
        form = PickVolunteerForm(request.POST, user=user)
        if form.is_valid():
            volunteer = form.cleaned_data["volunteer"]
            run_service(request, lambda: party.do_claim(task, volunteer, actor=user), _("已认领。"))
        else:
            message_form_errors(request, form)
    elif action == "complete":
        done = TaskDoneForm(request.POST)
        if done.is_valid():
            d = done.cleaned_data
            run_service(
                request,
                lambda: party.do_complete(task, task.claimed_by, d["note"], d["hours"], actor=user),
                _("已报告完成，待确认。"),
            )
        else:
            message_form_errors(request, done)
    elif action in ("confirm", "return"):
        approve, note = action == "confirm", request.POST.get("note", "")
        ok = _("已确认，积分已记入。") if approve else _("已退回认领人。")
        run_service(request, lambda: party.do_confirm(task, actor=user, approve=approve, note=note), ok)
    else:
        run_service(request, lambda: party.do_cancel_task(task, actor=user), _("已取消。"))
    return redirect(TASKS.url("detail", pk))


@login_required
@require_POST
def post_choose(request, pk):
    post = access_by_pk(ServicePost.objects.select_related("region"), request.user, pk, "change")
    member = access_by_pk(PartyMember, request.user, request.POST.get("member"))
    run_service(request, lambda: party.do_choose_post(post, member, actor=request.user), _("已上岗。"))
    return redirect(SERVICE_POSTS.url("detail", pk))


@login_required
@require_POST
def post_leave(request, pk):
    holder = PostHolder.objects.select_related("post").filter(pk=pk).first()
    if holder is None or not in_scope(holder.post, request.user, "change"):
        raise Http404
    run_service(request, lambda: party.do_leave_post(holder, actor=request.user), _("已离岗。"))
    return redirect(SERVICE_POSTS.url("detail", holder.post_id))


@login_required
@require_POST
def commitment_progress(request, pk):
    c = access_by_pk(Commitment, request.user, pk, "change")
    form = ProgressForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        run_service(
            request,
            lambda: party.do_commitment_progress(c, d["progress"], d["note"], actor=request.user),
            _("进展已记录。"),
        )
    else:
        message_form_errors(request, form)
    return redirect(COMMITMENTS.url("detail", pk))


@login_required
def unit_report(request):
    """The members' service in a period, by unit, to send back to the units (print / xlsx)."""
    if not can(request.user, PartyMember, "view"):
        raise Http404
    _name, start, end = period(request.GET)
    unit = request.GET.get("unit", "").strip()
    members = restrict(PartyMember.objects.filter(active=True), request.user)
    if unit:
        members = members.filter(work_unit=unit)
    lines = party.unit_report(members, start, end)
    if request.GET.get("export") == "xlsx":
        headers = [
            _("工作单位"),
            _("姓名"),
            _("所在党支部"),
            _("服务时长"),
            _("参加活动"),
            _("完成任务"),
            _("获得积分"),
        ]
        rows = [
            [ln.member.work_unit, ln.member.volunteer.name, ln.member.branch, float(ln.hours),
             "；".join(ln.activities), "；".join(ln.tasks), ln.points]
            for ln in lines
        ]  # fmt: skip
        audit.record(
            AuditAction.EXPORT,
            actor=request.user,
            object_type="volunteers.partymember",
            object_repr=_("导出在职党员服务情况"),
            changes={"rows": len(rows), "format": "xlsx", "query": request.GET.urlencode()},
        )
        return table_response(headers, rows, "xlsx", _("在职党员到社区服务情况"))
    units = restrict(PartyMember.objects.filter(active=True), request.user).values_list(
        "work_unit", flat=True
    )
    ctx = {"lines": lines, "start": start, "end": end, "unit": unit, "units": sorted(set(units) - {""})}
    return render_page(request, "volunteers/unit_report.html", ctx)
