"""The OpenRosa server ODK Collect, KoboCollect and Enketo talk to: the Form List API, each published
form as an XForm, and the Form Submission API (https://docs.getodk.org/openrosa/).

A device signs in with HTTP Basic: the agent's phone or email and a device token from their profile
(accounts.devices), never their password; over TLS in production (the app refuses plain HTTP there).
The blueprint is exempt from CSRF because no browser session is involved: every request carries its
own credentials, and a request without them is answered 401 before anything is read.
"""
from __future__ import annotations

import hashlib
import json
from email.utils import formatdate
from functools import lru_cache
from xml.etree.ElementTree import Element, SubElement, tostring

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts import api as accounts
from marketplace.accounts.api import Role
from marketplace.core.bidi import isolate
from marketplace.core.errors import InvalidInput
from marketplace.egov import field_filing, form_engine, services, xlsform
from marketplace.egov.models import FormVersion
from marketplace.extensions import csrf, limiter

bp = Blueprint("openrosa", __name__, url_prefix="/openrosa")
csrf.exempt(bp)
limiter.limit(lambda: current_app.config.get("OPENROSA_RATE_LIMIT", "60 per minute"))(bp)

FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
RESPONSE_NS = "http://openrosa.org/http/response"


def _openrosa(body: bytes | str, status: int = 200, content_type: str = "text/xml; charset=utf-8") -> Response:
    response = Response(body, status=status, content_type=content_type)
    response.headers["X-OpenRosa-Version"] = "1.0"
    response.headers["Date"] = formatdate(usegmt=True)
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(current_app.config["OPENROSA_MAX_BYTES"])
    return response


def _message(text: str, status: int) -> Response:
    root = Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    SubElement(root, "message", nature="submit_success" if status < 300 else "error").text = text
    return _openrosa(tostring(root, encoding="utf-8", xml_declaration=True), status)


@bp.before_request
def _sign_in_the_device():
    """Every OpenRosa call is an agent's device: HTTP Basic with a device token, or 401."""
    auth = request.authorization
    agent = accounts.user_for_device(auth.username or "", auth.password or "") if auth and auth.type == "basic" else None
    if agent is None:
        response = _message(_("Sign in with your phone number and a device token from your profile."), 401)
        response.headers["WWW-Authenticate"] = 'Basic realm="Village Square"'
        return response
    if not agent.has_role(Role.AGENT):
        return _message(_("Only service-centre agents can file forms from a device."), 403)
    request.environ["village_square.device_agent"] = agent
    return None


def _agent():
    return request.environ["village_square.device_agent"]


@bp.get("/formList")
def form_list():
    root = Element("xforms", xmlns=FORM_LIST_NS)
    with force_locale(_agent().preferred_locale or "en"):
        for service in services.catalogue():
            version = service.published_version
            entry = SubElement(root, "xform")
            SubElement(entry, "formID").text = field_filing.form_id(service)
            SubElement(entry, "name").text = form_engine.text(version.definition["title"], _agent().preferred_locale or "en")
            SubElement(entry, "version").text = str(version.number)
            SubElement(entry, "hash").text = "md5:" + hashlib.md5(_xform(version).encode(), usedforsecurity=False).hexdigest()
            SubElement(entry, "downloadUrl").text = url_for("openrosa.xform", slug=service.slug, _external=True)
    return _openrosa(tostring(root, encoding="utf-8", xml_declaration=True))


@bp.get("/forms/<slug>.xml")
def xform(slug: str):
    service = services.published_service(slug)
    return _openrosa(_xform(service.published_version))


def _xform(version: FormVersion) -> str:
    villages = [(village_id, label) for _group, villages in accounts.village_choices() for village_id, label in villages]
    definition = json.dumps(version.definition, sort_keys=True)
    return _cached_xform(definition, version.number, field_filing.form_id(version.eservice), tuple(villages),
                         tuple(current_app.config["LANGUAGES"]))


@lru_cache(maxsize=64)
def _cached_xform(definition: str, number: int, form_id: str, villages: tuple, languages: tuple) -> str:
    """A published version never changes, so its XForm is made once per process (and per village list)."""
    first = {"type": "text", "name": field_filing.APPLICANT_PHONE, "required": "yes", "appearance": "numbers"}
    # The web's declaration, made by the resident beside the agent: without it the form waits as a draft.
    last = {"type": "acknowledge", "name": field_filing.DECLARATION}
    for code in languages:
        with force_locale(code):
            first[f"label::{xlsform.column_language(code)}"] = _("Phone number of the person applying")
            first[f"hint::{xlsform.column_language(code)}"] = _("They must be registered on Village Square.")
            last[f"label::{xlsform.column_language(code)}"] = _("I declare that the information I have given is true and complete.")
    return xlsform.to_xform(json.loads(definition), form_id, str(number), list(villages), first_questions=[first],
                            last_questions=[last])


@bp.route("/submission", methods=["HEAD", "POST"])
def submission():
    if request.method == "HEAD":
        return _openrosa(b"", 204)
    document = request.files.get("xml_submission_file")
    if document is None:
        return _message(_("The request has no xml_submission_file."), 400)
    uploads = {upload.filename: upload for name, upload in request.files.items(multi=True) if name != "xml_submission_file"}
    with force_locale(_agent().preferred_locale or "en"):
        try:
            receipt = field_filing.receive_filled_form(_agent(), document.read(), uploads)
        except InvalidInput as error:
            return _message(" ".join(str(message) for message in error.errors.values()), 400)
        return _message(_receipt_text(receipt), 201 if receipt.created else 202)


def _receipt_text(receipt: field_filing.FieldReceipt) -> str:
    submission = receipt.submission
    if not receipt.created:
        return _("This form was already received.")
    if receipt.filed:
        return _("Filed for %(name)s: reference %(reference)s.", name=isolate(submission.applicant.name), reference=submission.reference)
    text = _("Saved for %(name)s as a draft: they were texted to check it and send it.", name=isolate(submission.applicant.name))
    if receipt.problems:
        text += " " + _("To finish on the web: %(problems)s", problems="; ".join(receipt.problems))
    return text
