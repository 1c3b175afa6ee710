"""Getting farmers their money: Stripe Connect Express accounts and transfers, or manual payouts.

A farmer with a Connect account whose payouts are enabled receives a Transfer
when an order completes, tied to the buyer's charge (`source_transaction`) so
it does not wait for the platform's balance. A farmer without one (most rural
farmers) builds up a balance that an admin settles by recording a manual payout
(a mobile-money or bank reference). Both are ledger entries the farmer sees.
"""
from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts import api as codes
from marketplace.accounts.api import Role, User
from marketplace.core import idempotency
from marketplace.core.auth import require_role
from marketplace.core.errors import DomainError, InvalidInput
from marketplace.core.money import Money
from marketplace.extensions import db
from marketplace.payments import ledger, providers
from marketplace.payments.models import LedgerEntry, LedgerKind, Payment, PayoutAccount
from marketplace.payments.providers import ProviderUnavailable

log = logging.getLogger(__name__)


def account_of(farmer_id: int) -> PayoutAccount | None:
    return db.session.scalar(select(PayoutAccount).where(PayoutAccount.farmer_id == farmer_id))


def start_onboarding(farmer: User, *, refresh_url: str, return_url: str) -> str:
    """The Stripe-hosted onboarding link for the farmer's Express account (created the first time)."""
    require_role(farmer, Role.FARMER)
    codes.require_confirmed_phone(farmer)  # money goes only to someone whose number is proved theirs
    card = providers.provider(providers.CARD)
    account = account_of(farmer.id)
    if account is None:
        created = card.create_payee(payee_id=farmer.id, email=farmer.email, idempotency_key=f"connect-account-{farmer.id}")
        account = PayoutAccount(farmer_id=farmer.id, stripe_account_id=created)
        db.session.add(account)
        db.session.commit()
    return card.onboarding_link(account.stripe_account_id, refresh_url=refresh_url, return_url=return_url)


def refresh_account(farmer: User) -> PayoutAccount | None:
    """After onboarding returns: ask the provider (the account webhook does the same later)."""
    account = account_of(farmer.id)
    if account is not None:
        sync_account(providers.provider(providers.CARD).retrieve_payee(account.stripe_account_id))
        db.session.commit()
    return account


def sync_account(remote: dict[str, Any]) -> PayoutAccount | None:
    """`remote`: the provider's word on a payee's account (id, payouts_enabled, details_submitted)."""
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.stripe_account_id == remote["id"]))
    if account is not None:
        account.payouts_enabled = bool(remote.get("payouts_enabled"))
        account.details_submitted = bool(remote.get("details_submitted"))
    return account


def transfer_to_farmer(farmer_id: int, amount: Money, *, reference: str, transfer_group: str,
                       payment_id: int | None) -> LedgerEntry | None:
    """Send a completed sale's share to the farmer's Stripe account, once. None when the farmer has
    no ready account or Stripe refused (the balance then stays owed, for an admin to settle)."""
    account = account_of(farmer_id)
    if account is None or not account.payouts_enabled or amount.minor_units <= 0:
        return None
    existing = ledger.entry_for(farmer_id, LedgerKind.TRANSFER, reference)
    if existing is not None:
        return existing
    payment = db.session.get(Payment, payment_id) if payment_id else None
    source_charge = payment.provider_charge_id if payment else None  # paid from the buyer's charge
    try:
        transfer_id = providers.provider(providers.CARD).transfer(
            amount, account_id=account.stripe_account_id, transfer_group=transfer_group, source_charge=source_charge,
            metadata={"reference": reference}, idempotency_key=f"transfer-{reference}")
    except ProviderUnavailable as error:
        log.warning("transfer for %s to %s failed: %s", reference, account.stripe_account_id, error.detail)
        return None
    return ledger.record(farmer_id, LedgerKind.TRANSFER, -amount.minor_units, amount.currency, reference,
                         payment_id=payment_id, external_id=transfer_id, note=f"Stripe transfer {transfer_id}")


def reverse_transfer(farmer_id: int, reference: str) -> LedgerEntry | None:
    """Take back the transfer made for `reference` (its sale was refunded). None if none was made."""
    transfer = ledger.entry_for(farmer_id, LedgerKind.TRANSFER, reference)
    if transfer is None:
        return None
    reversal_id = providers.provider(providers.CARD).reverse_transfer(
        transfer.external_id, -transfer.amount_minor, metadata={"reference": reference}, idempotency_key=f"reversal-{reference}")
    return ledger.record(farmer_id, LedgerKind.REVERSAL, -transfer.amount_minor, transfer.currency, reference,
                         payment_id=transfer.payment_id, external_id=reversal_id, note=f"Stripe reversal {reversal_id}")


def record_manual_payout(admin: User, farmer: User, amount: Money, payout_reference: str, note: str = "",
                         submission_key: str | None = None) -> LedgerEntry:
    """An admin paid the farmer outside Stripe (mobile money, bank): the balance goes down by that much.
    One entry per submission of the form, and per reference (the ledger's unique key)."""
    require_role(admin, Role.ADMIN)
    codes.require_confirmed_phone(farmer)
    admin_id, farmer_id = admin.id, farmer.id
    earlier = idempotency.claim(admin_id, "payout", submission_key)
    if earlier:
        return db.session.get(LedgerEntry, int(earlier))
    farmer = db.session.get(User, farmer_id)
    errors: dict[str, object] = {}
    owed = ledger.balance(farmer.id, amount.currency)
    if amount.minor_units <= 0:
        errors["amount"] = _l("Enter an amount above zero.")
    elif amount.minor_units > owed.minor_units:
        errors["amount"] = _l("That is more than the farmer is owed.")
    payout_reference = payout_reference.strip()
    if not payout_reference:
        errors["reference"] = _l("Enter the mobile-money or bank reference of the payment.")
    elif ledger.entry_for(farmer.id, LedgerKind.MANUAL_PAYOUT, payout_reference) is not None:
        errors["reference"] = _l("A payout with this reference is already recorded.")
    if errors:
        raise InvalidInput(errors)
    try:
        entry = ledger.record(farmer.id, LedgerKind.MANUAL_PAYOUT, -amount.minor_units, amount.currency, payout_reference[:64],
                              note=note.strip(), actor_id=admin_id)
    except IntegrityError:  # the same reference from another form at the same moment: it is recorded once
        db.session.rollback()
        raise InvalidInput({"reference": _l("A payout with this reference is already recorded.")}) from None
    idempotency.done(admin_id, "payout", submission_key, entry.id)
    db.session.commit()
    return entry


def farmer_for_payout(farmer_id: int) -> User:
    farmer = db.session.get(User, farmer_id)
    if farmer is None or not farmer.has_role(Role.FARMER):
        raise DomainError(_l("There is no such farmer."))
    return farmer
