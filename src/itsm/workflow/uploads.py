"""Files from an HTML form, as the actions take them (``UploadedFile``): one field for every face."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile as DjangoUpload
from django.utils.translation import gettext_lazy as _

from itsm.workflow.actions import UploadedFile

MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files from one ``<input type=file multiple>``; size and type are checked by
    the action that stores them, so every face refuses the same files the same way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Attach at most %(n)d files at once.") % {"n": MAX_FILES})
        return [
            UploadedFile(name=upload.name or "attachment", content=upload.read())
            for upload in files
            if isinstance(upload, DjangoUpload)
        ]
