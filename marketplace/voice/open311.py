"""Residents' reports in Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): what existing
311 apps and councils' systems already read and write.

Services are our report categories, offered in every jurisdiction (a region, by its id). A request is
a report as the public sees it: never who reported it. Status maps to Open311's two: received and in
progress are "open", fixed and won't fix are "closed", with the department's reason as
`status_notes` and the department as `agency_responsible`. A partner app posts with the API key an
admin issued it (PartnerKey): the report is filed as the partner's own account, routed by the same
rules as a report from the web (voice.services.file_report).

Reports are placed by village. A request names it by `address_id` (a village id, listed in each
service's definition) or `address_string` (its name), or gives only `lat`/`long`: the report then
goes to the nearest village of the gazetteer (accounts.places) within VILLAGE_RADIUS_KM. Given with a
village, `lat`/`long` are kept as the exact place and must lie within that distance of it.

A `media_url` is fetched after the request is filed, by a job (fetch_media_job), from public
addresses only, and attached as the report's photo through the same image pipeline as an upload;
what was refused, and why, is in the report's history.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from marketplace.accounts import api as accounts
from marketplace.accounts.api import Role, User, Village
from marketplace.core import jobs
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, InvalidInput
from marketplace.core.fetch import FetchRefused, InvalidIPAddress, fetch_public
from marketplace.core.images import MAX_UPLOAD_BYTES
from marketplace.core.timeutils import utcnow
from marketplace.extensions import db
from marketplace.voice import services
from marketplace.voice.labels import category_name
from marketplace.voice.models import PartnerKey, Report, ReportCategory, ReportEvent, ReportStatus

OPEN = (ReportStatus.RECEIVED, ReportStatus.IN_PROGRESS)
MEDIA_JOB = "voice.fetch_partner_media"
MAX_MEDIA_URL = 1000


class Open311Error(DomainError):
    """An Open311 error: its HTTP status and the [{code, description}] body the standard gives."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


# --- keys ------------------------------------------------------------------------------------

def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(admin: User | None, partner_name: str, account_identifier: str) -> tuple[PartnerKey, str]:
    """A key for a partner app, bound to the partner's own account; the secret is shown once.
    `admin` None is the command line."""
    if admin is not None:
        require_role(admin, Role.ADMIN)
    account = accounts.find_user_by_identifier(account_identifier)
    if account is None:
        raise DomainError("the partner's account (phone or email) is not registered")
    secret = secrets.token_urlsafe(32)
    key = PartnerKey(partner_name=partner_name.strip()[:120] or "partner", key_hash=_hash(secret), account_id=account.id)
    db.session.add(key)
    db.session.commit()
    return key, secret


def revoke_key(admin: User | None, key_id: int) -> None:
    if admin is not None:
        require_role(admin, Role.ADMIN)
    key = db.session.get(PartnerKey, key_id)
    if key is None or key.revoked_at is not None:
        raise DomainError("there is no such key, or it is already revoked")
    key.revoked_at = utcnow()
    db.session.commit()


def account_for_key(api_key: str) -> User | None:
    if not api_key:
        return None
    key = db.session.scalar(select(PartnerKey).where(PartnerKey.key_hash == _hash(api_key), PartnerKey.revoked_at.is_(None)))
    return accounts.get_user(key.account_id) if key is not None else None


# --- reading ---------------------------------------------------------------------------------

def service_list() -> list[dict]:
    with force_locale("en"):
        return [{"service_code": category.value, "service_name": category_name(category), "description": None,
                 "metadata": True, "type": "realtime", "keywords": None, "group": "residents' reports"}
                for category in ReportCategory]


def service_definition(code: str) -> dict:
    if code not in {category.value for category in ReportCategory}:
        raise Open311Error(404, f"no service with code {code}")
    villages = [{"key": str(village_id), "name": label} for _group, items in accounts.village_choices() for village_id, label in items]
    return {"service_code": code, "attributes": [
        {"variable": True, "code": "address_id", "datatype": "singlevaluelist", "required": False, "order": 1,
         "datatype_description": "The village where it is; or send address_string with its name, or lat and long "
                                 "alone (the nearest village is taken).",
         "description": "Village", "values": villages},
    ]}


@dataclass
class RequestQuery:
    ids: list[int]
    service_code: str = ""
    start: datetime | None = None
    end: datetime | None = None
    status: str = ""
    region_id: int | None = None


def find_requests(query: RequestQuery, limit: int = 200) -> list[Report]:
    """Public (not hidden) reports matching the standard's filters, newest first; the last 90 days
    when no dates are given, as the standard says."""
    stmt = select(Report).where(Report.hidden_at.is_(None))
    if query.ids:
        stmt = stmt.where(Report.id.in_(query.ids))
    else:
        if query.service_code:
            stmt = stmt.where(Report.category == ReportCategory(query.service_code)) if query.service_code in {
                c.value for c in ReportCategory} else stmt.where(func.false())
        if query.status == "open":
            stmt = stmt.where(Report.status.in_(OPEN))
        elif query.status == "closed":
            stmt = stmt.where(Report.status.not_in(OPEN))
        if query.start is None and query.end is None:
            query.start = utcnow() - timedelta(days=90)  # the standard's default window
        if query.start:
            stmt = stmt.where(Report.created_at >= query.start)
        if query.end:
            stmt = stmt.where(Report.created_at <= query.end)
    if query.region_id:
        stmt = stmt.where(Report.region_id == query.region_id)
    return list(db.session.scalars(stmt.order_by(Report.id.desc()).limit(limit)))


def as_request(report: Report, media_url: Any) -> dict:
    """A report as Open311 shows it; the reporter is never in it."""
    with force_locale("en"):
        return {
            "service_request_id": str(report.id),
            "status": "open" if report.status in OPEN else "closed",
            "status_notes": report.status_reason or None,
            "service_name": category_name(report.category),
            "service_code": report.category.value,
            "description": report.description[:4000],
            "agency_responsible": accounts.department_name(report.department) if report.department else None,
            "service_notice": None,
            "requested_datetime": _w3c(report.created_at),
            "updated_datetime": _w3c(report.updated_at or report.created_at),
            "expected_datetime": None,
            "address": f"{report.village.name}, {report.district.name}",
            "address_id": str(report.village_id),
            "zipcode": None,
            "lat": report.latitude,
            "long": report.longitude,
            "media_url": media_url(report.photos[0].display_key) if report.photos else None,
        }


def _w3c(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{text} is not a W3C date-time (2026-01-31T00:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- filing ----------------------------------------------------------------------------------

def post_request(account: User, form: dict[str, str]) -> tuple[Report, list[Report]]:
    """A partner's request, filed as the partner's account through the web's own rules, and the open
    reports of the same kind in the same village found before it was filed (the app shows them as
    "me too" candidates: Open311 has no step to ask before filing)."""
    code = form.get("service_code", "")
    if code not in {category.value for category in ReportCategory}:
        raise Open311Error(400, "service_code is missing or unknown (see services.json)")
    village = _village(form)
    latitude, longitude = _coordinate(form.get("lat")), _coordinate(form.get("long"))
    media_url = _media_url(form.get("media_url", ""))
    similar = services.similar_open_reports(code, village.id, latitude, longitude)
    try:
        report = services.file_report(account, services.ReportInput(category=code, village_id=village.id,
                                                                      description=form.get("description", ""),
                                                                      latitude=latitude, longitude=longitude))
    except InvalidInput as error:
        # the web's messages isolate names for right-to-left pages; an API's plain text does without
        text = " ".join(str(message) for message in error.errors.values()).replace("\u2068", "").replace("\u2069", "")
        raise Open311Error(400, text) from None
    if media_url:
        jobs.enqueue(MEDIA_JOB, report.id, media_url)
        db.session.commit()  # the job leaves with the commit
    return report, similar


def _media_url(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(text) > MAX_MEDIA_URL or parts.username or parts.password:
        raise Open311Error(400, f"media_url must be an http(s) address of a picture, at most {MAX_MEDIA_URL} characters, without a password")
    return text


# --- a partner's media_url, fetched after the request is filed -------------------------------

def fetch_media_job(report_id: int, url: str) -> None:
    """Fetch the picture at a partner's media_url and attach it as the report's photo, through the
    one image pipeline. The address comes from outside, so the fetch goes only to public addresses
    (requests-hardened checks the address it connects to, redirects included), for at most
    MAX_UPLOAD_BYTES and a few seconds. Runs once per report: its outcome is in the report's history."""
    report = db.session.get(Report, report_id)
    if report is None or db.session.scalar(select(ReportEvent.id).where(
            ReportEvent.report_id == report_id, ReportEvent.action.in_(("photo_added", "media_refused")))):
        return
    try:
        photo = services.process_photos([_download(url)])[0]
    except (FetchRefused, InvalidIPAddress, DomainError) as refusal:
        reason = refusal.message if isinstance(refusal, DomainError) else str(refusal) or "the address is not public"
        db.session.add(ReportEvent(report_id=report.id, actor_id=None, action="media_refused", from_status=report.status.value,
                                   to_status=report.status.value, reason=f"{url[:300]}: {reason}"[:500]))
        db.session.commit()
        return
    except requests.RequestException as trouble:  # down or slow now: RQ tries again later
        raise jobs.RetryLater(f"media_url of report {report_id}: {trouble}") from trouble
    services.add_photo(report, photo, None, f"media_url {url}")
    db.session.commit()


def _download(url: str) -> bytes:
    return fetch_public(url, max_bytes=MAX_UPLOAD_BYTES, what="the picture", user_agent="VillageSquare-Open311/1",
                        allow_loopback=bool(current_app.config.get("OPEN311_MEDIA_ALLOW_LOOPBACK")))


def _coordinate(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise Open311Error(400, f"{text} is not a number of degrees") from None


def _village(form: dict[str, str]) -> Village:
    village = None
    address_id = form.get("address_id") or form.get("attribute[address_id]") or ""
    if address_id.isdigit():
        village = db.session.get(Village, int(address_id))
    elif form.get("address_string"):
        name = form["address_string"].split(",")[0].strip().casefold()
        village = db.session.scalar(select(Village).where(func.lower(Village.name) == name))
    if village is None and (form.get("lat") or form.get("long")):
        latitude, longitude = _coordinate(form.get("lat")), _coordinate(form.get("long"))
        if not accounts.is_on_earth(latitude, longitude):
            raise Open311Error(400, "lat and long are both needed, in decimal degrees on Earth")
        nearest = accounts.nearest_village(latitude, longitude)
        if nearest is None:
            raise Open311Error(400, f"no village we serve lies within {accounts.VILLAGE_RADIUS_KM:g} km of {latitude}, {longitude}: "
                                    "send address_id (a village id) or address_string (a village's name)")
        village = nearest[0]
    if village is None:
        raise Open311Error(400, "a location is needed: lat and long, address_id (a village id) or address_string (a village's name)")
    return village
