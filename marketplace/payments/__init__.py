"""Payments: card payments through Stripe, the ledger of every money movement, and payouts to farmers.

This domain knows nothing of orders or government fees. It takes an amount, a
currency, a purpose and a reference, and reports paid / failed / refunded to
the domain that registered that purpose (see `owners.py`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.core import jobs
    from marketplace.payments import mobile_payouts, providers, reconciliation
    from marketplace.payments.mpesa_provider import MpesaProvider
    from marketplace.payments.stripe_provider import StripeProvider
    from marketplace.payments.views import bp

    app.register_blueprint(bp)
    providers.register(app, providers.CARD, StripeProvider())
    providers.register(app, providers.MOBILE_MONEY, MpesaProvider())
    jobs.register(app, mobile_payouts.SEND_JOB, mobile_payouts.send_mobile_payout, sweeper=mobile_payouts.sweep_payouts)
    jobs.register(app, reconciliation.RECONCILE_JOB, reconciliation.reconcile_ended_days, every=3600)
