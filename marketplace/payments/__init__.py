"""Payments: card payments through Stripe, the ledger of every money movement, and payouts to farmers.

This domain knows nothing of orders or government fees. It takes an amount, a
currency, a purpose and a reference, and reports paid / failed / refunded to
the domain that registered that purpose (see `owners.py`).
"""
