"""The residents' reports' state machine and its one `transition()` (core.states).

The department handling a report moves it; a report can be reopened (fixed → in progress) if it
was not fixed after all. Filing makes it "received"; hiding is not a status (`hidden_at`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.accounts.api import User
from marketplace.core.states import Machine, emit
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.voice.labels import report_status_name
from marketplace.voice.models import Report, ReportEvent, ReportStatus

R = ReportStatus
RESIDENT, DEPARTMENT = "resident", "department"

REPORT_MOVES: Machine[ReportStatus] = Machine("report", [
    (None, R.RECEIVED, [RESIDENT], "filed"),
    (R.RECEIVED, R.IN_PROGRESS, [DEPARTMENT], "in_progress"),
    (R.RECEIVED, R.FIXED, [DEPARTMENT], "fixed"),
    (R.RECEIVED, R.WONT_FIX, [DEPARTMENT], "wont_fix"),
    (R.IN_PROGRESS, R.FIXED, [DEPARTMENT], "fixed"),
    (R.IN_PROGRESS, R.WONT_FIX, [DEPARTMENT], "wont_fix"),
    (R.FIXED, R.IN_PROGRESS, [DEPARTMENT], "reopened"),
    (R.WONT_FIX, R.IN_PROGRESS, [DEPARTMENT], "reopened"),
])


def transition(report: Report, official: User, to: ReportStatus, reason: str) -> ReportEvent:
    """The department's official moves the report (voice.services has checked they handle it)."""
    refused = _l("A report that is %(status)s cannot become %(to)s.", status=report_status_name(report.status),
                 to=report_status_name(to))
    move = REPORT_MOVES.check(report.status, to, DEPARTMENT, refused, refused)
    old = report.status
    report.status = to
    report.status_reason = reason[:1000]
    report.resolved_at = utcnow() if to in (R.FIXED, R.WONT_FIX) else None
    event = ReportEvent(report_id=report.id, actor_id=official.id, actor_role=DEPARTMENT, action="status",
                        from_status=old.value, to_status=to.value, reason=reason[:500])
    db.session.add(event)
    emit(f"report.{move.event}", report)
    return event
