from django.urls import path

from . import views
from .views import HOUSEHOLDS, RESIDENTS, TAGS

app_name = "people"

urlpatterns = [
    *RESIDENTS.urls("residents"),
    path("residents/<int:pk>/move/", views.resident_move, name="resident_move"),
    path("residents/import/", views.resident_import, name="resident_import"),
    path("residents/<int:pk>/floating/", views.resident_floating, name="resident_floating"),
    path("buildings/<int:pk>/", views.building_view, name="building"),
    *HOUSEHOLDS.urls("households"),
    *TAGS.urls("tags"),
]
