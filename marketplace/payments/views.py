"""The Stripe webhook, a farmer's money page (balance, entries, Stripe account) and the admins' payout report."""
from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.accounts.api import Role
from marketplace.core import params
from marketplace.core.auth import role_required
from marketplace.core.bidi import isolate
from marketplace.core.errors import DomainError, InvalidInput
from marketplace.core.money import Money
from marketplace.core.urls import external_url
from marketplace.core.views import act
from marketplace.extensions import csrf, limiter
from marketplace.payments import ledger, mobile_payouts, owners, payouts, providers, reconciliation, webhooks
from marketplace.payments import services as payments
from marketplace.payments.forms import ManualPayoutForm, ReportPeriodForm
from marketplace.payments.models import LedgerKind

bp = Blueprint("payments", __name__)


@bp.post("/payments/stripe/webhook")
@csrf.exempt  # Stripe cannot hold a CSRF token; the Stripe-Signature is checked instead
@limiter.exempt
def stripe_webhook():
    try:
        outcome = payments.handle_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except payments.InvalidSignature:
        return {"error": "invalid signature"}, 400
    except payments.MalformedEvent:
        return {"error": "malformed event"}, 400
    return {"status": outcome}


@bp.post("/payments/mpesa/callback/<secret>")
@csrf.exempt  # Daraja holds no CSRF token: the secret in the URL, the request id we made, the amount and phone are checked
@limiter.exempt
def mpesa_callback(secret: str):
    # Daraja retries until it is told "accepted": a duplicate or a request we never made is accepted too, and ignored.
    return _answer_daraja(secret, webhooks.handle_mobile_callback)


@bp.post("/payments/mpesa/payout/result/<secret>")
@csrf.exempt  # Daraja holds no CSRF token: the secret in the URL and our own originator id are checked
@limiter.exempt
def mpesa_payout_result(secret: str):
    return _payout_callback(secret, timed_out=False)


@bp.post("/payments/mpesa/payout/timeout/<secret>")
@csrf.exempt
@limiter.exempt
def mpesa_payout_timeout(secret: str):
    return _payout_callback(secret, timed_out=True)


@bp.post("/payments/mpesa/status/result/<secret>")
@csrf.exempt  # Daraja holds no CSRF token: the secret in the URL and the id of a question we asked are checked
@limiter.exempt
def mpesa_status_result(secret: str):
    return _answer_daraja(secret, lambda body, address: reconciliation.apply_status_answer(body, address))


@bp.post("/payments/mpesa/status/timeout/<secret>")
@csrf.exempt
@limiter.exempt
def mpesa_status_timeout(secret: str):
    return _answer_daraja(secret, lambda body, address: reconciliation.apply_status_answer(body, address, timed_out=True))


@bp.post("/payments/mpesa/paybill/validate/<secret>")
@csrf.exempt  # Daraja holds no CSRF token: the secret in the URL is checked, and the account must be ours
@limiter.exempt
def mpesa_paybill_validate(secret: str):
    _require_mpesa_secret(secret)
    try:
        expected = webhooks.paybill_is_expected(request.get_data(), request.remote_addr)
    except (payments.InvalidSignature, payments.MalformedEvent):
        expected = False
    # Daraja's codes: C2B00012 is "invalid account number"; the payer's money does not move.
    return {"ResultCode": "0", "ResultDesc": "Accepted"} if expected else {"ResultCode": "C2B00012", "ResultDesc": "Rejected"}


@bp.post("/payments/mpesa/paybill/confirm/<secret>")
@csrf.exempt
@limiter.exempt
def mpesa_paybill_confirm(secret: str):
    return _answer_daraja(secret, webhooks.confirm_paybill, accepted="Success")


def _require_mpesa_secret(secret: str) -> None:
    """Daraja signs nothing: its callbacks come to URLs holding our secret, and no other URL is said to exist."""
    expected = current_app.config.get("MPESA_CALLBACK_SECRET") or ""
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        abort(404)


def _payout_callback(secret: str, *, timed_out: bool):
    return _answer_daraja(secret, lambda body, address: mobile_payouts.apply_payout_result(body, address, timed_out=timed_out))


def _answer_daraja(secret: str, handle: Callable[[bytes, str | None], str], accepted: str = "Accepted"):
    """One door for Daraja's callbacks: our secret in the URL (else 404), then the body to `handle`;
    a source not allowed is 403, a body that is not what it claims 400, else Daraja's "accepted"."""
    _require_mpesa_secret(secret)
    try:
        outcome = handle(request.get_data(), request.remote_addr)
    except payments.InvalidSignature:
        return {"ResultCode": 1, "ResultDesc": "Rejected"}, 403
    except payments.MalformedEvent:
        return {"ResultCode": 1, "ResultDesc": "Rejected"}, 400
    return {"ResultCode": 0, "ResultDesc": accepted, "outcome": outcome}


@bp.get("/sell/money")
@role_required(Role.FARMER)
def farmer_money():
    return render_template(
        "payments/farmer_money.html", balances=ledger.balances(current_user.id), entries=ledger.entries(current_user.id),
        account=payouts.account_of(current_user.id), connect_enabled=providers.provider(providers.CARD).payouts_enabled(),
        in_hand=owners.money_in_hand(current_user.id), to_phone=mobile_payouts.enabled(),
    )


@bp.post("/sell/money/stripe")
@role_required(Role.FARMER)
def start_stripe_onboarding():
    try:
        link = payouts.start_onboarding(
            current_user, refresh_url=external_url("payments.farmer_money"),
            return_url=external_url("payments.stripe_onboarding_return"),
        )
    except DomainError:  # CardPaymentsOff, ProviderUnavailable
        flash(_("Stripe cannot be reached just now. Please try again later."), "error")
        return redirect(url_for("payments.farmer_money"))
    return redirect(link)


@bp.get("/sell/money/stripe/return")
@role_required(Role.FARMER)
def stripe_onboarding_return():
    try:
        account = payouts.refresh_account(current_user)
    except DomainError:  # CardPaymentsOff, ProviderUnavailable
        account = payouts.account_of(current_user.id)
    if account is not None and account.payouts_enabled:
        flash(_("Your Stripe account is ready: completed card orders are paid into it."), "success")
    else:
        flash(_("Stripe still needs some details from you before it can pay you."), "info")
    return redirect(url_for("payments.farmer_money"))


def _period(form: ReportPeriodForm) -> tuple[date, date]:
    today = datetime.now(UTC).date()
    start = form.start.data or today.replace(day=1)
    end = form.end.data or today
    if not all(params.EARLIEST_DATE <= day <= params.LATEST_DATE for day in (start, end)):
        abort(400)  # 9999-12-31 has no next day to end the report at
    return start, end


@bp.get("/admin/payouts")
@role_required(Role.ADMIN)
def admin_payouts():
    form = ReportPeriodForm(request.args)
    form.validate()
    start, end = _period(form)
    rows = ledger.report(datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC))
    if request.args.get("format") == "csv":
        return Response(ledger.report_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=payouts-{start}-{end}.csv"})
    return render_template("payments/admin_payouts.html", rows=rows, form=form, start=start, end=end, kinds=LedgerKind,
                           flagged=payments.flagged_payments(), overpaid=payments.overpaid_payments(),
                           to_check=mobile_payouts.payouts_to_check(),
                           differences=reconciliation.open_differences(), reconciled=reconciliation.recent(),
                           unanswered=reconciliation.unanswered_checks())


@bp.post("/admin/payouts/mobile/<int:payout_id>/again")
@role_required(Role.ADMIN)
def admin_send_mobile_payout_again(payout_id: int):
    return act(lambda: mobile_payouts.send_again(current_user.id, mobile_payouts.payout(payout_id), request.form.get("reason", "")[:300]),
               _("The payout is queued to be sent again."), url_for("payments.admin_payouts") + "#mobile-payouts")


@bp.post("/admin/payouts/differences/<int:difference_id>/explained")
@role_required(Role.ADMIN)
def admin_explain_difference(difference_id: int):
    return act(lambda: reconciliation.explain(current_user.id, difference_id, request.form.get("explanation", "")[:300]),
               _("The difference is closed with what you found."), url_for("payments.admin_payouts") + "#reconciliation")


@bp.route("/admin/payouts/<int:farmer_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_farmer_payout(farmer_id: int):
    try:
        farmer = payouts.farmer_for_payout(farmer_id)
    except DomainError:
        abort(404)
    form = ManualPayoutForm()
    currency = current_app.config["DEFAULT_CURRENCY"]
    if form.validate_on_submit():
        try:
            amount = Money.from_decimal(form.amount.data, currency)
        except ValueError:
            form.amount.errors = [_("Enter the amount with at most the currency's decimal places.")]
        else:
            try:
                payouts.record_manual_payout(current_user, farmer, amount, form.reference.data, form.note.data or "",
                                             submission_key=form.submission_key.data)
            except InvalidInput as error:
                for name, message in error.errors.items():
                    getattr(form, name).errors = [str(message)]
            else:
                flash(_("Payout recorded for %(name)s.", name=isolate(farmer.name)), "success")
                return redirect(url_for("payments.admin_farmer_payout", farmer_id=farmer.id))
    return render_template("payments/admin_farmer.html", farmer=farmer, form=form, balance=ledger.balance(farmer.id, currency),
                           entries=ledger.entries(farmer.id)), (422 if form.errors else 200)
