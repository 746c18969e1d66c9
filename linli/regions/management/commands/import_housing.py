from pathlib import Path

from django.core.management.base import BaseCommand

from linli.core.commands import service_errors
from linli.regions.housing_import import import_housing


class Command(BaseCommand):
    help = "从 xlsx/csv 导入小区、楼栋、房屋（模板表头见 docs/imports.md）；有错误则全部不导入。"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **opts):
        path = Path(file)
        with service_errors():
            result = import_housing(path.read_bytes(), path.name, actor=None)
        self.stdout.write(", ".join(f"{k} {v}" for k, v in result.items()))
