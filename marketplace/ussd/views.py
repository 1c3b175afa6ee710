"""The gateway's callbacks (USSD, voice and two-way SMS), the voice prompts' audio and admin page,
and the phone simulator for demos and trainers."""
from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.api import Role, find_user_by_identifier
from marketplace.core.auth import role_required
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.extensions import csrf, limiter
from marketplace.i18n import LANGUAGE_NAMES, RTL_LANGUAGES
from marketplace.ussd import calls, commands, engine, prompts
from marketplace.ussd import simulator as simulator_rules
from marketplace.ussd.forms import RecordingForm
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
    return (request.form.get("phoneNumber") or request.form.get("from") or request.form.get("callerNumber")
            or request.remote_addr or "?")


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


@bp.post("/phone/voice/<secret>")
@csrf.exempt
@limiter.limit(lambda: current_app.config["USSD_RATE_LIMIT"], key_func=_caller_number)
def voice_callback(secret: str):
    """Africa's Talking's voice callback: each key press, the end of a call, and rings on a
    call-back number. `step` (in the callbackUrl we gave) says which key press this answers."""
    _gateway_only(secret)
    g.channel = "voice"
    gateway = get_gateway()
    try:
        call = gateway.voice_request(request.form)
    except BadCallback:
        abort(400)
    actions = calls.answer(call, _known(call.phone), request.args.get("step"), request.args.get("repeat") == "1", secret)
    return Response(gateway.voice_reply(actions), mimetype="application/xml")


@bp.get("/phone/voice/audio/<token>")
def voice_audio(token: str):
    """A sentence that carries someone's figures, for the gateway to play: by a signed link that
    lasts minutes (ussd.prompts), never listed, never cached."""
    data = prompts.private_audio(token)
    if data is None:
        abort(404)
    response = Response(data, mimetype="audio/wav")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/admin/voice-prompts", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def voice_prompts():
    """Each fixed sentence of the voice menus in one language: its generated audio, and a person's
    recording to upload in its place (a phone's file picker can record one)."""
    locale = request.values.get("lang") if request.values.get("lang") in current_app.config["LANGUAGES"] else current_app.config["LANGUAGES"][0]
    form = RecordingForm()
    if form.validate_on_submit():
        try:
            prompts.record(current_user, locale, form.text.data or "", form.recording.data.read())
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("The recording will be played on calls instead of the generated voice."), "success")
        return redirect(url_for("ussd.voice_prompts", lang=locale)), 303
    for errors in form.errors.values():
        flash(" ".join(str(error) for error in errors), "error")
    return render_template("ussd/voice_prompts.html", locale=locale, rows=prompts.prompts_of(locale), form=form,
                           languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]],
                           speech=prompts.speech_available()), 422 if form.errors else 200


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
    """A basic phone in the browser (admins, agents, and everyone in the development demo). Each
    key press is posted, without JavaScript, and relayed to the real USSD or voice callback exactly
    as the gateway would call it (session id, phone number; for USSD every input joined by '*', for
    voice the keys and the step the last answer named). The number is the signed-in person's own,
    or the test number nobody holds (ussd.simulator): never typed."""
    which = simulator_rules.TEST if request.values.get("as") == simulator_rules.TEST else simulator_rules.OWN
    mode = "voice" if request.values.get("mode") == "voice" else "ussd"
    try:
        phone = simulator_rules.caller_number(current_user, which)
    except PermissionDenied:
        abort(403)
    page = {"phone": phone, "which": which, "mode": mode, "may_use_test": simulator_rules.may_use_test_number(current_user)}
    if request.method == "GET" or phone is None:
        return render_template("ussd/simulator.html", screen=None, call=None, session_id="", typed="", **page)
    secret = current_app.config.get("PHONE_CALLBACK_SECRET")
    if not secret:
        abort(503)
    session_id = request.form.get("session_id", "")
    if mode == "voice":
        if request.form.get("dial") or not session_id:
            session_id, step, keys = "sim-" + secrets.token_hex(8), None, None
        else:
            # A key of the on-screen keypad is sent alone; "#" ends what was typed, as on a phone.
            key, typed = request.form.get("key", ""), request.form.get("input", "").strip()
            step, keys = request.form.get("step", ""), (typed + key if key == "#" else key or typed)
        relayed = _relay(f"/phone/voice/{secret}", {"step": step} if step else {}, {
            "sessionId": session_id, "callerNumber": phone, "destinationNumber": SIMULATED_NUMBER, "direction": "Inbound",
            "isActive": "1", **({"dtmfDigits": keys} if keys is not None else {})})
        call = simulator_rules.heard(relayed.get_data(as_text=True)) if relayed.status_code == 200 else \
            {"sounds": [{"text": str(relayed.status_code), "audio": None}], "step": None, "end": True}
        # The transcript in the call's own language and direction, whatever the page's.
        call["locale"] = calls.remembered_language(phone, current_user if phone == current_user.phone else None) or ""
        call["direction"] = "rtl" if call["locale"] in RTL_LANGUAGES else "ltr"
        return render_template("ussd/simulator.html", screen=None, call=call, session_id=session_id, typed="", **page)
    typed = request.form.get("typed", "")
    if request.form.get("dial") or not session_id:
        session_id, typed = "sim-" + secrets.token_hex(8), ""
    else:
        typed = f"{typed}*{request.form.get('input', '').strip()}" if typed else request.form.get("input", "").strip()
    relayed = _relay(f"/phone/ussd/{secret}", {}, {"sessionId": session_id, "phoneNumber": phone, "serviceCode": SIMULATED_CODE,
                                                   "networkCode": "99999", "text": typed})
    reply = relayed.get_data(as_text=True)
    screen = {"text": reply[4:], "end": reply.startswith("END ")} if relayed.status_code == 200 else \
        {"text": str(relayed.status_code), "end": True}
    return render_template("ussd/simulator.html", screen=screen, call=None, session_id=session_id, typed=typed, **page)


def _relay(path: str, query: dict, form: dict):
    return current_app.test_client().post(
        path, query_string=query, data=form,
        environ_base={"REMOTE_ADDR": (current_app.config.get("PHONE_GATEWAY_ADDRESSES") or ("127.0.0.1",))[0]})


SIMULATED_NUMBER = "+254700000000"  # the service's own number, as the network would name it
SIMULATED_CODE = "*384*1#"
