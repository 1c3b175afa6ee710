"""Translated names of roles, for pages and messages."""
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Role

ROLE_LABELS = {
    Role.BUYER: _l("Buyer"),
    Role.FARMER: _l("Farmer"),
    Role.RESIDENT: _l("Resident"),
    Role.AGENT: _l("Service-centre agent"),
    Role.OFFICIAL: _l("Official"),
    Role.ADMIN: _l("Administrator"),
}


def role_name(role: Role | str) -> str:
    return str(ROLE_LABELS[Role(role)])


#: The seeded departments by code (their stored name is the English one; a department an admin
#: adds later shows its stored name until a translation is added here).
DEPARTMENT_LABELS = {
    "AGR": _l("Agriculture and Livestock"),
    "REG": _l("Civil Registration"),
    "LND": _l("Lands and Physical Planning"),
    "TRD": _l("Trade and Licensing"),
    "SWF": _l("Social Welfare"),
    "PWK": _l("Public Works, Water and Energy"),
    "HLT": _l("Health"),
    "EDU": _l("Education"),
}


def department_name(department) -> str:
    label = DEPARTMENT_LABELS.get(department.code)
    return str(label) if label is not None else department.name
