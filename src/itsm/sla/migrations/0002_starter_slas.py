"""Starter data (SLA.md "Starter targets"): a 24x7 calendar, a business-hours calendar, and
response and resolution SLAs for incidents. P1 runs on the 24x7 calendar, P2–P5 on business hours;
a definition has one calendar, so P1 has its own definitions selected by priority."""

from django.conf import settings
from django.db import migrations

WEEKDAYS_9_TO_5 = {
    **{day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [],
    "sun": [],
}
RESPONSE = {"P1": 15, "P2": 30, "P3": 240, "P4": 480, "P5": 960}
RESOLUTION = {"P1": 240, "P2": 480, "P3": 1440, "P4": 2400, "P5": 4800}
PAUSES = ["pending_user", "waiting_for_vendor", "on_hold"]
STOPS = ["resolved", "closed", "cancelled"]
ALWAYS = "Standard 24x7"
OFFICE = "Business hours Mon–Fri 09:00–17:00"
DEFINITIONS = [
    ("P1 incident response (24x7)", "response", ALWAYS, RESPONSE, [], ["P1"]),
    ("P2–P5 incident response (business hours)", "response", OFFICE, RESPONSE, [], ["P2", "P3", "P4", "P5"]),
    ("P1 incident resolution (24x7)", "resolution", ALWAYS, RESOLUTION, PAUSES, ["P1"]),
    ("P2–P5 incident resolution (business hours)", "resolution", OFFICE, RESOLUTION, PAUSES, ["P2", "P3", "P4", "P5"]),
]


def create(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    SlaDefinition = apps.get_model("sla", "SlaDefinition")
    calendars = {
        ALWAYS: BusinessCalendar.objects.get_or_create(
            name=ALWAYS, defaults={"tz": "UTC", "mode": "24x7", "weekly": {}}
        )[0],
        # The deployment's zone (ITSM_TIME_ZONE, UTC by default) is the desk's; editable.
        OFFICE: BusinessCalendar.objects.get_or_create(
            name=OFFICE,
            defaults={"tz": settings.TIME_ZONE or "UTC", "mode": "weekly", "weekly": WEEKDAYS_9_TO_5},
        )[0],
    }
    for name, metric, calendar, targets, pauses, priorities in DEFINITIONS:
        SlaDefinition.objects.get_or_create(
            name=name,
            defaults={
                "metric": metric,
                "calendar": calendars[calendar],
                "targets_minutes": targets,
                "pause_states": pauses,
                "stop_states": STOPS,
                "stop_on_first_response": metric == "response",
                "kinds": ["incident"],
                "priorities": priorities,
            },
        )


def remove(apps, schema_editor):
    SlaDefinition = apps.get_model("sla", "SlaDefinition")
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    SlaDefinition.objects.filter(name__in=[d[0] for d in DEFINITIONS], instances__isnull=True).delete()
    BusinessCalendar.objects.filter(name__in=[ALWAYS, OFFICE], definitions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_sla_models")]

    operations = [migrations.RunPython(create, remove)]
