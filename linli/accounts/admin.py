from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from linli.core.models import AuditEntry

from .models import ApiToken, Department, Post, User

# Only system administrators reach the admin site (三员分立: not auditors, not business posts).
admin.site.has_permission = lambda request: bool(  # type: ignore[method-assign]
    request.user.is_active and getattr(request.user, "is_sysadmin", False)
)


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    autocomplete_fields = ["region", "department"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "system_role", "is_active", "last_login")
    list_filter = ("system_role", "is_active")
    search_fields = ("username", "full_name")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Linli", {"fields": ("full_name", "system_role")}))
    inlines = [PostInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "region")
    search_fields = ("name",)
    autocomplete_fields = ["region"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Visible to nobody here: the audit log is read by auditors in the UI, and edited by no one."""

    def has_module_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
