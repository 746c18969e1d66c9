"""Case pages: intake, my to-do list, the list with filters, a case with its timeline and
the actions this person may take, the inbox."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from linli.accounts.models import Department
from linli.core.clusters import parse_view
from linli.core.errors import ServiceError
from linli.core.forms import add_service_error, style_widgets
from linli.core.htmx import render_page
from linli.core.listing import BoundedPaginator
from linli.core.roles import Level
from linli.core.scoping import access_by_pk, can, restrict, user_posts
from linli.regions.geo import grid_features
from linli.regions.models import Region

from . import indicators, queries, workflow
from .mapping import case_features
from .models import Case, Category, Channel, HandlingLevel, Notification, Status
from .photos import CONTENT_TYPES, PhotosField, save_photos
from .queries import bulk_selection, case_filters, indicator_filters
from .services import Intake, likely_duplicates, merge, report_case

PAGE = 50
MAP_GRIDS = 500
EVENT_LABELS = {"report": _("上报"), "merge": _("合并"), **{k: a.label for k, a in workflow.ACTIONS.items()}}


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("来源"), choices=[c for c in Channel.choices if c[0] not in (Channel.PUBLIC, Channel.API)]
    )
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=Category.objects.filter(parent__isnull=False, active=True).select_related("parent"),
    )
    description = forms.CharField(label=_("描述"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(label=_("经度"), required=False, widget=forms.HiddenInput)
    reporter_name = forms.CharField(label=_("反映人"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("反映人电话"), max_length=20, required=False)
    reporter_visible = forms.BooleanField(label=_("允许处置部门看到反映人"), required=False)
    photos = PhotosField(label=_("照片"))
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


@login_required
def case_new(request):
    if not can(request.user, Case, "add"):
        raise Http404
    form = IntakeForm(
        request.POST or None,
        request.FILES or None,
        initial={"form_token": uuid.uuid4().hex, "channel": Channel.GRID},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case, created = report_case(
                Intake(
                    channel=d["channel"],
                    category=d["category"],
                    description=d["description"],
                    lat=d["lat"],
                    lng=d["lng"],
                    address=d["address"],
                    reporter_name=d["reporter_name"],
                    reporter_phone=d["reporter_phone"],
                    reporter_visible=d["reporter_visible"],
                    idempotency_key=f"form:{request.user.pk}:{d['form_token']}",
                ),
                actor=request.user,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            if created:
                save_photos(case, d["photos"])
                messages.success(request, _("已上报，编号 %(n)s。") % {"n": case.number})
            return redirect("cases:detail", case.pk)
    grids = restrict(Region.objects.filter(level=Level.GRID), request.user)
    return render_page(request, "cases/new.html", {"form": form, "grids": grid_features(grids, MAP_GRIDS)})


# what a row of cases/_table.html shows
TABLE_COLUMNS = (
    "number", "status", "level", "warned", "due_at", "created_at", "category__name", "department__name",
)  # fmt: skip


def _list(request, qs, title: str, template_name: str = "cases/list.html"):
    qs = case_filters(restrict(qs, request.user).select_related("category", "department"), request.GET)
    qs = qs.only(*TABLE_COLUMNS)  # not a description of 5,000 characters nor the reporter's phone
    page = BoundedPaginator(qs, PAGE).get_page(request.GET.get("page"))
    # labels translated once per page (get_FOO_display rebuilds its choices on every call)
    statuses, levels = {k: str(v) for k, v in Status.choices}, {k: str(v) for k, v in HandlingLevel.choices}
    for c in page.object_list:
        c.status_label, c.level_label = statuses[c.status], levels[c.level]
    context = {
        **_list_context(request),
        **_bulk_context(request.user),
        "page": page,
        "title": title,
        "now": timezone.now(),
    }
    return render_page(request, template_name, context, partial="cases/_table.html")


@login_required
def case_list(request):
    if not can(request.user, Case, "view"):
        raise Http404
    return _list(request, Case.objects.all(), str(_("事件列表")))


@login_required
def todo(request):
    return _list(request, queries.todo(Case.objects.all(), request.user), str(_("我的待办")))


def _list_context(request) -> dict:
    return {
        "statuses": Status.choices,
        "levels": HandlingLevel.choices,
        "categories": Category.objects.filter(parent__isnull=True),
        "f": request.GET,
    }


def _bulk_context(user) -> dict:
    """The bulk-action bar for those who dispatch cases (community staff and operators)."""
    posts = [p for p in user_posts(user) if p.role in workflow.DISPATCHER_ROLES]
    if not posts:
        return {}
    q = Q(pk__in=[])
    for p in posts:
        q |= Department.visible_to_region_q(p.region)
    departments = Department.objects.filter(q).select_related("region")
    return {
        "bulk_actions": [(name, workflow.ACTIONS[name].label) for name in workflow.BULK_ACTIONS],
        "bulk_departments": departments,
    }


@login_required
@require_POST
def case_bulk(request):
    """One action on the selected cases, all or nothing; back to the list it came from."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("cases:list")
    form = ActionForm(request.POST)
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    if not form.is_valid():
        messages.error(request, _("请求无效。"))
        return redirect(back)
    d = form.cleaned_data
    try:
        cases = bulk_selection(request.user, ids)
        done = workflow.act_many(
            cases, d["action"], actor=request.user, note=d["note"], department=d["department"]
        )
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        for e in exc.errors[:20]:
            messages.error(request, f"{e['case']}：{e['message']}")
    else:
        messages.success(
            request,
            _("已对 %(n)d 个事件%(a)s。") % {"n": len(done), "a": workflow.ACTIONS[d["action"]].label},
        )
    return redirect(back)


@login_required
def case_map(request):
    """The map of cases, filtered like the list; the data comes from ``case_map_data``."""
    if not can(request.user, Case, "view"):
        raise Http404
    extent = restrict(Region.objects.filter(level=Level.GRID), request.user).aggregate(
        w=Min("centroid_lng"), s=Min("centroid_lat"), e=Max("centroid_lng"), n=Max("centroid_lat")
    )
    bounds = [[extent["s"], extent["w"]], [extent["n"], extent["e"]]] if extent["w"] is not None else None
    context = {**_list_context(request), "bounds": bounds, "tile_url": settings.LINLI_TILE_URL}
    return render_page(request, "cases/map.html", context)


@login_required
def case_map_data(request):
    """GeoJSON of the cases in view (``bbox``, ``zoom``), clustered, with the list filters."""
    if not can(request.user, Case, "view"):
        raise Http404
    try:
        view = parse_view(request.GET.get("bbox"), request.GET.get("zoom"))
    except ServiceError as exc:
        return JsonResponse(exc.as_dict(), status=400)
    params = request.GET.copy()
    params.pop("bbox")
    qs = case_filters(restrict(Case.objects.all(), request.user), params)
    return JsonResponse(case_features(qs, view, user=request.user, params=params))


class ActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(k, a.label) for k, a in workflow.ACTIONS.items()])
    note = forms.CharField(required=False, max_length=500)
    department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False)
    days = forms.IntegerField(required=False)


@login_required
def case_detail(request, pk):
    case = access_by_pk(
        Case.objects.select_related("category__parent", "department", "region"), request.user, pk
    )
    allowed = workflow.allowed_actions(request.user, case)
    departments = []
    if "dispatch" in allowed:
        candidates = Department.objects.filter(district_id=case.district_id).select_related("region")
        departments = [d for d in candidates if workflow.department_serves(d, case)]
    duplicates = likely_duplicates(case, restrict(Case.objects.all(), request.user)) if case.is_open else []
    Notification.objects.filter(user=request.user, case=case, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    context = {
        "case": case,
        "events": [
            (e, EVENT_LABELS.get(e.action, e.action)) for e in case.events.select_related("department")
        ],
        "actions": [(name, workflow.ACTIONS[name]) for name in allowed],
        "departments": departments,
        "duplicates": duplicates,
        "show_reporter": workflow.reporter_visible(request.user, case),
        "can_merge": bool(duplicates) and workflow.is_dispatcher(request.user, case),
        "photos": list(case.photos.all()),
    }
    return render_page(request, "cases/detail.html", context)


@login_required
@require_POST
def case_act(request, pk):
    # the check alone: act() reads the case again under its lock
    case = access_by_pk(Case.objects.only("pk"), request.user, pk, "change")
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请求无效。"))
        return redirect("cases:detail", case.pk)
    d = form.cleaned_data
    department = d["department"]
    try:
        workflow.act(
            case, d["action"], actor=request.user, note=d["note"], department=department, days=d["days"]
        )
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已%(a)s。") % {"a": workflow.ACTIONS[d["action"]].label})
    return redirect("cases:detail", case.pk)


@login_required
@require_POST
def case_merge(request, pk):
    case = access_by_pk(Case, request.user, pk, "change")
    into = access_by_pk(Case, request.user, request.POST.get("into"), "change")
    try:
        merge(case, into, actor=request.user)
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已合并到 %(n)s。") % {"n": into.number})
    return redirect("cases:detail", case.pk)


@login_required
def inbox(request):
    items = Notification.objects.filter(user=request.user).select_related("case")[:100]
    return render_page(request, "cases/inbox.html", {"items": items})


@login_required
def indicators_page(request):
    if not can(request.user, Case, "view"):
        raise Http404
    cases, start, end, residents, first, last = indicator_filters(request.user, request.GET)
    ind = indicators.compute(cases, start, end, residents=residents)
    context = {
        "ind": ind,
        "first": first,
        "last": last,
        "f": request.GET,
        "categories": Category.objects.filter(parent__isnull=True),
    }
    return render_page(request, "cases/indicators.html", context)


@login_required
def case_photo(request, pk, photo_pk):
    """A case's photo, for those who may see the case (media files are not public)."""
    case = access_by_pk(Case, request.user, pk)
    photo = case.photos.filter(pk=photo_pk).first()
    if photo is None:
        raise Http404
    return FileResponse(
        photo.image.open("rb"), content_type=CONTENT_TYPES[photo.image.name.rsplit(".", 1)[-1]]
    )
