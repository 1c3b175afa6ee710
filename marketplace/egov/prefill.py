"""What a form field may be filled with from the applicant's own account (docs/forms.md).

Only the person's contact details for now; the answers stay ordinary answers, editable, and the
submission keeps them as filed.
"""
from __future__ import annotations

from typing import Any, Callable

from marketplace.accounts.models import User

PREFILL_SOURCES: dict[str, Callable[[User], Any]] = {
    "person.name": lambda user: user.name,
    "person.phone": lambda user: user.phone or "",
    "person.email": lambda user: user.email or "",
    "person.village": lambda user: user.village_id,
}


def prefill_answers(definition: dict, user: User) -> dict[str, Any]:
    values = {}
    for step in definition["steps"]:
        for spec in step["fields"]:
            source = spec.get("prefill")
            if source in PREFILL_SOURCES:
                value = PREFILL_SOURCES[source](user)
                if value not in (None, ""):
                    values[spec["name"]] = value
    return values
