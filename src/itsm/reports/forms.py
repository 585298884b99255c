"""The filter form shown above every report, and the subscription form for scheduled reports."""

from __future__ import annotations

from typing import Any

from django import forms

from itsm.accounts.models import Group, Organization
from itsm.cmdb.models import Service
from itsm.reporting.catalog import REPORTS, ReportSpec
from itsm.reporting.models import Frequency, ScheduledReport
from itsm.taxonomy.choices import Priority, TicketKind
from itsm.taxonomy.models import Category


def _choices(pairs: Any) -> list[tuple[str, str]]:
    return [("", "Any"), *((str(value), str(label)) for value, label in pairs)]


class ReportFilterForm(forms.Form):
    """Plain choices (ids as strings): the engine validates, the form only presents."""

    def __init__(self, spec: ReportSpec, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(
            label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["kind"] = forms.ChoiceField(
            label="Kind", required=False, choices=_choices(TicketKind.choices)
        )
        self.fields["group"] = forms.ChoiceField(
            label="Assignment group",
            required=False,
            choices=_choices(Group.objects.values_list("pk", "name")),
        )
        self.fields["service"] = forms.ChoiceField(
            label="Service",
            required=False,
            choices=_choices(Service.objects.values_list("pk", "name")),
        )
        self.fields["category"] = forms.ChoiceField(
            label="Category",
            required=False,
            choices=_choices(
                (c.pk, c.path) for c in Category.objects.select_related("parent").order_by("name")
            ),
        )
        self.fields["priority"] = forms.ChoiceField(
            label="Priority", required=False, choices=_choices(Priority.choices)
        )
        self.fields["organization"] = forms.ChoiceField(
            label="Organisation",
            required=False,
            choices=_choices(Organization.objects.values_list("pk", "name")),
        )
        for param in spec.params:
            if param.options:
                self.fields[param.name] = forms.ChoiceField(
                    label=param.label,
                    required=False,
                    choices=[(o, o.replace("_", " ").capitalize()) for o in param.options],
                )
            else:
                self.fields[param.name] = forms.DateField(
                    label=param.label,
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                )


class ScheduledReportForm(forms.Form):
    name = forms.CharField(label="Title", max_length=200)
    report = forms.ChoiceField(
        label="Report", choices=[(s.name, s.title) for s in REPORTS.values()]
    )
    frequency = forms.ChoiceField(label="Frequency", choices=Frequency.choices)
    group = forms.ModelChoiceField(
        label="Mail to the members of", queryset=Group.objects.all(), required=False
    )
    addresses = forms.CharField(
        label="and to these addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One email address a line.",
    )
    group_filter = forms.ModelChoiceField(
        label="Only tickets of the group", queryset=Group.objects.all(), required=False
    )
    service_filter = forms.ModelChoiceField(
        label="Only tickets of the service", queryset=Service.objects.all(), required=False
    )
    priority_filter = forms.ChoiceField(
        label="Only priority", choices=_choices(Priority.choices), required=False
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    @staticmethod
    def initial_for(schedule: ScheduledReport) -> dict[str, Any]:
        return {
            "name": schedule.name,
            "report": schedule.report,
            "frequency": schedule.frequency,
            "group": schedule.group,
            "addresses": "\n".join(schedule.addresses),
            "group_filter": schedule.filters.get("group"),
            "service_filter": schedule.filters.get("service"),
            "priority_filter": schedule.filters.get("priority", ""),
            "is_active": schedule.is_active,
        }

    def report_filters(self) -> dict[str, str]:
        data = self.cleaned_data
        filters: dict[str, str] = {}
        if data.get("group_filter"):
            filters["group"] = str(data["group_filter"].pk)
        if data.get("service_filter"):
            filters["service"] = str(data["service_filter"].pk)
        if data.get("priority_filter"):
            filters["priority"] = data["priority_filter"]
        return filters
