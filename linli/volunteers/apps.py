from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "linli.volunteers"
    label = "volunteers"
    verbose_name = "志愿服务"

    def ready(self):
        from linli.core import lookup

        from .models import PartyMember, Volunteer

        lookup.register(Volunteer, lookup.Lookup(fields=("name", "number")))
        lookup.register(
            PartyMember,
            lookup.Lookup(fields=("volunteer__name", "work_unit"), select_related=("volunteer",)),
        )
