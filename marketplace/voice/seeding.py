"""The demo's routing rules: which department hears about what, in every district. Safe to rerun."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.api import Department
from marketplace.extensions import db
from marketplace.voice.models import ReportCategory, RoutingRule

DEFAULT_ROUTES = {
    ReportCategory.ROADS: "PWK", ReportCategory.WATER: "PWK", ReportCategory.ELECTRICITY: "PWK",
    ReportCategory.MARKET: "TRD", ReportCategory.HEALTH: "HLT", ReportCategory.SCHOOL: "EDU",
    ReportCategory.OTHER: "SWF",
}


def ensure_default_routing() -> int:
    """Add a rule for every district for each category that has none and whose department exists."""
    departments = {d.code: d.id for d in db.session.scalars(select(Department))}
    existing = set(db.session.scalars(select(RoutingRule.category).where(RoutingRule.district_id.is_(None))))
    added = 0
    for category, code in DEFAULT_ROUTES.items():
        if category not in existing and code in departments:
            db.session.add(RoutingRule(category=category, district_id=None, department_id=departments[code]))
            added += 1
    db.session.commit()
    return added
