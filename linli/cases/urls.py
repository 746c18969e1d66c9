from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("todo/", views.todo, name="todo"),
    path("new/", views.case_new, name="new"),
    path("bulk/", views.case_bulk, name="bulk"),
    path("map/", views.case_map, name="map"),
    path("map/data/", views.case_map_data, name="map_data"),
    path("inbox/", views.inbox, name="inbox"),
    path("indicators/", views.indicators_page, name="indicators"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/", views.case_act, name="act"),
    path("<int:pk>/merge/", views.case_merge, name="merge"),
    path("<int:pk>/photos/<int:photo_pk>/", views.case_photo, name="photo"),
]
