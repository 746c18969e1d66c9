"""The region tree (district → subdistrict → community → grid) and what lies below grids."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape

from linli.core.models import ScopedModel
from linli.core.pii import PersonalDataField
from linli.core.roles import CODE_LENGTH, DEFAULT_POLICY, LEVEL_ORDER, STAFF_AND_ABOVE, Level, Role
from linli.core.validators import validate_credit_code


def boundary_box(boundary) -> tuple:
    """(west, south, east, north) of a GeoJSON geometry, or four Nones."""
    if not boundary:
        return (None, None, None, None)
    return tuple(round(v, 6) for v in shape(boundary).bounds)


class Region(ScopedModel):
    """A node of the tree. Its code is its key: NBS codes for district, subdistrict and
    community (6, 9, 12 digits), community code + 3 digits for a grid."""

    code = models.CharField(_("代码"), max_length=15, primary_key=True)
    name = models.CharField(_("名称"), max_length=100, db_index=True)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # For districts: where they sit in the national tree (display only).
    context_name = models.CharField(_("所属省市"), max_length=100, blank=True)
    boundary = models.JSONField(_("边界 (GeoJSON)"), null=True, blank=True)
    centroid_lng = models.FloatField(_("中心经度"), null=True, blank=True)
    centroid_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    # the boundary's bounding box, filled on save: "the grids in view" is a range filter
    west = models.FloatField(null=True, blank=True, editable=False)
    south = models.FloatField(null=True, blank=True, editable=False)
    east = models.FloatField(null=True, blank=True, editable=False)
    north = models.FloatField(null=True, blank=True, editable=False)

    scope_policy = {
        **DEFAULT_POLICY,
        "view": DEFAULT_POLICY["view"] | {Role.DEPARTMENT_HANDLER},
        "add": STAFF_AND_ABOVE,
        "change": STAFF_AND_ABOVE,
    }
    sysadmin_actions = frozenset({"view", "add", "change", "delete", "export"})
    audit_exclude = ("created_at", "updated_at", "boundary", "west", "south", "east", "north")

    class Meta:
        ordering = ["code"]
        verbose_name = _("区域")
        verbose_name_plural = _("区域")

    def __str__(self) -> str:
        return self.name

    def fill_box(self) -> None:
        self.west, self.south, self.east, self.north = boundary_box(self.boundary)

    def save(self, *args, **kwargs):
        self.fill_box()
        super().save(*args, **kwargs)

    def fill_scope(self) -> None:
        parent = self.parent
        for lvl in LEVEL_ORDER:
            setattr(self, f"{lvl}_id", getattr(parent, f"{lvl}_id") if parent else None)
        setattr(self, f"{self.level}_id", self.code)

    @property
    def short_name(self) -> str:
        for suffix in ("社区居民委员会", "居民委员会", "社区居委会", "居委会", "村民委员会", "村委会"):
            if self.name.endswith(suffix) and len(self.name) > len(suffix):
                stem = self.name[: -len(suffix)]
                return (
                    stem + ("村" if "村" in suffix else "社区") if not stem.endswith(("村", "社区")) else stem
                )
        return self.name

    @property
    def child_level(self) -> str | None:
        i = LEVEL_ORDER.index(Level(self.level))
        return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None

    def ancestors(self) -> list[Region]:
        """From the district down to the parent (uses the scope columns, one query)."""
        codes = [getattr(self, f"{lvl}_id") for lvl in LEVEL_ORDER if lvl != self.level]
        codes = [c for c in codes if c and len(c) < len(self.code)]
        return list(Region.objects.filter(code__in=codes).order_by("code"))

    @classmethod
    def department_q(cls, department):
        region = department.region
        return Q(**{f"{region.level}_id": region.code})

    def clean(self):
        if self.code and len(self.code) != CODE_LENGTH.get(Level(self.level), 0):
            raise ValidationError({"code": _("代码长度与层级不符。")})


def credit_code_validator(value: str) -> None:
    validate_credit_code(value)


def grid_region_q():
    return {"level": Level.GRID}


class Compound(ScopedModel):
    """小区: a residential compound inside a grid."""

    grid_region = models.ForeignKey(
        Region,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="compounds",
        limit_choices_to=grid_region_q,
    )
    name = models.CharField(_("小区名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    property_company = models.CharField(_("物业公司"), max_length=100, blank=True)

    class Meta:
        ordering = ["grid_region_id", "name"]
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        constraints = [models.UniqueConstraint(fields=["grid_region", "name"], name="compound_unique_name")]

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        return self.grid_region


class Building(ScopedModel):
    """楼栋."""

    grid_region = models.ForeignKey(
        Region,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to=grid_region_q,
    )
    compound = models.ForeignKey(
        Compound,
        verbose_name=_("小区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buildings",
    )
    name = models.CharField(_("楼栋"), max_length=50, help_text=_("例如：3号楼"))
    floors = models.PositiveSmallIntegerField(_("层数"), default=1)
    units = models.PositiveSmallIntegerField(_("单元数"), default=1)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        ordering = ["grid_region_id", "compound_id", "name"]
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [
            models.UniqueConstraint(fields=["grid_region", "compound", "name"], name="building_unique_name")
        ]

    def __str__(self) -> str:
        return self.label(self.compound.name if self.compound else None, self.name)

    @staticmethod
    def label(compound: str | None, building: str) -> str:
        """小区 楼栋, or the building alone."""
        return f"{compound} {building}" if compound else building

    def scope_region(self):
        return self.grid_region

    def clean(self):
        if self.compound_id and self.grid_region_id and self.compound.grid_region_id != self.grid_region_id:
            raise ValidationError({"compound": _("小区不在所选网格内。")})


class HousingUnit(ScopedModel):
    """房屋: building / unit / floor / room."""

    class Usage(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅")
        COMMERCIAL = "commercial", _("商铺")
        OFFICE = "office", _("办公")
        OTHER = "other", _("其他")

    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="housing_units"
    )
    unit = models.CharField(_("单元"), max_length=10, blank=True)
    floor = models.SmallIntegerField(_("楼层"))
    room = models.CharField(_("房号"), max_length=20)
    area = models.DecimalField(_("面积(㎡)"), max_digits=8, decimal_places=2, null=True, blank=True)
    usage = models.CharField(_("用途"), max_length=20, choices=Usage.choices, default=Usage.RESIDENTIAL)

    class Meta:
        ordering = ["building_id", "unit", "floor", "room"]
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="housing_unit_unique_room")
        ]

    def __str__(self) -> str:
        building = self.building
        compound = building.compound.name if building.compound else None
        return self.label(compound, building.name, self.unit, self.room)

    @staticmethod
    def label(compound: str | None, building: str, unit: str, room: str) -> str:
        """How people name a housing unit: 小区 楼栋 单元 室 (lists make it from these
        four values without loading the records)."""
        place = Building.label(compound, building)
        return f"{place} {unit}单元{room}" if unit else f"{place} {room}"

    def scope_region(self):
        return self.building.grid_region

    def clean(self):
        if self.building_id and self.floor is not None and self.floor > self.building.floors:
            raise ValidationError({"floor": _("楼层超过楼栋层数。")})


class GridTeamRole(models.TextChoices):
    """The eight-person grid steward team (网格管家团队)."""

    LEADER = "leader", _("网格长")
    ASSISTANT = "assistant", _("网格协管员")
    POLICE = "police", _("片区民警")
    FIRE = "fire", _("消防联络员")
    LEGAL = "legal", _("法律服务员")
    LIAISON = "liaison", _("群众工作员")
    SUPERVISOR = "supervisor", _("民生监督员")
    CLEANER = "cleaner", _("网格保洁员")


class GridTeamMember(ScopedModel):
    grid_region = models.ForeignKey(
        Region,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="team",
        limit_choices_to=grid_region_q,
    )
    role = models.CharField(_("岗位"), max_length=20, choices=GridTeamRole.choices)
    name = models.CharField(_("姓名"), max_length=50)
    phone = PersonalDataField(_("联系电话"), kind="mobile")
    organisation = models.CharField(_("所在单位"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    on_card = models.BooleanField(
        _("公开在网格名片上"), default=False, help_text=_("本人同意后，姓名、岗位和电话向居民公开")
    )

    class Meta:
        ordering = ["grid_region_id", "role", "name"]
        verbose_name = _("网格管家团队成员")
        verbose_name_plural = _("网格管家团队成员")

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"

    def role_order(self) -> int:
        return list(GridTeamRole.values).index(self.role)

    def scope_region(self):
        return self.grid_region


class PartnerUnit(ScopedModel):
    """共建/包联单位, registered at a district, subdistrict or community."""

    region = models.ForeignKey(
        Region, verbose_name=_("登记区域"), on_delete=models.PROTECT, related_name="partners"
    )
    name = models.CharField(_("单位名称"), max_length=100)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[credit_code_validator]
    )
    contact = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = PersonalDataField(_("联系电话"), kind="mobile")
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("共建单位")
        verbose_name_plural = _("共建单位")

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        return self.region


class PartnerPairing(ScopedModel):
    """A partner unit paired with a community (包联), optionally with one compound."""

    partner = models.ForeignKey(
        PartnerUnit, verbose_name=_("共建单位"), on_delete=models.CASCADE, related_name="pairings"
    )
    community_region = models.ForeignKey(
        Region,
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="pairings",
        limit_choices_to={"level": Level.COMMUNITY},
    )
    compound = models.ForeignKey(
        Compound, verbose_name=_("小区"), null=True, blank=True, on_delete=models.PROTECT
    )
    content = models.CharField(_("共建内容"), max_length=200, blank=True)
    since = models.DateField(_("开始日期"), null=True, blank=True)

    class Meta:
        ordering = ["community_region_id", "partner_id"]
        verbose_name = _("包联关系")
        verbose_name_plural = _("包联关系")

    def __str__(self) -> str:
        return f"{self.partner} — {self.community_region}"

    def scope_region(self):
        return self.community_region

    def clean(self):
        if (
            self.compound_id
            and self.community_region_id
            and self.compound.community_id != self.community_region_id
        ):
            raise ValidationError({"compound": _("小区不在所选社区内。")})
