"""Home services, holiday and hardship visits, duty rosters, building heads, quotas, and
the public grid card."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from linli.core.errors import ServiceError
from linli.core.forms import add_service_error, style_widgets
from linli.core.htmx import render_page
from linli.core.listing import BoundedPaginator
from linli.core.roles import Level
from linli.core.scoping import access_by_pk, can, in_scope, restrict
from linli.core.views import Crud, message_form_errors, run_service
from linli.people.models import SpecialGroup
from linli.regions.geo import locate_grid
from linli.regions.models import Building, Compound, GridTeamMember, Region

from . import services
from .forms import DeliveryForm, DutyShiftForm, GiftForm, RotaForm, SwapForm, workers_in_scope
from .models import BuildingContact, Campaign, CampaignTarget, Delivery, DutyShift, HomeService, VisitQuota

HOME_SERVICES = Crud(
    HomeService,
    [
        "resident",
        "kind",
        "provider_kind",
        "provider",
        "partner",
        "weekdays",
        "time",
        "start_date",
        "end_date",
        "note",
    ],
    ["resident", "kind", "provider_kind", "provider", "weekdays", "time", "start_date", "end_date"],
    search=["resident__name", "provider"],
    select_related=("resident",),
    filters={"kind": "kind", "grid": "grid_id"},
    create_service=services.do_save_home_service,
    update_service=services.do_save_home_service,
    detail_template="visits/homeservice_detail.html",
    detail_context=lambda request, obj: {
        "deliveries": obj.deliveries.all()[:60],
        "delivery_form": DeliveryForm(initial={"delivered_on": timezone.localdate(), "by": request.user}),
        "can_deliver": can(request.user, Delivery, "add"),
    },
)

CAMPAIGNS = Crud(
    Campaign,
    ["region", "name", "occasion", "start_date", "end_date", "standard"],
    ["name", "occasion", "region", "start_date", "end_date"],
    search=["name"],
    select_related=("region",),
    create_service=services.do_save_campaign,
    update_service=services.do_save_campaign,
    detail_template="visits/campaign_detail.html",
    list_actions=((_("我负责的慰问名单"), "visits:target_list"),),
    detail_context=lambda request, obj: _campaign_context(request, obj),
)

SHIFTS = Crud(
    DutyShift,
    ["post", "region", "worker", "day", "start", "end", "note"],
    ["day", "start", "end", "post", "region", "worker", "note"],
    search=["worker__full_name", "worker__username", "note"],
    select_related=("region", "worker"),
    filters={"post": "post", "day": "day"},
    form_class=DutyShiftForm,
    create_service=services.do_save_shift,
    update_service=services.do_save_shift,
    list_actions=((_("本周值班表"), "visits:roster"), (_("排轮值"), "visits:rotate")),
    detail_links=((_("换班"), "visits:swap"),),
)

BUILDING_CONTACTS = Crud(
    BuildingContact,
    ["building", "role", "resident", "name", "phone", "unit", "since"],
    ["building", "role", "name", "phone", "unit", "since"],
    search=["name", "building__name"],
    select_related=("building__compound",),
    filters={"building": "building_id"},
)

QUOTAS = Crud(
    VisitQuota,
    ["region", "role", "households"],
    ["region", "role", "households"],
    select_related=("region",),
)


# --- home services ----------------------------------------------------------------------


@login_required
@require_POST
def delivery_add(request, pk):
    service = access_by_pk(
        HomeService.objects.select_related("resident__housing_unit__building"), request.user, pk
    )
    if not can(request.user, Delivery, "add"):
        raise Http404
    form = DeliveryForm(request.POST, instance=Delivery(service=service))
    if form.is_valid():
        delivery = form.save(commit=False)
        run_service(
            request, lambda: services.do_record_delivery(delivery, actor=request.user), _("服务已登记。")
        )
    else:
        message_form_errors(request, form)
    if request.POST.get("next") == "home":
        return redirect("visits:home")
    return redirect("visits:homeservice_detail", pk)


# --- campaigns --------------------------------------------------------------------------


class TargetsForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        label=_("按特殊人群生成慰问名单"),
        queryset=SpecialGroup.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


CAMPAIGN_PAGE_TARGETS = 200


def _targets(user):
    return restrict(CampaignTarget.objects.all(), user).select_related(
        "campaign", "household__housing_unit__building__compound", "household__head", "signed_off_by"
    )


def _campaign_context(request, campaign):
    targets = _targets(request.user).filter(campaign=campaign)
    totals = list(
        targets.values("community_id", "community__name")
        .annotate(
            n=Count("pk"),
            visited=Count("visited_on"),
            signed=Count("signed_off_at"),
            money=Sum("money"),
            goods_value=Sum("goods_value"),
        )
        .order_by("community_id")
    )
    return {
        "targets": targets[:CAMPAIGN_PAGE_TARGETS],  # all of them, paged: the targets page
        "more_targets": sum(t["n"] for t in totals) > CAMPAIGN_PAGE_TARGETS,
        "totals": totals,
        "targets_form": TargetsForm(),
        "can_add_targets": in_scope(campaign, request.user, "change"),
        "can_sign_off": can(request.user, CampaignTarget, "sign_off"),
    }


@login_required
@require_POST
def campaign_targets(request, pk):
    campaign = access_by_pk(Campaign.objects.select_related("region"), request.user, pk, "change")
    form = TargetsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请至少选择一类特殊人群。"))
        return redirect("visits:campaign_detail", pk)
    groups = form.cleaned_data["groups"]
    try:
        added = services.do_add_targets(
            campaign,
            services.households_in_groups(campaign, groups, actor=request.user),
            actor=request.user,
            reason="、".join(g.name for g in groups),
        )
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已加入 %(n)d 户。") % {"n": added})
    return redirect("visits:campaign_detail", pk)


@login_required
def target_list(request):
    """The targets in the user's scope, of every campaign or of one (``campaign=``): how
    community staff see the households of a subdistrict's campaign that are theirs."""
    if not can(request.user, CampaignTarget, "view"):
        raise Http404
    qs = _targets(request.user)
    campaign = request.GET.get("campaign", "")
    if campaign.isdigit():
        qs = qs.filter(campaign_id=campaign)
    page = BoundedPaginator(qs.order_by("-campaign__start_date", "grid_id", "pk"), 50).get_page(
        request.GET.get("page")
    )
    ctx = {
        "page": page,
        "targets": page.object_list,
        "campaign": campaign,
        "can_sign_off": can(request.user, CampaignTarget, "sign_off"),
    }
    return render_page(request, "visits/targets.html", ctx)


@login_required
def target_gift(request, pk):
    target = access_by_pk(
        CampaignTarget.objects.select_related("campaign", "household__housing_unit"),
        request.user,
        pk,
        "change",
    )
    form = GiftForm(
        request.POST or None,
        instance=target,
        initial={"visited_on": timezone.localdate(), "visitors": request.user},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        target.refresh_from_db()
        try:
            services.do_record_gift(
                target,
                actor=request.user,
                visited_on=d["visited_on"],
                visitors=d["visitors"],
                money=d["money"],
                goods=d["goods"],
                goods_value=d["goods_value"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("慰问情况已登记。"))
            return redirect("visits:campaign_detail", target.campaign_id)
    return render_page(request, "visits/gift.html", {"form": form, "target": target})


@login_required
@require_POST
def target_sign_off(request, pk):
    target = access_by_pk(CampaignTarget.objects.select_related("campaign"), request.user, pk)
    run_service(request, lambda: services.do_sign_off(target, actor=request.user), _("已审核。"))
    return redirect("visits:campaign_detail", target.campaign_id)


# --- duty ------------------------------------------------------------------------------


def _week_start(value: str | None) -> dt.date:
    try:
        day = dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return day - dt.timedelta(days=day.weekday())


@login_required
def roster(request):
    """The week's roster as a table: rows are places (the hall, each grid), columns days."""
    if not can(request.user, DutyShift, "view"):
        raise Http404
    monday = _week_start(request.GET.get("week"))
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    shifts = restrict(
        DutyShift.objects.filter(day__gte=days[0], day__lte=days[-1]), request.user
    ).select_related("region", "worker")
    places: dict[str, dict] = {}
    for s in shifts:
        row = places.setdefault(
            f"{s.post}:{s.region_id}",
            {"label": f"{s.get_post_display()} · {s.region.name}", "cells": {d: [] for d in days}},
        )
        row["cells"][s.day].append(s)
    rows = [(v["label"], [v["cells"][d] for d in days]) for _k, v in sorted(places.items())]
    ctx = {
        "days": days,
        "rows": rows,
        "prev": days[0] - dt.timedelta(days=7),
        "next": days[0] + dt.timedelta(days=7),
        "can_add": can(request.user, DutyShift, "add"),
    }
    return render_page(request, "visits/roster.html", ctx)


@login_required
def swap(request, pk):
    shift = access_by_pk(DutyShift.objects.select_related("region", "worker"), request.user, pk, "change")
    others = (  # shifts of the same kind in the same community (the hall, or any of its grids)
        restrict(
            DutyShift.objects.filter(post=shift.post, community_id=shift.community_id), request.user, "change"
        )
        .exclude(worker=shift.worker)
        .filter(day__gte=timezone.localdate() - dt.timedelta(days=7))
        .select_related("region", "worker")
        .order_by("day", "start")[:200]
    )
    form = SwapForm(request.POST or None, shifts=DutyShift.objects.filter(pk__in=[o.pk for o in others]))
    if request.method == "POST" and form.is_valid():
        try:
            services.do_swap_shifts(shift, form.cleaned_data["other"], actor=request.user)
        except ServiceError as exc:
            form.add_error("other", str(exc.message))
        else:
            messages.success(request, _("已换班。"))
            return redirect("visits:roster")
    return render_page(request, "visits/swap.html", {"form": form, "shift": shift})


@login_required
def rotate(request):
    if not can(request.user, DutyShift, "add"):
        raise Http404
    regions = restrict(
        Region.objects.filter(level__in=[Level.COMMUNITY, Level.GRID]), request.user, "add"
    ).order_by("code")
    form = RotaForm(request.POST or None, regions=regions, workers=workers_in_scope(request.user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            made = services.do_rotate(
                d["region"],
                d["workers"],
                actor=request.user,
                first_day=d["first_day"],
                days=d["days"],
                start=d["start"],
                end=d["end"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已排 %(n)d 个班次。") % {"n": len(made)})
            return redirect(f"{reverse('visits:roster')}?week={d['first_day']}")
    return render_page(request, "visits/rotate.html", {"form": form})


# --- the public grid card ---------------------------------------------------------------


def grid_card(request):
    """网格名片, for residents without an account: find your grid by your compound or
    building (or your location) and see the team serving it, as they agreed to show it."""
    term = request.GET.get("q", "").strip()[:50]
    grid, matches = None, []
    if request.GET.get("lat") and request.GET.get("lng"):
        try:
            grid = locate_grid(float(request.GET["lng"]), float(request.GET["lat"]))
        except ValueError:
            grid = None
    elif request.GET.get("grid"):
        grid = Region.objects.filter(code=request.GET["grid"], level=Level.GRID).first()
    elif len(term) >= 2:
        compounds = Compound.objects.filter(name__contains=term).select_related("grid_region__parent")[:10]
        buildings = Building.objects.filter(address__contains=term).select_related(
            "grid_region__parent", "compound"
        )[:10]
        seen = {}
        for item in [*compounds, *buildings]:
            seen.setdefault(item.grid_region_id, (item, item.grid_region))
        matches = list(seen.values())
        if len(matches) == 1:
            grid = matches[0][1]
    team = []
    if grid is not None:
        team = sorted(
            GridTeamMember.objects.filter(grid_region=grid, on_card=True), key=GridTeamMember.role_order
        )
    ctx = {
        "q": term,
        "grid": grid,
        "team": team,
        "matches": matches,
        "searched": bool(term) or "lat" in request.GET,
    }
    return render_page(request, "visits/grid_card.html", ctx)
