from django.db import migrations

# The default impact x urgency matrix of SLA.md, as editable data.
DEFAULT_MATRIX = {
    ("high", "high"): "P1",
    ("high", "medium"): "P2",
    ("medium", "high"): "P2",
    ("high", "low"): "P3",
    ("medium", "medium"): "P3",
    ("low", "high"): "P3",
    ("medium", "low"): "P4",
    ("low", "medium"): "P4",
    ("low", "low"): "P5",
}


def seed(apps, schema_editor):
    entry = apps.get_model("taxonomy", "PriorityMatrixEntry")
    for (impact, urgency), priority in DEFAULT_MATRIX.items():
        entry.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})


def unseed(apps, schema_editor):
    apps.get_model("taxonomy", "PriorityMatrixEntry").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
