"""Phone numbers are stored in E.164; people type them in their local form."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import DomainError


def normalise_phone(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of `raw`, read as a local number of `region` when it has no +prefix."""
    region = region or current_app.config["DEFAULT_PHONE_REGION"]
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise DomainError(_l("This does not look like a phone number. Check the digits and try again."), field="phone") from None
    if not phonenumbers.is_valid_number(parsed):
        raise DomainError(_l("This phone number is not valid. Include the area or mobile prefix."), field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def display_phone(e164: str) -> str:
    """International format with spaces, easier to read back over the phone. Kept per number: a list
    of twenty orders parsed twenty numbers on every view (phonenumbers' parser is slow)."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
