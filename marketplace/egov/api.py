"""E-government's public face: what other domains may use.

Government services and applications as other domains see them (activity, the phone menus, open
data).

Another domain imports `marketplace.egov.api`, never egov's models, services or other modules
(tests/test_architecture.py holds it to that), so what egov exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.egov.attachments import attach_voice_answer
from marketplace.egov.fees import PURPOSE as FEE_PURPOSE
from marketplace.egov.field_types import text
from marketplace.egov.figures import decided_source, received_source
from marketplace.egov.labels import submission_status_name
from marketplace.egov.models import EService, Submission, SubmissionStatus
from marketplace.egov.services import (
    answer_info_request,
    my_applications,
    own_application,
    own_sent_applications,
    service_title,
)

__all__ = [
    "answer_info_request", "attach_voice_answer", "decided_source", "EService", "FEE_PURPOSE", "my_applications", "own_application",
    "own_sent_applications", "received_source", "service_title", "Submission", "submission_status_name",
    "SubmissionStatus", "text",
]
