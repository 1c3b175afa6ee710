"""Farmers get paid: Connect onboarding, transfers and reversals (stripe-python's requests recorded),
manual payouts by admins, the append-only ledger and the admin report."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.core.errors import InvalidInput, PermissionDenied
from marketplace.core.money import Money
from marketplace.orders import card_payments, services
from marketplace.orders.models import OrderStatus
from marketplace.payments import ledger, payouts
from marketplace.payments.models import LedgerEntry, LedgerKind, Payment, PaymentStatus, PayoutAccount
from tests import factories


def _paid_without_network(market, checkout, db):
    """The checkout's payment as if Stripe had reported it (no request leaves the process)."""
    payment = Payment(purpose="checkout", reference=checkout.reference, payer_id=market["buyer"].id, amount_minor=checkout.total_minor,
                      currency="KES", status=PaymentStatus.PAID, provider_intent_id="pi_test", provider_charge_id="ch_test")
    db.session.add(payment)
    db.session.flush()
    card_payments.CheckoutPayments().on_paid(payment)
    db.session.commit()
    return payment


def _complete(order, farmer):
    services.move(farmer, order, OrderStatus.READY_FOR_PICKUP)
    services.move(farmer, order, OrderStatus.COLLECTED, pickup_code=order.pickup_code or "")
    services.move(farmer, order, OrderStatus.COMPLETED)


def test_onboarding_creates_an_express_account_once_and_returns_stripe_link(market, stripe_recorder, db):
    stripe_recorder.routes.update({
        ("POST", "/v1/accounts"): {"id": "acct_wanjiru", "object": "account", "payouts_enabled": False},
        ("POST", "/v1/account_links"): {"object": "account_link", "url": "https://connect.stripe.com/setup/e/acct_wanjiru/x"},
        ("GET", "/v1/accounts/acct_wanjiru"): {"id": "acct_wanjiru", "object": "account", "payouts_enabled": True, "details_submitted": True},
    })
    farmer = market["wanjiru"]
    url = payouts.start_onboarding(farmer, refresh_url="http://x/sell/money", return_url="http://x/sell/money/stripe/return")
    assert url.startswith("https://connect.stripe.com/")
    [created] = stripe_recorder.sent("POST", "/v1/accounts")
    assert created["params"]["type"] == "express" and created["params"]["capabilities[transfers][requested]"] == "true"
    assert created["params"]["country"] == "KE" and created["params"]["metadata[user_id]"] == str(farmer.id)
    assert created["idempotency_key"] == f"connect-account-{farmer.id}"
    [link] = stripe_recorder.sent("POST", "/v1/account_links")
    assert link["params"] == {"account": "acct_wanjiru", "refresh_url": "http://x/sell/money",
                              "return_url": "http://x/sell/money/stripe/return", "type": "account_onboarding"}
    payouts.start_onboarding(farmer, refresh_url="http://x/a", return_url="http://x/b")  # again: no second account
    assert len(stripe_recorder.sent("POST", "/v1/accounts")) == 1
    assert payouts.refresh_account(farmer).payouts_enabled


def test_only_farmers_onboard(market, stripe_recorder):
    with pytest.raises(PermissionDenied):
        payouts.start_onboarding(market["buyer"], refresh_url="http://x", return_url="http://x")
    assert stripe_recorder.requests == []


def test_a_completed_order_transfers_the_farmers_share_with_the_charge_as_source(market, card_checkout, stripe_recorder, db):
    stripe_recorder.routes[("POST", "/v1/transfers")] = {"id": "tr_1", "object": "transfer"}
    db.session.add(PayoutAccount(farmer_id=market["wanjiru"].id, stripe_account_id="acct_wanjiru", payouts_enabled=True))
    _paid_without_network(market, card_checkout, db)
    tomatoes = next(o for o in card_checkout.orders if o.farmer_id == market["wanjiru"].id)
    _complete(tomatoes, market["wanjiru"])
    [transfer] = stripe_recorder.sent("POST", "/v1/transfers")
    assert transfer["params"] == {"amount": "28500", "currency": "kes", "destination": "acct_wanjiru",
                                  "transfer_group": card_checkout.reference, "source_transaction": "ch_test",
                                  "metadata[reference]": tomatoes.number}
    assert transfer["idempotency_key"] == f"transfer-{tomatoes.number}"
    assert ledger.balance(market["wanjiru"].id, "KES").minor_units == 0
    # The farmer without a Stripe account is paid nothing by Stripe; the balance waits for a manual payout.
    maize = next(o for o in card_checkout.orders if o.farmer_id == market["otieno"].id)
    _complete(maize, market["otieno"])
    assert len(stripe_recorder.sent("POST", "/v1/transfers")) == 1
    assert ledger.balance(market["otieno"].id, "KES") == Money("KES", 4200_00 - 210_00)


def test_a_refund_after_a_transfer_reverses_the_transfer(market, card_checkout, stripe_recorder, db):
    stripe_recorder.routes.update({
        ("POST", "/v1/transfers"): {"id": "tr_9", "object": "transfer"},
        ("POST", "/v1/refunds"): {"id": "re_9", "object": "refund", "status": "succeeded"},
        ("POST", "/v1/transfers/tr_9/reversals"): {"id": "trr_9", "object": "transfer_reversal"},
    })
    db.session.add(PayoutAccount(farmer_id=market["wanjiru"].id, stripe_account_id="acct_wanjiru", payouts_enabled=True))
    payment = _paid_without_network(market, card_checkout, db)
    tomatoes = next(o for o in card_checkout.orders if o.farmer_id == market["wanjiru"].id)
    _complete(tomatoes, market["wanjiru"])
    # A completed order cannot be cancelled by people; a refund ordered later (an admin's decision) uses this path.
    card_payments.refund_cancelled_order(tomatoes, None, "produce was spoiled")
    db.session.commit()
    [refund] = stripe_recorder.sent("POST", "/v1/refunds")
    assert refund["params"]["payment_intent"] == "pi_test" and refund["params"]["amount"] == "30000"
    assert refund["idempotency_key"] == f"refund-order-{tomatoes.number}"
    [reversal] = stripe_recorder.sent("POST", "/v1/transfers/tr_9/reversals")
    assert reversal["params"]["amount"] == "28500" and reversal["idempotency_key"] == f"reversal-{tomatoes.number}"
    kinds = {e.kind: e.amount_minor for e in ledger.entries(market["wanjiru"].id)}
    assert kinds == {LedgerKind.SALE: 300_00, LedgerKind.PLATFORM_FEE: -15_00, LedgerKind.TRANSFER: -285_00,
                     LedgerKind.REFUND: -300_00, LedgerKind.FEE_RETURNED: 15_00, LedgerKind.REVERSAL: 285_00}
    assert ledger.balance(market["wanjiru"].id, "KES").minor_units == 0
    assert payment.refunded_minor == 300_00


def test_manual_payout_lowers_the_balance_and_is_checked(market, card_checkout, db, stripe_on):
    _paid_without_network(market, card_checkout, db)
    admin = factories.with_role(Role.ADMIN)
    otieno = market["otieno"]
    owed = ledger.balance(otieno.id, "KES")
    assert owed.minor_units == 3990_00
    with pytest.raises(InvalidInput) as caught:
        payouts.record_manual_payout(admin, otieno, Money("KES", owed.minor_units + 1), "MPESA-QX1")
    assert "amount" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        payouts.record_manual_payout(admin, otieno, Money("KES", 100_00), "  ")
    assert "reference" in caught.value.errors
    with pytest.raises(PermissionDenied):
        payouts.record_manual_payout(otieno, otieno, Money("KES", 100_00), "MPESA-SELF")
    payouts.record_manual_payout(admin, otieno, Money("KES", 3000_00), "MPESA-QX1", "first part")
    with pytest.raises(InvalidInput):
        payouts.record_manual_payout(admin, otieno, Money("KES", 10_00), "MPESA-QX1")  # same reference twice
    assert ledger.balance(otieno.id, "KES").minor_units == 990_00
    entry = ledger.entry_for(otieno.id, LedgerKind.MANUAL_PAYOUT, "MPESA-QX1")
    assert entry.amount_minor == -3000_00 and entry.actor_id == admin.id


def test_the_ledger_is_append_only(market, card_checkout, db, stripe_on):
    _paid_without_network(market, card_checkout, db)
    entry = db.session.scalars(select(LedgerEntry)).first()
    entry.amount_minor = 1
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(LedgerEntry)).first())
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def test_report_sums_per_farmer_and_period_and_exports_csv(market, card_checkout, db, stripe_on):
    _paid_without_network(market, card_checkout, db)
    admin = factories.with_role(Role.ADMIN)
    payouts.record_manual_payout(admin, market["otieno"], Money("KES", 1000_00), "BANK-77")
    now = datetime.now(UTC)
    rows = {r.farmer.name: r for r in ledger.report(now - timedelta(days=1), now + timedelta(days=1))}
    assert rows["Otieno"].by_kind == {LedgerKind.SALE: 4200_00, LedgerKind.PLATFORM_FEE: -210_00, LedgerKind.MANUAL_PAYOUT: -1000_00}
    assert rows["Otieno"].balance_minor == 2990_00 and rows["Wanjiru"].balance_minor == 285_00
    assert ledger.report(now + timedelta(days=1), now + timedelta(days=2))[0].by_kind == {}  # nothing moved then
    csv_text = ledger.report_csv(list(rows.values()))
    header, *lines = csv_text.strip().splitlines()
    assert header.startswith("farmer_id,farmer_name,phone,currency,sale_minor,platform_fee_minor")
    otieno_line = next(line for line in lines if ",Otieno," in line).split(",")
    assert otieno_line[4] == "420000" and otieno_line[-1] == "299000"
