"""Voice's public face: what other domains may use.

Residents' reports as the public API and the officials' pages read them.

Another domain imports `marketplace.voice.api`, never voice's models, services or other modules
(tests/test_architecture.py holds it to that), so what voice exposes is listed here and nowhere else.
"""
from __future__ import annotations

from marketplace.voice.models import Report
from marketplace.voice.services import ReportFilter, open_report_count, public_reports_slice

__all__ = [
    "open_report_count", "public_reports_slice", "Report", "ReportFilter",
]
