from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    readonly_fields = ("code", "level", "parent")

    def has_add_permission(self, request):
        return False  # regions come from the official codes; grids are drawn in the UI
