from django.db import migrations

PREFIXES = ("INC", "REQ", "PRB", "CHG")


def create_sequences(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for prefix in PREFIXES:
            schema_editor.execute(
                f"CREATE SEQUENCE IF NOT EXISTS itsm_ticket_number_{prefix.lower()} START 1"
            )
    else:
        sequence = apps.get_model("tickets", "NumberSequence")
        for prefix in PREFIXES:
            sequence.objects.get_or_create(prefix=prefix)


def drop_sequences(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for prefix in PREFIXES:
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS itsm_ticket_number_{prefix.lower()}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_sequences, drop_sequences)]
