"""Attachment files: checked by content, stored by hash, never orphaned for long."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from itsm.core.errors import UnsupportedMediaType
from itsm.tickets.actions import prune_orphaned_attachment_files, safe_filename, store_attachment
from itsm.tickets.models import Attachment

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def test_content_type_comes_from_the_bytes_not_the_name(create_ticket, requester):
    ticket = create_ticket(requester=requester)
    stored = store_attachment(
        ticket, name="holiday.pdf", content=PNG + b"\0" * 64, actor=requester, internal=False
    )
    assert stored.content_type == "image/png"


def test_executables_are_refused(create_ticket, requester):
    ticket = create_ticket(requester=requester)
    with pytest.raises(UnsupportedMediaType):
        store_attachment(
            ticket,
            name="invoice.pdf",
            content=b"MZ" + b"\x90" * 200,
            actor=requester,
            internal=False,
        )
    assert Attachment.objects.count() == 0


def test_file_names_are_made_safe():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\report Q3.xlsx") == "report_Q3.xlsx"
    assert safe_filename("  ") == "attachment"


def test_files_of_rolled_back_actions_are_pruned(create_ticket, requester):
    ticket = create_ticket(requester=requester)
    kept = store_attachment(ticket, name="a.txt", content=b"kept", actor=requester, internal=False)
    stored_paths: list[str] = []

    def failing_action() -> None:
        with transaction.atomic():
            lost = store_attachment(
                ticket, name="b.txt", content=b"rolled back", actor=requester, internal=False
            )
            stored_paths.append(lost.file.name)
            raise RuntimeError("the action failed after storing the file")

    with pytest.raises(RuntimeError):
        failing_action()
    lost_path = stored_paths[0]
    assert default_storage.exists(lost_path)

    assert prune_orphaned_attachment_files(now=timezone.now()) == 0  # too young to judge
    deleted = prune_orphaned_attachment_files(now=timezone.now() + timedelta(hours=2))

    assert deleted == 1
    assert not default_storage.exists(lost_path)
    assert default_storage.exists(kept.file.name)


def test_unrelated_storage_is_left_alone(create_ticket, requester):
    other = default_storage.save("exports/report.csv", ContentFile(b"a,b"))
    prune_orphaned_attachment_files(now=timezone.now() + timedelta(days=1))
    assert default_storage.exists(other)
