"""M-Pesa, the first mobile-money provider: Safaricom's Daraja API through a small client on `requests`.

No Python client for Daraja is both maintained and widely used (the PyPI ones are thin wrappers
last released years ago, or weeks ago by one person), and the part we use is four calls: an OAuth
token, the STK push (Lipa na M-Pesa Online: the PIN prompt on the payer's own phone), its query,
and the result callback Daraja posts to us. This module turns them into `providers`' plain values,
so payments' services never read a Daraja field name; the next mobile-money provider (Airtel
Money, MTN MoMo…) is one more class with the same methods.

Daraja signs nothing it sends. A result callback is believed only when it names a CheckoutRequestID
we created (payments looks it up), carries the amount and phone we asked (payments compares them),
comes to a URL holding our MPESA_CALLBACK_SECRET, and, where MPESA_CALLBACK_ADDRESSES is set, from
one of those addresses. When no callback comes, the STK query decides.
"""
from __future__ import annotations

import base64
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import requests
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import DomainError
from marketplace.core.money import Money
from marketplace.payments.providers import (
    FAILED,
    PAID,
    PENDING,
    REFUSED,
    SENT_OK,
    InvalidSignature,
    MalformedEvent,
    MobileMoneyOff,
    PaybillPayment,
    PayoutResult,
    PayoutStatusAnswer,
    ProviderEvent,
    ProviderIntent,
    ProviderTransaction,
    ProviderUnavailable,
)

log = logging.getLogger(__name__)

BASES = {"sandbox": "https://sandbox.safaricom.co.ke", "production": "https://api.safaricom.co.ke"}
NAIROBI = ZoneInfo("Africa/Nairobi")  # Daraja's timestamps are East Africa Time
TIMEOUT_SECONDS = 10
#: The STK query's answer while the payer has not yet answered the prompt.
STILL_PROCESSING = "500.001.1001"


class MpesaProvider:
    name = "mpesa"

    def enabled(self) -> bool:
        config = current_app.config
        return all(config.get(key) for key in ("MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_SHORTCODE",
                                                "MPESA_PASSKEY", "MPESA_CALLBACK_SECRET"))

    # --- collecting money -----------------------------------------------------------------

    def request_payment(self, amount: Money, *, phone: str, account: str, description: str, callback_url: str) -> ProviderIntent:
        """Send the PIN prompt to `phone` (E.164, Kenyan) for `amount` (whole shillings)."""
        body = {
            **self._password(), "TransactionType": "CustomerPayBillOnline", "Amount": whole_shillings(amount),
            "PartyA": msisdn(phone), "PartyB": self._config("MPESA_SHORTCODE"), "PhoneNumber": msisdn(phone),
            "CallBackURL": callback_url, "AccountReference": account[:12], "TransactionDesc": description[:13],
        }
        answer = self._post("/mpesa/stkpush/v1/processrequest", body)
        if str(answer.get("ResponseCode")) != "0" or not answer.get("CheckoutRequestID"):
            raise ProviderUnavailable(f"M-Pesa refused the prompt: {answer}")
        return ProviderIntent(id=answer["CheckoutRequestID"], state=PENDING, amount_minor=amount.minor_units,
                              currency=amount.currency, payer_phone=phone)

    def retrieve_intent(self, intent_id: str) -> ProviderIntent:
        """The STK query: PAID, FAILED with Daraja's result code, or PENDING while the payer is still asked.
        It reports neither the amount nor the receipt (the callback does): amount 0 means "not said"."""
        try:
            answer = self._post("/mpesa/stkpushquery/v1/query", {**self._password(), "CheckoutRequestID": intent_id})
        except ProviderUnavailable as error:
            if STILL_PROCESSING in error.detail:
                return ProviderIntent(id=intent_id, state=PENDING, amount_minor=0, currency="KES")
            raise
        return ProviderIntent(id=intent_id, amount_minor=0, currency="KES", **_result(answer.get("ResultCode")))

    def cancel_intent(self, intent_id: str) -> None:
        """An STK prompt cannot be withdrawn: it lapses on the phone by itself (about a minute)."""

    def read_callback(self, payload: bytes, remote_addr: str | None) -> ProviderEvent:
        """Daraja's result callback, as an event: InvalidSignature from an address not allowed,
        MalformedEvent for a body that is not an STK result."""
        self._check_source(remote_addr)
        try:
            result = json.loads(payload)["Body"]["stkCallback"]
            request_id, code = str(result["CheckoutRequestID"]), result["ResultCode"]
            items = {item["Name"]: item.get("Value") for item in (result.get("CallbackMetadata") or {}).get("Item", [])}
            amount = Decimal(str(items.get("Amount", 0)))
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise MalformedEvent(f"not an STK result: {error}") from None
        outcome = _result(code)
        intent = ProviderIntent(
            id=request_id, amount_minor=int(amount * 100), currency="KES",
            charge_id=str(items["MpesaReceiptNumber"]) if items.get("MpesaReceiptNumber") else None,
            payer_phone=f"+{items['PhoneNumber']}" if items.get("PhoneNumber") else None,
            occurred_at=_daraja_time(items.get("TransactionDate"), "%Y%m%d%H%M%S"), **outcome)
        if intent.state == PAID and not (intent.charge_id and intent.amount_minor):
            raise MalformedEvent("a successful STK result without its receipt or amount")
        # One event per request and result: Daraja may send the same result again, never another one.
        return ProviderEvent(id=f"mpesa:{request_id}:{code}", kind="intent", type="stkCallback", intent=intent)

    # --- paying farmers out (B2C) ---------------------------------------------------------

    def payouts_enabled(self) -> bool:
        config = current_app.config
        return self.enabled() and bool(config.get("MPESA_INITIATOR_NAME") and config.get("MPESA_SECURITY_CREDENTIAL"))

    def send_to_phone(self, amount: Money, *, phone: str, originator_id: str, remarks: str, result_url: str,
                      timeout_url: str) -> str:
        """Daraja's B2C (v3): `amount` to `phone`; returns Daraja's ConversationID. Our OriginatorConversationID
        names the payout, so a request that reached Daraja and is sent again is one payout there too."""
        config = current_app.config
        body = {
            "OriginatorConversationID": originator_id, "InitiatorName": self._config("MPESA_INITIATOR_NAME"),
            "SecurityCredential": self._config("MPESA_SECURITY_CREDENTIAL"), "CommandID": "BusinessPayment",
            "Amount": whole_shillings(amount), "PartyA": config.get("MPESA_B2C_SHORTCODE") or self._config("MPESA_SHORTCODE"),
            "PartyB": msisdn(phone), "Remarks": remarks[:100], "QueueTimeOutURL": timeout_url, "ResultURL": result_url,
            "Occasion": originator_id[:100],
        }
        answer = self._post("/mpesa/b2c/v3/paymentrequest", body)
        if str(answer.get("ResponseCode")) != "0" or not answer.get("ConversationID"):
            raise ProviderUnavailable(f"M-Pesa refused the payout: {answer}")
        return str(answer["ConversationID"])

    def read_payout_result(self, payload: bytes, remote_addr: str | None) -> PayoutResult:
        """B2C's result (or queue time-out) callback: SENT_OK with the receipt, REFUSED with the reason."""
        self._check_source(remote_addr)
        try:
            result = json.loads(payload)["Result"]
            originator, code = str(result["OriginatorConversationID"]), str(result["ResultCode"])
            parameters = {p["Key"]: p.get("Value") for p in (result.get("ResultParameters") or {}).get("ResultParameter", [])}
            amount = Decimal(str(parameters.get("TransactionAmount", 0)))
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise MalformedEvent(f"not a B2C result: {error}") from None
        if code != RESULT_PAID:
            return PayoutResult(originator, REFUSED, detail=f"mpesa:{code} {result.get('ResultDesc', '')}"[:200])
        receipt = str(parameters.get("TransactionReceipt") or result.get("TransactionID") or "")
        if not receipt:
            raise MalformedEvent("a successful B2C result without its receipt")
        return PayoutResult(originator, SENT_OK, receipt=receipt, amount_minor=int(amount * 100),
                            occurred_at=_daraja_time(parameters.get("TransactionCompletedDateTime"), "%d.%m.%Y %H:%M:%S"))

    # --- pay bill (C2B) ---------------------------------------------------------------------

    def read_paybill(self, payload: bytes, remote_addr: str | None) -> PaybillPayment:
        """Daraja's C2B validation or confirmation body (the same fields): who paid how much to which account."""
        self._check_source(remote_addr)
        try:
            body = json.loads(payload)
            amount = Decimal(str(body["TransAmount"]))
            paid = PaybillPayment(transaction_id=str(body["TransID"]), account=str(body.get("BillRefNumber") or "").strip().upper(),
                                  amount_minor=int(amount * 100), currency="KES", phone=str(body.get("MSISDN") or ""),
                                  occurred_at=_daraja_time(body.get("TransTime"), "%Y%m%d%H%M%S"))
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise MalformedEvent(f"not a C2B payment: {error}") from None
        if not paid.transaction_id or paid.amount_minor <= 0:
            raise MalformedEvent("a C2B payment without its id or amount")
        return paid

    def register_paybill_urls(self, *, validation_url: str, confirmation_url: str) -> None:
        """Tell Daraja where our pay bill's validation and confirmation go (once per short code)."""
        self._post("/mpesa/c2b/v2/registerurl", {"ShortCode": self._config("MPESA_SHORTCODE"), "ResponseType": "Cancelled",
                                                 "ConfirmationURL": confirmation_url, "ValidationURL": validation_url})

    # --- reconciliation: Daraja's own records -----------------------------------------------

    def day_zone(self) -> ZoneInfo:
        return NAIROBI

    def money_in(self, start: datetime, end: datetime) -> list[ProviderTransaction]:
        """Pull Transactions: every payment into our short code from `start` to `end` (UTC), page by
        page (OffSetValue is a row offset); `end` is not included. The short code must have been
        registered for pulling once (Daraja's pulltransactions/v1/register, with a nominated number)."""
        found: list[ProviderTransaction] = []
        offset = 0
        for _page in range(PULL_PAGES_AT_MOST):
            answer = self._post("/pulltransactions/v1/query", {
                "ShortCode": self._config("MPESA_SHORTCODE"), "OffSetValue": str(offset),
                "StartDate": start.astimezone(NAIROBI).strftime(PULL_TIME),
                "EndDate": (end - timedelta(seconds=1)).astimezone(NAIROBI).strftime(PULL_TIME)})  # both ends are counted
            rows = [row for page in (answer.get("Response") or []) for row in (page or [])]
            if str(answer.get("ResponseCode")) == PULL_NOTHING or not rows:
                return found
            offset += len(rows)
            try:
                found += [_pulled(row) for row in rows if str(row.get("transactiontype", "")).startswith("c2b-")]
            except (ValueError, KeyError, TypeError, InvalidOperation) as error:
                raise ProviderUnavailable(f"M-Pesa pull: a transaction that cannot be read: {error}") from None
        raise ProviderUnavailable(f"M-Pesa pull: more than {PULL_PAGES_AT_MOST} pages in one day")

    def ask_payout_status(self, *, receipt: str, originator_id: str, result_url: str, timeout_url: str) -> str:
        """Transaction Status: what became of a payout, by its receipt, or by our originator id when M-Pesa
        never gave one. The answer comes later to `result_url`; returns the id Daraja gave the question."""
        config = current_app.config
        answer = self._post("/mpesa/transactionstatus/v1/query", {
            "Initiator": self._config("MPESA_INITIATOR_NAME"), "SecurityCredential": self._config("MPESA_SECURITY_CREDENTIAL"),
            "CommandID": "TransactionStatusQuery", "TransactionID": receipt, "OriginalConversationID": originator_id,
            "PartyA": config.get("MPESA_B2C_SHORTCODE") or self._config("MPESA_SHORTCODE"), "IdentifierType": "4",
            "ResultURL": result_url, "QueueTimeOutURL": timeout_url, "Remarks": "daily reconciliation", "Occasion": originator_id[:100]})
        if str(answer.get("ResponseCode")) != "0" or not answer.get("ConversationID"):
            raise ProviderUnavailable(f"M-Pesa refused the status question: {answer}")
        return str(answer["ConversationID"])

    def read_status_answer(self, payload: bytes, remote_addr: str | None) -> PayoutStatusAnswer:
        """Transaction Status's result: found and completed (with receipt and amount), found in another
        state, or not found (any result code but 0)."""
        self._check_source(remote_addr)
        try:
            result = json.loads(payload)["Result"]
            question, code = str(result["ConversationID"]), str(result["ResultCode"])
            parameters = {p["Key"]: p.get("Value") for p in (result.get("ResultParameters") or {}).get("ResultParameter", [])}
            amount = Decimal(str(parameters.get("Amount", 0) or 0))
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise MalformedEvent(f"not a transaction status result: {error}") from None
        if code != RESULT_PAID:
            return PayoutStatusAnswer(question, found=False, detail=f"mpesa:{code} {result.get('ResultDesc', '')}"[:200])
        status = str(parameters.get("TransactionStatus") or "")
        return PayoutStatusAnswer(question, found=True, completed=status == "Completed", receipt=str(parameters.get("ReceiptNo") or ""),
                                  amount_minor=int(amount * 100), detail=status[:200])

    # --- Daraja's plumbing ------------------------------------------------------------------

    @staticmethod
    def _check_source(remote_addr: str | None) -> None:
        allowed = current_app.config.get("MPESA_CALLBACK_ADDRESSES") or ()
        if allowed and remote_addr not in allowed:
            raise InvalidSignature(f"M-Pesa callback from {remote_addr}, not one of MPESA_CALLBACK_ADDRESSES")

    @staticmethod
    def _config(key: str) -> str:
        value = current_app.config.get(key)
        if not value:
            raise MobileMoneyOff()
        return str(value)

    def _base(self) -> str:
        return (current_app.config.get("MPESA_API_BASE") or BASES[current_app.config.get("MPESA_ENVIRONMENT", "sandbox")]).rstrip("/")

    def _password(self) -> dict[str, str]:
        """Lipa na M-Pesa Online's password: base64(short code + passkey + timestamp)."""
        shortcode = self._config("MPESA_SHORTCODE")
        stamp = datetime.now(NAIROBI).strftime("%Y%m%d%H%M%S")
        secret = base64.b64encode(f"{shortcode}{self._config('MPESA_PASSKEY')}{stamp}".encode()).decode()
        return {"BusinessShortCode": shortcode, "Password": secret, "Timestamp": stamp}

    def _token(self) -> str:
        """An OAuth token, kept until a minute before it expires (one per process)."""
        cached = current_app.extensions.get("mpesa_token")
        if cached and cached[1] > time.monotonic():
            return str(cached[0])
        try:
            response = requests.get(f"{self._base()}/oauth/v1/generate", params={"grant_type": "client_credentials"},
                                    auth=(self._config("MPESA_CONSUMER_KEY"), self._config("MPESA_CONSUMER_SECRET")),
                                    timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"M-Pesa token: {error}") from None
        current_app.extensions["mpesa_token"] = (answer["access_token"], time.monotonic() + int(answer.get("expires_in", 3599)) - 60)
        return str(answer["access_token"])

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = requests.post(f"{self._base()}{path}", json=body, timeout=TIMEOUT_SECONDS,
                                     headers={"Authorization": f"Bearer {self._token()}"})
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnavailable(f"M-Pesa {path}: {error}") from None
        if response.status_code >= 400:
            raise ProviderUnavailable(f"M-Pesa {path} answered {response.status_code}: {answer.get('errorCode')} {answer.get('errorMessage')}")
        return dict(answer)


#: Pull Transactions: its times (East Africa Time) and its "nothing (more) in this period". Its page
#: size is not promised, so pages are asked for until one comes back empty.
PULL_TIME, PULL_NOTHING, PULL_PAGES_AT_MOST = "%Y-%m-%d %H:%M:%S", "1001", 500


def _daraja_time(value: Any, pattern: str) -> datetime | None:
    """A Daraja time (East Africa Time, in the pattern of that API) in UTC; None when absent or unreadable."""
    try:
        return datetime.strptime(str(value), pattern).replace(tzinfo=NAIROBI).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _pulled(row: dict[str, Any]) -> ProviderTransaction:
    """One row of Pull Transactions (lower-case keys, unlike the rest of Daraja); a time without a
    zone is East Africa Time."""
    at = datetime.fromisoformat(str(row["trxDate"]).replace("Z", "+00:00"))
    at = at if at.tzinfo else at.replace(tzinfo=NAIROBI)
    return ProviderTransaction(receipt=str(row["transactionId"]), amount_minor=int(Decimal(str(row["amount"])) * 100), currency="KES",
                               account=str(row.get("billreference") or "").strip().upper(), occurred_at=at.astimezone(UTC))


#: Daraja's result codes, as our states (every other code is a failure, kept as the failure code).
RESULT_PAID = "0"


def _result(code: Any) -> dict[str, str]:
    code = str(code)
    return {"state": PAID, "failure_code": ""} if code == RESULT_PAID else {"state": FAILED, "failure_code": f"mpesa:{code}"}


def whole_shillings(amount: Money) -> int:
    """M-Pesa moves whole Kenyan shillings only: anything else is refused before a prompt is sent."""
    if amount.currency != "KES":
        raise DomainError("M-Pesa takes Kenyan shillings only.")  # a configuration error, never a person's
    if amount.minor_units % 100:
        raise NotWholeShillings()
    return amount.minor_units // 100


class NotWholeShillings(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("M-Pesa takes whole shillings only, and this total has cents. Pay by card or at pickup."))


def msisdn(phone: str) -> str:
    """+254712345678 -> 254712345678, the form Daraja takes; other countries are refused."""
    if not phone.startswith("+254") or not phone[1:].isdigit():
        raise NotAKenyanPhone()
    return phone[1:]


class NotAKenyanPhone(DomainError):
    def __init__(self) -> None:
        super().__init__(_l("M-Pesa needs a Kenyan mobile number, like 0712 345 678."), field="phone")
