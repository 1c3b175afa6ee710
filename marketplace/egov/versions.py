"""Form versions: the seeded definitions, and admins' drafts that become the published version.

A published version never changes; editing makes a new draft (a copy), which is validated
whenever it is saved and published as the next number. Submissions keep the version they were
filed against.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.api import Department, Role, User
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.timeutils import utcnow
from marketplace.egov import states, xlsform
from marketplace.egov.form_engine import DefinitionError, validate_definition
from marketplace.egov.models import EService, FormVersion, VersionStatus
from marketplace.extensions import db

DEFINITIONS = Path(__file__).with_name("definitions")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}$")


def ensure_seeded_services() -> list[str]:
    """Create each service of definitions/*.json that does not exist yet, published as version 1.
    Departments must exist (accounts seeding). Returns the slugs created."""
    created = []
    for path in sorted(DEFINITIONS.glob("*.json")):
        slug = path.stem
        if db.session.scalar(select(EService.id).where(EService.slug == slug)):
            continue
        definition = json.loads(path.read_text(encoding="utf-8"))
        department = db.session.scalar(select(Department).where(Department.code == definition.pop("department")))
        if department is None:
            continue
        validate_definition(definition)
        service = EService(slug=slug, department_id=department.id)
        db.session.add(service)
        db.session.flush()
        version = FormVersion(eservice_id=service.id, number=1, status=VersionStatus.PUBLISHED, definition=definition,
                              published_at=utcnow())
        db.session.add(version)
        db.session.flush()
        service.published_version_id = version.id
        created.append(slug)
    db.session.commit()
    return created


def get_version(admin: User, version_id: int) -> FormVersion:
    require_role(admin, Role.ADMIN)
    version = db.session.get(FormVersion, version_id)
    if version is None:
        raise NotFound(_l("There is no such form version."))
    return version


def new_draft(admin: User, service: EService) -> FormVersion:
    """A draft copied from the published version (or the existing draft, if one is open)."""
    require_role(admin, Role.ADMIN)
    open_draft = next((v for v in service.versions if v.status is VersionStatus.DRAFT), None)
    if open_draft is not None:
        return open_draft
    number = (db.session.scalar(select(func.max(FormVersion.number)).where(FormVersion.eservice_id == service.id)) or 0) + 1
    source = service.published_version.definition if service.published_version else {"title": {"en": service.slug}, "steps": []}
    draft = FormVersion(eservice_id=service.id, number=number, status=VersionStatus.DRAFT, definition=json.loads(json.dumps(source)),
                        created_by_id=admin.id)
    db.session.add(draft)
    db.session.commit()
    return draft


def save_draft(admin: User, version: FormVersion, definition_json: str) -> FormVersion:
    """Refused with every reason when the JSON or the definition is wrong; the text is not lost (the view keeps it)."""
    require_role(admin, Role.ADMIN)
    if version.status is not VersionStatus.DRAFT:
        raise DomainError(_l("A published version cannot change. Start a new draft."))
    try:
        definition = json.loads(definition_json)
    except json.JSONDecodeError as error:
        raise DefinitionError([f"not valid JSON: {error}"]) from None
    validate_definition(definition)
    version.definition = definition
    db.session.commit()
    return version


def publish(admin: User, version: FormVersion) -> FormVersion:
    require_role(admin, Role.ADMIN)
    if version.status is not VersionStatus.DRAFT:
        raise DomainError(_l("Only a draft can be published."))
    validate_definition(version.definition)
    service = version.eservice
    if service.published_version is not None:
        states.transition_version(service.published_version, VersionStatus.RETIRED)
    states.transition_version(version, VersionStatus.PUBLISHED)
    version.published_at = utcnow()
    service.published_version_id = version.id
    db.session.commit()
    return version


def import_xlsform(admin: User | None, slug: str, data: bytes, filename: str, department_code: str = "") -> tuple[FormVersion, list[str]]:
    """An XLSForm workbook as the service's draft (a new service when the slug is new and a department
    is named). Refused with every reason (XLSFormRefused); returns the draft and what was skipped.
    `admin` None is the command line, which the machine's operator runs."""
    if admin is not None:
        require_role(admin, Role.ADMIN)
    imported = xlsform.read_xlsform(data, filename)
    service = db.session.scalar(select(EService).where(EService.slug == slug))
    if service is None:
        department = db.session.scalar(select(Department).where(Department.code == (department_code or "").upper()))
        if department is None or not SLUG.fullmatch(slug or ""):
            raise DomainError(_l("A new service needs a short name (lower-case letters, digits and -) and a department."),
                              field="slug")
        service = EService(slug=slug, department_id=department.id)
        db.session.add(service)
        db.session.flush()
    draft = next((v for v in service.versions if v.status is VersionStatus.DRAFT), None)
    if draft is None:
        number = (db.session.scalar(select(func.max(FormVersion.number)).where(FormVersion.eservice_id == service.id)) or 0) + 1
        draft = FormVersion(eservice_id=service.id, number=number, status=VersionStatus.DRAFT, definition={},
                            created_by_id=admin.id if admin else None)
        db.session.add(draft)
    draft.definition = imported.definition
    db.session.commit()
    return draft, imported.skipped


def as_xlsform(admin: User, version: FormVersion) -> bytes:
    """Any version as an XLSForm workbook (editable in a spreadsheet, imported back unchanged)."""
    from marketplace.accounts.api import village_choices

    require_role(admin, Role.ADMIN)
    villages = [(village_id, label) for _group, villages in village_choices() for village_id, label in villages]
    return xlsform.write_xlsx(version.definition, villages=villages)


def all_services() -> list[EService]:
    return list(db.session.scalars(select(EService).order_by(EService.slug)))
