"""The gateway's callbacks (USSD and two-way SMS) and the phone simulator for demos and trainers."""
from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask_login import current_user, login_required

from marketplace.accounts.api import find_user_by_identifier
from marketplace.core.errors import PermissionDenied
from marketplace.extensions import csrf, limiter
from marketplace.ussd import commands, engine
from marketplace.ussd import simulator as simulator_rules
from marketplace.ussd.gateway import BadCallback, get_gateway

bp = Blueprint("ussd", __name__)


def _gateway_only(secret: str) -> None:
    """The gateway proves itself by the secret in the URL it was given (and, where configured, by
    calling from one of its addresses); anything else is told nothing."""
    expected = current_app.config.get("PHONE_CALLBACK_SECRET")
    if not expected or not hmac.compare_digest(secret, expected):
        abort(404)
    allowed = current_app.config.get("PHONE_GATEWAY_ADDRESSES") or ()
    if allowed and request.remote_addr not in allowed:
        abort(403)


def _caller_number() -> str:
    return request.form.get("phoneNumber") or request.form.get("from") or request.remote_addr or "?"


def _known(phone: str):
    user = find_user_by_identifier(phone) if phone.startswith("+") else None
    return user if user is not None and user.active else None


@bp.post("/phone/ussd/<secret>")
@csrf.exempt
@limiter.limit(lambda: current_app.config["USSD_RATE_LIMIT"], key_func=_caller_number)
def ussd_callback(secret: str):
    _gateway_only(secret)
    g.channel = "ussd"  # on every history row this request writes (core.states.channel)
    gateway = get_gateway()
    try:
        ussd = gateway.ussd_request(request.form)
    except BadCallback:
        abort(400)
    screen = engine.answer(ussd, _known(ussd.phone))
    return Response(gateway.ussd_reply(screen), mimetype="text/plain")


@bp.post("/phone/sms/<secret>")
@csrf.exempt
@limiter.limit(lambda: current_app.config["USSD_RATE_LIMIT"], key_func=_caller_number)
def sms_callback(secret: str):
    _gateway_only(secret)
    g.channel = "sms"
    try:
        sms = get_gateway().inbound_sms(request.form)
    except BadCallback:
        abort(400)
    commands.handle(sms, _known(sms.phone))
    return Response("", status=200)


@bp.route("/phone/simulator", methods=["GET", "POST"])
@login_required
def simulator():
    """A basic phone's screen in the browser (admins, agents, and everyone in the development demo).
    Each key press is posted, without JavaScript, and relayed to the real USSD callback exactly as
    the gateway would call it (session id, phone number, every input joined by '*'). The number is
    the signed-in person's own, or the test number nobody holds (ussd.simulator): never typed."""
    which = simulator_rules.TEST if request.values.get("as") == simulator_rules.TEST else simulator_rules.OWN
    try:
        phone = simulator_rules.caller_number(current_user, which)
    except PermissionDenied:
        abort(403)
    page = {"phone": phone, "which": which, "may_use_test": simulator_rules.may_use_test_number(current_user)}
    if request.method == "GET" or phone is None:
        return render_template("ussd/simulator.html", screen=None, session_id="", typed="", **page)
    secret = current_app.config.get("PHONE_CALLBACK_SECRET")
    if not secret:
        abort(503)
    session_id, typed = request.form.get("session_id", ""), request.form.get("typed", "")
    if request.form.get("dial") or not session_id:
        session_id, typed = "sim-" + secrets.token_hex(8), ""
    else:
        typed = f"{typed}*{request.form.get('input', '').strip()}" if typed else request.form.get("input", "").strip()
    relayed = current_app.test_client().post(
        f"/phone/ussd/{secret}", environ_base={"REMOTE_ADDR": (current_app.config.get("PHONE_GATEWAY_ADDRESSES") or ("127.0.0.1",))[0]},
        data={"sessionId": session_id, "phoneNumber": phone, "serviceCode": SIMULATED_CODE, "networkCode": "99999", "text": typed})
    reply = relayed.get_data(as_text=True)
    screen = {"text": reply[4:], "end": reply.startswith("END ")} if relayed.status_code == 200 else \
        {"text": str(relayed.status_code), "end": True}
    return render_template("ussd/simulator.html", screen=screen, session_id=session_id, typed=typed, **page)


SIMULATED_CODE = "*384*1#"
