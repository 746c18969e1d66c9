"""The resident-facing pages: report a problem without an account (a phone number for the
answer), follow it with the tracking code, rate it once closed. Nothing here shows who
handled a case or anyone's personal data; a tracking code only opens with its phone."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from linli.core.errors import ServiceError
from linli.core.forms import add_service_error, style_widgets
from linli.core.pii import normalize, pii_match
from linli.core.roles import Level
from linli.regions.models import Region

from . import workflow
from .models import Case, Category, Channel, Satisfaction, Status
from .services import Intake, report_case

PUBLIC_STEPS = {
    "report": _("已收到"),
    "accept": _("已受理"),
    "reject": _("不予受理"),
    "dispatch": _("已转相关部门办理"),
    "escalate": _("已上报上级协调"),
    "handle": _("已处置，待核查"),
    "rework": _("核查未通过，继续办理"),
    "verify": _("已办结"),
    "suspend": _("暂缓办理"),
    "resume": _("恢复办理"),
    "reopen": _("重新办理"),
    "rate": _("已评价"),
    "merge": _("与同一问题合并办理"),
}


class PublicReportForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("问题类别"),
        queryset=Category.objects.filter(parent__isnull=False, active=True).select_related("parent"),
    )
    description = forms.CharField(
        label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    community = forms.ModelChoiceField(
        label=_("所在社区"), queryset=Region.objects.filter(level=Level.COMMUNITY)
    )
    address = forms.CharField(label=_("详细地址"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("称呼"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("手机号码"), max_length=20)
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


def public_report(request):
    form = PublicReportForm(request.POST or None, initial={"form_token": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case, _created = report_case(
                Intake(
                    channel=Channel.PUBLIC,
                    category=d["category"],
                    description=d["description"],
                    region=d["community"],
                    address=d["address"],
                    reporter_name=d["reporter_name"],
                    reporter_phone=d["reporter_phone"],
                    idempotency_key=f"public:{d['form_token']}",
                ),
                actor=None,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            return render(request, "cases/public_done.html", {"case": case})
    return render(request, "cases/public_report.html", {"form": form})


class TrackForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=10)
    phone = forms.CharField(label=_("上报时留的手机号码"), max_length=20)
    rating = forms.TypedChoiceField(
        label=_("满意度"), choices=Satisfaction.choices, coerce=int, required=False, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("意见"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


def public_track(request):
    data = request.POST if request.method == "POST" else (request.GET if "code" in request.GET else None)
    form = TrackForm(data)
    case = None
    if data is not None and form.is_valid():
        d = form.cleaned_data
        try:
            phone = normalize(d["phone"], "mobile")
        except ValidationError:
            phone = None
        case = phone and (
            Case.objects.filter(tracking_code=d["code"].strip().upper())
            .filter(pii_match(Case, "reporter_phone", phone))
            .select_related("category", "merged_into")
            .first()
        )
        if case is None:
            form.add_error(None, _("查询码或手机号码不对。"))
        elif request.method == "POST" and d["rating"]:
            target = case
            try:
                case = workflow.act(
                    target, "rate", actor=None, rating=d["rating"], note=d["note"], system=True
                )
            except ServiceError as exc:
                form.add_error(None, str(exc.message))
    steps = []
    if case is not None:
        shown = case.merged_into or case
        steps = [(e.at, PUBLIC_STEPS[e.action]) for e in shown.events.all() if e.action in PUBLIC_STEPS]
    context = {
        "form": form,
        "case": case,
        "steps": steps,
        "can_rate": case is not None and case.status == Status.CLOSED and case.rating is None,
    }
    return render(request, "cases/public_track.html", context)
