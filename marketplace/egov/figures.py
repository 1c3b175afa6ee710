"""The rows open data computes service performance from, written by egov, which owns the tables and
the statuses: a renamed status or column is changed here, beside the model."""
from __future__ import annotations

from collections.abc import Callable

from marketplace.egov.models import FormVersion, Submission, SubmissionStatus
from marketplace.extensions import db

DECIDED = (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED)


def received_source() -> tuple[str, dict]:
    """Applications sent between :month_start and :month_end, counted per service and department."""
    return f"""
        SELECT eservice_id, department_id, COUNT(*) AS received FROM {Submission.__tablename__}
        WHERE submitted_at >= :month_start AND submitted_at < :month_end GROUP BY eservice_id, department_id
    """, {}


def decided_source(hours_between: Callable[[str, str], str]) -> tuple[str, dict]:
    """One row per application decided between :month_start and :month_end: service, department,
    status (compare with :approved), rating, whole hours from sent to decided (`hours_between`
    writes that in the database's dialect) and the version's target in days."""
    target = ("CAST(fv.definition ->> 'target_days' AS INTEGER)" if db.engine.dialect.name == "postgresql"
              else "CAST(json_extract(fv.definition, '$.target_days') AS INTEGER)")
    return f"""
        SELECT s.eservice_id AS eservice_id, s.department_id AS department_id, s.status AS status, s.rating AS rating,
               {hours_between("s.decided_at", "s.submitted_at")} AS hours, {target} AS target_days
        FROM {Submission.__tablename__} s JOIN {FormVersion.__tablename__} fv ON fv.id = s.version_id
        WHERE s.decided_at >= :month_start AND s.decided_at < :month_end AND s.submitted_at IS NOT NULL
          AND s.status IN (:approved, :rejected)
    """, {"approved": SubmissionStatus.APPROVED.value, "rejected": SubmissionStatus.REJECTED.value}
