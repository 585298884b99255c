"""Agent workspace data: saved queue views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.models import TimeStampedModel


class SavedView(TimeStampedModel):
    """A named queue filter an agent keeps, optionally shared with one assignment group."""

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    shared_with = models.ForeignKey(
        "accounts.Group",
        verbose_name=_("shared with group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shared_views",
    )
    querystring = models.CharField(_("filters"), max_length=2000, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
