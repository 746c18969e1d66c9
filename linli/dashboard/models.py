"""Monthly reports kept once generated (on demand or by the schedule)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import ScopedModel
from linli.core.roles import STAFF_AND_ABOVE, Role


class MonthlyReport(ScopedModel):
    """月报: a community's or subdistrict's month, as the leader reads it at the monthly
    meeting. One per node, month and format; generating again replaces it."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel"
        PDF = "pdf", "PDF"

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))  # the first day
    format = models.CharField(_("格式"), max_length=4, choices=Format.choices)
    content = models.BinaryField(_("内容"))
    size = models.PositiveIntegerField(_("大小(字节)"), default=0)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_policy = {
        "view": STAFF_AND_ABOVE | {Role.GRID_WORKER},
        "add": STAFF_AND_ABOVE,
        "change": frozenset(),
        "delete": frozenset(),
        "export": STAFF_AND_ABOVE,
    }
    audit_exclude = ("created_at", "updated_at", "content")

    class Meta:
        ordering = ["-month", "region_id", "format"]
        verbose_name = _("月报")
        verbose_name_plural = _("月报")
        constraints = [
            models.UniqueConstraint(fields=["region", "month", "format"], name="monthly_report_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.month:%Y-%m} {self.format}"

    def scope_region(self):
        return self.region

    @property
    def filename(self) -> str:
        return f"{self.region.short_name}{self.month:%Y年%m月}工作月报.{self.format}"
