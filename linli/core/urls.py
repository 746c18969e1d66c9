from django.urls import path

from . import jobviews

app_name = "core"

urlpatterns = [
    path("", jobviews.job_list, name="job_list"),
    path("<int:pk>/", jobviews.job_detail, name="job_detail"),
    path("<int:pk>/report/", jobviews.job_report, name="job_report"),
]
