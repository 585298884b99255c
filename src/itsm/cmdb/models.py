"""A minimal CMDB: services and the configuration items that deliver them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.choices import CiClass, CiStatus, ServiceKind
from itsm.core.models import TimeStampedModel


class Service(TimeStampedModel):
    """An IT service as ITIL 4 defines it: value delivered to a consumer (e-mail, VPN, payroll)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ServiceKind.choices, default=ServiceKind.BUSINESS
    )
    description = models.TextField(_("description"), blank=True)
    owner_group = models.ForeignKey(
        "accounts.Group",
        verbose_name=_("owner group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_services",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(TimeStampedModel):
    """A configuration item (CI): a component that must be managed to deliver a service."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    ci_class = models.CharField(
        _("class"), max_length=20, choices=CiClass.choices, default=CiClass.SERVER
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CiStatus.choices, default=CiStatus.IN_SERVICE
    )
    owner_group = models.ForeignKey(
        "accounts.Group",
        verbose_name=_("owner group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cis",
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="configuration_items",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")

    def __str__(self) -> str:
        return self.name
