"""E-government's public face: what other domains may use.

Government services and applications as other domains see them (activity, the phone menus, open
data).

Another domain imports `marketplace.egov.api`, never egov's models, services or other modules
(tests/test_architecture.py holds it to that), so what egov exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.egov.figures import decided_source, received_source
from marketplace.egov.fees import PURPOSE as FEE_PURPOSE
from marketplace.egov.form_engine import text
from marketplace.egov.labels import submission_status_name
from marketplace.egov.models import EService, Submission, SubmissionStatus
from marketplace.egov.services import answer_info_request, my_applications, service_title

__all__ = [
    "decided_source", "received_source",
    "EService", "FEE_PURPOSE", "Submission", "SubmissionStatus", "answer_info_request", "my_applications",
    "service_title", "submission_status_name", "text",
]
