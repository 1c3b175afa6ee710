"""Voice's public face: what other domains may use.

Residents' reports as the public API and the officials' pages read them, and as the phone
channel files them (a voice message on a call, attached once fetched).

Another domain imports `marketplace.voice.api`, never voice's models, services or other modules
(tests/test_architecture.py holds it to that), so what voice exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.voice.labels import category_name
from marketplace.voice.models import Report, ReportCategory
from marketplace.voice.services import ReportFilter, ReportInput, attach_recording, file_report, open_report_count, public_reports_slice

__all__ = [
    "attach_recording", "category_name", "file_report", "open_report_count", "public_reports_slice", "Report", "ReportCategory",
    "ReportFilter", "ReportInput",
]
