"""The one place that turns a user into a queryset filter.

``restrict(queryset, user, action)`` is the primitive every list, detail, edit,
delete, export, search, autocomplete, count and API endpoint goes through (the
NetBox ``RestrictedQuerySet.restrict`` idea). A user's posts each give a subtree
(an equality filter on one of the scope columns) or, for a department handler,
whatever the model's ``department_q`` allows. Out of scope looks exactly like
"does not exist".
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.http import Http404

from .errors import OutOfScope, PermissionDenied
from .prepared import Prepared
from .roles import ROLE_LEVEL, Role, SystemRole


def _active_posts(user_id: int):
    from linli.accounts.models import Post

    return Post.objects.filter(user_id=user_id, active=True).select_related("region", "department")


_posts_of = Prepared(_active_posts)  # on every request that checks scope


def user_posts(user) -> list:
    """The user's active posts, fetched once per user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_linli_posts", None)
    if cached is None:
        cached = _posts_of(user_id=user.pk)
        for post in cached:
            post.user = user
        user._linli_posts = cached
    return cached


def forget_posts(user) -> None:
    if hasattr(user, "_linli_posts"):
        del user._linli_posts


def _allowed_posts(user, model: type[models.Model], action: str) -> list | None:
    """The user's posts that may do ``action`` to ``model`` records; None: no restriction."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.system_role == SystemRole.SYSADMIN and action in getattr(model, "sysadmin_actions", ()):
        return None
    policy = getattr(model, "scope_policy", None)
    if policy is None:
        return []
    allowed = policy.get(action, frozenset())
    return [post for post in user_posts(user) if post.role in allowed]


def scope_q(user, model: type[models.Model], action: str = "view") -> Q | None:
    """A filter for what ``user`` may do ``action`` to; None means no restriction.

    Returns ``Q(pk__in=[])`` for nothing.
    """
    posts = _allowed_posts(user, model, action)
    if posts is None:
        return None
    q = Q(pk__in=[])
    for post in posts:
        if post.role == Role.DEPARTMENT_HANDLER:
            dq = model.department_q(post.department)  # type: ignore[attr-defined]
            if dq is not None:
                q |= dq
        else:
            q |= Q(**{f"{ROLE_LEVEL[post.role]}_id": post.region_id})
    return q


def _region_posts_cover(posts: list, scoped) -> bool:
    """A region post whose subtree holds ``scoped`` (a record or region with its scope
    columns loaded): the equality ``scope_q`` filters on, evaluated in memory."""
    return any(
        getattr(scoped, f"{ROLE_LEVEL[p.role]}_id") == p.region_id
        for p in posts
        if p.role != Role.DEPARTMENT_HANDLER
    )


def _has_department_post(posts: list) -> bool:
    return any(p.role == Role.DEPARTMENT_HANDLER for p in posts)


def restrict(queryset: models.QuerySet, user, action: str = "view") -> models.QuerySet:
    q = scope_q(user, queryset.model, action)
    return queryset if q is None else queryset.filter(q)


def can(user, model: type[models.Model], action: str) -> bool:
    """Whether ``user`` may do ``action`` to some records of ``model`` (for menus and buttons)."""
    q = scope_q(user, model, action)
    return q is None or q != Q(pk__in=[])


def access_by_pk(queryset_or_model, user, pk, action: str = "view"):
    """Fetch and authorise in one call; the same 404 for "missing" and "not yours"."""
    qs = (
        queryset_or_model
        if isinstance(queryset_or_model, models.QuerySet)
        else queryset_or_model.objects.all()
    )
    try:
        return restrict(qs, user, action).get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def may_at(user, model: type[models.Model], action: str, region) -> bool:
    """Whether ``user`` may do ``action`` to a ``model`` record placed at ``region`` (before
    there is one: regions carry the same scope columns as the records under them)."""
    posts = _allowed_posts(user, model, action)
    if posts is None or _region_posts_cover(posts, region):
        return True
    if not _has_department_post(posts):
        return False
    q = scope_q(user, model, action)
    return type(region)._default_manager.filter(q, pk=region.pk).exists()


def in_scope(obj: models.Model, user, action: str) -> bool:
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()


def covers(user, obj: models.Model, action: str) -> bool:
    """``in_scope`` answered from the record in memory, its scope columns as they stand
    (filled by ``fill_scope`` or loaded; saved or not) against the user's region posts.
    Only a department handler's rule needs the database, and only for a saved record."""
    posts = _allowed_posts(user, type(obj), action)
    if posts is None or _region_posts_cover(posts, obj):
        return True
    return _has_department_post(posts) and obj.pk is not None and in_scope(obj, user, action)


def require(obj: models.Model, user, action: str) -> None:
    """Before acting: ``user`` may do ``action`` to ``obj``, else PermissionDenied (``user``
    None: the system, or a resident on their own page, whom the service checks itself)."""
    if user is not None and not in_scope(obj, user, action):
        raise PermissionDenied()


def ensure_in_scope(obj: models.Model, user, action: str) -> None:
    """After a write, inside the transaction: the record must still be the actor's.

    Raising rolls the transaction back, so nobody can move a record out of reach.
    """
    if user is None:  # system operations (commands run by an operator)
        return
    if not in_scope(obj, user, action):
        raise OutOfScope()


class Principal:
    """Who scheduled work (the monthly reports) acts as: no account and no login, one
    region post, so every query still goes through ``restrict`` and sees exactly that
    region's subtree."""

    is_authenticated = True
    is_active = True
    is_auditor = False
    system_role = ""
    pk = None

    def __init__(self, region, role: str | None = None):
        from linli.accounts.models import Post

        role = role or {lvl: r for r, lvl in ROLE_LEVEL.items()}[region.level]
        self._linli_posts = [Post(role=role, region=region)]
        self.region = region

    def get_username(self) -> str:
        return f"system:{self.region.pk}"

    def __str__(self) -> str:
        return self.get_username()
