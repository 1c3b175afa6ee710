"""Residents' voice: filing a report, routing it, "me too", comments, the department's answer, moderation.

Reports are public; the reporter's identity never is. Pages, the API and CSV read reports
through `public_*` functions and templates that do not reach `reporter_id`; officials of the
department see the reporter so they can ask them more.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.accounts import api as presence
from marketplace.accounts.api import (
    VILLAGE_RADIUS_KM,
    District,
    Role,
    User,
    Village,
    around,
    department_name,
    distance_from_village,
    distance_km,
    is_on_earth,
    nearest_village,
)
from marketplace.core import idempotency
from marketplace.core.auth import require_role
from marketplace.core.bidi import isolate
from marketplace.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from marketplace.core.images import process_photo
from marketplace.core.storage import get_private_storage, get_storage
from marketplace.core.timeutils import utcnow
from marketplace.core.urls import site_path
from marketplace.extensions import db
from marketplace.notifications.api import notify_user
from marketplace.voice import states
from marketplace.voice.labels import category_name, report_status_name
from marketplace.voice.models import (
    Report,
    ReportCategory,
    ReportComment,
    ReportEvent,
    ReportPhoto,
    ReportRecording,
    ReportStatus,
    ReportSupport,
    RoutingRule,
)

MAX_PHOTOS = 3
VOICE_REPORTS_PER_HOUR = 5
MAX_DESCRIPTION = 2000
MAX_COMMENT = 1000
PAGE_SIZE = 20
#: Open reports of the same kind whose pins are this close count as "nearby" for "me too".
NEARBY_KM = 1.0
R = ReportStatus

@dataclass
class ReportInput:
    category: str = ""
    village_id: int | None = None
    description: str = ""
    photos: list[dict] = field(default_factory=list)  # from process_photos: keys and size of each
    latitude: float | None = None  # optional: where exactly, from the reporter's phone
    longitude: float | None = None
    voice_message: bool = False  # said on a phone call: the recording (attach_recording) is the description


# --- routing -----------------------------------------------------------------------------

def department_for(category: ReportCategory, district_id: int) -> int | None:
    """The district's own rule for the category, else the rule for everywhere, else none."""
    rules = db.session.scalars(select(RoutingRule).where(
        RoutingRule.category == category, or_(RoutingRule.district_id == district_id, RoutingRule.district_id.is_(None))))
    by_district = {rule.district_id: rule.department_id for rule in rules}
    return by_district.get(district_id, by_district.get(None))


def set_rule(actor: User, category: ReportCategory, district_id: int | None, department_id: int) -> RoutingRule:
    """Add or change a rule; reports waiting for a department that it now covers are routed at once."""
    require_role(actor, Role.ADMIN)
    rule = db.session.scalar(select(RoutingRule).where(
        RoutingRule.category == category,
        RoutingRule.district_id == district_id if district_id else RoutingRule.district_id.is_(None)))
    if rule is None:
        rule = RoutingRule(category=category, district_id=district_id, department_id=department_id)
        db.session.add(rule)
    else:
        rule.department_id = department_id
    db.session.flush()
    for report in db.session.scalars(select(Report).where(Report.department_id.is_(None), Report.category == category)):
        routed = department_for(report.category, report.district_id)
        if routed:
            report.department_id = routed
            db.session.add(ReportEvent(report_id=report.id, actor_id=actor.id, action="routed",
                                       from_status=report.status.value, to_status=report.status.value))
    db.session.commit()
    return rule


def delete_rule(actor: User, rule_id: int) -> None:
    require_role(actor, Role.ADMIN)
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(_l("There is no such rule."))
    db.session.delete(rule)
    db.session.commit()


def rules() -> list[RoutingRule]:
    return list(db.session.scalars(select(RoutingRule).options(selectinload(RoutingRule.district), selectinload(RoutingRule.department))
                                   .order_by(RoutingRule.category, RoutingRule.district_id)))


def unrouted_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Report).where(Report.department_id.is_(None)))


# --- filing --------------------------------------------------------------------------------

def process_photos(files: list[bytes]) -> list[dict]:
    """Through the one image pipeline (EXIF, and with it the phone's location, removed); the
    first bad file stops with its reason, and nothing is attached until the report is filed."""
    storage = get_storage()
    processed = []
    for data in files:
        image = process_photo(data, storage)
        processed.append({"thumb_key": image.thumb.key, "display_key": image.display.key,
                          "display_width": image.display.width, "display_height": image.display.height})
    return processed


def file_report(actor: User, data: ReportInput, reporter: User | None = None, submission_key: str | None = None) -> Report:
    """`actor` files for themselves, or an agent files for `reporter`."""
    if reporter is not None and reporter.id != actor.id:
        require_role(actor, Role.AGENT)
        presence.require_presence(actor, reporter)  # a report in someone's name only with them beside the agent
    reporter = reporter or actor
    errors: dict[str, object] = {}
    try:
        category = ReportCategory(data.category)
    except ValueError:
        category = None
        errors["category"] = _l("Choose what the report is about.")
    located = data.latitude is not None or data.longitude is not None
    if located and not is_on_earth(data.latitude, data.longitude):
        errors["location"] = _l("The location is not a place on Earth; send the report without it.")
        located = False
    village = _place(data, located, errors)
    description = data.description.strip()
    if data.voice_message:
        # A call has no form to rate-limit: the reporter's own count does (the web's limit is per route).
        recent = db.session.scalar(select(func.count()).select_from(Report).where(
            Report.reporter_id == reporter.id, Report.created_at >= utcnow() - timedelta(hours=1)))
        if recent >= VOICE_REPORTS_PER_HOUR:
            raise DomainError(_l("You have sent %(n)d reports in the last hour. Please call again later.", n=VOICE_REPORTS_PER_HOUR))
        description = str(_l("A voice message, left on a phone call: the department listens to it."))
    elif len(description) < 10:
        errors["description"] = _l("Describe the problem or suggestion in a few words (at least 10 letters).")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _l("Keep the description under %(n)d letters.", n=MAX_DESCRIPTION)
    if len(data.photos) > MAX_PHOTOS:
        errors["photos"] = _l("Add at most %(n)d photos.", n=MAX_PHOTOS)
    if errors:
        raise InvalidInput(errors)
    actor_id = actor.id
    earlier = idempotency.claim(actor_id, "report", submission_key)  # one report per submission of the form
    if earlier:
        return db.session.get(Report, int(earlier))
    report = Report(
        reporter_id=reporter.id, filed_by_id=actor.id, category=category, village_id=village.id,
        district_id=village.district_id, region_id=village.district.region_id, description=description,
        department_id=department_for(category, village.district_id), status=R.RECEIVED,
        latitude=data.latitude, longitude=data.longitude,
    )
    report.photos = [
        ReportPhoto(position=i, thumb_key=p["thumb_key"], display_key=p["display_key"],
                    display_width=int(p["display_width"]), display_height=int(p["display_height"]))
        for i, p in enumerate(data.photos)
    ]
    db.session.add(report)
    db.session.flush()
    db.session.add(ReportEvent(report_id=report.id, actor_id=actor.id, actor_role=states.RESIDENT, action="filed", to_status=R.RECEIVED.value,
                               reason="agent" if actor.id != reporter.id else ""))
    idempotency.done(actor_id, "report", submission_key, report.id)
    db.session.commit()
    return report


def _place(data: ReportInput, located: bool, errors: dict[str, object]) -> Village | None:
    """The chosen village; without one, the village nearest the pin. A pin far from the chosen
    village is a slip of the finger on one or the other: the person is asked which is right."""
    village = db.session.get(Village, data.village_id) if data.village_id else None
    if village is None and located:
        nearest = nearest_village(data.latitude, data.longitude)
        if nearest is None:
            errors["village_id"] = _l("The place on the map is more than %(km)d km from every village we know: "
                                      "choose the village where it is.", km=VILLAGE_RADIUS_KM)
        return nearest[0] if nearest else None
    if village is None:
        errors["village_id"] = _l("Choose the village where it is.")
    elif located:
        away = distance_from_village(village, data.latitude, data.longitude)
        if away is not None and away > VILLAGE_RADIUS_KM:
            errors["village_id"] = _l("The place on the map is %(km)d km from %(village)s: move the pin, or choose the "
                                    "village where it is.", km=round(away), village=isolate(village.name))
    return village


def add_photo(report: Report, photo: dict, actor_id: int | None, source: str) -> bool:
    """A photo arriving after the report was filed (a partner's media_url, fetched by a job); False
    when the report already holds MAX_PHOTOS. Recorded in the report's history with where it came from."""
    if len(report.photos) >= MAX_PHOTOS:
        return False
    report.photos.append(ReportPhoto(position=len(report.photos), thumb_key=photo["thumb_key"], display_key=photo["display_key"],
                                     display_width=int(photo["display_width"]), display_height=int(photo["display_height"])))
    db.session.add(ReportEvent(report_id=report.id, actor_id=actor_id, action="photo_added", from_status=report.status.value,
                               to_status=report.status.value, reason=source[:500]))
    return True


AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg"}


def attach_recording(report_id: int, recorded_by_id: int, data: bytes, extension: str) -> ReportRecording | None:
    """The voice message of a report filed on a call, once the phone channel has fetched it: kept
    in private storage, and said in the report's history. None when the report is gone."""
    report = db.session.get(Report, report_id)
    if report is None or extension not in AUDIO_TYPES:
        return None
    recording = ReportRecording(report_id=report.id, storage_key=get_private_storage().save(data, extension),
                                content_type=AUDIO_TYPES[extension], size=len(data), recorded_by_id=recorded_by_id)
    db.session.add(recording)
    db.session.add(ReportEvent(report_id=report.id, actor_id=recorded_by_id, action="recording_added", from_status=report.status.value,
                               to_status=report.status.value, reason="voice call"))
    db.session.flush()
    return recording


def may_listen(actor: User | None, report: Report) -> bool:
    """A voice message is the reporter's own voice: their department, moderators and the reporter hear it."""
    return actor is not None and (actor.id == report.reporter_id or is_department_official(actor, report) or can_moderate(actor, report))


def recording_to_hear(actor: User | None, report: Report, recording_id: int) -> tuple[ReportRecording, bytes]:
    recording = next((r for r in report.recordings if r.id == recording_id), None)
    if recording is None or not may_listen(actor, report):
        raise NotFound(_l("No such voice message."))
    return recording, get_private_storage().open(recording.storage_key)


# --- reading -------------------------------------------------------------------------------

@dataclass
class ReportFilter:
    category: str = ""
    district_id: int | None = None
    region_id: int | None = None
    status: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1


@dataclass
class ReportPage:
    reports: list[Report]
    page: int
    has_next: bool


def _filtered(query, filters: ReportFilter):
    if filters.category in {c.value for c in ReportCategory}:
        query = query.where(Report.category == ReportCategory(filters.category))
    if filters.status in {s.value for s in ReportStatus}:
        query = query.where(Report.status == ReportStatus(filters.status))
    if filters.district_id:
        query = query.where(Report.district_id == filters.district_id)
    if filters.region_id:
        query = query.where(Report.region_id == filters.region_id)
    if filters.since:
        query = query.where(Report.created_at >= datetime.combine(filters.since, time.min, tzinfo=UTC))
    if filters.until:  # the last day is included
        query = query.where(Report.created_at < datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=UTC))
    return query


def public_reports_slice(filters: ReportFilter, limit: int, offset: int) -> list[Report]:
    """Visible reports, newest first; hidden ones are left out of every public list."""
    query = _filtered(select(Report).where(Report.hidden_at.is_(None)), filters)
    return list(db.session.scalars(
        query.options(selectinload(Report.village), selectinload(Report.district).selectinload(District.region),
                      selectinload(Report.department))
        .order_by(Report.id.desc()).limit(limit).offset(offset)))


def similar_open_reports(category: str, village_id: int | None, latitude: float | None = None,
                         longitude: float | None = None, limit: int = 3) -> list[Report]:
    """Open reports of the same kind in the same village, or pinned within NEARBY_KM of the pin:
    shown before a new one is filed, so a resident (or a partner app) can say "me too" instead of
    reporting the same problem twice."""
    located = is_on_earth(latitude, longitude)
    if category not in {c.value for c in ReportCategory} or not (village_id or located):
        return []
    here = [Report.village_id == village_id] if village_id else []
    if located:
        here.append(and_(*around(Report.latitude, Report.longitude, latitude, longitude, NEARBY_KM)))
    candidates = db.session.scalars(select(Report).where(
        Report.category == ReportCategory(category), or_(*here), Report.hidden_at.is_(None),
        Report.status.in_([R.RECEIVED, R.IN_PROGRESS])).order_by(Report.supporters.desc(), Report.id.desc()).limit(50))
    nearby = [report for report in candidates if report.village_id == village_id or (
        report.latitude is not None and distance_km(latitude, longitude, report.latitude, report.longitude) <= NEARBY_KM)]
    return nearby[:limit]


def me_too_candidates(actor: User, data: ReportInput, submission_key: str | None) -> list[Report]:
    """What to offer before a web report is filed: the similar open reports, unless this very form
    was already sent (a double tap lands on the report it made, not on the question)."""
    if idempotency.earlier_result(actor.id, "report", submission_key):
        return []
    return similar_open_reports(data.category, data.village_id, data.latitude, data.longitude)


def public_reports(filters: ReportFilter, page_size: int = PAGE_SIZE) -> ReportPage:
    page = max(filters.page, 1)
    rows = public_reports_slice(filters, limit=page_size + 1, offset=(page - 1) * page_size)
    return ReportPage(reports=rows[:page_size], page=page, has_next=len(rows) > page_size)


def get_report(actor: User | None, report_id: int) -> Report:
    """A hidden report is still shown to its reporter and to officials and admins (with the reason)."""
    report = db.session.get(Report, report_id)
    if report is None or (report.is_hidden and not can_moderate(actor, report) and getattr(actor, "id", None) != report.reporter_id):
        raise NotFound(_l("There is no such report."))
    return report


def is_department_official(actor: User | None, report: Report) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.serves(report.department_id, report.district_id)


def can_moderate(actor: User | None, report: Report) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and (
        actor.has_role(Role.ADMIN) or is_department_official(actor, report))


def has_supported(actor: User | None, report: Report) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return db.session.scalar(select(ReportSupport.id).where(
        ReportSupport.report_id == report.id, ReportSupport.user_id == actor.id)) is not None


def visible_comments(actor: User | None, report: Report) -> list[ReportComment]:
    if can_moderate(actor, report):
        return list(report.comments)
    return [c for c in report.comments if not c.is_hidden]


def _department_reports(actor: User):
    require_role(actor, Role.OFFICIAL)
    return select(Report).where(actor.jurisdiction(Report.department_id, Report.district_id))


def open_report_count(actor: User) -> int:
    """For the officials' queue: how many reports wait for their department."""
    query = _department_reports(actor).where(Report.status.in_([R.RECEIVED, R.IN_PROGRESS]))
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def reports_for_official(actor: User, status: str = "") -> list[Report]:
    """The department's reports (in the official's district, if they have one), open ones first, oldest first."""
    query = _department_reports(actor)
    statuses = [ReportStatus(status)] if status in {s.value for s in ReportStatus} else [R.RECEIVED, R.IN_PROGRESS]
    query = query.where(Report.status.in_(statuses))
    return list(db.session.scalars(query.options(selectinload(Report.village)).order_by(Report.id).limit(500)))


# --- taking part ---------------------------------------------------------------------------

def support(actor: User, report: Report) -> bool:
    """"Me too": once per person. Returns False if they had already said so."""
    if report.is_hidden:
        raise DomainError(_l("This report is hidden."))
    if actor.id == report.reporter_id:
        raise DomainError(_l("You reported this yourself: you will hear about it anyway."))
    try:
        with db.session.begin_nested():
            db.session.add(ReportSupport(report_id=report.id, user_id=actor.id))
    except IntegrityError:
        return False
    # Counted in the database: two people pressing at once both count.
    db.session.execute(update(Report).where(Report.id == report.id).values(supporters=Report.supporters + 1))
    db.session.commit()
    db.session.refresh(report)
    return True


def comment(actor: User, report: Report, body: str) -> ReportComment:
    body = body.strip()
    if not body:
        raise DomainError(_l("Write a comment first."), field="body")
    if len(body) > MAX_COMMENT:
        raise DomainError(_l("Keep the comment under %(n)d letters.", n=MAX_COMMENT), field="body")
    if report.is_hidden:
        raise DomainError(_l("This report is hidden."))
    answering = is_department_official(actor, report)
    entry = ReportComment(report_id=report.id, author_id=actor.id, body=body,
                          department_id=report.department_id if answering else None)
    db.session.add(entry)
    db.session.flush()
    if answering:
        _tell_followers(report, "report_answered", lambda: (
            _("Answer to report %(number)d", number=report.id),
            _("Village Square: %(department)s answered the report about %(category)s in %(village)s: %(answer)s",
              department=department_name(report.department), category=category_name(report.category), village=report.village.name,
              answer=body[:300]),
        ))
    db.session.commit()
    return entry


def set_status(actor: User, report: Report, to: ReportStatus, reason: str = "") -> Report:
    if not is_department_official(actor, report):
        raise PermissionDenied(_l("Only the department handling this report can change its status."))
    reason = reason.strip()
    if to is R.WONT_FIX and not reason:
        raise DomainError(_l("Say why it will not be fixed: the residents will read it."), field="reason")
    states.transition(report, actor, to, reason)
    _tell_followers(report, "report_status", lambda: (
        _("Report %(number)d: %(status)s", number=report.id, status=report_status_name(to)),
        _("Village Square: the report about %(category)s in %(village)s is now %(status)s.",
          category=category_name(report.category), village=report.village.name, status=report_status_name(to))
        + (" " + _("Reason: %(reason)s", reason=reason) if reason else ""),
    ))
    db.session.commit()
    return report


def _tell_followers(report: Report, kind: str, render) -> None:
    """The reporter and everyone who said "me too", each in their own language."""
    follower_ids = {report.reporter_id} | set(db.session.scalars(
        select(ReportSupport.user_id).where(ReportSupport.report_id == report.id)))
    link = site_path("voice.report_page", report_id=report.id)
    for person in db.session.scalars(select(User).where(User.id.in_(follower_ids)).order_by(User.id)):
        notify_user(person, kind, render, link=link)


# --- moderation ----------------------------------------------------------------------------

def hide_report(actor: User, report: Report, reason: str) -> None:
    if not can_moderate(actor, report):
        raise PermissionDenied(_l("You do not have permission to do this."))
    if not reason.strip():
        raise DomainError(_l("Give a reason: the reporter will see it."), field="reason")
    report.hidden_at, report.hidden_by_id, report.hidden_reason = utcnow(), actor.id, reason.strip()[:500]
    db.session.add(ReportEvent(report_id=report.id, actor_id=actor.id, action="hide", from_status=report.status.value,
                               to_status=report.status.value, reason=report.hidden_reason))
    db.session.commit()


def unhide_report(actor: User, report: Report) -> None:
    if not can_moderate(actor, report):
        raise PermissionDenied(_l("You do not have permission to do this."))
    report.hidden_at, report.hidden_by_id, report.hidden_reason = None, None, ""
    db.session.add(ReportEvent(report_id=report.id, actor_id=actor.id, action="unhide", from_status=report.status.value,
                               to_status=report.status.value))
    db.session.commit()


def hide_comment(actor: User, comment_id: int, reason: str) -> ReportComment:
    entry = db.session.get(ReportComment, comment_id)
    if entry is None:
        raise NotFound(_l("There is no such comment."))
    report = db.session.get(Report, entry.report_id)
    if not can_moderate(actor, report):
        raise PermissionDenied(_l("You do not have permission to do this."))
    if not reason.strip():
        raise DomainError(_l("Give a reason: the reporter will see it."), field="reason")
    entry.hidden_at, entry.hidden_by_id, entry.hidden_reason = utcnow(), actor.id, reason.strip()[:500]
    db.session.add(ReportEvent(report_id=report.id, actor_id=actor.id, action="comment_hidden",
                               from_status=report.status.value, to_status=report.status.value, reason=entry.hidden_reason))
    db.session.commit()
    return entry
