"""Forms of volunteer work; the services check everything again."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.cases.photos import PhotosField
from linli.core.forms import DATE, DATETIME, ScopedModelForm, style_widgets
from linli.core.roles import Level
from linli.core.scoping import user_posts
from linli.regions.models import Region

from .models import Activity, Availability, PartyMember, Reward, Skill, TeamMember, Volunteer


def skills_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("技能特长"),
        queryset=Skill.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


def availability_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("服务时间"), choices=Availability.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class VolunteerForm(ScopedModelForm):
    skills = skills_field()
    availability = availability_field()

    class Meta:
        model = Volunteer
        fields = [
            "name",
            "phone",
            "community",
            "resident",
            "skills",
            "talents",
            "availability",
            "consent_contact",
            "note",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["availability"] = [a for a in self.instance.availability.split(",") if a]
        self.fields["resident"].help_text = _("住在本区的，选择居民档案（姓名、手机号以档案为准可留空姓名）")
        self.fields["name"].required = False
        community = self.fields["community"]
        assert isinstance(community, forms.ModelChoiceField)
        community.required = False  # a resident's community is theirs
        # a grid worker registers people of their grid's community
        own = {p.region.community_id for p in user_posts(self.user) if p.region_id and p.region.community_id}
        community.queryset = Region.objects.filter(level=Level.COMMUNITY).filter(
            Q(pk__in=community.queryset.values("pk")) | Q(code__in=own)
        )

    def clean_availability(self):
        return ",".join(self.cleaned_data["availability"])

    def save(self, commit=True):
        obj = super().save(commit=False)
        obj._pending_skills = self.cleaned_data["skills"]
        return obj


class ActivityForm(ScopedModelForm):
    class Meta:
        model = Activity
        fields = [
            "region",
            "team",
            "title",
            "kind",
            "description",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
        ]
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME}


class PublicApplyForm(forms.Form):
    """The residents' page: apply to register (and report as a party member)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号码"), max_length=20)
    community = forms.ModelChoiceField(
        label=_("居住社区"), queryset=Region.objects.filter(level=Level.COMMUNITY)
    )
    skills = skills_field()
    talents = forms.CharField(label=_("特长说明"), max_length=200, required=False)
    availability = availability_field()
    party = forms.BooleanField(label=_("我是中共党员，到居住社区报到"), required=False)
    party_kind = forms.ChoiceField(label=_("党员类别"), choices=PartyMember.Kind.choices, required=False)
    work_unit = forms.CharField(label=_("工作单位"), max_length=100, required=False)
    branch = forms.CharField(label=_("所在党支部"), max_length=100, required=False)
    consent_contact = forms.BooleanField(label=_("同意社区在志愿服务需要时与我联系"), required=False)
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def clean(self):
        data = super().clean()
        if data.get("party") and not data.get("branch"):
            self.add_error("branch", _("党员报到须填写所在党支部。"))
        return data


class IdentityForm(forms.Form):
    """A volunteer on the residents' pages: number and phone."""

    number = forms.CharField(label=_("志愿者编号"), max_length=20)
    phone = forms.CharField(label=_("手机号码"), max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class CheckinForm(IdentityForm):
    code = forms.CharField(label=_("现场签到码"), max_length=8)


class CompleteForm(IdentityForm):
    note = forms.CharField(label=_("完成情况"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class PickVolunteerForm(ScopedModelForm):
    """Choose a volunteer in scope (sign-up, team member, claim on behalf)."""

    class Meta:
        model = TeamMember
        fields = ["volunteer", "role"]

    def __init__(self, *args, with_role: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["volunteer"]
        assert isinstance(field, forms.ModelChoiceField)
        qs = field.queryset
        assert qs is not None
        field.queryset = qs.filter(status=Volunteer.Status.ACTIVE)
        if not with_role:
            del self.fields["role"]


class GrantForm(forms.Form):
    points = forms.IntegerField(label=_("奖励积分"), min_value=1, max_value=1000)
    reason = forms.CharField(label=_("事由"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class RedeemForm(forms.Form):
    reward = forms.ModelChoiceField(label=_("兑换物品"), queryset=Reward.objects.none())
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args, rewards=None, **kwargs):
        super().__init__(*args, **kwargs)
        if rewards is not None:
            self.fields["reward"].queryset = rewards
        style_widgets(self)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class HoursForm(forms.Form):
    hours = forms.DecimalField(label=_("服务时长（小时）"), min_value=0, max_value=24, decimal_places=1)


class FinishForm(forms.Form):
    summary = forms.CharField(label=_("活动总结"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    photos = PhotosField(label=_("活动照片"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class TaskDoneForm(forms.Form):
    note = forms.CharField(label=_("完成情况"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    hours = forms.DecimalField(
        label=_("服务时长（小时）"), min_value=0, max_value=24, decimal_places=1, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("完成进度(%)"), min_value=0, max_value=100)
    note = forms.CharField(label=_("进展情况"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class PartyReportForm(ScopedModelForm):
    """Staff register a party member's report: the person (found by phone, or new) and the member."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号码"), max_length=20)
    community = forms.ModelChoiceField(
        label=_("居住社区"), queryset=Region.objects.filter(level=Level.COMMUNITY)
    )

    class Meta:
        model = PartyMember
        fields = ["kind", "work_unit", "branch", "unit_contact", "unit_phone", "reported_on"]
        widgets = {"reported_on": DATE}

    field_order = ["name", "phone", "community", "kind", "work_unit", "branch", "unit_contact", "unit_phone"]
