"""Django's database sessions, read with a prepared statement (``core.prepared``).

Every signed-in request reads its session: building and compiling Django's
``Session.objects.get(session_key=..., expire_date__gt=now)`` costs several times what
the database takes to answer it. The session is read here by its key alone and its
expiry compared in Python, which is what Django's query asks of the database; an
expired or unknown key leaves the session empty and forgets the key, as Django's does.
Writing, rotating and deleting sessions are Django's own. ``SESSION_ENGINE`` names
this module.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from .prepared import Prepared

_by_key = Prepared(lambda key: Session.objects.filter(session_key=key)[:1])


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        found = _by_key(key=self.session_key) if isinstance(self.session_key, str) else []
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None
        return None
