"""Django's model backend, with the signed-in user of every request read by a prepared
statement (``core.prepared``): ``User.objects.get(pk=...)`` costs Django several times
what the database takes to answer it. Logging in and permissions are Django's own."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from linli.core.prepared import Prepared

from .models import User

_by_pk = Prepared(lambda pk: User.objects.filter(pk=pk)[:1])


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        found = _by_pk(pk=user_id) if type(user_id) is int else list(User.objects.filter(pk=user_id)[:1])
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
