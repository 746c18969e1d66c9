from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "linli.regions"
    label = "regions"
    verbose_name = "区域"

    def ready(self) -> None:
        from linli.core import lookup

        from .models import Building, HousingUnit

        lookup.register(
            HousingUnit,
            lookup.Lookup(
                fields=("building__compound__name", "building__name", "unit", "room"),
                select_related=("building__compound",),
            ),
        )
        lookup.register(
            Building, lookup.Lookup(fields=("compound__name", "name"), select_related=("compound",))
        )
