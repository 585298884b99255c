from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "itsm.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from itsm.core import pg_types

        pg_types.install()
