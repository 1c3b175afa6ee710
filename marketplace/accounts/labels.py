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
