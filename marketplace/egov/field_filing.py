"""Forms filled on field devices (ODK Collect, Enketo, a browser that was offline) and sent later.

The agent fills the form beside the resident, often without a signal; the device sends the filled
form (an XForm instance) when it can. Each one becomes an application of that resident, judged by
the same form engine, with the same attachments checks and the same audit trail as the web.

Who vouches for it: a resident is present only while an agent holds a recent presence proof
(accounts.presence). A form sent while that proof holds (the agent synced at the service centre,
with the resident) is filed at once, as on the web. Otherwise it waits as a draft in the resident's
"My applications": they are texted, check it and send it themselves, so nothing is filed in the
name of someone who is not there.

A form's instance id is stored with the application (unique): a device that resends, because the
answer was lost on the way, gets the same application back, never a second one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage, MultiDict

from marketplace.accounts import api as accounts
from marketplace.accounts.api import Role, User
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, InvalidInput
from marketplace.core.numbers import as_typed
from marketplace.egov import attachments, form_engine, services
from marketplace.egov.models import EService, FormVersion, Submission, SubmissionStatus, VersionStatus
from marketplace.extensions import db

#: The question put before the first page of every form served to a field device.
APPLICANT_PHONE = "applicant_phone"
#: The declaration put after the last page (an XForm "acknowledge": "OK" once made).
DECLARATION = "applicant_declares"
FORM_ID_PREFIX = "vs_"


def form_id(service: EService) -> str:
    return FORM_ID_PREFIX + service.slug.replace("-", "_")


def version_for(form_id_value: str, number: str) -> FormVersion:
    """The version a device filled: published or retired since (an application keeps its version)."""
    services_by_id = {form_id(s): s for s in db.session.scalars(select(EService))}
    service = services_by_id.get(form_id_value or "")
    version = None
    if service is not None and (number or "").isdigit():
        version = db.session.scalar(select(FormVersion).where(
            FormVersion.eservice_id == service.id, FormVersion.number == int(number), FormVersion.status != VersionStatus.DRAFT))
    if version is None:
        raise InvalidInput({"form": _l("This form is not one Village Square serves (or not this version): download the forms again.")})
    return version


@dataclass
class FieldReceipt:
    submission: Submission
    created: bool  # False: this filled form had already arrived
    filed: bool  # sent to the department; False: a draft waiting for the resident
    problems: list[str] = field(default_factory=list)  # answers refused; the resident or agent finishes on the web


@dataclass
class _Source:
    """Where a filled form's answers come from, as the step forms read them: the texts typed for a
    question (several for a multiple choice) and the file sent for it."""

    texts: Callable[[dict], list[str]]
    upload: Callable[[dict, str], FileStorage | None]


def receive_filled_form(agent: User, document: bytes, uploads: dict[str, FileStorage]) -> FieldReceipt:
    """An XForm instance (and its files) sent by an agent's device: stored once per instance id."""
    require_role(agent, Role.AGENT)
    try:
        root = ElementTree.fromstring(document)
    except Exception:  # defusedxml refuses entities and bombs; a broken document is the device's mistake
        raise InvalidInput({"form": _l("The filled form could not be read.")}) from None
    values = {_local(element.tag): element for element in root.iter()}
    instance_id = _text(values.get("instanceID"))
    if not instance_id or len(instance_id) > 100:
        raise InvalidInput({"form": _l("The filled form has no instance id.")})
    earlier = _already_received(instance_id, agent)
    if earlier is not None:
        return earlier
    version = version_for(root.get("id", ""), root.get("version", ""))
    resident = accounts.find_user_by_identifier(_text(values.get(APPLICANT_PHONE)))
    if resident is None:
        raise InvalidInput({APPLICANT_PHONE: _l("No one is registered with this phone number. Register them first.")})
    source = _Source(texts=lambda spec: _xform_texts(spec, _text(values.get(spec["name"]))),
                     upload=lambda spec, raw: uploads.get(raw))
    with force_locale(agent.preferred_locale or "en"):
        answers, files, problems = _read_answers(version.definition, source, services.build_context())
    return _store(agent, version, resident, instance_id, answers, files, problems,
                  declared=_text(values.get(DECLARATION)) == "OK")


def _xform_texts(spec: dict, raw: str) -> list[str]:
    if not raw:
        return []
    if spec["type"] == "multiple_choice":
        return raw.split()
    if spec["type"] in ("number", "money"):
        return [_as_typed_here(raw)]
    return [raw]


def receive_browser_form(actor: User, service: EService, version_id: int, formdata: MultiDict, files: MultiDict,
                         instance_id: str) -> FieldReceipt:
    """A whole form filled in a browser page that works without a signal, sent when the network came
    back (with the id the browser made for it): for the person themselves, or by an agent for the
    resident whose phone number heads the form. Stored once per instance id, like a device's."""
    instance_id = (instance_id or "").strip()
    if not 8 <= len(instance_id) <= 100:
        raise InvalidInput({"form": _l("The form has no id; reload the page and send it again.")})
    earlier = _already_received(instance_id, actor)
    if earlier is not None:
        return earlier
    version = db.session.get(FormVersion, version_id) if version_id else None
    if version is None or version.status is VersionStatus.DRAFT or version.eservice_id != service.id:
        raise InvalidInput({"form": _l("This form has changed since it was saved on this phone: open it again.")})
    applicant = actor
    phone = (formdata.get(APPLICANT_PHONE) or "").strip()
    if phone:
        require_role(actor, Role.AGENT)
        applicant = accounts.find_user_by_identifier(phone)
        if applicant is None:
            raise InvalidInput({APPLICANT_PHONE: _l("No one is registered with this phone number. Register them first.")})
    source = _Source(texts=lambda spec: [value for value in formdata.getlist(spec["name"]) if value != ""],
                     upload=lambda spec, _raw: files.get(spec["name"]))
    answers, uploads, problems = _read_answers(version.definition, source, services.build_context())
    return _store(actor, version, applicant, instance_id, answers, uploads, problems, declared=formdata.get("declared") == "y")


def _already_received(instance_id: str, agent: User) -> FieldReceipt | None:
    submission = db.session.scalar(select(Submission).where(Submission.instance_id == instance_id))
    if submission is None:
        return None
    if (submission.agent_id or submission.applicant_id) != agent.id:
        # someone else's form id: say nothing of whose it is
        raise InvalidInput({"form": _l("A form with this instance id was already received from another device.")})
    return FieldReceipt(submission, created=False, filed=submission.status is not SubmissionStatus.DRAFT)


def _store(agent: User, version: FormVersion, resident: User, instance_id: str, answers: dict,
           files: dict[str, FileStorage], problems: list[str], *, declared: bool) -> FieldReceipt:
    try:
        submission = services.new_draft(agent, version, resident, instance_id=instance_id)
    except IntegrityError:  # the same form, sent twice at once: the other request stored it
        db.session.rollback()
        earlier = _already_received(instance_id, agent)
        assert earlier is not None
        return earlier
    submission.answers = answers
    for name, upload in files.items():
        try:
            attachments.attach(submission, name, upload, agent)
        except DomainError as error:
            problems.append(f"{name}: {error.message}")
    services.record(submission, agent, "received_from_device")
    db.session.commit()
    filed = False
    if declared and not problems and not services.check_answers(submission) and accounts.is_present(agent, resident):
        filed = _file_now(agent, submission)
    if not filed and agent.id != resident.id:
        services.tell_applicant_a_device_draft_waits(submission, agent)
        db.session.commit()
    return FieldReceipt(submission, created=True, filed=filed, problems=problems)


def _file_now(agent: User, submission: Submission) -> bool:
    """Send it as the web's "send" would, paying at the office when the service allows it (the agent
    takes the fee there); when it cannot be sent yet, it stays a draft for the resident."""
    ways = services.ways_to_pay(submission.version.definition)
    way = services.OFFICE if services.OFFICE in ways else None
    try:
        services.submit_application(agent, submission, declared=True, way_to_pay=way)
    except DomainError:
        db.session.rollback()
        return False
    return True


def _read_answers(definition: dict, source: _Source, context: form_engine.BuildContext) -> tuple[dict, dict[str, FileStorage], list[str]]:
    """The instance's answers through the same step forms as the web (types, limits, constraints),
    page by page so each page's show_if sees the answers before it. What is refused is listed and left
    out; what is valid is kept."""
    answers: dict = {}
    files: dict[str, FileStorage] = {}
    problems: list[str] = []
    locale = str(get_locale() or "en")
    for index, step in enumerate(definition["steps"]):
        if not form_engine.shown_fields(definition, index, answers):
            continue
        formdata: MultiDict = MultiDict()
        for spec in step["fields"]:
            if spec["type"] == "file":
                raw = "".join(source.texts(spec))
                upload = source.upload(spec, raw)
                if upload is not None and upload.filename:
                    files[spec["name"]] = upload
                elif raw:
                    problems.append(_("%(question)s: the file %(name)s did not arrive with the form.",
                                      question=form_engine.text(spec["label"], locale), name=raw))
            elif spec["type"] != "note":
                for text in source.texts(spec):
                    formdata.add(spec["name"], text)
        form = form_engine.step_form(definition, index, answers, locale, context, formdata=formdata, csrf=False)
        form.validate()
        new = form_engine.read_step(definition, index, form, answers)
        for name, errors in form.errors.items():
            # what was sent and refused; a question left empty is for the check-answers page, not a problem
            if name in form and errors and name in formdata:
                problems.append(f"{form[name].label.text}: {' '.join(str(e) for e in errors)}")
        answers = form_engine.drop_hidden(definition, {**answers, **{k: v for k, v in new.items() if not form[k].errors}})
    return answers, {name: upload for name, upload in files.items() if name in _shown_names(definition, answers)}, problems


def _shown_names(definition: dict, answers: dict) -> set[str]:
    return {spec["name"] for index in range(len(definition["steps"])) for spec in form_engine.shown_fields(definition, index, answers)}


def _as_typed_here(raw: str) -> str:
    """An XForm decimal ("1500.5") written as the agent's language writes it, which is what the
    form's number fields read ("1500,5" in French); anything else is passed on to be refused."""
    try:
        return as_typed(Decimal(raw), places=6)
    except (InvalidOperation, ValueError):
        return raw


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""
