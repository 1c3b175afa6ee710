"""The Open311 GeoReport v2 endpoints under /open311/v2, in JSON and XML (the format is the path's
extension, as the standard says). Reading needs no key; posting a request needs a partner's api_key.
No browser session is involved (keys travel in the request), so the blueprint is exempt from CSRF."""
from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from flask import Blueprint, Response, abort, current_app, json, request, url_for

from marketplace.core import params
from marketplace.core.storage import get_storage
from marketplace.extensions import csrf, limiter
from marketplace.voice import open311

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)
limiter.limit(lambda: current_app.config.get("OPEN311_RATE_LIMIT", "120 per minute"))(bp)
FORMATS = ("json", "xml")


def _answer(data, fmt: str, root: str, item: str, status: int = 200) -> Response:
    if fmt == "json":
        return Response(json.dumps(data), status=status, content_type="application/json; charset=utf-8")
    top = Element(root)
    for entry in (data if isinstance(data, list) else [data]):
        _xml(SubElement(top, item), entry)
    return Response(tostring(top, encoding="utf-8", xml_declaration=True), status=status, content_type="text/xml; charset=utf-8")


def _xml(element: Element, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, list):
                holder = SubElement(element, key)
                for entry in inner:
                    _xml(SubElement(holder, key.rstrip("s") if key.endswith("s") else key), entry)
            else:
                _xml(SubElement(element, key), inner)
    elif value is not None:
        element.text = str(value).lower() if isinstance(value, bool) else str(value)


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        abort(404)
    return fmt


@bp.errorhandler(open311.Open311Error)
def _open311_error(error: open311.Open311Error):
    fmt = request.view_args.get("fmt", "json") if request.view_args else "json"
    return _answer([{"code": error.status, "description": error.description}], fmt if fmt in FORMATS else "json",
                   "errors", "error", status=error.status)


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    data = {"changeset": "2026-12-03T00:00:00Z", "contact": current_app.config.get("CONTACT_EMAIL", ""),
            "key_service": "Ask Village Square's admins for an api_key for your app.",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": url_for(".services", fmt="json", _external=True)
                           .rsplit("/", 1)[0], "changeset": "2026-12-03T00:00:00Z", "type": "production",
                           "formats": ["application/json", "text/xml"]}]}
    return _answer(data, _format(fmt), "discovery", "discovery") if fmt == "json" else _answer(data, _format(fmt), "root", "discovery")


@bp.get("/services.<fmt>")
def services(fmt: str):
    return _answer(open311.service_list(), _format(fmt), "services", "service")


@bp.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    return _answer(open311.service_definition(code), _format(fmt), "service_definition", "service_definition") if fmt == "json" \
        else _answer(open311.service_definition(code), _format(fmt), "root", "service_definition")


@bp.get("/requests.<fmt>")
def requests_list(fmt: str):
    _format(fmt)
    ids = [int(part) for part in request.args.get("service_request_id", "").split(",") if part.strip().isdigit()]
    query = open311.RequestQuery(ids=ids, service_code=request.args.get("service_code", ""),
                                 start=open311.parse_moment(request.args.get("start_date")),
                                 end=open311.parse_moment(request.args.get("end_date")),
                                 status=request.args.get("status", ""), region_id=params.int_arg("jurisdiction_id", 0) or None)
    media = get_storage().url
    return _answer([open311.as_request(report, media) for report in open311.find_requests(query)], fmt, "service_requests", "request")


@bp.get("/requests/<int:request_id>.<fmt>")
def request_one(request_id: int, fmt: str):
    _format(fmt)
    found = open311.find_requests(open311.RequestQuery(ids=[request_id]), limit=1)
    if not found:
        raise open311.Open311Error(404, f"no service request {request_id}")
    return _answer([open311.as_request(found[0], get_storage().url)], fmt, "service_requests", "request")


@bp.post("/requests.<fmt>")
def request_create(fmt: str):
    _format(fmt)
    account = open311.account_for_key(request.form.get("api_key", ""))
    if account is None:
        raise open311.Open311Error(403, "a valid api_key is needed to post a request")
    report, similar = open311.post_request(account, request.form.to_dict())
    notice = ("Open requests of the same kind in the same village, which the person may support instead: "
              + ", ".join(str(other.id) for other in similar)) if similar else None
    return _answer([{"service_request_id": str(report.id), "service_notice": notice, "account_id": None}], fmt,
                   "service_requests", "request", status=201)


@bp.get("/tokens/<token>.<fmt>")
def token(token: str, fmt: str):
    """Requests are filed at once, so a request's token is its id."""
    _format(fmt)
    if not token.isdigit() or not open311.find_requests(open311.RequestQuery(ids=[int(token)]), limit=1):
        raise open311.Open311Error(404, f"no request for token {token}")
    return _answer([{"service_request_id": token, "token": token}], fmt, "service_requests", "request")
