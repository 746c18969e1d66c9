"""The population and housing registry (以房管人): households, residents, floating
population, special groups with their care rules, and moves."""

from __future__ import annotations

import datetime as dt

from django.db import connection, models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from linli.core.models import ScopedModel, current_scope_indexes, scope_fk
from linli.core.pii import PersonalDataField
from linli.core.roles import DEFAULT_POLICY, STAFF_AND_ABOVE
from linli.regions.models import HousingUnit, PartnerUnit

from .codes import (
    ETHNICITY_CHOICES,
    Education,
    Gender,
    MaritalStatus,
    PoliticalStatus,
    Relation,
    ResidenceType,
)


class Household(ScopedModel):
    """户: a household living in a housing unit."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("家庭户")
        COLLECTIVE = "collective", _("集体户")

    housing_unit = models.ForeignKey(
        HousingUnit, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="households"
    )
    number = models.CharField(_("户号"), max_length=30, blank=True, db_index=True)
    kind = models.CharField(_("户类型"), max_length=12, choices=Kind.choices, default=Kind.FAMILY)
    head = models.ForeignKey(
        "Resident", verbose_name=_("户主"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_address = models.CharField(_("户籍地址"), max_length=200, blank=True)
    archived_at = models.DateField(_("迁出日期"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["housing_unit_id", "id"]
        verbose_name = _("户")
        verbose_name_plural = _("户")

    def __str__(self) -> str:
        head = self.head.name if self.head_id and self.head else ""
        return f"{self.housing_unit} {head}".strip()

    def scope_region(self):
        return self.housing_unit.building.grid_region


def listed() -> Q:
    """The current residents, for a list in key order. On PostgreSQL with ``id > 0``: the
    condition of the list indexes (migration 0013), so that the planner may read a region's
    page from them; searches leave it out and keep their own plan (decision 10)."""
    if connection.vendor == "postgresql":  # a constant in the SQL, never a parameter: a
        # prepared statement's generic plan can prove the index condition only from that
        return Q(GreaterThan(F("pk"), RawSQL("0", ())), archived_at__isnull=True)
    return Q(archived_at__isnull=True)


class Resident(ScopedModel):
    """A person living in the district (居民)."""

    # not indexed: names are found through their tokens (NameToken), never by the column
    name = models.CharField(_("姓名"), max_length=50)
    citizen_id = PersonalDataField(_("公民身份号码"), kind="citizen_id", unique_index=True)
    # The last four characters, which the masked form shows anyway: search by 后四位.
    id_tail = models.CharField(_("身份证后四位"), max_length=4, blank=True, db_index=True, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, db_index=True)
    phone = PersonalDataField(_("联系电话"), kind="mobile")
    ethnicity = models.CharField(_("民族"), max_length=2, choices=ETHNICITY_CHOICES, default="01")
    education = models.CharField(_("学历"), max_length=2, choices=Education.choices, blank=True)
    political_status = models.CharField(
        _("政治面貌"), max_length=2, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    marital_status = models.CharField(_("婚姻状况"), max_length=2, choices=MaritalStatus.choices, blank=True)
    occupation = models.CharField(_("职业"), max_length=50, blank=True)
    employer = models.CharField(_("服务处所"), max_length=100, blank=True)
    residence_type = models.CharField(
        _("人口类别"),
        max_length=12,
        choices=ResidenceType.choices,
        default=ResidenceType.REGISTERED,
        db_index=True,
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("所属户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    relation = models.CharField(_("与户主关系"), max_length=2, choices=Relation.choices, blank=True)
    housing_unit = models.ForeignKey(
        HousingUnit, verbose_name=_("实际居住房屋"), on_delete=models.PROTECT, related_name="residents"
    )
    registered_address = models.CharField(_("户籍地址"), max_length=200, blank=True)
    separated = models.BooleanField(_("人户分离"), default=False)
    archived_at = models.DateField(_("迁出日期"), null=True, blank=True, db_index=True)
    archive_reason = models.CharField(_("迁出原因"), max_length=100, blank=True)

    scope_policy = {**DEFAULT_POLICY, "export": STAFF_AND_ABOVE}

    # indexed with archived_at instead (Meta.indexes): "current residents of X" is the
    # filter of every list and count, answered from the index without reading the rows
    district = scope_fk(_("区"), db_index=False)
    subdistrict = scope_fk(_("街道"), db_index=False)
    community = scope_fk(_("社区"), db_index=False)
    grid = scope_fk(_("网格"), db_index=False)

    class Meta:
        ordering = ["id"]  # the primary key: a page of a million is an index walk, not a sort
        indexes = current_scope_indexes("resident")
        verbose_name = _("居民")
        verbose_name_plural = _("居民")

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        return self.housing_unit.building.grid_region

    def age(self, on: dt.date | None = None) -> int | None:
        if not self.birth_date:
            return None
        on = on or dt.date.today()
        return (
            on.year
            - self.birth_date.year
            - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))
        )


class FloatingInfo(models.Model):
    """流动人口: residence permit, arrival, origin, workplace (one per floating resident)."""

    resident = models.OneToOneField(
        Resident, on_delete=models.CASCADE, related_name="floating", primary_key=True
    )
    permit_number = models.CharField(_("居住证号码"), max_length=30, blank=True, db_index=True)
    permit_issued = models.DateField(_("居住证签发日期"), null=True, blank=True)
    permit_expires = models.DateField(_("居住证有效期至"), null=True, blank=True, db_index=True)
    arrival_date = models.DateField(_("来本地日期"), null=True, blank=True)
    origin_code = models.CharField(_("户籍地区划代码"), max_length=12, blank=True, db_index=True)
    employer_unit = models.ForeignKey(
        PartnerUnit,
        verbose_name=_("就业单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("来本地事由"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("流动人口信息")
        verbose_name_plural = _("流动人口信息")

    def __str__(self) -> str:
        return f"{self.resident} {self.permit_number}"


class SpecialGroup(models.Model):
    """A special group (低保, 独居老人 …), configured by administrators, with its care rule."""

    class AppliesTo(models.TextChoices):
        RESIDENT = "resident", _("个人")
        HOUSEHOLD = "household", _("家庭")

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    applies_to = models.CharField(
        _("对象"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.RESIDENT
    )
    visit_every_days = models.PositiveSmallIntegerField(
        _("走访周期(天)"),
        null=True,
        blank=True,
        help_text=_("关怀规则：每隔多少天至少走访一次；留空表示不要求"),
    )
    care_note = models.CharField(_("关怀要求"), max_length=200, blank=True)
    derived_min_age = models.PositiveSmallIntegerField(
        _("按年龄自动认定"), null=True, blank=True, help_text=_("例如高龄：80 岁及以上自动属于本群体")
    )
    colour = models.CharField(_("楼栋图颜色"), max_length=7, default="#dc3545")
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("特殊人群类别")
        verbose_name_plural = _("特殊人群类别")

    def __str__(self) -> str:
        return self.name


def current_tag_q(today: dt.date, prefix: str = "") -> Q:
    """Tags in force on ``today`` (``prefix``: the path to the tag, e.g. "tags__")."""
    return Q(**{f"{prefix}start_date__lte": today}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": today})
    )


class GroupTag(ScopedModel):
    """Membership of a resident or a household in a special group, with history.

    Ending a membership sets ``end_date``; nothing is deleted, so the history stays.
    """

    group = models.ForeignKey(
        SpecialGroup, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="tags"
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), null=True, blank=True, on_delete=models.CASCADE, related_name="tags"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("户"), null=True, blank=True, on_delete=models.CASCADE, related_name="tags"
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True, db_index=True)
    reason = models.CharField(_("认定依据"), max_length=200, blank=True)
    care_level = models.PositiveSmallIntegerField(
        _("关怀等级"), default=2, choices=[(1, _("一级（重点）")), (2, _("二级")), (3, _("三级"))]
    )
    disability_category = models.CharField(_("残疾类别"), max_length=10, blank=True)
    disability_grade = models.CharField(_("残疾等级"), max_length=10, blank=True)

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("特殊人群标签")
        verbose_name_plural = _("特殊人群标签")
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False, household__isnull=True)
                | Q(resident__isnull=True, household__isnull=False),
                name="grouptag_resident_xor_household",
            )
        ]
        # the dashboard's members per group under a place, read from the index alone
        indexes = [
            models.Index(
                fields=["district", "subdistrict", "group", "start_date", "end_date", "resident"],
                name="grouptag_members",
            )
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.resident or self.household}"

    def scope_region(self):
        owner = self.resident or self.household
        return owner.scope_region() if owner else None

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date >= dt.date.today()


class Move(ScopedModel):
    """A move of a resident or a household (in the district, in, or out)."""

    class Kind(models.TextChoices):
        WITHIN = "within", _("区内迁移")
        IN = "in", _("迁入")
        OUT = "out", _("迁出本区")

    resident = models.ForeignKey(
        Resident,
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="moves",
    )
    household = models.ForeignKey(
        Household, verbose_name=_("户"), null=True, blank=True, on_delete=models.CASCADE, related_name="moves"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    from_unit = models.ForeignKey(
        HousingUnit,
        verbose_name=_("原房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        HousingUnit,
        verbose_name=_("新房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    moved_on = models.DateField(_("日期"))
    reason = models.CharField(_("原因"), max_length=100, blank=True)

    class Meta:
        ordering = ["-moved_on", "-id"]
        verbose_name = _("迁移记录")
        verbose_name_plural = _("迁移记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.moved_on}"

    def scope_region(self):
        unit = self.to_unit or self.from_unit
        return unit.building.grid_region if unit else None


class NameToken(models.Model):
    """Search tokens of a resident's name: each pair of characters, the last character and
    the pinyin initials ("py:zsf"; ``services.name_tokens``). A two-character query is one
    token; a one-character or initials query is the range of tokens starting with it, which
    finds every name holding that character or whose initials begin so. The column compares
    by code point on both databases (COLLATE "C" on PostgreSQL, migration 0012), so that
    such a range holds exactly those tokens.

    About three and a half rows a resident, so an import writes several times as many of
    these as residents: the table is only its key (token, resident), on SQLite without a
    rowid (migration 0010; one B-tree in all), and without a foreign-key constraint, which
    would check every token against the resident just written. The rows are derived data,
    written and deleted with their resident by the services (``index_name``, which the
    importer also uses); a token is deleted by its key, from the old name, so no index on
    the resident is needed."""

    pk = models.CompositePrimaryKey("token", "resident")
    token = models.CharField(max_length=20)
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )

    def __str__(self) -> str:
        return self.token
