"""Telling people that work reached them: the in-app inbox (always) and, through a
pluggable sender, SMS or WeCom (企业微信). The sender is a dotted path in
``LINLI_NOTIFY_SENDER``; tests swap in a fake. A sender receives the user and a short
text that never carries a reporter's identity."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from linli.core.roles import Role

from .models import Case, HandlingLevel, Notification

log = logging.getLogger("linli.notify")
LEVEL_POSTS = {
    HandlingLevel.COMMUNITY: (Role.COMMUNITY_STAFF, "community_id"),
    HandlingLevel.SUBDISTRICT: (Role.SUBDISTRICT_OPERATOR, "subdistrict_id"),
    HandlingLevel.DISTRICT: (Role.DISTRICT_OPERATOR, "district_id"),
}


class LogSender:
    """The default: writes that a message would go out (user id only) to the log."""

    def send(self, user, text: str) -> None:
        log.debug("notify user=%s: %s", user.pk, text)


def sender():
    return import_string(settings.LINLI_NOTIFY_SENDER)()


def recipients(case: Case, who: str) -> list:
    User = get_user_model()
    q = Q(pk__in=[])
    if who in ("level", "verifiers"):
        level = HandlingLevel.COMMUNITY if who == "verifiers" else HandlingLevel(case.level)
        role, column = LEVEL_POSTS[level]
        q |= Q(posts__role=role, posts__region_id=getattr(case, column), posts__active=True)
        if level == HandlingLevel.COMMUNITY:
            q |= Q(posts__role=Role.GRID_WORKER, posts__region_id=case.grid_id, posts__active=True)
    elif who == "department" and case.department_id:
        q |= Q(
            posts__role=Role.DEPARTMENT_HANDLER, posts__department_id=case.department_id, posts__active=True
        )
    elif who == "reporter" and case.reporter_user_id:
        q |= Q(pk=case.reporter_user_id)
    return list(User.objects.filter(q, is_active=True).distinct())


def work_arrived(case: Case, who: str, action_label: str, users: list | None = None) -> None:
    """Inbox entries now, SMS/WeCom after the commit; ``users`` when the caller already
    looked them up (outside its write transaction)."""
    if not who:
        return
    if users is None:
        users = recipients(case, who)
    text = _("事件 %(n)s：%(a)s") % {"n": case.number, "a": action_label}
    Notification.objects.bulk_create([Notification(user=u, case=case, text=text[:200]) for u in users])
    out = sender()
    transaction.on_commit(lambda: [out.send(u, text) for u in users])


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
