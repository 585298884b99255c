"""Attachments: upload (multipart), list and download. Internal ones never reach requesters."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Router
from ninja.files import UploadedFile as NinjaUpload
from ninja.params.functions import File, Form, Path, Query

from itsm.api.idempotency import idempotent
from itsm.api.lookups import MAX_ID, ticket_for
from itsm.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Ordering, paginate
from itsm.api.problems import problems
from itsm.api.responses import answer
from itsm.api.schemas import AttachmentOut, AttachmentPage
from itsm.api.serializers import attachment_out
from itsm.core.errors import InvalidInput, NotFound, PayloadTooLarge
from itsm.tickets.actions import safe_filename
from itsm.tickets.models import Attachment
from itsm.tickets.querysets import access_attachment
from itsm.workflow.actions import UploadedFile, do_add_attachments

router = Router()

CHRONOLOGICAL = Ordering("created_at", "created_at")
MAX_FILES = 20


def _read_uploads(files: list[NinjaUpload]) -> list[UploadedFile]:
    """The uploads' bytes, refusing before anything is read or stored if one is too large."""
    if not files:
        raise InvalidInput("files", "Send at least one file in the 'files' field.")
    if len(files) > MAX_FILES:
        raise InvalidInput("files", f"At most {MAX_FILES} files per request.")
    limit = settings.ITSM_ATTACHMENT_MAX_BYTES
    for upload in files:
        if upload.size is not None and upload.size > limit:
            raise PayloadTooLarge(
                f"{safe_filename(upload.name or '')} is {upload.size} bytes; "
                f"attachments may be at most {limit}."
            )
    return [
        UploadedFile(name=upload.name or "attachment", content=upload.read()) for upload in files
    ]


@router.post(
    "/{number}/attachments",
    response={201: list[AttachmentOut], **problems(403, 409, 413, 415)},
    summary="Attach files",
)
@idempotent
def upload_attachments(
    request: HttpRequest,
    number: str,
    files: list[NinjaUpload] = File(...),  # noqa: B008
    internal: bool = Form(False),  # noqa: B008
) -> HttpResponse:
    """Upload one or more files (multipart field `files`); `internal` (agents only) hides them
    from requesters. Honours `Idempotency-Key`."""
    ticket = ticket_for(request.user, number)
    uploads = _read_uploads(files)
    # A savepoint when called inside a transaction: a refused write leaves it usable.
    with transaction.atomic():
        stored = do_add_attachments(
            ticket,
            files=uploads,
            internal=internal,
            actor=request.user,  # type: ignore[arg-type]
        )
    ticket = ticket_for(request.user, ticket.number)
    return answer(
        [attachment_out(a, ticket.number) for a in stored], status=201, version=ticket.version
    )


@router.get(
    "/{number}/attachments",
    response={200: AttachmentPage, **problems()},
    summary="List a ticket's attachments",
)
def list_attachments(
    request: HttpRequest,
    number: str,
    cursor: str | None = Query(None, max_length=500),  # noqa: B008
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),  # noqa: B008
) -> HttpResponse:
    ticket = ticket_for(request.user, number)
    attachments = Attachment.objects.for_ticket(ticket, request.user).select_related("uploaded_by")
    page = paginate(attachments, CHRONOLOGICAL, cursor=cursor, limit=limit)
    return answer(
        AttachmentPage(
            items=[attachment_out(a, ticket.number) for a in page.items],
            next=page.next_url(request),
            next_cursor=page.next_cursor,
        )
    )


@router.get(
    "/{number}/attachments/{attachment_id}",
    response=problems(),
    summary="Download an attachment",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as a download.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def download_attachment(
    request: HttpRequest,
    number: str,
    attachment_id: int = Path(..., ge=1, le=MAX_ID),  # noqa: B008
) -> FileResponse:
    ticket = ticket_for(request.user, number)
    attachment = access_attachment(request.user, ticket.number, attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise NotFound(f"The file of attachment {attachment_id} is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
