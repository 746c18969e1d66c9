from django.contrib import admin

from linli.core.admin import ConfigAdmin

from .models import Skill


@admin.register(Skill)
class SkillAdmin(ConfigAdmin):
    """Administrators keep the list of skills and talents (能人、才人、艺人)."""

    list_display = ("name", "kind", "sort", "active")
    list_editable = ("sort", "active")
    list_filter = ("kind", "active")
