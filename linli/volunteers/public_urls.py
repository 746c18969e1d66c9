from django.urls import path

from . import public

app_name = "volunteer"

urlpatterns = [
    path("", public.index, name="index"),
    path("apply/", public.apply, name="apply"),
    path("activities/<int:pk>/", public.activity, name="activity"),
    path("checkin/", public.checkin, name="checkin"),
    path("me/", public.me, name="me"),
    path("tasks/<int:pk>/", public.task, name="task"),
    path("commitments/", public.commitments, name="commitments"),
]
