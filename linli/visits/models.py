"""Grid work (网格工作): the visit diary (民情日记), monthly quotas, home services
(上门服务), holiday and hardship visits (走访慰问), duty rosters and building heads."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.core.models import ScopedModel
from linli.core.pii import PersonalDataField
from linli.core.roles import DEFAULT_POLICY, STAFF_AND_ABOVE, STAFF_ONLY, Role
from linli.people.models import Household, Resident
from linli.regions.models import Building, Compound, PartnerUnit, Region, grid_region_q

MAX_QUOTA = 300  # households a month: more than one worker can visit (≈ 14 a working day)


class Visit(ScopedModel):
    """One entry of a worker's visit diary (民情日记)."""

    class Kind(models.TextChoices):
        HOME = "home", _("入户走访")
        PHONE = "phone", _("电话回访")
        PATROL = "patrol", _("巡查")
        CONDOLENCE = "condolence", _("慰问")

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("方式"), max_length=12, choices=Kind.choices, default=Kind.HOME)
    visited_at = models.DateTimeField(_("走访时间"))  # indexed first in visit_at_place
    grid_region = models.ForeignKey(
        Region,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=grid_region_q,
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    compound = models.ForeignKey(
        Compound, verbose_name=_("小区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("场所/商铺"), max_length=100, blank=True)
    met = models.CharField(_("接待人"), max_length=100, blank=True)
    findings = models.TextField(_("发现的情况"), max_length=2000, blank=True)
    needs = models.TextField(_("居民诉求与意见"), max_length=2000, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    # the form's token or the API's Idempotency-Key: a resent form records one visit
    token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("转为事件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes = [
            models.Index(fields=["household", "visited_at"], name="visit_household_at"),
            models.Index(fields=["resident", "visited_at"], name="visit_resident_at"),
            # quota progress per worker, and visits and coverage per place in a period,
            # read from the index alone
            models.Index(fields=["worker", "visited_at", "kind", "household"], name="visit_worker_progress"),
            models.Index(
                fields=["visited_at", "district", "subdistrict", "community", "grid", "kind", "household"],
                name="visit_at_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visited_at:%Y-%m-%d} {self.get_kind_display()} {self.target_label}"

    @property
    def target_label(self) -> str:
        return str(self.household or self.resident or self.compound or self.place or self.grid_region)

    def scope_region(self):
        return self.grid_region


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to="visits/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.image.name)


class VisitQuota(ScopedModel):
    """Households a person of ``role`` must visit each month, set for a region's subtree
    (the nearest setting above a worker's post applies; 20 where none is set)."""

    region = models.ForeignKey(Region, verbose_name=_("适用区域"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(
        _("岗位角色"),
        max_length=30,
        choices=[(r.value, r.label) for r in (Role.COMMUNITY_STAFF, Role.GRID_WORKER)],
    )
    households = models.PositiveSmallIntegerField(
        _("每月走访户数"), validators=[MinValueValidator(1), MaxValueValidator(MAX_QUOTA)]
    )

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["region_id", "role"]
        verbose_name = _("走访定额")
        verbose_name_plural = _("走访定额")
        constraints = [models.UniqueConstraint(fields=["region", "role"], name="visitquota_unique")]

    def __str__(self) -> str:
        return f"{self.region} · {self.get_role_display()} · {self.households}"

    def scope_region(self):
        return self.region


class HomeService(ScopedModel):
    """上门服务: a resident registered for a recurring service, with its provider and days."""

    class Kind(models.TextChoices):
        MEALS = "meals", _("送餐")
        GROCERIES = "groceries", _("送菜")
        HAIRCUT = "haircut", _("理发")
        ERRANDS = "errands", _("代购")
        RECYCLING = "recycling", _("废品回收")
        CLEANING = "cleaning", _("保洁")
        BATHING = "bathing", _("助浴")
        HEALTH = "health", _("健康巡诊")
        OTHER = "other", _("其他")

    class Provider(models.TextChoices):
        VOLUNTEERS = "volunteers", _("志愿服务队")
        MERCHANT = "merchant", _("商户")
        STAFF = "staff", _("社区工作人员")

    resident = models.ForeignKey(
        Resident, verbose_name=_("服务对象"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("服务项目"), max_length=12, choices=Kind.choices)
    provider_kind = models.CharField(_("提供方类型"), max_length=12, choices=Provider.choices)
    provider = models.CharField(_("提供方"), max_length=100)
    partner = models.ForeignKey(
        PartnerUnit,
        verbose_name=_("合作商户/单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    weekdays = models.CharField(
        _("服务日"), max_length=20, blank=True, help_text=_("星期几，例如 1,3,5；留空表示按需预约")
    )
    time = models.CharField(_("时间"), max_length=30, blank=True, help_text=_("例如 11:30"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["resident_id", "kind"]
        verbose_name = _("上门服务")
        verbose_name_plural = _("上门服务")

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_kind_display()}"

    def scope_region(self):
        return self.resident.housing_unit.building.grid_region

    @property
    def days(self) -> list[int]:
        return [int(d) for d in self.weekdays.split(",") if d.strip().isdigit()]

    def due_on(self, day) -> bool:
        return (
            self.start_date <= day
            and (self.end_date is None or day <= self.end_date)
            and day.isoweekday() in self.days
        )


class Delivery(ScopedModel):
    """One delivery of a home service."""

    service = models.ForeignKey(
        HomeService, verbose_name=_("上门服务"), on_delete=models.CASCADE, related_name="deliveries"
    )
    delivered_on = models.DateField(_("服务日期"))
    done = models.BooleanField(_("已完成"), default=True, help_text=_("未完成时请在备注说明原因"))
    by = models.CharField(_("服务人"), max_length=50)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-delivered_on", "-id"]
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        constraints = [
            models.UniqueConstraint(fields=["service", "delivered_on"], name="delivery_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.delivered_on}"

    def scope_region(self):
        return self.service.scope_region()


class Campaign(ScopedModel):
    """走访慰问: a holiday or hardship visiting campaign of a region, with its target list."""

    class Occasion(models.TextChoices):
        SPRING = "spring", _("春节")
        MIDAUTUMN = "midautumn", _("中秋")
        JULY1 = "july1", _("七一")
        AUGUST1 = "august1", _("八一")
        DOUBLE9 = "double9", _("重阳")
        HARDSHIP = "hardship", _("困难帮扶")
        OTHER = "other", _("其他")

    region = models.ForeignKey(Region, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    occasion = models.CharField(_("类别"), max_length=12, choices=Occasion.choices)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    standard = models.CharField(
        _("慰问标准"), max_length=200, blank=True, help_text=_("例如：每户慰问金 500 元、米面油一份")
    )

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("走访慰问活动")
        verbose_name_plural = _("走访慰问活动")

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        return self.region


class CampaignTarget(ScopedModel):
    """A household on a campaign's list, and what it was given, by whom, signed off."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="targets"
    )
    household = models.ForeignKey(Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("慰问原因"), max_length=100, blank=True)
    money = models.DecimalField(_("慰问金(元)"), max_digits=9, decimal_places=2, default=0)
    goods = models.CharField(_("慰问品"), max_length=200, blank=True)
    goods_value = models.DecimalField(_("物品折价(元)"), max_digits=9, decimal_places=2, default=0)
    visited_on = models.DateField(_("慰问日期"), null=True, blank=True)
    visitors = models.CharField(_("慰问人"), max_length=200, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    scope_policy = {**DEFAULT_POLICY, "delete": STAFF_AND_ABOVE, "sign_off": STAFF_AND_ABOVE}

    class Meta:
        ordering = ["campaign_id", "grid_id", "id"]
        verbose_name = _("慰问对象")
        verbose_name_plural = _("慰问对象")
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="campaign_target_once")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.household}"

    def scope_region(self):
        return self.household.housing_unit.building.grid_region


class DutyShift(ScopedModel):
    """Who is on duty where and when: the service hall (值班一站式) or a grid (社工轮值网格)."""

    class Post(models.TextChoices):
        HALL = "hall", _("服务大厅值班")
        GRID = "grid", _("网格轮值")

    post = models.CharField(_("值班岗位"), max_length=8, choices=Post.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("社区/网格"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("服务大厅值班选社区，网格轮值选网格"),
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("值班人员"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("日期"), db_index=True)
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    note = models.CharField(_("备注"), max_length=100, blank=True)

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["day", "start", "post", "region_id"]
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="dutyshift_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.start:%H:%M}-{self.end:%H:%M} {self.get_post_display()} {self.worker}"

    def scope_region(self):
        return self.region


class BuildingContact(ScopedModel):
    """楼栋长 and information reporters (信息员) registered per building."""

    class Role(models.TextChoices):
        HEAD = "head", _("楼栋长")
        UNIT_HEAD = "unit_head", _("单元长")
        REPORTER = "reporter", _("信息员")

    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="contacts"
    )
    role = models.CharField(_("职责"), max_length=12, choices=Role.choices, default=Role.HEAD)
    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = PersonalDataField(_("联系电话"), kind="mobile")
    unit = models.CharField(_("负责单元"), max_length=20, blank=True)
    since = models.DateField(_("任职日期"), null=True, blank=True)

    class Meta:
        ordering = ["building_id", "role", "name"]
        verbose_name = _("楼栋长/信息员")
        verbose_name_plural = _("楼栋长/信息员")

    def __str__(self) -> str:
        return f"{self.building} {self.get_role_display()} {self.name}"

    def scope_region(self):
        return self.building.grid_region
