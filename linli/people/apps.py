from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "linli.people"
    label = "people"
    verbose_name = "人口"

    def ready(self) -> None:
        from linli.core import jobs, lookup

        from . import importer
        from .models import Household, Resident

        jobs.register("people.residents", importer.RUNNER)
        lookup.register(
            Household,
            lookup.Lookup(
                fields=("number", "head__name", "housing_unit__building__name", "housing_unit__room"),
                select_related=("head", "housing_unit__building__compound"),
            ),
        )
        lookup.register(Resident, lookup.Lookup(fields=("name", "id_tail")))
