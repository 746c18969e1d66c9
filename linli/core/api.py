"""Shared API machinery: authentication, problem-details errors, scoped pagination."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from .errors import ErrorCode, ServiceError


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        from linli.accounts.services import authenticate_token

        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session, with Django's CSRF check for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


def problem(api: NinjaAPI, request, status: int, code: str, message: str, **extra):
    body = {
        "type": f"https://linli.example/errors/{code}",
        "title": message,
        "status": status,
        "code": code,
        "detail": message,
        **extra,
    }
    resp = api.create_response(request, body, status=status)
    resp["Content-Type"] = "application/problem+json"
    return resp


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ServiceError)
    def service_error(request, exc: ServiceError):
        status = (
            404
            if exc.code == ErrorCode.NOT_FOUND
            else 403
            if exc.code == ErrorCode.PERMISSION_DENIED
            else 422
        )
        extra: dict[str, object] = {"errors": exc.errors} if exc.errors else {}
        if exc.field:
            extra["field"] = exc.field
        return problem(api, request, status, exc.code, str(exc.message), **extra)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return problem(api, request, 404, ErrorCode.NOT_FOUND, _("记录不存在。"))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return problem(api, request, 401, ErrorCode.AUTHENTICATION_REQUIRED, _("需要登录或有效的 API 令牌。"))

    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc: NinjaValidationError):
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "message": e.get("msg", "")}
            for e in exc.errors
        ]
        return problem(api, request, 422, ErrorCode.INVALID, _("请求参数有误。"), errors=errors)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return problem(api, request, exc.status_code, ErrorCode.INVALID, str(exc))
