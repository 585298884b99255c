from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    BUSINESS = "business", _("Business service")
    TECHNICAL = "technical", _("Technical service")


class CiClass(models.TextChoices):
    SERVER = "server", _("Server")
    APPLICATION = "application", _("Application")
    DATABASE = "database", _("Database")
    NETWORK = "network", _("Network device")
    WORKSTATION = "workstation", _("Workstation")
    PRINTER = "printer", _("Printer")
    MOBILE = "mobile", _("Mobile device")
    STORAGE = "storage", _("Storage")
    OTHER = "other", _("Other")


class CiStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_SERVICE = "in_service", _("In service")
    MAINTENANCE = "maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")
