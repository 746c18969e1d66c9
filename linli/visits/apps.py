from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "linli.visits"
    label = "visits"
    verbose_name = "网格工作"
