"""Forms of grid work: phone-first, validated again by the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import User
from linli.cases.models import Category
from linli.cases.photos import PhotosField
from linli.core.forms import DATE, DATETIME, ScopedModelForm, style_widgets

from .care import posts_below
from .models import CampaignTarget, Delivery, DutyShift, Visit


class VisitForm(ScopedModelForm):
    photos = PhotosField(label=_("照片"))
    new_phone = forms.CharField(label=_("居民新手机号"), max_length=20, required=False)
    moved_out_on = forms.DateField(label=_("居民已迁出本区，日期"), required=False, widget=DATE)
    moved_out_reason = forms.CharField(label=_("迁出原因"), max_length=100, required=False)
    form_token = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = Visit
        fields = [
            "kind",
            "visited_at",
            "household",
            "resident",
            "compound",
            "place",
            "met",
            "findings",
            "needs",
            "lat",
            "lng",
        ]
        widgets = {
            "visited_at": DATETIME,
            "findings": forms.Textarea(attrs={"rows": 3}),
            "needs": forms.Textarea(attrs={"rows": 2}),
            "lat": forms.HiddenInput,
            "lng": forms.HiddenInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["visited_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class VisitEditForm(ScopedModelForm):
    """Correcting a diary entry: its text, not who or where."""

    class Meta:
        model = Visit
        fields = ["met", "findings", "needs", "place"]


class ToCaseForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("事件类别"),
        queryset=Category.objects.filter(parent__isnull=False, active=True).select_related("parent"),
    )
    description = forms.CharField(
        label=_("事件描述"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text=_("留空则使用走访发现的情况"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class DeliveryForm(forms.ModelForm):
    class Meta:
        model = Delivery
        fields = ["delivered_on", "done", "by", "note"]
        widgets = {"delivered_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["by"].required = False
        style_widgets(self)


class GiftForm(forms.ModelForm):
    class Meta:
        model = CampaignTarget
        fields = ["visited_on", "visitors", "money", "goods", "goods_value"]
        widgets = {"visited_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].required = True
        self.fields["visitors"].required = True
        style_widgets(self)


class SwapForm(forms.Form):
    other = forms.ModelChoiceField(label=_("与此班次交换"), queryset=DutyShift.objects.none())

    def __init__(self, *args, shifts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = shifts
        style_widgets(self)


class RotaForm(forms.Form):
    first_day = forms.DateField(label=_("开始日期"), widget=DATE)
    days = forms.IntegerField(label=_("天数"), min_value=1, max_value=92, initial=7)
    start = forms.TimeField(
        label=_("开始时间"), initial="08:30", widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("结束时间"), initial="17:30", widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args, regions, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = forms.ModelChoiceField(
            label=_("社区（服务大厅）或网格"),
            queryset=regions,
            help_text=_("选社区排服务大厅值班，选网格排网格轮值"),
        )
        self.fields["workers"] = forms.ModelMultipleChoiceField(
            label=_("轮值人员（按列表顺序每人一天）"), queryset=workers, widget=forms.CheckboxSelectMultiple
        )
        self.order_fields(["region", "workers", "first_day", "days", "start", "end"])
        style_widgets(self)


def workers_in_scope(user):
    """Users holding a region post inside ``user``'s area (choices never list others)."""
    return User.objects.filter(is_active=True, posts__in=posts_below(user)).distinct().order_by("username")


class DutyShiftForm(ScopedModelForm):
    class Meta:
        model = DutyShift
        fields = ["post", "region", "worker", "day", "start", "end", "note"]
        widgets = {
            "day": DATE,
            "start": forms.TimeInput(attrs={"type": "time"}),
            "end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "worker" in self.fields:
            self.fields["worker"].queryset = workers_in_scope(self.user)
