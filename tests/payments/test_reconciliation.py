"""The daily reconciliation against the fake Daraja (issue 21, item 4): the day's money in held against
M-Pesa's own list (Pull Transactions), each payout asked about (Transaction Status, answered by
callback), the differences listed for an admin who says what they found; the ledger never touched."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.core import jobs
from marketplace.core.money import Money
from marketplace.orders import services as orders
from marketplace.orders.checkout import FarmerChoice, place_checkout
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import reconciliation
from marketplace.payments import services as payment_services
from marketplace.payments.models import (
    DifferenceKind,
    LedgerEntry,
    MobileMoneyMovement,
    MobilePayout,
    MobilePayoutStatus,
    Payment,
    PaymentStatus,
    ReconciliationDifference,
)
from tests import factories

CALLBACK, CONFIRM = "/payments/mpesa/callback/test-mpesa", "/payments/mpesa/paybill/confirm/test-mpesa"
PAYOUT_RESULT, PAYOUT_TIMEOUT = "/payments/mpesa/payout/result/test-mpesa", "/payments/mpesa/payout/timeout/test-mpesa"
STATUS_RESULT = "/payments/mpesa/status/result/test-mpesa"
NAIROBI = ZoneInfo("Africa/Nairobi")


def _today():
    return datetime.now(NAIROBI).date()


@pytest.fixture
def checkouts(market, mpesa_on):
    """Place a checkout of both farmers' orders for M-Pesa; each call places one more (the cart refilled)."""
    from marketplace.orders import cart

    def place():
        if not cart.lines_in_cart(market["buyer"], {}):
            cart.add_to_cart(market["buyer"], {}, market["tomatoes"].id, "1")
        return place_checkout(market["buyer"], {}, {market[f].id: FarmerChoice(payment_method="mobile_money")
                                                   for f in ("wanjiru", "otieno")})
    return place


def _prompt(checkout, market):
    return payment_services.start_mobile_payment(purpose="checkout_mobile", reference=checkout.reference,
                                                 amount=Money("KES", checkout.total_minor), payer_id=market["buyer"].id,
                                                 phone="+254712000999")


def _answer(client, mpesa_on):
    """Daraja answers the oldest question, to the ResultURL it was given (here through the test client)."""
    question = mpesa_on.questions.pop(0)
    return client.post(urlsplit(question.result_url).path, json=mpesa_on.status_body(question))


def _differences(kind=None):
    found = reconciliation.open_differences()
    return [d for d in found if kind is None or d.kind is kind]


def test_a_day_where_every_payment_matches_lists_no_difference(client, market, checkouts, mpesa_on, db):
    stk = checkouts()
    _prompt(stk, market)
    assert client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False)).get_json()["outcome"] == "handled"
    paybill = checkouts()
    body = mpesa_on.moved(mpesa_on.paybill_body(paybill.reference, paybill.total_minor // 100))
    assert client.post(CONFIRM, json=body).get_json()["outcome"] == "paid"
    assert db.session.scalar(select(func.count()).select_from(MobileMoneyMovement)) == 2
    ledger_before = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    done = reconciliation.reconcile_day(_today())
    assert (done.money_in_count, done.money_in_matched, done.differences) == (2, 2, [])
    again = reconciliation.reconcile_day(_today())
    assert again.id == done.id and mpesa_on.pull_calls == 2  # once per day: one page, then the empty page that ends it
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == ledger_before


def test_a_lost_callback_an_amount_and_a_receipt_m_pesa_does_not_list_are_each_a_difference(client, market, checkouts, mpesa_on, db):
    lost = checkouts()
    _prompt(lost, market)
    lost_receipt = mpesa_on.last()
    mpesa_on.answer(lost_receipt, 0, deliver=False)  # paid at M-Pesa; the callback never reached us
    other = checkouts()
    _prompt(other, market)
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    mpesa_on.transactions[-1].amount += 5  # M-Pesa's list says 5 more than its callback told us
    unlisted = checkouts()
    body = mpesa_on.moved(mpesa_on.paybill_body(unlisted.reference, unlisted.total_minor // 100))
    client.post(CONFIRM, json=body)
    mpesa_on.forget(body["TransID"])
    done = reconciliation.reconcile_day(_today())
    kinds = {d.kind: d for d in done.differences}
    assert set(kinds) == {DifferenceKind.NOT_HERE, DifferenceKind.AMOUNT, DifferenceKind.NOT_AT_PROVIDER}
    assert kinds[DifferenceKind.NOT_HERE].receipt == lost_receipt.receipt and kinds[DifferenceKind.NOT_HERE].ours_minor is None
    assert kinds[DifferenceKind.NOT_HERE].account == lost.reference[:12]
    amount = kinds[DifferenceKind.AMOUNT]
    assert amount.theirs_minor - amount.ours_minor == 5_00
    assert kinds[DifferenceKind.NOT_AT_PROVIDER].receipt == body["TransID"] and kinds[DifferenceKind.NOT_AT_PROVIDER].theirs_minor is None
    assert done.money_in_count == 2 and done.money_in_matched == 0


def test_a_payment_marked_paid_on_the_stk_querys_word_is_matched_by_its_account(client, market, checkouts, mpesa_on, db):
    queried = checkouts()
    payment = _prompt(queried, market)
    mpesa_on.answer(mpesa_on.last(), 0, deliver=False)
    payment_services.refresh(payment)  # the waiting page asked Daraja: paid, no receipt named
    assert payment.status is PaymentStatus.PAID and not payment.provider_charge_id
    assert len(queried.reference) <= 12  # the STK prompt's AccountReference holds it whole
    done = reconciliation.reconcile_day(_today())
    assert (done.money_in_count, done.money_in_matched, done.differences) == (1, 1, [])


def test_pull_transactions_is_read_page_by_page(client, market, checkouts, mpesa_on, db):
    for _ in range(3):
        checkout = checkouts()
        _prompt(checkout, market)
        client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    mpesa_on.pull_page = 2
    done = reconciliation.reconcile_day(_today())
    assert (done.money_in_count, done.money_in_matched) == (3, 3) and mpesa_on.pull_calls == 3  # 2 + 1 + the empty page


def test_yesterdays_money_is_not_todays(client, market, checkouts, mpesa_on, db):
    checkout = checkouts()
    _prompt(checkout, market)
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    done = reconciliation.reconcile_day(_today() - timedelta(days=1))
    assert (done.money_in_count, done.differences) == (0, [])


@pytest.fixture
def sold(client, market, checkouts, mpesa_on, db):
    """Wanjiru's share of a checkout paid by M-Pesa, the order completed: its payout handed to M-Pesa."""
    checkout = checkouts()
    _prompt(checkout, market)
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.farmer_id == market["wanjiru"].id, Order.checkout_id == checkout.id))
    farmer = market["wanjiru"]
    orders.move(farmer, order, OrderStatus.READY_FOR_PICKUP)
    orders.move(farmer, order, OrderStatus.COLLECTED, pickup_code=order.pickup_code or "")
    orders.move(farmer, order, OrderStatus.COMPLETED)
    (sent,) = mpesa_on.payouts
    return sent


def _payout():
    from marketplace.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(MobilePayout))


def test_a_sent_payout_is_asked_about_and_m_pesas_answer_agrees(client, sold, mpesa_on, db):
    client.post(PAYOUT_RESULT, json=mpesa_on.settle(sold, 0))
    done = reconciliation.reconcile_day(_today())
    (question,) = mpesa_on.questions
    assert question.receipt == _payout().receipt and [c.payout_id for c in done.checks] == [_payout().id]
    assert reconciliation.unanswered_checks() != []
    assert _answer(client, mpesa_on).get_json()["outcome"] == "answered"
    assert reconciliation.unanswered_checks() == [] and _differences() == []


def test_a_payout_unknown_here_that_m_pesa_paid_is_listed_so_nobody_sends_it_again(client, sold, mpesa_on, db):
    client.post(PAYOUT_TIMEOUT, json=mpesa_on.settle(sold, 1))  # the queue timed out…
    sold.result = 0  # …and M-Pesa paid it anyway; its result never came
    assert _payout().status is MobilePayoutStatus.UNKNOWN
    reconciliation.reconcile_day(_today())
    (question,) = mpesa_on.questions
    assert question.originator_id == _payout().originator_id and question.receipt == ""  # asked by our own id
    _answer(client, mpesa_on)
    (difference,) = _differences(DifferenceKind.PAID_THERE)
    assert difference.receipt == sold.receipt and difference.theirs_minor == 285_00 and "Completed" in difference.detail
    assert "M-Pesa paid it" in _payout().events[-1].reason and _payout().status is MobilePayoutStatus.UNKNOWN  # listed, not changed


def test_a_payout_sent_here_that_m_pesa_did_not_complete_is_a_difference(client, sold, mpesa_on, db):
    client.post(PAYOUT_RESULT, json=mpesa_on.settle(sold, 0))
    sold.result = 1  # M-Pesa's records say the payment failed after all
    reconciliation.reconcile_day(_today())
    _answer(client, mpesa_on)
    (difference,) = _differences()
    assert difference.kind is DifferenceKind.NOT_PAID_THERE and difference.ours_minor == 285_00 and "Failed" in difference.detail


def test_status_answers_are_taken_once_and_only_for_questions_we_asked(client, sold, mpesa_on, db):
    client.post(PAYOUT_RESULT, json=mpesa_on.settle(sold, 0))
    reconciliation.reconcile_day(_today())
    question = mpesa_on.questions[0]
    body = mpesa_on.status_body(question)
    assert client.post(STATUS_RESULT, json=body).get_json()["outcome"] == "answered"
    assert client.post(STATUS_RESULT, json=body).get_json()["outcome"] == "duplicate"
    body["Result"]["ConversationID"] = "AG_FORGED"
    assert client.post(STATUS_RESULT, json=body).get_json()["outcome"] == "not ours"
    assert client.post("/payments/mpesa/status/result/guessed", json=body).status_code == 404
    assert client.post(STATUS_RESULT, json={"Result": {}}).status_code == 400


def test_the_job_reconciles_each_ended_day_once_and_retries_when_m_pesa_is_down(market, mpesa_on, db, monkeypatch, app):
    assert reconciliation.reconcile_ended_days() == reconciliation.DAYS_BACK  # today has not ended: not among them
    days = sorted(r.day for r in reconciliation.recent())
    assert _today() not in days and len(days) == reconciliation.DAYS_BACK
    assert reconciliation.reconcile_ended_days() == 0
    db.session.execute(db.delete(reconciliation.Reconciliation))
    db.session.commit()
    monkeypatch.setitem(app.config, "MPESA_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    app.extensions.pop("mpesa_token", None)
    with pytest.raises(jobs.RetryLater):
        reconciliation.reconcile_ended_days()
    assert reconciliation.recent() == []  # nothing half-recorded: the retry does the day


def test_an_admin_reads_the_differences_and_closes_one_with_what_they_found(client, market, checkouts, mpesa_on, db, login):
    checkout = checkouts()
    _prompt(checkout, market)
    mpesa_on.answer(mpesa_on.last(), 0, deliver=False)  # a lost callback
    reconciliation.reconcile_day(_today())
    (difference,) = _differences()
    farmer = login(market["wanjiru"])
    assert farmer.post(f"/admin/payouts/differences/{difference.id}/explained", data={"explanation": "x"}).status_code in (302, 403)
    assert _differences() != []  # a farmer closes nothing
    client.get("/logout")
    admin = factories.with_role(Role.ADMIN)
    login(admin)
    page = client.get("/admin/payouts").get_data(as_text=True)
    assert "M-Pesa received money we never recorded" in page and mpesa_on.last().receipt in page
    answer = client.post(f"/admin/payouts/differences/{difference.id}/explained", data={"explanation": "  "}, follow_redirects=True)
    assert "Say what you found" in answer.get_data(as_text=True) and _differences() != []
    client.post(f"/admin/payouts/differences/{difference.id}/explained", data={"explanation": "callback lost; paid by hand in admin"})
    closed = db.session.get(ReconciliationDifference, difference.id)
    db.session.refresh(closed)
    assert closed.explained_by == admin.id and closed.explained_at is not None and "callback lost" in closed.explanation
    assert _differences() == []
    assert db.session.get(Payment, db.session.scalar(select(Payment.id))).status is not PaymentStatus.PAID  # nothing corrected by it


def test_movements_are_append_only(client, market, checkouts, mpesa_on, db):
    checkout = checkouts()
    _prompt(checkout, market)
    client.post(CALLBACK, json=mpesa_on.answer(mpesa_on.last(), 0, deliver=False))
    movement = db.session.scalar(select(MobileMoneyMovement))
    assert movement.occurred_at is not None and abs(movement.occurred_at.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)
    movement.amount_minor = 1
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_the_command_reconciles_one_day_by_hand_and_says_what_it_found(app, market, checkouts, mpesa_on, client, db):
    checkout = checkouts()
    _prompt(checkout, market)
    mpesa_on.answer(mpesa_on.last(), 0, deliver=False)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile", "--day", _today().isoformat()])
    assert result.exit_code == 0, result.output
    assert "0 of 1 transactions in matched, 1 difference(s)" in result.output


def test_the_command_says_m_pesa_is_not_configured(app, db):
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code != 0 and "MPESA_* settings are missing" in result.output


def test_a_status_question_whose_queue_timed_out_is_recorded_as_such_and_lists_nothing(client, sold, mpesa_on, db):
    client.post(PAYOUT_RESULT, json=mpesa_on.settle(sold, 0))
    reconciliation.reconcile_day(_today())
    question = mpesa_on.questions.pop(0)
    timeout = urlsplit(question.timeout_url).path
    assert client.post(timeout, json=mpesa_on.status_body(question)).get_json()["outcome"] == "timed out"
    assert client.post(timeout, json=mpesa_on.status_body(question)).get_json()["outcome"] == "duplicate"
    assert _differences() == [] and reconciliation.unanswered_checks() == []
    (check,) = reconciliation.recent()[0].checks
    assert check.answered_at is not None and check.answer == "M-Pesa's queue timed out"


def test_a_difference_is_closed_once_and_a_missing_one_is_not_found(client, market, checkouts, mpesa_on, db, login):
    checkout = checkouts()
    _prompt(checkout, market)
    mpesa_on.answer(mpesa_on.last(), 0, deliver=False)
    reconciliation.reconcile_day(_today())
    (difference,) = _differences()
    admin = factories.with_role(Role.ADMIN)
    reconciliation.explain(admin.id, difference.id, "looked in the portal")
    with pytest.raises(Exception, match="already closed"):
        reconciliation.explain(admin.id, difference.id, "again")
    login(admin)
    assert client.post("/admin/payouts/differences/999999/explained", data={"explanation": "x"}).status_code == 404
