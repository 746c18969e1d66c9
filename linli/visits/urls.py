from django.urls import path

from . import teams, views

app_name = "visits"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.visit_new, name="new"),
    *views.VISITS.urls("diary"),
    path("diary/<int:pk>/case/", views.visit_to_case, name="to_case"),
    path("progress/", views.progress_page, name="progress"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("coverage/<str:code>/", views.coverage_grid, name="coverage_grid"),
    *teams.QUOTAS.urls("quotas"),
    *teams.HOME_SERVICES.urls("home-services"),
    path("home-services/<int:pk>/deliver/", teams.delivery_add, name="delivery_add"),
    *teams.CAMPAIGNS.urls("campaigns"),
    path("campaigns/<int:pk>/targets/", teams.campaign_targets, name="campaign_targets"),
    path("targets/", teams.target_list, name="target_list"),
    path("targets/<int:pk>/gift/", teams.target_gift, name="target_gift"),
    path("targets/<int:pk>/sign-off/", teams.target_sign_off, name="target_sign_off"),
    *teams.SHIFTS.urls("duty"),
    path("duty/week/", teams.roster, name="roster"),
    path("duty/rotate/", teams.rotate, name="rotate"),
    path("duty/<int:pk>/swap/", teams.swap, name="swap"),
    *teams.BUILDING_CONTACTS.urls("building-contacts"),
]
