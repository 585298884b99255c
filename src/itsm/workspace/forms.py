"""Forms of the agent workspace: they parse; actions decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import Group, User
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.taxonomy.choices import Impact, TicketKind, Urgency
from itsm.taxonomy.models import Category
from itsm.tickets.choices import Channel, ResolutionCode, TicketState
from itsm.workflow.uploads import MultipleFileField
from itsm.workspace.options import LazyOptions, Options, ReferenceOptions
from itsm.workspace.widgets import OptionsSelect, PlainHiddenInput, PlainTextarea


def agents() -> Any:
    return User.objects.filter(role__in=["agent", "manager", "admin"], is_active=True)


def _category_path(category: Category) -> str:
    return category.path


class VersionedForm(forms.Form):
    """Carries the ticket version the agent saw, for optimistic concurrency."""

    version = forms.IntegerField(widget=PlainHiddenInput, min_value=1)


class DetailsForm(VersionedForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    impact = forms.ChoiceField(label=_("Impact"), choices=Impact.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    category = forms.ModelChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.none()
    )
    service = forms.ModelChoiceField(
        label=_("Service"), required=False, queryset=Service.objects.filter(is_active=True)
    )
    configuration_item = forms.ModelChoiceField(
        label=_("Configuration item"), required=False, queryset=ConfigurationItem.objects.all()
    )
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"), required=False, queryset=Group.objects.all()
    )
    assignee = forms.ModelChoiceField(label=_("Assignee"), required=False, queryset=agents())

    def __init__(self, *args: Any, kind: str = TicketKind.INCIDENT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = cast("forms.ModelChoiceField[Category]", self.fields["category"])
        category.queryset = Category.objects.filter(kind=kind, is_active=True).select_related(
            "parent__parent"
        )
        category.label_from_instance = _category_path  # type: ignore[method-assign,assignment]


class TransitionForm(VersionedForm):
    # The ticket page draws one of these per allowed transition: widgets drawn in Python.
    to_state = forms.ChoiceField(choices=TicketState.choices, widget=PlainHiddenInput)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=PlainTextarea(attrs={"rows": 2})
    )
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"),
        required=False,
        choices=[("", _("Choose a resolution code")), *ResolutionCode.choices],
        widget=OptionsSelect,
    )
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), required=False, widget=PlainTextarea(attrs={"rows": 3})
    )


class ReplyForm(VersionedForm):
    body = forms.CharField(
        label=_("Reply"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[("public", _("Public comment")), ("internal", _("Internal work note"))],
        initial="public",
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            self.add_error("body", _("Write a reply or attach a file."))
        return data


class WatcherForm(forms.Form):
    email = forms.EmailField(label=_("Add a watcher by email"))


class LinkForm(forms.Form):
    number = forms.CharField(label=_("Ticket number"), max_length=20)
    link_type = forms.ChoiceField(label=_("Link type"), choices=[], widget=OptionsSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from itsm.tickets.choices import LinkType

        super().__init__(*args, **kwargs)
        self.fields["link_type"].choices = [  # type: ignore[attr-defined]
            ("parent", _("Child of (parent ticket)")),
            *LinkType.choices,
        ]


class CreateIncidentForm(forms.Form):
    requester = forms.ModelChoiceField(
        label=_("Requester"), queryset=User.objects.filter(is_active=True)
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (Channel.PHONE, Channel.PHONE.label),
            (Channel.WALK_IN, Channel.WALK_IN.label),
            (Channel.EMAIL, Channel.EMAIL.label),
            (Channel.CHAT, Channel.CHAT.label),
        ],
    )
    title = forms.CharField(label=_("Short description"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.filter(kind=TicketKind.INCIDENT, is_active=True),
    )
    service = forms.ModelChoiceField(
        label=_("Service"), required=False, queryset=Service.objects.filter(is_active=True)
    )
    configuration_item = forms.ModelChoiceField(
        label=_("Configuration item"), required=False, queryset=ConfigurationItem.objects.all()
    )
    impact = forms.ChoiceField(label=_("Impact"), choices=Impact.choices, initial=Impact.MEDIUM)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.MEDIUM)
    attachments = MultipleFileField(label=_("Attachments"))


class SaveViewForm(forms.Form):
    name = forms.CharField(label=_("View name"), max_length=100)
    shared_with = forms.ModelChoiceField(
        label=_("Share with group"),
        required=False,
        queryset=Group.objects.none(),
        empty_label=_("Only me"),
        widget=OptionsSelect,
    )
    querystring = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(
        self, *args: Any, user: User, groups: Options | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["shared_with"]
        field.queryset = user.assignment_groups.all()  # type: ignore[attr-defined]
        if groups is not None:
            # Drawn from the user's groups as the page read them; the queryset validates a post.
            field.widget = OptionsSelect(
                attrs=field.widget.attrs, choices=LazyOptions(_("Only me"), lambda: groups)
            )


BULK_ASSIGN = "assign"
BULK_STATE = "state"
BULK_MAJOR = "major"


class BulkForm(forms.Form):
    tickets = forms.CharField(required=False)
    operation = forms.ChoiceField(
        label=_("Bulk action"),
        choices=[
            (BULK_ASSIGN, _("Assign")),
            (BULK_STATE, _("Change state")),
            (BULK_MAJOR, _("Attach to a major incident")),
        ],
        widget=OptionsSelect,
    )
    group = forms.ModelChoiceField(
        label=_("Group"), required=False, queryset=Group.objects.all(), empty_label=_("Keep")
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), required=False, queryset=agents(), empty_label=_("Nobody")
    )
    to_state = forms.ChoiceField(
        label=_("New state"),
        required=False,
        choices=[("", "—"), *TicketState.choices],
        widget=OptionsSelect,
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"),
        required=False,
        choices=[("", "—"), *ResolutionCode.choices],
        widget=OptionsSelect,
    )
    resolution_notes = forms.CharField(label=_("Resolution notes"), required=False)
    major_incident = forms.CharField(
        label=_("Major incident number"), required=False, max_length=20
    )
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, options: ReferenceOptions | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Drawn from cached pairs; the model fields above still validate a posted value.
        options = options or ReferenceOptions()
        for name, empty, pairs in (
            ("group", _("Keep"), lambda: options.groups),
            ("assignee", _("Nobody"), lambda: options.agents),
        ):
            field = self.fields[name]
            field.widget = OptionsSelect(
                attrs=field.widget.attrs, choices=LazyOptions(empty, pairs)
            )

    def numbers(self, raw: list[str]) -> list[str]:
        return [n.strip().upper() for n in raw if n.strip()][:200]
