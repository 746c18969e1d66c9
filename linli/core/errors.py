"""Errors raised by service functions: a stable code and a translated message.

Views turn them into form errors or messages, the API into problem-details JSON,
imports into per-row reports. Codes never change once published.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ErrorCode:
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    OUT_OF_SCOPE = "out_of_scope"
    DUPLICATE = "duplicate"
    INVALID_CODE = "invalid_code"
    UNKNOWN_REGION = "unknown_region"
    INVALID_GEOMETRY = "invalid_geometry"
    OVERLAPPING_GRID = "overlapping_grid"
    INVALID_CITIZEN_ID = "invalid_citizen_id"
    INVALID_MOBILE = "invalid_mobile"
    INVALID_CREDIT_CODE = "invalid_credit_code"
    SEPARATION_OF_DUTIES = "separation_of_duties"
    IMPORT_FAILED = "import_failed"
    FILE_TOO_LARGE = "file_too_large"
    UNSUPPORTED_FILE = "unsupported_file"
    OUTSIDE_GRIDS = "outside_grids"
    AUTHENTICATION_REQUIRED = "authentication_required"
    IN_USE = "in_use"
    INVALID_TRANSITION = "invalid_transition"
    OUTSIDE_DISTRICT = "outside_district"


class ServiceError(Exception):
    """A business rule refused the operation; nothing was changed."""

    def __init__(self, code: str, message, *, field: str | None = None, errors: list | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        self.errors = errors or []

    def as_dict(self) -> dict:
        data: dict = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        if self.errors:
            data["errors"] = self.errors
        return data


class OutOfScope(ServiceError):
    """The record is not (or would no longer be) inside the actor's scope."""

    def __init__(self, message=None):
        super().__init__(ErrorCode.NOT_FOUND, message or _("记录不存在。"))


class PermissionDenied(ServiceError):
    def __init__(self, message=None):
        super().__init__(ErrorCode.PERMISSION_DENIED, message or _("您没有执行此操作的权限。"))
