"""Categorisation and prioritisation data: category trees and the impact x urgency matrix."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.models import TimeStampedModel
from itsm.taxonomy.choices import DEFAULT_MATRIX, Impact, Priority, TicketKind, Urgency


class Category(TimeStampedModel):
    """A node of the category tree of one ticket kind (Hardware > Laptop > Battery)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("ticket kind"), max_length=20, choices=TicketKind.choices, default=TicketKind.INCIDENT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)
    restricted_to_groups = models.ManyToManyField(
        "accounts.Group",
        verbose_name=_("restricted to groups"),
        blank=True,
        related_name="restricted_categories",
        help_text=_(
            "When set, only agents of these groups see tickets of this category "
            "(HR, security incidents)."
        ),
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "parent", "name"], name="category_unique_name_per_parent"
            )
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        names: list[str] = []
        node: Category | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " > ".join(reversed(names))

    def descendant_ids(self) -> set[int]:
        """This category and every category below it (used by rules matching a subtree)."""
        ids = {self.pk}
        frontier = [self.pk]
        while frontier:
            frontier = list(
                Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.update(frontier)
        return ids


class PriorityMatrixEntry(models.Model):
    """One cell of the impact x urgency -> priority matrix. Editable data, not code."""

    impact = models.CharField(_("impact"), max_length=10, choices=Impact.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        constraints = [
            models.UniqueConstraint(
                fields=["impact", "urgency"], name="priority_matrix_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.impact} x {self.urgency} = {self.priority}"


def priority_for(impact: str, urgency: str) -> str:
    """The priority the matrix gives an impact and urgency (the SLA.md default when a cell is missing)."""
    from itsm.taxonomy.reference import priority_matrix

    priority = priority_matrix().get((impact, urgency))
    return priority if priority is not None else DEFAULT_MATRIX[(impact, urgency)]
