"""Registry pages: residents, households, special-group tags (generic scoped views)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core import jobs, tabular
from linli.core.dates import years_ago
from linli.core.errors import ErrorCode, ServiceError
from linli.core.filters import list_filter
from linli.core.forms import ScopedModelForm, add_service_error, style_widgets
from linli.core.htmx import render_page
from linli.core.listing import Label
from linli.core.lookup import use_lookups
from linli.core.models import region_q
from linli.core.prepared import Prepared
from linli.core.scoping import access_by_pk, can, restrict
from linli.core.tabular import table_response
from linli.core.views import Crud
from linli.regions.models import Building, HousingUnit

from . import importer, services
from .models import FloatingInfo, GroupTag, Household, Move, Resident, SpecialGroup, current_tag_q, listed

XLSX = tabular.XLSX_TYPE


def resident_filters(qs, params):
    """List filters: region, special group, age range, residence type, archived."""
    if params.get("region"):
        qs = qs.filter(region_q(params["region"]))
    group = params.get("group")
    if group:
        today = timezone.localdate()
        current = Q(tags__group__code=group) & current_tag_q(today, "tags__")
        derived = SpecialGroup.objects.filter(code=group, derived_min_age__isnull=False).first()
        if derived:
            current |= Q(birth_date__lte=years_ago(derived.derived_min_age or 0))
        qs = qs.filter(current).distinct()
    for param, bound in (("age_min", "lte"), ("age_max", "gt")):
        value = params.get(param, "")
        if value.isdigit():
            years = int(value) + (1 if bound == "gt" else 0)
            qs = qs.filter(**{f"birth_date__{bound}": years_ago(years)})
    if params.get("residence_type"):
        qs = qs.filter(residence_type=params["residence_type"])
    if params.get("employer"):  # by workplace: free text or the partner unit of a floating resident
        term = params["employer"]
        qs = qs.filter(Q(employer__contains=term) | Q(floating__employer_unit__name__contains=term))
    days = params.get("permit_expiring", "")
    if days.isdigit():
        today = timezone.localdate()
        qs = qs.filter(floating__permit_expires__range=(today, today + dt.timedelta(days=int(days))))
    if params.get("archived") != "1" and not params.get("q"):
        qs = qs.filter(listed())
    return qs


def _current(qs, params):
    """Households still living here, unless ``?archived=1``."""
    return qs if params.get("archived") == "1" else qs.filter(archived_at__isnull=True)


_floating_of = Prepared(lambda pk: FloatingInfo.objects.filter(pk=pk).select_related("employer_unit")[:1])


def resident_context(request, resident):
    """The resident's page: its own and its household's tags (one query), the household's
    other members, the moves (with the units' names), the floating-population record."""
    own = Q(resident=resident)
    if resident.household_id:
        own |= Q(household_id=resident.household_id)
    # prefetched, not joined: most residents have no tags and no moves, and a join costs
    # Django more to compile than the empty query costs to run
    tags = list(restrict(GroupTag.objects.filter(own).prefetch_related("group"), request.user))
    members = (
        restrict(Resident.objects.filter(household_id=resident.household_id), request.user).exclude(
            pk=resident.pk
        )
        if resident.household_id
        else []
    )
    units = HousingUnit.objects.select_related("building__compound")
    moves = restrict(
        Move.objects.filter(resident=resident).prefetch_related(
            Prefetch("from_unit", queryset=units), Prefetch("to_unit", queryset=units)
        ),
        request.user,
    )
    floating = _floating_of(pk=resident.pk)
    return {
        "tags": [t for t in tags if t.resident_id == resident.pk],
        "household_tags": [t for t in tags if t.resident_id is None],
        "members": members,
        "moves": moves,
        "age": resident.age(),
        "floating": floating[0] if floating else None,
    }


def household_context(request, household):
    members = restrict(Resident.objects.filter(household=household), request.user)
    tags = restrict(GroupTag.objects.filter(household=household).select_related("group"), request.user)
    return {"members": members, "tags": tags}


UNIT_LABEL = Label(
    (
        "housing_unit__building__compound__name",
        "housing_unit__building__name",
        "housing_unit__unit",
        "housing_unit__room",
    ),
    HousingUnit.label,
)
RESIDENTS = Crud(
    Resident,
    [
        "name",
        "citizen_id",
        "phone",
        "ethnicity",
        "education",
        "political_status",
        "marital_status",
        "occupation",
        "employer",
        "residence_type",
        "housing_unit",
        "household",
        "relation",
        "registered_address",
        "separated",
    ],
    ["name", "gender", "birth_date", "citizen_id", "phone", "residence_type", "housing_unit"],
    select_related=("housing_unit__building__compound",),
    list_labels={"housing_unit": UNIT_LABEL},
    search_function=services.search_residents,
    filter_function=resident_filters,
    create_service=services.do_register_resident,
    update_service=services.do_update_resident,
    detail_template="people/resident_detail.html",
    detail_context=resident_context,
    list_actions=((_("导入居民"), "people:resident_import"),),
)
HOUSEHOLDS = Crud(
    Household,
    ["housing_unit", "number", "kind", "registered_address"],
    ["housing_unit", "number", "head", "kind"],
    search=["number", "head__name"],
    select_related=("housing_unit__building__compound", "head"),
    list_labels={"housing_unit": UNIT_LABEL, "head": Label(("head__name",), str)},
    filter_function=list_filter(extra=_current, region_param="region"),
    create_service=services.do_create_household,
    detail_template="people/household_detail.html",
    detail_context=household_context,
)
TAGS = Crud(
    GroupTag,
    [
        "group",
        "resident",
        "household",
        "start_date",
        "end_date",
        "reason",
        "care_level",
        "disability_category",
        "disability_grade",
    ],
    ["group", "resident", "household", "start_date", "end_date", "care_level"],
    search=["resident__name", "group__name"],
    select_related=("group", "resident", "household__housing_unit"),
    filters={"group": "group__code"},
    create_service=services.do_add_tag,
)


class MoveForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[(Move.Kind.WITHIN, Move.Kind.WITHIN.label), (Move.Kind.OUT, Move.Kind.OUT.label)],
    )
    to_unit = forms.ModelChoiceField(label=_("新房屋"), queryset=HousingUnit.objects.none(), required=False)
    moved_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("原因"), max_length=100, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = restrict(
            HousingUnit.objects.select_related("building__compound"), user, "view"
        )
        use_lookups(self, user)
        style_widgets(self)


@login_required
def resident_move(request, pk):
    """Move a resident within the district, or out of it (archived, never deleted)."""
    resident = access_by_pk(Resident.objects.filter(archived_at__isnull=True), request.user, pk, "change")
    form = MoveForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == Move.Kind.OUT:
                services.do_move_out(
                    resident, actor=request.user, moved_on=data["moved_on"], reason=data["reason"]
                )
            elif data["to_unit"] is None:
                raise ServiceError(ErrorCode.INVALID, _("请选择新房屋。"), field="to_unit")
            else:
                services.do_move_resident(
                    resident,
                    data["to_unit"],
                    actor=request.user,
                    moved_on=data["moved_on"],
                    reason=data["reason"],
                )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已记录迁移。"))
            return redirect("people:resident_detail", resident.pk)
    return render_page(request, "people/move_form.html", {"form": form, "obj": resident})


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件 (.xlsx / .csv)"), widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )


@login_required
def resident_import(request):
    """Small files are imported in the request; larger ones become a background job with a
    progress page (the person can leave it and come back from 我的后台任务)."""
    if not can(request.user, Resident, "add"):
        raise Http404
    fmt = request.GET.get("template")
    if fmt in ("xlsx", "csv"):
        return table_response(importer.template_header(), [importer.TEMPLATE_EXAMPLE], fmt, "居民导入模板")
    if request.GET.get("report"):
        report = request.session.get("import_error_report")
        if not report or report["id"] != request.GET["report"]:
            raise Http404
        return tabular.error_report_response(report["id"], report["name"])
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[dict] = []
    report_id = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            total = tabular.open_table(data, upload.name).total
            if total > settings.LINLI_IMPORT_INLINE_ROWS:
                job = jobs.start("people.residents", data, upload.name, actor=request.user, total=total)
                return redirect("core:job_detail", job.pk)
            result = importer.import_residents(data, upload.name, actor=request.user)
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
            errors = exc.errors[:200]
            if exc.errors and exc.code == ErrorCode.IMPORT_FAILED:
                previous = request.session.get("import_error_report", {}).get("id")
                report_id = tabular.save_error_report(data, upload.name, exc.errors, replaces=previous)
                request.session["import_error_report"] = {"id": report_id, "name": Path(upload.name).stem}
        else:
            messages.success(request, importer.summary(result.as_dict()))
            return redirect("people:resident_list")
    return render_page(
        request, "people/import.html", {"form": form, "errors": errors, "report_id": report_id}
    )


@login_required
def building_view(request, pk):
    """楼栋图: a building's floors and rooms as a grid; each room shows its household and
    is coloured by the special groups of the people living there (three queries)."""
    building = access_by_pk(Building.objects.select_related("compound", "grid_region"), request.user, pk)
    units = list(building.housing_units.all())
    residents = list(
        restrict(
            Resident.objects.filter(housing_unit__building=building, archived_at__isnull=True), request.user
        )
        .select_related("household")
        .order_by("relation", "id")
    )
    tags = restrict(
        GroupTag.objects.filter(current_tag_q(timezone.localdate()))
        .filter(Q(resident__housing_unit__building=building) | Q(household__housing_unit__building=building))
        .select_related("group"),
        request.user,
    )
    by_unit: dict[int, dict] = {u.pk: {"unit": u, "people": [], "groups": {}} for u in units}
    where = {}
    for r in residents:
        by_unit[r.housing_unit_id]["people"].append(r)
        where[("r", r.pk)] = r.housing_unit_id
        if r.household_id:
            where[("h", r.household_id)] = r.housing_unit_id
    for t in tags:
        key = ("r", t.resident_id) if t.resident_id else ("h", t.household_id)
        if key in where:
            by_unit[where[key]]["groups"][t.group.code] = t.group
    floors = sorted({u.floor for u in units}, reverse=True)
    columns = sorted({(u.unit, u.room[-2:]) for u in units})
    grid = [
        (
            f,
            [
                next((by_unit[u.pk] for u in units if u.floor == f and (u.unit, u.room[-2:]) == c), None)
                for c in columns
            ],
        )
        for f in floors
    ]
    legend = {g.code: g for cell in by_unit.values() for g in cell["groups"].values()}
    return render_page(
        request,
        "people/building.html",
        {
            "building": building,
            "grid": grid,
            "columns": columns,
            "legend": legend.values(),
            "residents": len(residents),
        },
    )


class FloatingForm(ScopedModelForm):
    class Meta:
        model = FloatingInfo
        fields = [
            "permit_number",
            "permit_issued",
            "permit_expires",
            "arrival_date",
            "origin_code",
            "employer_unit",
            "reason",
        ]
        widgets = {
            f: forms.DateInput(attrs={"type": "date"})
            for f in ("permit_issued", "permit_expires", "arrival_date")
        }


@login_required
def resident_floating(request, pk):
    """流动人口信息: residence permit, arrival, place of origin and workplace."""
    resident = access_by_pk(Resident.objects.filter(archived_at__isnull=True), request.user, pk, "change")
    info = FloatingInfo.objects.filter(pk=resident.pk).first() or FloatingInfo(resident=resident)
    form = FloatingForm(request.POST or None, instance=info, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_floating(form.save(commit=False), actor=request.user)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("people:resident_detail", resident.pk)
    return render_page(request, "people/floating_form.html", {"form": form, "obj": resident})
