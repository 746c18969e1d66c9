from django.urls import path

from . import mapviews, reportviews, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("departments/", views.departments, name="departments"),
    path("map/", mapviews.map_page, name="map"),
    path("map/grids/", mapviews.grid_data, name="map_grids"),
    path("map/grids/<str:code>/", mapviews.grid_card, name="grid_card"),
    path("reports/", reportviews.reports_page, name="reports"),
    path("reports/monthly/", reportviews.monthly, name="monthly"),
    path("reports/<int:pk>/", reportviews.download, name="report_file"),
    path("ledgers/<str:kind>/", reportviews.ledger, name="ledger"),
]
