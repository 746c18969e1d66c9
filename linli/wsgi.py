import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
application = get_wsgi_application()

# Load every view (and what they load: the pinyin dictionaries …) before the first
# request, then keep all of it out of the garbage collector's passes: a full pass over
# the ~300,000 objects a worker starts with takes ~100 ms, landing on some request.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
