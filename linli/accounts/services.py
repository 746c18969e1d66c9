"""The write path for accounts: users, posts (三员分立), tokens."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import AuditAction
from linli.core.prepared import Prepared
from linli.core.roles import ROLE_LEVEL, Role, SystemRole
from linli.core.scoping import forget_posts

from .models import ApiToken, Department, Post, User


def do_create_user(
    username: str, password: str, *, actor, full_name: str = "", system_role: str = SystemRole.NONE
) -> User:
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ServiceError(ErrorCode.DUPLICATE, _("用户名已存在。"), field="username")
        user = User(username=username, full_name=full_name, system_role=system_role)
        user.set_password(password)
        user.save()
        audit.record_create(user, actor=actor)
    return user


def do_assign_post(
    user: User, role: str, *, actor, region=None, department: Department | None = None, title: str = ""
) -> Post:
    """Give ``user`` a post. A system administrator or auditor holds no post (三员分立)."""
    if user.system_role:
        raise ServiceError(ErrorCode.SEPARATION_OF_DUTIES, _("系统管理员和安全审计员不能兼任业务岗位。"))
    if role == Role.DEPARTMENT_HANDLER:
        if department is None or region is not None:
            raise ServiceError(ErrorCode.INVALID, _("部门处置岗位须指定部门。"), field="department")
    else:
        if region is None or department is not None:
            raise ServiceError(ErrorCode.INVALID, _("区域岗位须指定区域。"), field="region")
        if region.level != ROLE_LEVEL[Role(role)]:
            raise ServiceError(ErrorCode.INVALID, _("岗位角色与区域层级不符。"), field="region")
    with transaction.atomic():
        post, created = Post.objects.get_or_create(
            user=user, role=role, region=region, department=department, defaults={"title": title}
        )
        if not post.active:
            post.active = True
            post.save(update_fields=["active"])
        if created:
            audit.record_create(post, actor=actor)
    forget_posts(user)
    return post


def do_set_system_role(user: User, system_role: str, *, actor) -> User:
    """Make ``user`` a system administrator or auditor (never both, never with posts)."""
    if system_role and user.posts.filter(active=True).exists():
        raise ServiceError(
            ErrorCode.SEPARATION_OF_DUTIES, _("该账号已有业务岗位，不能再设为系统管理员或审计员。")
        )
    with transaction.atomic():
        before = audit.snapshot(user)
        user.system_role = system_role
        user.is_staff = system_role == SystemRole.SYSADMIN
        user.save(update_fields=["system_role", "is_staff"])
        audit.record_update(user, before, actor=actor)
    return user


def do_create_token(user: User, name: str, *, actor) -> tuple[ApiToken, str]:
    """Returns the token row and the key, which is shown only this once."""
    if not name.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写令牌用途。"), field="name")
    key = "lnl_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip(), prefix=key[:12], digest=ApiToken.digest_of(key)
        )
        audit.record(AuditAction.TOKEN_CREATE, token, actor=actor)
    return token, key


def do_revoke_token(token: ApiToken, *, actor) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(AuditAction.TOKEN_REVOKE, token, actor=actor)


_live_token = Prepared(
    lambda digest: ApiToken.objects.select_related("user").filter(
        digest=digest, revoked_at__isnull=True, user__is_active=True
    )[:1]
)


def authenticate_token(key: str) -> User | None:
    found = _live_token(digest=ApiToken.digest_of(key))  # on every API request
    if not found:
        return None
    token = found[0]
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
