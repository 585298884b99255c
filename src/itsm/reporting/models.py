"""Reporting data: the per-ticket facts rollup and scheduled report subscriptions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from itsm.core.models import TimeStampedModel


def _copied(model: str) -> Any:
    """A copy of one of the ticket's foreign keys: no constraint and no index of its own (the
    ticket's column is the one that is kept right; this one is rebuilt with the facts)."""
    return models.ForeignKey(
        model,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


#: The filter columns every covering index carries, so a filtered report stays index-only.
_FILTER_COLUMNS = ["priority", "kind", "assignment_group", "category", "service", "organization"]


class TicketFactQuerySet(models.QuerySet["TicketFact"]):
    def visible_to(self, user: Any) -> TicketFactQuerySet:
        """The facts of the tickets ``user`` may see; the visibility layer decides. When it
        restricts nothing (administrators, agents outside restricted categories) the rollup is
        read alone, without a join over the ticket table; otherwise the facts are narrowed to
        the visible tickets."""
        from itsm.tickets.models import Ticket

        visible = Ticket.objects.visible_to(user)
        # An empty WHERE is "every ticket"; anything else (none(), excluded categories, a
        # requester's own tickets) is applied as it stands.
        if visible.query.where:
            return self.filter(ticket__in=visible.order_by().values("pk"))
        return self


class TicketFact(models.Model):
    """What a ticket's journal says, rolled up once so reports need not read the journal.

    The worker (and every report, before it reads) rebuilds the facts of tickets whose
    ``version`` moved on since the fact was computed, so the rollup is incremental.

    It also copies the ticket columns the reports filter and group by (``opened_at``,
    ``resolved_at``, kind, priority, group, agent, category, service, organisation): every change
    of them bumps the ticket's version, so they are as current as the rest of the facts, and a
    report over a range reads the rollup alone through one index instead of joining a million
    tickets.
    """

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="report_fact"
    )
    version = models.PositiveIntegerField(help_text=_("The ticket version these facts describe."))
    source_updated_at = models.DateTimeField()
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=20)
    priority = models.CharField(max_length=2)
    assignment_group = _copied("accounts.Group")
    assignee = _copied(settings.AUTH_USER_MODEL)
    category = _copied("taxonomy.Category")
    service = _copied("cmdb.Service")
    organization = _copied("accounts.Organization")
    first_resolved_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    reassignment_count = models.PositiveIntegerField(default=0)
    was_pending_user = models.BooleanField(default=False)
    first_contact_resolution = models.BooleanField(default=False)
    respond_seconds = models.FloatField(null=True, blank=True)
    resolve_seconds = models.FloatField(null=True, blank=True)
    resolve_business_seconds = models.FloatField(null=True, blank=True)
    settled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "When the ticket last left the backlog (Resolved, Closed, Cancelled) for good."
        ),
    )
    backlog_gaps = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Earlier [left, returned) spans out of the backlog, for reopened tickets."),
    )

    objects = TicketFactQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket fact")
        indexes = [
            models.Index(fields=["source_updated_at"], name="fact_source_updated_idx"),
            models.Index(fields=["settled_at"], name="fact_settled_idx"),
            models.Index(
                fields=["ticket"], condition=Q(settled_at__isnull=True), name="fact_active_idx"
            ),
            # The unsettled tickets (the open ones, about 5% of the rollup) in logging order,
            # with what the backlog, workload's open part and the dashboard count and group by:
            # an index-only scan of the open set instead of a visit to each ticket.
            models.Index(
                fields=["opened_at", "ticket"],
                condition=Q(settled_at__isnull=True),
                include=[*_FILTER_COLUMNS, "assignee", "reopen_count"],
                name="fact_unsettled_cover_idx",
            ),
            # Reports read a range of one instant with these columns: on PostgreSQL an
            # index-only scan answers them (other databases ignore INCLUDE).
            models.Index(
                fields=["first_resolved_at"],
                include=[*_FILTER_COLUMNS, "reopen_count"],
                name="fact_first_resolved_cover_idx",
            ),
            models.Index(
                fields=["opened_at"],
                include=[*_FILTER_COLUMNS, "respond_seconds"],
                name="fact_opened_cover_idx",
            ),
            models.Index(
                fields=["resolved_at"],
                include=[
                    *_FILTER_COLUMNS,
                    "assignee",
                    "resolve_seconds",
                    "resolve_business_seconds",
                    "first_contact_resolution",
                    "reassignment_count",
                ],
                name="fact_resolved_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Facts of {self.ticket_id} v{self.version}"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly (Mondays, the previous week)")
    MONTHLY = "monthly", _("Monthly (the 1st, the previous month)")


class ScheduledReport(TimeStampedModel):
    """A subscription: a report with filters, mailed weekly or monthly to a group and/or addresses
    (summary in the body, the XLSX attached) through the outbox."""

    name = models.CharField(_("title"), max_length=200)
    report = models.CharField(_("report"), max_length=50)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    group = models.ForeignKey(
        "accounts.Group",
        verbose_name=_("recipient group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    addresses = models.JSONField(_("recipient addresses"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="scheduled_reports",
        help_text=_("The manager whose visibility the report is computed with."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("scheduled report")
        indexes = [
            models.Index(
                fields=["next_run_at"], condition=Q(is_active=True), name="scheduled_report_due_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name
