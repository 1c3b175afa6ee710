"""Applications from the resident's side (or an agent's beside them): the catalogue, drafts saved at
every step, check answers, declaration, fee, submission, withdrawal and rating.

Who may see a submission is decided here (`get_submission_for`) and nowhere else: its applicant,
the agent filing with them, officials of its department; admins too, and each admin view is
written to the audit trail. Every action on a submission writes an AuditEvent.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from marketplace.accounts import api as accounts
from marketplace.accounts import api as codes
from marketplace.accounts import api as presence
from marketplace.accounts.api import Department, Role, User, Village
from marketplace.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from marketplace.core.money import Money
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import site_path
from marketplace.egov import attachments, form_engine, states
from marketplace.egov.models import (
    EService,
    FormVersion,
    ReferenceSequence,
    Submission,
    SubmissionStatus,
)
from marketplace.egov.prefill import active_consent, prefill_answers
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.notifications.api import notify_user
from marketplace.payments import api as payments

S = SubmissionStatus
OPEN = (S.SUBMITTED, S.AWAITING_PAYMENT, S.IN_REVIEW, S.MORE_INFO_REQUESTED)
DECIDED = (S.APPROVED, S.REJECTED)


# The audit writer and the state machine live in egov.states; kept here for the views and review.
role_of, record, transition = states.role_of, states.record, states.transition


# --- catalogue -------------------------------------------------------------------------------

def catalogue(query: str = "", department_code: str = "", locale: str = "en") -> list[EService]:
    """Published services, filtered by department and by words of their title or summary in any language."""
    services = list(db.session.scalars(
        select(EService).join(EService.department).where(EService.published_version_id.is_not(None))
        .options(selectinload(EService.published_version), selectinload(EService.department)).order_by(EService.slug)
    ))
    if department_code:
        services = [s for s in services if s.department.code == department_code]
    words = [w for w in query.lower().split() if w]
    if words:
        def haystack(service: EService) -> str:
            d = service.published_version.definition
            return " ".join(str(v) for key in ("title", "summary", "who_can_apply") for v in (d.get(key) or {}).values()).lower()

        services = [s for s in services if all(w in haystack(s) for w in words)]
    return sorted(services, key=lambda s: form_engine.text(s.published_version.definition["title"], locale).lower())


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def published_service(slug: str) -> EService:
    service = db.session.scalar(select(EService).where(EService.slug == slug, EService.published_version_id.is_not(None)))
    if service is None:
        raise NotFound(_l("There is no such service."))
    return service


# --- drafts ----------------------------------------------------------------------------------

def start_application(actor: User, service: EService, applicant: User | None = None) -> Submission:
    """A new draft against the service's published version, for the actor or (an agent) for a resident."""
    applicant = applicant or actor
    if applicant.id != actor.id:
        if not actor.has_role(Role.AGENT):
            raise PermissionDenied(_l("Only a service-centre agent can file for someone else."))
        presence.require_presence(actor, applicant)  # nothing of theirs is shown or copied without them
    # Contact details always; the farm and sales figures only where the applicant agreed for this
    # service, and only when they start it themselves: consent given to an office is not given to an agent.
    with_consent = actor.id == applicant.id and active_consent(applicant.id, service.id) is not None
    submission = new_draft(actor, service.published_version, applicant,
                           prefilled=prefill_answers(service.published_version.definition, applicant, with_consent=with_consent))
    db.session.commit()
    return submission


def new_draft(actor: User, version: FormVersion, applicant: User, *, prefilled: dict | None = None,
              instance_id: str | None = None) -> Submission:
    """The draft row and its "started" audit entry (not committed): who may start one is the caller's
    rule (start_application for the web, egov.field_filing for forms from field devices)."""
    fee = form_engine.fee_of(version.definition)
    service = version.eservice
    submission = Submission(
        key=secrets.token_urlsafe(12), eservice_id=service.id, version_id=version.id, department_id=service.department_id,
        applicant_id=applicant.id, agent_id=actor.id if actor.id != applicant.id else None, status=S.DRAFT,
        district_id=applicant.village.district_id if applicant.village else None, instance_id=instance_id,
        answers=dict(prefilled or {}), prefilled=dict(prefilled or {}), fee_minor=fee.minor_units if fee else 0,
        currency=fee.currency if fee else "",
    )
    db.session.add(submission)
    db.session.flush()
    record(submission, actor, "started")
    return submission


def get_submission_for(actor: User, key: str) -> Submission:
    """The submission if `actor` may see it; NotFound otherwise (nobody learns it exists)."""
    submission = db.session.scalar(select(Submission).where(or_(Submission.key == key, Submission.reference == key.upper())))
    if submission is None or not actor.is_authenticated:
        raise NotFound(_l("There is no such application."))
    role = role_of(actor, submission)
    if role == "agent" and not actor.has_role(Role.AGENT):
        role = "other"
    if role == "other":
        raise NotFound(_l("There is no such application."))
    if role == "admin":
        record(submission, actor, "viewed_by_admin")  # admins' views of personal data are audited
        db.session.commit()
    return submission


def _require_editor(actor: User, submission: Submission) -> None:
    role = role_of(actor, submission)
    if role == "applicant":
        return
    if role == "agent" and not submission.agent_handed_back:
        presence.require_presence(actor, submission.applicant)  # the draft, too, is changed only with them
        return
    raise PermissionDenied(_l("Only the applicant, or the agent filing with them, can change this application."))


def require_applicant_or_their_agent(actor: User, submission: Submission) -> None:
    """Only the applicant, or the agent filing with them while they are present, acts for the
    application (pays its fee, changes how): an official who may read it may not."""
    _require_editor(actor, submission)


def _require_draft(submission: Submission) -> None:
    if submission.status is not S.DRAFT:
        raise DomainError(_l("This application has been sent; it can no longer be changed."))


@dataclass
class StepResult:
    saved: bool
    next_step: int | None  # None: every step is answered, go to check answers


def save_step(actor: User, submission: Submission, step_index: int, form, files: dict[str, FileStorage]) -> StepResult:
    """Validate one step, keep its answers in the draft (even when it goes on to the next page)."""
    _require_editor(actor, submission)
    _require_draft(submission)
    definition = submission.version.definition
    valid = form.validate()
    new_answers = form_engine.read_step(definition, step_index, form, submission.answers)
    for spec in definition["steps"][step_index]["fields"]:
        upload = files.get(spec["name"])
        if spec["type"] == "file" and spec["name"] in form and upload and upload.filename:
            try:
                attachments.attach(submission, spec["name"], upload, actor)
            except DomainError as error:
                form[spec["name"]].errors = list(form[spec["name"]].errors) + [str(error.message)]
    if not valid or form.errors:
        # Keep what is valid so far: nothing the person typed is lost, even on a refused page.
        good = {name: value for name, value in new_answers.items() if not form[name].errors}
        submission.answers = {**submission.answers, **good}
        db.session.commit()
        return StepResult(False, step_index)
    submission.answers = form_engine.drop_hidden(definition, {**submission.answers, **new_answers})
    record(submission, actor, f"saved_step_{step_index + 1}")
    db.session.commit()
    later = [i for i in form_engine.shown_steps(definition, submission.answers) if i > step_index]
    return StepResult(True, later[0] if later else None)


def check_answers(submission: Submission) -> list[tuple[int, dict]]:
    """Required questions still unanswered (each with its step)."""
    files: dict[str, int] = {}
    for attachment in submission.attachments:
        files[attachment.field] = files.get(attachment.field, 0) + 1
    return form_engine.missing_answers(submission.version.definition, submission.answers, files)


CARD, MPESA, OFFICE = "card", "mpesa", "office"
#: Ways paid before the application goes to the office (it waits in AWAITING_PAYMENT meanwhile).
PAID_NOW = (MPESA, CARD)


def ways_to_pay(definition: dict) -> list[str]:
    """How a service's fee can be paid here and now: by M-Pesa for a fee in shillings while M-Pesa is on,
    by card while card payment is on, at the office where the service allows it. Only these are
    offered; none means the fee cannot be paid yet."""
    fee = definition.get("fee") or {}
    in_shillings = (form_engine.fee_of(definition) or Money("KES", 0)).currency == "KES"
    return [way for way, works in ((MPESA, in_shillings and payments.mobile_money_enabled()),
                                   (CARD, payments.card_payments_enabled()),
                                   (OFFICE, bool(fee.get("pay_at_office")))) if works]


def _chosen_way(definition: dict, way: str | None) -> tuple[str | None, object | None]:
    """The way the applicant chose (the only one, when there is one), or why it cannot be used."""
    ways = ways_to_pay(definition)
    if not ways:
        return None, _l("This service's fee is paid by card, and card payment is not available yet. "
                        "Your answers are kept: come back later, or ask at the office.")
    if way is None and len(ways) == 1:
        return ways[0], None
    if way not in ways:
        return None, _l("Choose how you will pay the fee.")
    return way, None


def submit_application(actor: User, submission: Submission, *, declared: bool, way_to_pay: str | None = None) -> Submission:
    """Declaration made, every required answer given: the application gets its reference and goes to
    the department (or waits for its card fee). When an agent files it, the applicant is told."""
    _require_editor(actor, submission)
    if submission.status is not S.DRAFT and submission.reference:
        raise AlreadySent(_l("This application was already sent; here it is."))
    _require_draft(submission)
    codes.require_confirmed_phone(submission.applicant)
    errors: dict[str, object] = {}
    if not declared:
        errors["declaration"] = _l("Confirm that the information is correct to send the application.")
    missing = check_answers(submission)
    if missing:
        errors["answers"] = _l("Some questions still need an answer: %(questions)s.",
                               questions=", ".join(form_engine.text(spec["label"], str(get_locale())) for _, spec in missing))
    definition = submission.version.definition
    if submission.fee_minor:
        way_to_pay, problem = _chosen_way(definition, way_to_pay)
        if problem:
            errors["payment"] = problem
    if errors:
        raise InvalidInput(errors)
    # One send, however many tabs: claim the draft with a conditional UPDATE before taking a
    # reference. A second send waits for the first's commit, then finds nothing to claim.
    declared_at = utcnow()
    claimed = db.session.execute(update(Submission).where(
        Submission.id == submission.id, Submission.status == S.DRAFT, Submission.declared_at.is_(None),
    ).values(declared_at=declared_at).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        raise AlreadySent(_l("This application was already sent; here it is."))
    submission.declared_at = declared_at
    submission.reference = _next_reference(submission.eservice.department.code)
    submission.filed_by_id = actor.id
    submission.pays_at_office = bool(submission.fee_minor and way_to_pay == OFFICE)
    by_agent = actor.id != submission.applicant_id
    if submission.fee_minor and way_to_pay in PAID_NOW:
        transition(submission, actor, S.AWAITING_PAYMENT)
    else:
        _mark_submitted(submission, actor, "submitted", tell=not by_agent)
    if by_agent:
        _tell_applicant_an_agent_filed(submission, actor)
    db.session().commit_for_response()  # the page after it reads the reference and status already loaded
    return submission


class AlreadySent(DomainError):
    """A second send of the same application (another tab, a double tap): the first one counts."""


def _tell_applicant_an_agent_filed(submission: Submission, agent: User) -> None:
    """An application in someone's name is never news to them: one SMS and inbox message that
    says who filed it, what it is and what happens next (instead of the usual "received")."""
    def render():
        if submission.status is S.AWAITING_PAYMENT:
            next_step = _("The fee of %(amount)s is to be paid before it goes to the office.", amount=_fee_text(submission))
        elif submission.pays_at_office:
            next_step = _("Bring the fee of %(amount)s to the office.", amount=_fee_text(submission))
        else:
            next_step = _("We will tell you when it is decided.")
        return (
            _("Application %(reference)s filed in your name", reference=submission.reference),
            _("Village Square: %(agent)s filed your application %(reference)s (%(service)s) in your name. %(next)s "
              "If you did not ask for it, tell the office.",
              agent=agent.name, reference=submission.reference, service=service_title(submission), next=next_step),
        )
    _tell_applicant(submission, "application_filed_by_agent", render)


def tell_applicant_a_device_draft_waits(submission: Submission, agent: User) -> None:
    """A form an agent filled on a field device, kept as a draft until the applicant sends it."""
    def render():
        return (
            _("An application waits for you to send it"),
            _("Village Square: %(agent)s filled in a %(service)s application for you. It is not sent: open My applications, "
              "check it and send it. If you did not ask for it, tell the office.", agent=agent.name, service=service_title(submission)),
        )
    _tell_applicant(submission, "application_waits_for_you", render)


def _fee_text(submission: Submission) -> str:
    return money(Money(submission.currency, submission.fee_minor))


def change_way_to_pay(actor: User, submission: Submission, way: str) -> Submission:
    """Until the fee is paid the applicant (or their agent) may change how: from a card payment
    still waiting to the office (it goes to the office now), or from the office to a card while
    nobody at the office has opened it yet (it waits for the card payment)."""
    _require_editor(actor, submission)
    if way != other_way_to_pay(submission):
        raise DomainError(_l("The way of paying cannot be changed to this now."))
    # Card and M-Pesa are both "now": the application waits for the fee, the page offers both.
    if way == OFFICE:
        submission.pays_at_office = True
        _mark_submitted(submission, actor, "to_pay_at_office")
    else:
        submission.pays_at_office = False
        transition(submission, actor, S.AWAITING_PAYMENT, action="to_pay_by_card")
    db.session.commit()
    return submission


def other_way_to_pay(submission: Submission) -> str | None:
    """The way of paying the applicant may switch to now, if any (the application page offers it)."""
    if not submission.fee_minor:
        return None
    ways = ways_to_pay(submission.version.definition)
    if submission.status is S.AWAITING_PAYMENT and OFFICE in ways:
        return OFFICE
    now = [way for way in PAID_NOW if way in ways]
    if submission.status is S.SUBMITTED and submission.pays_at_office and now:
        return now[0]
    return None


def _mark_submitted(submission: Submission, actor: User | None, action: str, *, tell: bool = True) -> None:
    submission.submitted_at = utcnow()
    transition(submission, actor, S.SUBMITTED, action=action)
    if not tell:
        return
    _tell_applicant(submission, "application_submitted", lambda: (
        _("Application %(reference)s received", reference=submission.reference),
        _("Village Square: your application %(reference)s (%(service)s) is received. We will tell you when it is decided.",
          reference=submission.reference, service=service_title(submission)),
    ))


def mark_fee_paid(submission: Submission) -> None:
    """Called by egov.fees when the payments domain reports the card fee paid."""
    if submission.status is S.AWAITING_PAYMENT:
        _mark_submitted(submission, None, "fee_paid")


def _next_reference(department_code: str) -> str:
    """AGR-2026-000123: an atomic increment of the department's counter for this year."""
    prefix = f"{department_code}-{utcnow().year}"
    dialect_insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # The year's first application creates the counter; two at once both "create" it, one row results.
    db.session.execute(dialect_insert(ReferenceSequence).values(prefix=prefix, last=0).on_conflict_do_nothing())
    number = db.session.scalar(
        update(ReferenceSequence).where(ReferenceSequence.prefix == prefix).values(last=ReferenceSequence.last + 1)
        .returning(ReferenceSequence.last)
    )
    return f"{prefix}-{number:06d}"


def service_title(submission: Submission, locale: str | None = None) -> str:
    return form_engine.text(submission.version.definition["title"], locale or str(get_locale()))


def _tell_applicant(submission: Submission, kind: str, render) -> None:
    notify_user(submission.applicant, kind, render, link=site_path("egov.application", key=submission.key))


# --- after filing --------------------------------------------------------------------------

def withdraw(actor: User, submission: Submission, reason: str = "") -> Submission:
    _require_editor(actor, submission)
    if submission.status not in states.BEFORE_DECISION:
        raise DomainError(_l("A decided application cannot be withdrawn."))
    transition(submission, actor, S.WITHDRAWN, reason=reason.strip())
    db.session.commit()
    return submission


def answer_info_request(actor: User, submission: Submission, answer: str, upload: FileStorage | None) -> Submission:
    """The applicant (or their agent) answers the official's question; it goes back to the queue."""
    _require_editor(actor, submission)
    if submission.status is not S.MORE_INFO_REQUESTED:
        raise DomainError(_l("Nothing has been asked about this application."))
    if not answer.strip() and not (upload and upload.filename):
        raise DomainError(_l("Write an answer or attach a document."), field="answer")
    if upload and upload.filename:
        attachments.attach(submission, "info_response", upload, actor)
    transition(submission, actor, S.IN_REVIEW, reason=answer.strip())
    submission.info_request = ""
    db.session.commit()
    return submission


def rate(actor: User, submission: Submission, stars: int, comment: str = "") -> Submission:
    if role_of(actor, submission) != "applicant":
        raise PermissionDenied(_l("Only the applicant can rate the service."))
    if submission.status not in DECIDED:
        raise DomainError(_l("You can rate the service once your application is decided."))
    if submission.rating is not None:
        raise DomainError(_l("You have already rated this service. Thank you!"))
    if stars not in range(1, 6):
        raise DomainError(_l("Choose from 1 to 5 stars."), field="stars")
    submission.rating, submission.rating_comment = stars, comment.strip()[:1000]
    record(submission, actor, "rated", reason=f"{stars}/5")
    db.session.commit()
    return submission


def my_applications(actor: User) -> list[Submission]:
    """The person's own applications, and those they file as an agent (drafts first)."""
    return list(db.session.scalars(
        select(Submission).where(or_(Submission.applicant_id == actor.id, Submission.agent_id == actor.id))
        .options(selectinload(Submission.version), selectinload(Submission.applicant)).order_by(Submission.id.desc()).limit(200)
    ))


def own_sent_applications(actor: User, limit: int = 20) -> list[Submission]:
    """The applications the person sent for themselves (with a reference), newest first."""
    return [s for s in my_applications(actor) if s.reference and s.applicant_id == actor.id][:limit]


def own_application(actor: User, submission_id: int) -> Submission | None:
    """One of the person's own applications by id; None when it is not theirs."""
    submission = db.session.get(Submission, submission_id)
    return submission if submission is not None and submission.applicant_id == actor.id else None


def hand_back(actor: User, submission: Submission) -> Submission:
    """The agent leaves the draft to the resident, who finishes it from their own account."""
    if role_of(actor, submission) != "agent":
        raise PermissionDenied(_l("Only the agent filing this application can hand it back."))
    submission.agent_handed_back = True
    record(submission, actor, "handed_back")
    _tell_applicant(submission, "application_handed_back", lambda: (
        _("Your application is ready to finish"),
        _("Village Square: the agent has left your %(service)s application for you to finish. Sign in and open My applications.",
          service=service_title(submission)),
    ))
    db.session.commit()
    return submission


# --- agents --------------------------------------------------------------------------------

def find_resident(agent: User, phone: str) -> User | None:
    if not agent.has_role(Role.AGENT):
        raise PermissionDenied(_l("Only a service-centre agent can look people up."))
    return accounts.find_user_by_identifier(phone)


def register_resident(agent: User, name: str, phone: str, village_id: int | None, locale: str) -> User:
    """An agent registers a resident on the spot; the resident sets a password later by SMS reset.
    A code goes to the number at once: typed back, it proves both that the resident is here and
    that the number is theirs."""
    if not agent.has_role(Role.AGENT):
        raise PermissionDenied(_l("Only a service-centre agent can register people."))
    resident = accounts.register_user(accounts.Registration(
        name=name, phone=phone, email="", password=secrets.token_urlsafe(16), preferred_locale=locale, village_id=village_id))
    presence.send_code(agent, resident)
    return resident


def resident_for_agent(agent: User, person_id: int | None) -> User | None:
    if not agent.has_role(Role.AGENT):
        raise PermissionDenied(_l("Only a service-centre agent can look people up."))
    return accounts.get_user(person_id)


def resident_is_present(agent: User, resident: User) -> bool:
    return presence.is_present(agent, resident)


def village_label(village_id: int) -> str:
    village = db.session.get(Village, village_id)
    return f"{village.name} ({village.district.name})" if village else str(village_id)


def build_context(submission: Submission | None = None, reader: User | None = None) -> form_engine.BuildContext:
    """What the form engine needs from outside; when the reader is not the applicant (their agent,
    an official), the questions name the applicant instead of saying "you"."""
    someone_else = submission is not None and reader is not None and reader.id != submission.applicant_id
    return form_engine.BuildContext(villages=accounts.village_choices, village_name=village_label,
                                    applicant_name=submission.applicant.name if someone_else else None)


def ratings_by_service() -> list[tuple[EService, int, float | None]]:
    """Per service: how many ratings and their mean (admins' page)."""
    rows = db.session.execute(
        select(Submission.eservice_id, func.count(Submission.rating), func.avg(Submission.rating))
        .where(Submission.rating.is_not(None)).group_by(Submission.eservice_id)
    ).all()
    by_id = {eservice_id: (count, float(avg) if avg is not None else None) for eservice_id, count, avg in rows}
    services = db.session.scalars(select(EService).order_by(EService.slug))
    return [(s, *by_id.get(s.id, (0, None))) for s in services]
