from django.contrib import admin


class ConfigAdmin(admin.ModelAdmin):
    """Configuration lists kept by the system administrator (三员分立: the admin site is
    theirs alone), whatever Django permissions the account carries."""

    def _sysadmin(self, request) -> bool:
        return bool(request.user.is_active and getattr(request.user, "is_sysadmin", False))

    def has_module_permission(self, request):
        return self._sysadmin(request)

    def has_view_permission(self, request, obj=None):
        return self._sysadmin(request)

    def has_add_permission(self, request):
        return self._sysadmin(request)

    def has_change_permission(self, request, obj=None):
        return self._sysadmin(request)

    def has_delete_permission(self, request, obj=None):
        return self._sysadmin(request)
