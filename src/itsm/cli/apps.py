from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "itsm.cli"
    label = "cli"
    default_auto_field = "django.db.models.BigAutoField"
