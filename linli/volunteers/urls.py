from django.urls import path

from . import partyviews, reports, views

app_name = "volunteers"

urlpatterns = [
    path("", reports.overview, name="overview"),
    path("stats/", reports.stats_page, name="stats"),
    path("leaderboard/", reports.leaderboard, name="leaderboard"),
    path("people/pending/", views.pending, name="pending"),
    *views.VOLUNTEERS.urls("people"),
    path("people/<int:pk>/verify/", views.verify, name="verify"),
    path("people/<int:pk>/grant/", views.grant, name="grant"),
    path("people/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("people/<int:pk>/certificate/", reports.certificate, name="certificate"),
    *views.POINT_ENTRIES.urls("points"),
    path("points/<int:pk>/correct/", views.correct, name="correct"),
    *views.POINT_RULES.urls("point-rules"),
    *views.REWARDS.urls("rewards"),
    *views.TEAMS.urls("teams"),
    path("teams/<int:pk>/members/", views.member_add, name="member_add"),
    path("team-members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    *views.ACTIVITIES.urls("activities"),
    path("activities/<int:pk>/signups/", views.signup_add, name="signup_add"),
    path("activities/<int:pk>/<str:action>/", views.activity_action, name="activity_action"),
    path("signups/<int:pk>/<str:action>/", views.signup_action, name="signup_action"),
    path("party/report/", partyviews.party_report, name="party_report"),
    path("party/unit-report/", partyviews.unit_report, name="unit_report"),
    *partyviews.PARTY_MEMBERS.urls("party"),
    *partyviews.TASKS.urls("tasks"),
    path("tasks/<int:pk>/<str:action>/", partyviews.task_action, name="task_action"),
    *partyviews.SERVICE_POSTS.urls("posts"),
    path("posts/<int:pk>/choose/", partyviews.post_choose, name="post_choose"),
    path("post-holders/<int:pk>/leave/", partyviews.post_leave, name="post_leave"),
    *partyviews.COMMITMENTS.urls("commitments"),
    path("commitments/<int:pk>/progress/", partyviews.commitment_progress, name="commitment_progress"),
]
