"""Region pages: the tree, a node with its children and counts, grids, housing."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from linli.core.errors import ServiceError
from linli.core.forms import add_service_error
from linli.core.htmx import render_page
from linli.core.roles import Level
from linli.core.scoping import access_by_pk, can, restrict
from linli.core.tabular import table_response
from linli.core.views import Crud

from . import geo, services
from .housing_import import import_housing, template_header
from .models import Building, Compound, GridTeamMember, HousingUnit, PartnerPairing, PartnerUnit, Region

CRUDS = {
    "compounds": Crud(
        Compound,
        ["grid_region", "name", "address", "property_company"],
        ["name", "grid_region", "address", "property_company"],
        search=["name", "address"],
        select_related=("grid_region",),
        filters={"region": "grid_region__parent_id"},
    ),
    "buildings": Crud(
        Building,
        ["grid_region", "compound", "name", "floors", "units", "address"],
        ["name", "compound", "grid_region", "floors", "units"],
        search=["name", "compound__name"],
        select_related=("grid_region", "compound"),
        filters={"compound": "compound_id"},
        detail_links=((_("楼栋图"), "people:building"),),
    ),
    "housing-units": Crud(
        HousingUnit,
        ["building", "unit", "floor", "room", "area", "usage"],
        ["building", "unit", "floor", "room", "area", "usage"],
        search=["room", "building__name"],
        select_related=("building__compound",),
        filters={"building": "building_id"},
        list_actions=((_("导入小区、楼栋、房屋"), "regions:housing_import"),),
    ),
    "team": Crud(
        GridTeamMember,
        ["grid_region", "role", "name", "phone", "organisation", "note", "on_card"],
        ["grid_region", "role", "name", "phone", "organisation", "on_card"],
        search=["name", "organisation"],
        select_related=("grid_region",),
        filters={"grid": "grid_region_id"},
    ),
    "partners": Crud(
        PartnerUnit,
        ["region", "name", "credit_code", "contact", "phone", "address"],
        ["name", "credit_code", "region", "contact", "phone"],
        search=["name", "credit_code"],
        select_related=("region",),
    ),
    "pairings": Crud(
        PartnerPairing,
        ["partner", "community_region", "compound", "content", "since"],
        ["partner", "community_region", "compound", "content", "since"],
        search=["partner__name"],
        select_related=("partner", "community_region", "compound"),
    ),
}

MAP_FEATURE_LIMIT = 2000
CHILD_COUNTS = [
    (_("网格"), Region.objects.filter(level=Level.GRID)),
    (_("小区"), Compound.objects.all()),
    (_("楼栋"), Building.objects.all()),
    (_("房屋"), HousingUnit.objects.all()),
]


@login_required
def region_tree(request):
    """Browse from the user's top regions, or search by name or code."""
    qs = restrict(Region.objects.all(), request.user)
    term = request.GET.get("q", "").strip()
    if term:
        results = qs.filter(Q(name__contains=term) | Q(code__startswith=term)).order_by("code")[:100]
        return render_page(
            request, "regions/tree.html", {"results": results, "q": term}, partial="regions/_results.html"
        )
    roots = qs.exclude(parent__in=qs.values("code")).order_by("code")[:50]
    return render_page(request, "regions/tree.html", {"roots": roots, "q": ""})


@login_required
def region_detail(request, code):
    region = access_by_pk(Region.objects.select_related("parent"), request.user, code)
    visible = restrict(Region.objects.all(), request.user)
    ancestors = [a for a in region.ancestors() if visible.filter(code=a.code).exists()]
    children = list(visible.filter(parent=region).order_by("code"))
    child_level = region.child_level
    counts: list[tuple[str, dict[str, int]]] = []
    totals = []
    if child_level:
        for label, base in CHILD_COUNTS:
            rows = restrict(base, request.user).filter(**{f"{region.level}_id": region.code})
            per_child = dict(rows.values_list(f"{child_level}_id").annotate(n=Count("pk")).order_by())
            counts.append((label, per_child))
            totals.append((label, sum(per_child.values())))
    table = [(child, [c.get(child.code, 0) for _label, c in counts]) for child in children]
    # the grids of this node, drawn on its map (a district has a few hundred; capped for safety)
    grids = visible.filter(level=Level.GRID, **{f"{region.level}_id": region.code})
    ctx = {
        "region": region,
        "ancestors": ancestors,
        "table": table,
        "count_labels": [c[0] for c in counts],
        "totals": totals,
        "features": geo.grid_features(grids, MAP_FEATURE_LIMIT),
        "can_add_grid": region.level == Level.COMMUNITY
        and can(request.user, Region, "add")
        and restrict(Region.objects.filter(code=region.code), request.user, "add").exists(),
        "can_change": region.level == Level.GRID
        and restrict(Region.objects.filter(code=region.code), request.user, "change").exists(),
        "team": sorted(
            restrict(GridTeamMember.objects.filter(grid_region=region), request.user),
            key=GridTeamMember.role_order,
        )
        if region.level == Level.GRID
        else [],
    }
    return render_page(request, "regions/detail.html", ctx)


class GridForm(forms.Form):
    name = forms.CharField(
        label=_("网格名称"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    code = forms.CharField(
        label=_("网格编码"),
        max_length=15,
        required=False,
        help_text=_("留空则自动编号：社区代码 + 3 位序号"),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    boundary = forms.CharField(
        label=_("边界 (GeoJSON)"),
        required=False,
        help_text=_("在地图上点击绘制，或粘贴 GeoJSON Polygon"),
        widget=forms.Textarea(attrs={"class": "form-control font-monospace", "rows": 4}),
    )


@login_required
def grid_edit(request, code):
    """Create a grid under a community (code = community) or edit a grid (code = grid)."""
    region = access_by_pk(Region.objects.all(), request.user, code, "change" if len(code) == 15 else "add")
    if region.level not in (Level.COMMUNITY, Level.GRID):
        raise Http404
    creating = region.level == Level.COMMUNITY
    initial = (
        {}
        if creating
        else {
            "name": region.name,
            "code": region.code,
            "boundary": json.dumps(region.boundary) if region.boundary else "",
        }
    )
    form = GridForm(request.POST or None, initial=initial)
    if not creating:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if creating:
                grid = services.do_create_grid(
                    region,
                    data["name"],
                    code=data["code"] or None,
                    boundary=data["boundary"] or None,
                    actor=request.user,
                )
            else:
                grid = services.do_update_grid(
                    region, name=data["name"], boundary=data["boundary"] or None, actor=request.user
                )
        except ServiceError as exc:
            add_service_error(form, exc, "boundary")
        else:
            messages.success(request, _("已保存网格 %(n)s。") % {"n": grid.name})
            return redirect("regions:detail", grid.code)
    siblings = Region.objects.filter(level=Level.GRID, community_id=region.community_id).exclude(
        code=region.code
    )
    features = [
        {"type": "Feature", "geometry": g.boundary, "properties": {"name": g.name}}
        for g in restrict(siblings, request.user)
        if g.boundary
    ]
    return render_page(
        request,
        "regions/grid_form.html",
        {
            "form": form,
            "region": region,
            "creating": creating,
            "siblings": {"type": "FeatureCollection", "features": features},
        },
    )


@login_required
def grid_delete(request, code):
    grid = access_by_pk(Region.objects.filter(level=Level.GRID), request.user, code, "delete")
    if request.method == "POST":
        try:
            services.do_delete_region(grid, actor=request.user)
        except ServiceError as exc:
            messages.error(request, str(exc.message))
            return redirect("regions:detail", grid.code)
        messages.success(request, _("已删除网格。"))
        return redirect("regions:detail", grid.parent_id)
    return render_page(request, "core/object_confirm_delete.html", {"obj": grid, "opts": Region._meta})


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件 (.xlsx / .csv)"), widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )


@login_required
def housing_import(request):
    if not can(request.user, HousingUnit, "add"):
        raise Http404
    if request.GET.get("template"):
        return table_response(
            template_header(),
            [["150902001001001", "恩和小区", "1号楼", "6", "1", "3", "301", "89.5", "住宅"]],
            request.GET["template"],
            "房屋导入模板",
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list = []
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = import_housing(f.read(), f.name, actor=request.user)
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
            errors = exc.errors
        else:
            messages.success(
                request,
                _(
                    "导入完成：新增小区 %(compounds)d，楼栋 %(buildings)d，房屋 %(housing_units)d；"
                    "已存在 %(kept)d。"
                )
                % result,
            )
            return redirect("regions:housingunit_list")
    return render_page(request, "regions/housing_import.html", {"form": form, "errors": errors})
