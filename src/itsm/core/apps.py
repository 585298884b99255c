from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "itsm.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from itsm.core import lookups, pg_types

        lookups.register()
        pg_types.install()
