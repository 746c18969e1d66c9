"""The special groups of the seeds, with default care rules; administrators edit them."""

from django.db import migrations

GROUPS = [
    # code, name, applies_to, visit every N days, care note, derived min age, colour
    ("dibao", "低保", "household", 30, "低保户每月走访一次", None, "#0d6efd"),
    ("tekun", "特困供养", "resident", 30, "每月走访，关注生活照料", None, "#6610f2"),
    ("canji", "残疾", "resident", 90, "登记残疾类别与等级", None, "#6f42c1"),
    ("dujulaoren", "独居老人", "resident", 7, "每周至少走访一次", None, "#dc3545"),
    ("kongchao", "空巢老人", "resident", 14, "每两周走访一次", None, "#fd7e14"),
    ("gaoling", "高龄", "resident", 30, "80 岁及以上自动认定", 80, "#ffc107"),
    ("shiye", "失业人员", "resident", 90, "就业帮扶跟进", None, "#20c997"),
    ("lingjiuye", "零就业家庭", "household", 30, "优先就业援助", None, "#198754"),
    ("liushou", "留守儿童", "resident", 30, "关注监护与学业", None, "#0dcaf0"),
    ("youfu", "优抚对象", "resident", 90, "节日走访慰问", None, "#adb5bd"),
    ("bangjiao", "重点帮教", "resident", 30, "每月谈话帮教", None, "#343a40"),
]


def create(apps, schema_editor):
    SpecialGroup = apps.get_model("people", "SpecialGroup")
    for sort, (code, name, applies_to, days, note, min_age, colour) in enumerate(GROUPS, start=1):
        SpecialGroup.objects.get_or_create(
            code=code,
            defaults={"name": name, "applies_to": applies_to, "visit_every_days": days, "care_note": note,
                      "derived_min_age": min_age, "colour": colour, "sort": sort * 10},
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
