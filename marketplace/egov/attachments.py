"""Documents attached to applications: PDF, JPEG or PNG, decided by content, at most 10 MB.

Photos go through the one image pipeline (upright, metadata stripped, downscaled); PDFs are
kept as sent after checking they are PDFs. Files live in private storage and are streamed only
after egov.access has said the person may see the submission.
"""
from __future__ import annotations

import filetype
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from marketplace.accounts.api import User
from marketplace.core.errors import DomainError
from marketplace.core.images import process_document_photo
from marketplace.core.storage import get_private_storage
from marketplace.egov.models import Attachment, Submission
from marketplace.extensions import db

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def attach(submission: Submission, field: str, upload: FileStorage, by: User) -> Attachment:
    data = upload.read(MAX_ATTACHMENT_BYTES + 1)
    if not data:
        raise DomainError(_l("The selected file is empty."), field=field)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise DomainError(_l("The file is larger than 10 MB. Send a smaller file or a photo of the page."), field=field)
    kind = filetype.guess(data)
    if kind is None or kind.extension not in ("pdf", "jpg", "png"):
        raise DomainError(_l("The file must be a PDF, JPEG or PNG document."), field=field)
    if kind.extension == "pdf":
        stored, extension = data, "pdf"
    else:
        try:
            stored, extension = process_document_photo(data)
        except DomainError:
            raise DomainError(_l("This picture cannot be read. Take the photo again."), field=field) from None
    key = get_private_storage().save(stored, extension)
    attachment = Attachment(submission_id=submission.id, field=field, storage_key=key, content_type=CONTENT_TYPES[extension],
                            size=len(stored), original_name=(upload.filename or "document")[-200:], uploaded_by_id=by.id)
    db.session.add(attachment)
    db.session.flush()
    return attachment


AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg"}


def attach_voice_answer(submission_id: int, by_id: int, data: bytes, extension: str) -> Attachment | None:
    """The voice message an applicant left on a call to answer the office's question, once the
    phone channel fetched it: an attachment of the answer, in private storage like every document."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or extension not in AUDIO_TYPES:
        return None
    attachment = Attachment(submission_id=submission.id, field="info_response", storage_key=get_private_storage().save(data, extension),
                            content_type=AUDIO_TYPES[extension], size=len(data), original_name=f"voice-message.{extension}", uploaded_by_id=by_id)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def read(attachment: Attachment) -> bytes:
    return get_private_storage().open(attachment.storage_key)
