"""Carts, checkout and orders: stock taken at checkout, one order per farmer, the orders' state machine."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.accounts.api import Role
    from marketplace.core import cache as page_cache
    from marketplace.core import header, jobs
    from marketplace.orders import card_payments, cart, mobile_payments, services
    from marketplace.orders.models import PaymentMethod
    from marketplace.orders.views import bp
    from marketplace.payments import api as payments

    app.register_blueprint(bp)
    # A guest's cart lives in their session and the header counts it: their pages are their own.
    page_cache.keep_personal(app, cart.SESSION_KEY)
    header.register(app, "cart", cart.stored_lines_count)
    header.register(app, "orders_to_prepare", services.to_prepare_count, role=Role.FARMER)
    # What the kept pages of a person's own are keyed by, read with the person (core.cache.personal_page).
    header.register_figures(app, "cart", cart.cart_figures, ("orders.view_cart",))
    header.register_figures(app, "orders_bought", services.bought_figures, ("orders.my_orders",))
    header.register_figures(app, "orders_received", services.received_figures, ("orders.incoming_orders",))
    payments.register_owner(app, card_payments.PURPOSE, card_payments.CheckoutPayments(PaymentMethod.CARD))
    payments.register_owner(app, mobile_payments.PURPOSE, card_payments.CheckoutPayments(PaymentMethod.MOBILE_MONEY))
    payments.register_money_in_hand(app, services.paid_at_pickup)  # "My money" counts cash sales too
    payments.register_paybill(app, mobile_payments.expected_under)  # a checkout's reference, paid from a basic phone
    jobs.register(app, services.EXPIRE_JOB, services.expire_unpaid_orders_job, every=300)
