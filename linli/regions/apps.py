from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "linli.regions"
    label = "regions"
    verbose_name = "区域"
