import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from linli.accounts.models import User
from linli.core.testing import PASSWORD, build_world


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language: a request in another (a user who chose
    English) leaves it active in the thread after the response."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The real 新体路街道 tree and the personas, built once for the session."""
    with django_db_blocker.unblock():
        build_world()


@pytest.fixture
def users(db):
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def client_for(db):
    def make(username):
        c = Client()
        assert c.login(username=username, password=PASSWORD)
        return c

    return make
