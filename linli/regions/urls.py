from django.urls import path, register_converter

from . import views


class RegionCodeConverter:
    regex = r"\d{6,15}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(RegionCodeConverter, "rcode")

app_name = "regions"

urlpatterns = [
    path("", views.region_tree, name="tree"),
    path("housing/import/", views.housing_import, name="housing_import"),
    path("<rcode:code>/", views.region_detail, name="detail"),
    path("<rcode:code>/grid/", views.grid_edit, name="grid_edit"),
    path("<rcode:code>/delete/", views.grid_delete, name="grid_delete"),
    *[u for prefix, crud in views.CRUDS.items() for u in crud.urls(prefix)],
]
