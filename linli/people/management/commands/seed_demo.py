from django.core.management.base import BaseCommand, CommandError

from linli.people.demo import seed_population
from linli.regions.models import Region


class Command(BaseCommand):
    help = (
        "为演示区生成合成人口（Faker zh_CN）：有效身份证号、真实的户结构、特殊人群与流动人口；以及演示事件。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--district", default="150902")
        parser.add_argument("--residents", type=int, default=25000)
        parser.add_argument("--cases", type=int, default=400, help="demo cases (民情诉求) to report")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty", action="store_true", help="only when the district has no residents yet"
        )

    def handle(self, *args, district, residents, cases, seed, if_empty, **opts):
        from linli.people.models import Resident

        if not Region.objects.filter(code=district).exists():
            raise CommandError(
                f"区 {district} 尚未加载：先运行 linli load_regions {district} 或 linli setup_demo"
            )
        from linli.cases.demo import seed_cases
        from linli.cases.models import Case

        if if_empty and Resident.objects.filter(district_id=district).exists():
            self.stdout.write("residents already present: kept")
        else:
            result = seed_population(district, residents, seed=seed)
            self.stdout.write(", ".join(f"{k} {v}" for k, v in result.items()))
        if if_empty and Case.objects.filter(district_id=district).exists():
            self.stdout.write("cases already present: kept")
        else:
            self.stdout.write(f"cases {seed_cases(district, cases, seed=seed)}")
        from linli.visits.demo import seed_grid_work
        from linli.visits.models import Visit

        if if_empty and Visit.objects.filter(district_id=district).exists():
            self.stdout.write("grid work already present: kept")
        else:
            made = seed_grid_work(district, seed=seed)
            self.stdout.write(", ".join(f"{k} {v}" for k, v in made.items()))
        from linli.volunteers.demo import seed_volunteers
        from linli.volunteers.models import Volunteer

        if if_empty and Volunteer.objects.filter(district_id=district).exists():
            self.stdout.write("volunteers already present: kept")
        else:
            made = seed_volunteers(district, seed=seed)
            self.stdout.write(", ".join(f"{k} {v}" for k, v in made.items()))
