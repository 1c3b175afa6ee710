"""How checkouts are paid by mobile money (M-Pesa's PIN prompt), beside card_payments.py for cards.

Orders owns the purpose "checkout_mobile" in the payments domain: a checkout's mobile-money orders
are paid together by one prompt to the buyer's phone (reference = the checkout's reference). The
same owner as for cards (card_payments.CheckoutPayments, for this way) marks them paid, records the
farmers' sales and tells both sides. A buyer without JavaScript waits on a page that refreshes
itself; the page asks the provider each time, so a lost callback does not leave them waiting.
"""
from __future__ import annotations

import contextlib

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.core.phone import normalise_phone
from marketplace.extensions import db
from marketplace.orders import card_payments
from marketplace.orders.card_payments import PURPOSE_OF, checkout_of, orders_due, take_back_sale
from marketplace.orders.models import Checkout, Order, PaymentMethod
from marketplace.payments import api as payments
from marketplace.payments.api import Payment

PURPOSE = PURPOSE_OF[PaymentMethod.MOBILE_MONEY]


def mobile_orders_due(checkout: Checkout) -> list[Order]:
    return orders_due(checkout, PaymentMethod.MOBILE_MONEY)


def start_payment(buyer: User, reference: str, phone: str) -> tuple[Checkout, Payment]:
    """Send the PIN prompt for the checkout's unpaid mobile-money orders to `phone` (as the buyer typed it)."""
    checkout = checkout_of(buyer, reference)
    due = mobile_orders_due(checkout)
    if not due:
        raise DomainError(_l("Nothing is waiting to be paid by M-Pesa for this order."))
    payment = payments.start_mobile_payment(
        purpose=PURPOSE, reference=checkout.reference, amount=Money(checkout.currency, sum(o.total_minor for o in due)),
        payer_id=buyer.id, phone=normalise_phone(phone), description=f"VS {checkout.reference}")
    return checkout, payment


def payment_of(checkout: Checkout, refresh: bool = False) -> Payment | None:
    return card_payments.payment_of(checkout, refresh, PaymentMethod.MOBILE_MONEY)


def cancel_payment_if_nothing_due(checkout: Checkout, reason: str) -> None:
    card_payments.cancel_payment_if_nothing_due(checkout, reason, PaymentMethod.MOBILE_MONEY)


def expected_under(account: str) -> payments.PaybillDue | None:
    """Pay bill: a checkout's reference is the account number for its M-Pesa orders still unpaid."""
    checkout = db.session.scalar(select(Checkout).where(Checkout.reference == account.strip().upper()))
    due = mobile_orders_due(checkout) if checkout is not None else []
    if not due:
        return None
    return payments.PaybillDue(PURPOSE, checkout.reference, Money(checkout.currency, sum(o.total_minor for o in due)), checkout.buyer_id)


def owe_back(order: Order, actor_id: int | None, reason: str) -> None:
    """A paid M-Pesa order is cancelled: the money is owed back to the buyer's phone. Until refunds to
    phones are built, the payment's history records what an admin sends back, and the farmer's
    ledger does not count the sale (a refund entry, with the platform's share returned)."""
    payment = payments.payment_for(PURPOSE, order.checkout.reference)
    if payment is None:
        return
    with contextlib.suppress(payments.RefundByHand):
        payments.refund(payment, order.total_minor, idempotency_key=f"refund-order-{order.number}",
                        reason=f"order {order.number} cancelled: {reason}", actor_id=actor_id)
    take_back_sale(order, payment, actor_id, note=f"to send back by M-Pesa: {reason}")
