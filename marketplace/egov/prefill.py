"""Tell us once: what a form field may be filled with from what Village Square already knows
(docs/forms.md lists the sources).

Name and contact details are copied without asking. Anything else (the farm, what the farmer
sold) is copied only after the applicant has seen exactly which facts and agreed, per service;
the agreement is remembered and can be withdrawn. Prefilled answers are ordinary answers: the
applicant may change them, officials see which came from the profile, and the submission keeps
the values as filed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.api import User, Village
from marketplace.catalog.api import Category, Listing, category_name, quantity
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.egov.models import PrefillConsent
from marketplace.extensions import db
from marketplace.i18n import LANGUAGE_NAMES, money
from marketplace.orders.api import SalesSummary, sales_summary


@dataclass(frozen=True)
class Source:
    label: Any  # lazy text: what the applicant is asked to share
    read: Callable[[User], Any]
    contact: bool = False  # name and contact details need no consent


def _farm(user: User, attribute: str):
    profile = user.farmer_profile
    return getattr(profile, attribute) if profile else None


def _sales(user: User) -> SalesSummary | None:
    return sales_summary(user.id, utcnow() - timedelta(days=365)) if user.farmer_profile else None


def _categories_listed(user: User) -> str | None:
    if not user.farmer_profile:
        return None
    slugs = db.session.scalars(select(Category.slug).join(Listing, Listing.category_id == Category.id)
                               .where(Listing.farmer_id == user.id).distinct())
    return ", ".join(sorted(category_name(slug) for slug in slugs)) or None


def _sales_by_category(user: User) -> str | None:
    summary = _sales(user)
    if not summary or not summary.by_category:
        return None
    return "; ".join(f"{category_name(slug)}: {quantity(milli, unit)}, {money(Money(summary.currency, value))}"
                     for slug, unit, milli, value in summary.by_category)


def _sales_figure(attribute: str) -> Callable[[User], Any]:
    def read(user: User):
        summary = _sales(user)
        return getattr(summary, attribute) if summary else None

    return read


PREFILL_SOURCES: dict[str, Source] = {
    "person.name": Source(_l("your name"), lambda user: user.name, contact=True),
    "person.phone": Source(_l("your phone number"), lambda user: user.phone or "", contact=True),
    "person.email": Source(_l("your email"), lambda user: user.email or "", contact=True),
    "person.village": Source(_l("your home village"), lambda user: user.village_id, contact=True),
    # Where the home village is: part of the address, like the village itself.
    "person.district": Source(_l("your home district"), lambda user: user.village.district.name if user.village else None, contact=True),
    "person.region": Source(_l("your home region"), lambda user: user.village.district.region.name if user.village else None, contact=True),
    # Not a contact detail: copied only with consent, like the farm's facts.
    "person.language": Source(_l("the language you chose on Village Square"), lambda user: LANGUAGE_NAMES.get(user.preferred_locale,
                                                                                                              user.preferred_locale)),
    "farm.name": Source(_l("your farm's name"), lambda user: _farm(user, "farm_name")),
    "farm.village": Source(_l("your farm's village"), lambda user: _farm(user, "village_id")),
    "farm.pickup_point": Source(_l("your pickup point"), lambda user: _farm(user, "pickup_point")),
    "farm.categories": Source(_l("the kinds of produce you list"), _categories_listed),
    "sales.completed_orders": Source(_l("how many orders you completed in the last 12 months"), _sales_figure("completed_orders")),
    "sales.value_12m": Source(_l("the value of your sales in the last 12 months"), _sales_figure("value_minor")),
    "sales.by_category_12m": Source(_l("what you sold per kind of produce in the last 12 months"), _sales_by_category),
}


def active_consent(user_id: int, eservice_id: int) -> PrefillConsent | None:
    consent = db.session.scalar(select(PrefillConsent).where(PrefillConsent.user_id == user_id,
                                                             PrefillConsent.eservice_id == eservice_id))
    return consent if consent is not None and consent.revoked_at is None else None


SHARED_FACTS = ("farm.name", "farm.village", "farm.categories", "sales.completed_orders", "sales.by_category_12m")


def shared_facts(applicant: User, eservice_id: int) -> list[tuple[str, Any]]:
    """What an official reviewing this service's application may see beside it: the applicant's
    farm and sales summary, only if the applicant agreed to share with this service (never orders)."""
    if active_consent(applicant.id, eservice_id) is None:
        return []
    facts = []
    for key in SHARED_FACTS:
        value = PREFILL_SOURCES[key].read(applicant)
        if key == "farm.village" and value is not None:
            village = db.session.get(Village, value)
            value = f"{village.name} ({village.district.name})" if village else None
        if value not in (None, ""):
            facts.append((str(PREFILL_SOURCES[key].label), value))
    return facts


def _fields(definition: dict):
    for step in definition["steps"]:
        for spec in step["fields"]:
            if spec.get("prefill") in PREFILL_SOURCES:
                yield spec


def facts_needing_consent(definition: dict) -> list[str]:
    """Labels of the facts beyond contact details that this form would copy (empty: nothing to ask)."""
    seen = []
    for spec in _fields(definition):
        source = PREFILL_SOURCES[spec["prefill"]]
        if not source.contact and spec["prefill"] not in seen:
            seen.append(spec["prefill"])
    return [str(PREFILL_SOURCES[key].label) for key in seen]


def prefill_answers(definition: dict, user: User, with_consent: bool = False) -> dict[str, Any]:
    """Answers copied from the account: contact details always, the rest only `with_consent`."""
    values = {}
    for spec in _fields(definition):
        source = PREFILL_SOURCES[spec["prefill"]]
        if not (source.contact or with_consent):
            continue
        value = source.read(user)
        if value not in (None, "", 0) or (value == 0 and spec["type"] in ("number", "money")):
            values[spec["name"]] = str(value) if spec["type"] == "number" else value
    return values
