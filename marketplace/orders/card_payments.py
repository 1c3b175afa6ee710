"""How checkouts are paid by card, and what money does when an order moves.

Orders owns the purpose "checkout" in the payments domain: a checkout's card
orders are paid together by one PaymentIntent (reference = the checkout's
reference, also its Connect `transfer_group`). When the payment succeeds each
card order becomes paid and the farmer's ledger gets the sale and the platform
fee. Cancelling a paid order refunds it (and reverses a transfer if one was
made); completing one transfers the farmer's share when they have a Stripe
account, else it stays in their balance for a manual payout.
"""
from __future__ import annotations

import contextlib

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.api import User
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.money import Money
from marketplace.core.states import SYSTEM
from marketplace.core.urls import site_path
from marketplace.extensions import db
from marketplace.i18n import money
from marketplace.notifications.api import notify_user
from marketplace.orders import states
from marketplace.orders.checkout import tell_both
from marketplace.orders.models import CartItem, Checkout, Order, OrderStatus, PaymentMethod
from marketplace.payments import api as payments
from marketplace.payments.api import LedgerKind, Payment

PURPOSE = "checkout"
#: The payments purpose of each way a checkout is paid now (one payment per way and checkout).
PURPOSE_OF = {PaymentMethod.CARD: PURPOSE, PaymentMethod.MOBILE_MONEY: "checkout_mobile"}


def checkout_of(buyer: User, reference: str) -> Checkout:
    checkout = db.session.scalar(select(Checkout).where(Checkout.reference == reference.upper(), Checkout.buyer_id == buyer.id))
    if checkout is None:
        raise NotFound(_l("There is no such order."))
    return checkout


def orders_due(checkout: Checkout, method: PaymentMethod) -> list[Order]:
    """The checkout's orders still waiting for their money by `method` (card or mobile money)."""
    return [o for o in checkout.orders if o.payment_method is method and o.status is OrderStatus.PLACED]


def card_orders_due(checkout: Checkout) -> list[Order]:
    return orders_due(checkout, PaymentMethod.CARD)


def start_payment(buyer: User, reference: str) -> tuple[Checkout, Payment, str]:
    """The payment for the checkout's unpaid card orders and the client secret for Stripe.js."""
    checkout = checkout_of(buyer, reference)
    due = card_orders_due(checkout)
    if not due:
        raise DomainError(_l("Nothing is waiting to be paid by card for this order."))
    amount = Money(checkout.currency, sum(o.total_minor for o in due))
    payment, client_secret = payments.start_card_payment(
        purpose=PURPOSE, reference=checkout.reference, amount=amount, payer_id=buyer.id,
        transfer_group=checkout.reference, description=f"Village Square {checkout.reference}",
    )
    return checkout, payment, client_secret


def payment_of(checkout: Checkout, refresh: bool = False, method: PaymentMethod = PaymentMethod.CARD) -> Payment | None:
    """The checkout's payment by `method`; with `refresh`, as the provider has it now (a server-side
    retrieval for a card, the STK query for M-Pesa): the browser's word is never taken."""
    payment = payments.payment_for(PURPOSE_OF[method], checkout.reference)
    if payment is not None and refresh:
        payments.refresh(payment)
    return payment


def cancel_payment_if_nothing_due(checkout: Checkout, reason: str, method: PaymentMethod = PaymentMethod.CARD) -> None:
    payment = payment_of(checkout, method=method)
    if payment is not None and not orders_due(checkout, method):
        payments.cancel(payment, reason)


# --- money when an order moves (called by orders.services.move, before it commits) ----------

def refund_cancelled_order(order: Order, actor_id: int | None, reason: str) -> None:
    """A paid card order is cancelled: refund it, take back the farmer's share, reverse a transfer."""
    payment = payments.payment_for(PURPOSE, order.checkout.reference)
    if payment is None:
        return
    refund_id = payments.refund(payment, order.total_minor, idempotency_key=f"refund-order-{order.number}",
                                reason=reason or "order cancelled", actor_id=actor_id)
    take_back_sale(order, payment, actor_id, note=reason, external_id=refund_id)
    payments.reverse_transfer(order.farmer_id, order.number)


def take_back_sale(order: Order, payment: Payment, actor_id: int | None, *, note: str, external_id: str = "") -> None:
    """A cancelled paid order no longer counts for the farmer: a refund entry, and the platform's share returned."""
    payments.record(order.farmer_id, LedgerKind.REFUND, -order.total_minor, order.currency, order.number,
                    payment_id=payment.id, external_id=external_id, note=note, actor_id=actor_id)
    fee = payments.entry_for(order.farmer_id, LedgerKind.PLATFORM_FEE, order.number)
    if fee is not None:
        payments.record(order.farmer_id, LedgerKind.FEE_RETURNED, -fee.amount_minor, order.currency, order.number,
                        payment_id=payment.id, actor_id=actor_id)


def pay_farmer_for(order: Order) -> None:
    """A completed order paid through us (card or M-Pesa): the farmer's share (sale less the platform
    fee) goes to their Stripe account when they have a ready one, else to their M-Pesa when payouts to
    phones are on; otherwise it stays in their balance for an admin's manual payout."""
    if order.payment_method not in (PaymentMethod.CARD, PaymentMethod.MOBILE_MONEY):
        return
    sale = payments.entry_for(order.farmer_id, LedgerKind.SALE, order.number)
    if sale is None:
        return
    fee = payments.entry_for(order.farmer_id, LedgerKind.PLATFORM_FEE, order.number)
    share = Money(order.currency, sale.amount_minor + (fee.amount_minor if fee else 0))
    sent = payments.transfer_to_farmer(order.farmer_id, share, reference=order.number,
                                       transfer_group=order.checkout.reference, payment_id=sale.payment_id) \
        if order.payment_method is PaymentMethod.CARD else None
    if sent is None:
        payments.pay_to_phone(order.farmer_id, order.farmer.phone or "", share, reference=order.number)


# --- what the payments domain reports -----------------------------------------------------

class CheckoutPayments:
    """Registered for PURPOSE (card) and mobile_payments.PURPOSE (mobile money), one per way: runs
    inside the payments transaction, never commits."""

    def __init__(self, method: PaymentMethod = PaymentMethod.CARD) -> None:
        self.method = method

    def on_paid(self, payment: Payment) -> None:
        checkout = db.session.scalar(select(Checkout).where(Checkout.reference == payment.reference))
        if checkout is None:
            return
        late = []
        for order in checkout.orders:
            if order.payment_method is not self.method:
                continue
            if order.status is OrderStatus.PLACED:
                self._mark_paid(order, payment)
            elif order.status is OrderStatus.CANCELLED and not any(e.to_status == OrderStatus.PAID.value for e in order.events):
                late.append(order)  # expired or given up before the money arrived
        if late:
            amount = min(sum(o.total_minor for o in late), payment.amount_minor - payment.refunded_minor)
            if amount > 0:
                # Mobile money cannot be given back by the provider here: its history says what an admin sends back.
                with contextlib.suppress(payments.RefundByHand):
                    payments.refund(payment, amount, idempotency_key=f"refund-late-{checkout.reference}",
                                    reason="paid after the order was cancelled", actor_id=None)
        # The purchase went through: what was bought leaves the cart (anything added since stays).
        bought = [item.listing_id for o in checkout.orders if o.status is OrderStatus.PAID for item in o.items]
        if bought:
            db.session.execute(db.delete(CartItem).where(CartItem.user_id == checkout.buyer_id, CartItem.listing_id.in_(bought)))

    @staticmethod
    def _mark_paid(order: Order, payment: Payment) -> None:
        states.transition(order, OrderStatus.PAID, party=SYSTEM, reason=f"{payment.way} payment {payment.provider_intent_id}")
        payments.record(order.farmer_id, LedgerKind.SALE, order.total_minor, order.currency, order.number,
                      payment_id=payment.id, external_id=payment.provider_charge_id or "")
        fee = payments.platform_fee(order.total_minor)
        if fee:
            payments.record(order.farmer_id, LedgerKind.PLATFORM_FEE, -fee, order.currency, order.number, payment_id=payment.id)
        tell_both(order)

    def on_failed(self, payment: Payment) -> None:
        """Nothing changes: the orders wait, the buyer may try another card, expiry frees the stock."""

    def on_refunded(self, payment: Payment, amount_minor: int) -> None:
        """A refund made outside the app (Stripe's dashboard) is on the payment's history; the orders
        are left as they are for a person to decide, and the buyer is told."""
        buyer = db.session.get(User, payment.payer_id) if payment.payer_id else None
        if buyer is not None:
            notify_user(buyer, "payment_refunded", lambda: (
                _("Refund for %(reference)s", reference=payment.reference),
                _("%(amount)s has been refunded to your card for purchase %(reference)s.",
                  amount=money(Money(payment.currency, amount_minor)),
                  reference=payment.reference),
            ), link=site_path("orders.checkout_done", reference=payment.reference))
