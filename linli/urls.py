from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from linli.api import api
from linli.cases import public
from linli.core.lookup import lookup_view
from linli.core.views import reveal_view
from linli.visits.teams import grid_card

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:home", permanent=False)),
    path("accounts/", include("linli.accounts.urls")),
    path("regions/", include("linli.regions.urls")),
    path("people/", include("linli.people.urls")),
    path("jobs/", include("linli.core.urls")),
    path("cases/", include("linli.cases.urls")),
    path("visits/", include("linli.visits.urls")),
    path("dashboard/", include("linli.dashboard.urls")),
    path("volunteers/", include("linli.volunteers.urls")),
    path("volunteer/", include("linli.volunteers.public_urls")),
    path("grid-card/", grid_card, name="public_grid_card"),
    path("report/", public.public_report, name="public_report"),
    path("open311/", include("linli.cases.open311_urls")),
    path("track/", public.public_track, name="public_track"),
    path("lookup/<str:label>/", lookup_view, name="lookup"),
    path("reveal/<str:label>/<str:pk>/<str:field_name>/", reveal_view, name="reveal"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
