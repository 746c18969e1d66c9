from pathlib import Path

from django.core.management.base import BaseCommand

from linli.core.commands import service_errors
from linli.people.importer import import_residents


class Command(BaseCommand):
    help = (
        "从 xlsx/csv 导入居民（模板见 /people/residents/import/）；全部通过才导入，按身份证号更新已有居民。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **opts):
        path = Path(file)

        def progress(done, total):
            self.stderr.write(f"\r{done}/{total}", ending="")

        with service_errors():
            result = import_residents(path.read_bytes(), path.name, actor=None, progress=progress)
        self.stderr.write("")
        self.stdout.write(", ".join(f"{k} {v}" for k, v in result.as_dict().items()))
