from django.contrib import admin

from linli.core.admin import ConfigAdmin

from .models import SpecialGroup


@admin.register(SpecialGroup)
class SpecialGroupAdmin(ConfigAdmin):
    """Administrators configure the special groups and their care rules."""

    list_display = ("name", "code", "applies_to", "visit_every_days", "derived_min_age", "active", "sort")
    list_editable = ("visit_every_days", "active", "sort")
