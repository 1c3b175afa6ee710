"""Translated names of report categories and states."""
from flask_babel import lazy_gettext as _l

from marketplace.voice.models import ReportCategory, ReportStatus

CATEGORY_LABELS = {
    ReportCategory.ROADS: _l("Roads"),
    ReportCategory.WATER: _l("Water"),
    ReportCategory.ELECTRICITY: _l("Electricity"),
    ReportCategory.MARKET: _l("Market facilities"),
    ReportCategory.HEALTH: _l("Health post"),
    ReportCategory.SCHOOL: _l("School"),
    ReportCategory.OTHER: _l("Something else"),
}

STATUS_LABELS = {
    ReportStatus.RECEIVED: _l("received"),
    ReportStatus.IN_PROGRESS: _l("being worked on"),
    ReportStatus.FIXED: _l("fixed"),
    ReportStatus.WONT_FIX: _l("will not be fixed"),
}


def category_name(category: ReportCategory | str) -> str:
    return str(CATEGORY_LABELS[ReportCategory(category)])


def report_status_name(status: ReportStatus | str) -> str:
    return str(STATUS_LABELS[ReportStatus(status)])
