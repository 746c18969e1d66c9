"""Which region node a page is about: ``?region=<code>`` when the user may see it, else the
highest node of the user's posts (their home), and the way back up."""

from __future__ import annotations

from django.http import Http404

from linli.core.roles import LEVEL_ORDER, ROLE_LEVEL, Role
from linli.core.scoping import access_by_pk, restrict, user_posts

from .models import Region


def home_region(user, *, departments: bool = False) -> Region | None:
    """The highest region among the user's posts (with ``departments``, a handler's
    department's region when they hold no region post)."""
    posts = [p for p in user_posts(user) if p.role in ROLE_LEVEL and p.region_id]
    posts.sort(key=lambda p: LEVEL_ORDER.index(ROLE_LEVEL[p.role]))
    if posts:
        return posts[0].region
    if departments:
        for p in user_posts(user):
            if p.role == Role.DEPARTMENT_HANDLER and p.department_id:
                return p.department.region
    return None


def node_of(request, param: str = "region", *, departments: bool = False) -> Region:
    """The node named by ``?region=`` (404 when out of the user's scope) or the user's home."""
    code = request.GET.get(param)
    if code:
        return access_by_pk(Region, request.user, code)
    region = home_region(request.user, departments=departments)
    if region is None:
        raise Http404
    return region


def visible_ancestors(node: Region, user) -> list[Region]:
    """The node's ancestors the user may open (for the way back up), in one query."""
    codes = [r.code for r in node.ancestors()]
    return list(restrict(Region.objects.filter(code__in=codes), user).order_by("code"))
