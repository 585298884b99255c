"""Writes on the ticket core.

The primitives here (locking with a version check, saving with a version bump, storing an
attachment) are building blocks for the entry-point actions of ``itsm.workflow`` and the
practices, which add SLA, routing and notification effects. Watchers and links have no such
effects, so their entry points live here.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from itsm.core.errors import (
    Conflict,
    InvalidInput,
    PayloadTooLarge,
    StaleVersion,
    UnsupportedMediaType,
)
from itsm.tickets.choices import LinkType, TicketState
from itsm.tickets.events import system_event
from itsm.tickets.models import Attachment, JournalEntry, Ticket, TicketLink, Watcher


def describe_changes_since(ticket: Ticket, version: int) -> str:
    """Who changed what since ``version``: the message a stale writer reads."""
    entries = (
        JournalEntry.objects.filter(ticket=ticket, version__gt=version)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    parts: list[str] = []
    for entry in entries[:10]:
        who = str(entry.actor) if entry.actor else "the system"
        when = timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M")
        if entry.field:
            old, new = entry.old_value, entry.new_value
            if entry.field == "state":
                old, new = _state_label(old), _state_label(new)
            what = f"{entry.field}: {old or '(empty)'} → {new or '(empty)'}"
        else:
            what = entry.get_entry_type_display().lower()
        parts.append(f"{who} at {when} ({what})")
    changes = "; ".join(parts) if parts else "changes"
    return (
        f"{ticket.number} was changed since you loaded version {version}: {changes}. "
        f"It is now version {ticket.version}. Reload it and apply your change again."
    )


def _state_label(value: str) -> str:
    return str(TicketState(value).label) if value in TicketState.values else value


def lock_ticket(ticket: Ticket, *, expected_version: int | None) -> Ticket:
    """Re-read the ticket under a row lock; refuse if the caller's version is stale.

    The lock is held until the transaction ends, so the version check and the write that
    follows cannot interleave with another writer's.
    """
    locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            describe_changes_since(locked, expected_version),
            current_version=locked.version,
        )
    return locked


def save_ticket(ticket: Ticket, fields: Iterable[str]) -> None:
    """Save the given fields and bump the version, once per change however often it saves."""
    if ticket.journal_version() != ticket.version:
        ticket.version += 1
        ticket.mark_version_bumped()
    ticket.save(update_fields=sorted({*fields, "version", "updated_at"}))


ALLOWED_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/tiff",
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/x-7z-compressed",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/msword",
    "application/vnd.ms-excel",
    "message/rfc822",
}


def detect_content_type(head: bytes, filename: str) -> str:
    """The content type from the bytes themselves; text is accepted when it decodes as UTF-8."""
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime not in ALLOWED_TYPES:
            raise UnsupportedMediaType(f"Files of type {kind.mime} cannot be attached.")
        return str(kind.mime)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sample; retry without it.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            raise UnsupportedMediaType(
                "This file's type is not recognised; attach images, PDFs, office documents, "
                "archives or text."
            ) from None
    guessed, _ = mimetypes.guess_type(filename)
    if guessed in {"text/csv", "text/html", "application/json", "text/xml", "application/xml"}:
        # Served as a download with nosniff, but never as HTML: plain text it is.
        return "text/plain" if guessed == "text/html" else guessed
    return "text/plain"


def safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = get_valid_filename(base) if base.strip(". ") else ""
    return (cleaned or "attachment")[:200]


def store_attachment(
    ticket: Ticket,
    *,
    name: str,
    content: bytes,
    actor: Any,
    internal: bool,
    journal_entry: JournalEntry | None = None,
    at: datetime | None = None,
) -> Attachment:
    """Check and store one file; nothing is written when the checks fail."""
    limit = settings.ITSM_ATTACHMENT_MAX_BYTES
    if len(content) > limit:
        raise PayloadTooLarge(
            f"{safe_filename(name)} is {len(content)} bytes; attachments may be at most {limit}."
        )
    if not content:
        raise InvalidInput("file", "The file is empty.")
    content_type = detect_content_type(content[:8192], name)
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(
        ticket=ticket,
        journal_entry=journal_entry,
        filename=safe_filename(name),
        content_type=content_type,
        size=len(content),
        sha256=digest,
        is_internal=internal,
        uploaded_by=actor,
        created_at=at or timezone.now(),
    )
    attachment.file.save(digest, ContentFile(content), save=False)
    attachment.save()
    return attachment


@transaction.atomic(durable=True)
def do_add_watcher(
    ticket: Ticket, *, user: Any, actor: Any, expected_version: int | None = None
) -> Watcher:
    if expected_version is not None:
        lock_ticket(ticket, expected_version=expected_version)
    watcher, created = Watcher.objects.get_or_create(ticket=ticket, user=user)
    if created:
        locked = lock_ticket(ticket, expected_version=None)
        save_ticket(locked, [])
        system_event(
            locked, f"{user} is now watching.", actor=actor, internal=False, data={"user": user.pk}
        )
    return watcher


@transaction.atomic(durable=True)
def do_remove_watcher(
    ticket: Ticket, *, user: Any, actor: Any, expected_version: int | None = None
) -> None:
    if expected_version is not None:
        lock_ticket(ticket, expected_version=expected_version)
    deleted, _ = Watcher.objects.filter(ticket=ticket, user=user).delete()
    if deleted:
        locked = lock_ticket(ticket, expected_version=None)
        save_ticket(locked, [])
        system_event(
            locked, f"{user} stopped watching.", actor=actor, internal=False, data={"user": user.pk}
        )


@transaction.atomic(durable=True)
def do_link_tickets(
    source: Ticket, target: Ticket, *, link_type: LinkType, actor: Any
) -> TicketLink:
    if source.pk == target.pk:
        raise InvalidInput("target", "A ticket cannot be linked to itself.")
    try:
        with transaction.atomic():
            link = TicketLink.objects.create(
                source=source, target=target, link_type=link_type, created_by=actor
            )
    except IntegrityError:
        raise Conflict(f"{source.number} is already linked to {target.number}.") from None
    for ticket, other in ((source, target), (target, source)):
        locked = lock_ticket(ticket, expected_version=None)
        save_ticket(locked, [])
        system_event(
            locked,
            f"Linked: {source.number} {LinkType(link_type).label.lower()} {target.number}.",
            actor=actor,
            data={"link": link_type, "other": other.number},
        )
    return link


@transaction.atomic(durable=True)
def do_set_parent_ticket(
    ticket: Ticket,
    *,
    parent: Ticket | None,
    actor: Any,
    expected_version: int | None = None,
) -> Ticket:
    """Make ``ticket`` a child of ``parent`` (e.g. attach an incident to a major incident)."""
    if parent is not None:
        if parent.pk == ticket.pk:
            raise InvalidInput("parent", "A ticket cannot be its own parent.")
        if parent.parent_id == ticket.pk:
            raise InvalidInput("parent", f"{parent.number} is already a child of {ticket.number}.")
    locked = lock_ticket(ticket, expected_version=expected_version)
    old_parent = locked.parent
    if locked.parent_id == (parent.pk if parent else None):
        return locked
    locked.parent = parent
    save_ticket(locked, ["parent"])
    text = (
        f"Now a child of {parent.number}."
        if parent
        else f"No longer a child of {old_parent.number if old_parent else ''}."
    )
    system_event(
        locked, text, actor=actor, internal=False, data={"parent": getattr(parent, "number", "")}
    )
    if parent is not None:
        locked_parent = lock_ticket(parent, expected_version=None)
        save_ticket(locked_parent, [])
        system_event(
            locked_parent,
            f"{locked.number} attached as a child.",
            actor=actor,
            internal=False,
            data={"child": locked.number},
        )
    return locked


def prune_orphaned_attachment_files(
    *, now: datetime, min_age: timedelta = timedelta(hours=1)
) -> int:
    """Delete stored files no Attachment row points at (left by a rolled-back action).

    Files are written before the transaction commits; if it rolls back, the file stays behind.
    Only files older than ``min_age`` are considered, so a transaction still in flight keeps its
    file. Returns how many files were deleted.
    """
    storage = Attachment._meta.get_field("file").storage
    referenced = set(Attachment.objects.values_list("file", flat=True))
    deleted = 0
    for path in _walk_storage(storage, "attachments"):
        if path in referenced:
            continue
        try:
            modified = storage.get_modified_time(path)
        except (NotImplementedError, OSError):
            continue
        if now - modified >= min_age:
            storage.delete(path)
            deleted += 1
    return deleted


def _walk_storage(storage: Any, root: str) -> Iterable[str]:
    try:
        directories, files = storage.listdir(root)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{root}/{name}"
    for directory in directories:
        yield from _walk_storage(storage, f"{root}/{directory}")
