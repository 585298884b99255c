from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "itsm.cmdb"
    label = "cmdb"
    default_auto_field = "django.db.models.BigAutoField"
