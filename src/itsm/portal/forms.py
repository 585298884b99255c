"""Plain-language forms for requesters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.models import Service
from itsm.taxonomy.choices import Impact, Urgency
from itsm.workflow.uploads import MultipleFileField

URGENCY_CHOICES = [
    (Urgency.HIGH, _("I cannot work at all")),
    (Urgency.MEDIUM, _("I can work, but slowly or with a workaround")),
    (Urgency.LOW, _("It is an inconvenience, no hurry")),
]
IMPACT_CHOICES = [
    (Impact.LOW, _("Only me")),
    (Impact.MEDIUM, _("My team or several people")),
    (Impact.HIGH, _("Many people or the whole organisation")),
]


class ReportIssueForm(forms.Form):
    title = forms.CharField(
        label=_("What is wrong?"),
        max_length=300,
        help_text=_("One sentence, for example “I cannot print to the 3rd floor printer”."),
    )
    description = forms.CharField(
        label=_("Tell us more"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What were you doing, what did you expect, what happened instead?"),
    )
    service = forms.ModelChoiceField(
        label=_("Which service is affected?"),
        required=False,
        queryset=Service.objects.filter(is_active=True),
        empty_label=_("I don't know"),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it for you?"),
        choices=URGENCY_CHOICES,
        initial=Urgency.MEDIUM,
        widget=forms.RadioSelect,
    )
    impact = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=IMPACT_CHOICES,
        initial=Impact.LOW,
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(
        label=_("Screenshots or files (optional)"),
        help_text=_("Images, PDFs, office documents or text, up to 10 MB each."),
    )


class PortalReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = MultipleFileField(label=_("Attach files"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            self.add_error("body", _("Write a reply or attach a file."))
        return data


class ReopenForm(forms.Form):
    body = forms.CharField(
        label=_("What is still wrong?"), widget=forms.Textarea(attrs={"rows": 3})
    )
