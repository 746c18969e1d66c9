"""Grid work pages for the worker on a phone: the due-list landing page, recording a
visit, the diary, a finding turned into a case; and the leaders' quota and coverage pages."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from linli.cases.models import Case
from linli.core.errors import ServiceError
from linli.core.filters import list_filter
from linli.core.forms import add_service_error
from linli.core.htmx import render_page
from linli.core.listing import BoundedPaginator
from linli.core.models import region_q
from linli.core.roles import Level, Role
from linli.core.scoping import access_by_pk, can, restrict, user_posts
from linli.core.views import Crud, message_form_errors
from linli.regions.geo import grid_features
from linli.regions.models import Region

from . import care, services
from .forms import ToCaseForm, VisitEditForm, VisitForm
from .models import DutyShift, Visit
from .services import RegistryUpdate

DUE_ON_HOME = 30
MAP_GRIDS = 500


visit_filters = list_filter(
    {"from": "visited_at__date__gte", "to": "visited_at__date__lte"}, region_param="region"
)

VISITS = Crud(
    Visit,
    ["met", "findings", "needs", "place"],
    ["visited_at", "kind", "household", "resident", "grid_region", "worker", "findings"],
    search=["findings", "needs", "met", "place"],
    select_related=(
        "household__housing_unit__building__compound",
        "household__head",
        "resident",
        "grid_region",
        "worker",
    ),
    filters={"kind": "kind", "grid": "grid_id", "worker": "worker_id", "household": "household_id"},
    filter_function=visit_filters,
    form_class=VisitEditForm,
    detail_template="visits/visit_detail.html",
    detail_context=lambda request, obj: {
        "photos": obj.photos.all(),
        "to_case": ToCaseForm() if not obj.case_id and can(request.user, Case, "add") else None,
    },
    add_url_name="visits:new",
)


@login_required
def home(request):
    """The worker's landing page: this month's quota, who is due for a visit, today's
    home services and duty."""
    user, today = request.user, timezone.localdate()
    if not can(user, Visit, "view"):
        raise Http404
    area = care.user_area(user)
    due = care.due_items(area, today=today, labels=DUE_ON_HOME)
    mine = care.progress(user, today, only_self=True)
    services_today = list(care.services_due(user, today))
    duty = (
        DutyShift.objects.filter(worker=user, day__gte=today)
        .select_related("region")
        .order_by("day", "start")[:5]
    )
    ctx = {
        "today": today,
        "due": due[:DUE_ON_HOME],
        "due_total": len(due),
        "overdue": sum(1 for i in due if i.due_on < today),
        "mine": mine,
        "services_today": services_today,
        "duty": duty,
        "is_leader": any(p.role != Role.GRID_WORKER for p in user_posts(user)),
    }
    return render_page(request, "visits/home.html", ctx)


@login_required
def visit_new(request):
    user = request.user
    if not can(user, Visit, "add"):
        raise Http404
    initial = {"form_token": uuid.uuid4().hex}
    for key in ("household", "resident", "kind"):
        if request.GET.get(key):
            initial[key] = request.GET[key]
    form = VisitForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        visit = form.save(commit=False)
        visit.token = f"form:{user.pk}:{d['form_token']}"
        try:
            visit, _created = services.do_record_visit(
                visit,
                actor=user,
                photos=d["photos"],
                registry=RegistryUpdate(d["new_phone"], d["moved_out_on"], d["moved_out_reason"]),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("走访已记录。"))
            return redirect("visits:visit_detail", visit.pk)
    grids = restrict(Region.objects.filter(level=Level.GRID), user)
    return render_page(request, "visits/new.html", {"form": form, "grids": grid_features(grids, MAP_GRIDS)})


@login_required
@require_POST
def visit_to_case(request, pk):
    visit = access_by_pk(Visit.objects.select_related("household__housing_unit", "case"), request.user, pk)
    if not can(request.user, Case, "add"):
        raise Http404
    form = ToCaseForm(request.POST)
    if not form.is_valid():
        message_form_errors(request, form)
        return redirect("visits:visit_detail", pk)
    try:
        case = services.do_visit_to_case(
            visit,
            actor=request.user,
            category=form.cleaned_data["category"],
            description=form.cleaned_data["description"],
        )
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return redirect("visits:visit_detail", pk)
    messages.success(request, _("已转为事件 %(n)s。") % {"n": case.number})
    return redirect("cases:detail", case.pk)


@login_required
def progress_page(request):
    """Quota progress this month (or ``month=YYYY-MM``) for everyone below the user (in
    ``region``'s subtree when given)."""
    user = request.user
    if not can(user, Visit, "view"):
        raise Http404
    try:
        day = care.month_start(request.GET.get("month"))
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        day = care.month_start(None)
    region = request.GET.get("region", "")
    rows = care.progress(user, day, area=region_q(region) if region else None)
    chart = {
        "names": [str(r.user) for r in rows],
        "done": [r.households for r in rows],
        "quota": [r.quota for r in rows],
    }
    return render_page(
        request,
        "visits/progress.html",
        {"rows": rows, "month": day.strftime("%Y-%m"), "chart": chart, "region": region},
    )


def _days(request) -> int:
    """The coverage window: ``days`` 1–366, 30 otherwise."""
    days = request.GET.get("days", "")
    return int(days) if days.isdigit() and 1 <= int(days) <= 366 else 30


@login_required
def coverage_page(request):
    user = request.user
    if not can(user, Visit, "view"):
        raise Http404
    days = _days(request)
    area = region_q(request.GET["region"]) if request.GET.get("region") else Q()
    rows = care.coverage(user, days=days, area=area)
    totals = {
        "households": sum(r.households for r in rows),
        "visited": sum(r.visited for r in rows),
        "care_due": sum(r.care_due for r in rows),
        "care_overdue": sum(r.care_overdue for r in rows),
    }
    chart = {"names": [r.grid.name for r in rows], "percent": [r.percent for r in rows]}
    ctx = {
        "rows": rows,
        "days": days,
        "totals": totals,
        "chart": chart,
        "region": request.GET.get("region", ""),
    }
    return render_page(request, "visits/coverage.html", ctx)


@login_required
def coverage_grid(request, code):
    """One grid: households not visited in N days, and everyone the care rules say is due."""
    grid = access_by_pk(Region.objects.filter(level=Level.GRID), request.user, code)
    days = _days(request)
    area = Q(grid_id=grid.code)
    page = BoundedPaginator(care.not_visited(request.user, days=days, area=area), 50).get_page(
        request.GET.get("page")
    )
    due = care.due_items(care.user_area(request.user) & area, window=0)  # one grid: labels for all
    ctx = {"grid": grid, "days": days, "page": page, "due": due, "today": timezone.localdate()}
    return render_page(request, "visits/coverage_grid.html", ctx)
