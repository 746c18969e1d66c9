"""Logins, failed logins and logouts go to the audit log."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from linli.core import audit
from linli.core.models import AuditAction


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record(AuditAction.LOGIN, user, actor=user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(AuditAction.LOGOUT, user, actor=user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    name = str(credentials.get("username", ""))[:150]
    audit.record(AuditAction.LOGIN_FAILED, actor=None, actor_name=name, object_type="accounts.user")
