from pathlib import Path

from django.core.management.base import BaseCommand

from linli.core.commands import service_errors
from linli.regions.services import import_grids


class Command(BaseCommand):
    help = "从 GeoJSON FeatureCollection 导入网格（properties: code, name, community）；有错误则全部不导入。"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **opts):
        with service_errors():
            result = import_grids(Path(file).read_bytes())
        self.stdout.write(f"added {result['added']}, updated {result['updated']}, kept {result['kept']}")
