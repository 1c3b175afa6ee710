"""A stand-in for Safaricom's Daraja on loopback, as localstripe is for Stripe: it answers the OAuth,
STK push and STK query calls as Daraja does (checking the Basic credentials, the Bearer token and
the Lipa na M-Pesa Online password), remembers each prompt, and sends the result callback to the
CallBackURL the app gave, over HTTP, with the JSON body Safaricom documents, including failures,
late and duplicate callbacks.

Pay bill (C2B) too: the URLs registered, then for a payment made from a phone's menu the validation
call (a refusal keeps the payer's money) and the confirmation, as Daraja sends them. B2C (payouts to
phones) too: the request (initiator and credential checked, a repeated
OriginatorConversationID refused as Daraja does), and its result or queue time-out callback.

Reconciliation too: Pull Transactions lists the money that came in (paid prompts and pay bill
payments, at the time they were made, page by page), and Transaction Status answers a question
about a payout by callback (`answer_status`), as Daraja does, with the payout's receipt, amount and
"Completed", or "not found". A test may `forget` a transaction or `lose` a callback to make the
records differ.

What it does not imitate: a real phone (a test says how the payer answered), Daraja's rate limits
and its other APIs (reversal, account balance), the registration Pull Transactions needs once, the
exact wording of every error, the encryption of the security credential, and the minute after which
a real prompt lapses (a test says "timed out", result code 1037).
"""
from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import requests

KEY, SECRET, SHORTCODE, PASSKEY = "fake-consumer-key", "fake-consumer-secret", "174379", "fake-passkey"
INITIATOR, CREDENTIAL = "testapi", "fake-encrypted-credential"
NAIROBI = ZoneInfo("Africa/Nairobi")

#: Daraja's result codes a payer's phone can end a prompt with, and their descriptions.
RESULTS = {
    0: "The service request is processed successfully.",
    1: "The balance is insufficient for the transaction.",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    2001: "The initiator information is invalid.",
}


@dataclass
class Prompt:
    checkout_request_id: str
    merchant_request_id: str
    amount: int
    phone: str
    account: str
    callback_url: str
    result: int | None = None  # None while the payer has not answered
    receipt: str = ""


@dataclass
class Payout:
    originator_id: str
    conversation_id: str
    amount: int
    phone: str
    result_url: str
    timeout_url: str
    receipt: str = ""  # once settled as sent
    result: int | None = None


@dataclass
class Transaction:
    """Money into the short code, as Pull Transactions lists it."""

    receipt: str
    amount: int
    account: str
    phone: str
    at: datetime  # East Africa Time
    kind: str = "c2b-pay-bill-debit"


@dataclass
class StatusQuestion:
    conversation_id: str
    receipt: str
    originator_id: str
    result_url: str
    timeout_url: str


@dataclass
class FakeDaraja:
    url: str = ""
    token: str = "fake-token-1"
    prompts: list[Prompt] = field(default_factory=list)
    refuse_next: str = ""  # the next STK push is refused with this errorMessage (an invalid phone…)
    payouts: list[Payout] = field(default_factory=list)
    payouts_down: int = 0  # answer the next N payout requests with a 503, as Daraja on a bad minute
    paybill_urls: dict[str, str] = field(default_factory=dict)  # "validation" and "confirmation", as registered
    transactions: list[Transaction] = field(default_factory=list)  # money in, for Pull Transactions
    questions: list[StatusQuestion] = field(default_factory=list)  # Transaction Status questions, unanswered
    pull_page: int = 100  # rows per Pull Transactions page
    hold_payouts: threading.Event | None = None  # while set and not yet released, a payout request is kept waiting
    pull_calls: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def last(self) -> Prompt:
        return self.prompts[-1]

    def answer(self, prompt: Prompt, result: int = 0, *, deliver: bool = True, amount: int | None = None,
               phone: str | None = None) -> dict[str, Any]:
        """The payer answers the prompt: `result` 0 paid, 1032 cancelled, 1037 timed out, 2001 wrong PIN,
        1 too little money. The callback goes to the app (unless `deliver` is False); its body is returned."""
        prompt.result = result
        if result == 0 and not prompt.receipt:
            prompt.receipt = f"SLK{next(self._ids):07d}"
            self.transactions.append(Transaction(prompt.receipt, amount if amount is not None else prompt.amount, prompt.account,
                                                 prompt.phone, datetime.now(NAIROBI), kind="c2b-pay-bill-debit"))
        body = self.callback_body(prompt, amount=amount, phone=phone)
        if deliver:
            self.deliver(prompt, body)
        return body

    def callback_body(self, prompt: Prompt, *, amount: int | None = None, phone: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = {"MerchantRequestID": prompt.merchant_request_id, "CheckoutRequestID": prompt.checkout_request_id,
                                  "ResultCode": prompt.result, "ResultDesc": RESULTS.get(prompt.result or 0, "Failed")}
        if prompt.result == 0:
            result["CallbackMetadata"] = {"Item": [
                {"Name": "Amount", "Value": float(amount if amount is not None else prompt.amount)},
                {"Name": "MpesaReceiptNumber", "Value": prompt.receipt},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": int(datetime.now(NAIROBI).strftime("%Y%m%d%H%M%S"))},
                {"Name": "PhoneNumber", "Value": int(phone or prompt.phone)},
            ]}
        return {"Body": {"stkCallback": result}}

    @staticmethod
    def deliver(prompt: Prompt, body: dict[str, Any]) -> requests.Response:
        return requests.post(prompt.callback_url, json=body, timeout=10)

    def paybill_body(self, account: str, amount: int, phone: str = "254712345678") -> dict[str, Any]:
        """A payment from the phone's own menu (Lipa na M-Pesa, pay bill), as Daraja describes it to both URLs."""
        return {"TransactionType": "Pay Bill", "TransID": f"SLC{next(self._ids):07d}",
                "TransTime": datetime.now(NAIROBI).strftime("%Y%m%d%H%M%S"),
                "TransAmount": f"{amount:.2f}", "BusinessShortCode": SHORTCODE, "BillRefNumber": account, "InvoiceNumber": "",
                "OrgAccountBalance": "", "ThirdPartyTransID": "", "MSISDN": phone[:6] + "***" + phone[-3:],
                "FirstName": "Mary", "MiddleName": "", "LastName": "Wanjiku"}

    def pay_bill(self, account: str, amount: int, phone: str = "254712345678") -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Over HTTP to the registered URLs: validation, then (if accepted) confirmation. Returns both answers."""
        body = self.paybill_body(account, amount, phone)
        validation = requests.post(self.paybill_urls["validation"], json=body, timeout=10).json()
        if validation.get("ResultCode") != "0":
            return validation, None
        self.transactions.append(Transaction(body["TransID"], amount, account, phone, datetime.now(NAIROBI)))  # the money moved
        return validation, requests.post(self.paybill_urls["confirmation"], json=body, timeout=10).json()

    def settle(self, payout: Payout, result: int = 0) -> dict[str, Any]:
        """Daraja's B2C result body: 0 sent (with a receipt), anything else refused."""
        payout.result = result
        body: dict[str, Any] = {"Result": {
            "ResultType": 0, "ResultCode": result, "ResultDesc": "The service request is processed successfully." if result == 0
            else "The initiator information is invalid.", "OriginatorConversationID": payout.originator_id,
            "ConversationID": payout.conversation_id, "TransactionID": f"SLP{next(self._ids):07d}",
            "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL", "Value": payout.timeout_url}}}}
        if result == 0:
            payout.receipt = payout.receipt or body["Result"]["TransactionID"]
            body["Result"]["TransactionID"] = payout.receipt
            body["Result"]["ResultParameters"] = {"ResultParameter": [
                {"Key": "TransactionAmount", "Value": payout.amount}, {"Key": "TransactionReceipt", "Value": payout.receipt},
                {"Key": "ReceiverPartyPublicName", "Value": f"{payout.phone} - Farmer"},
                {"Key": "TransactionCompletedDateTime", "Value": datetime.now(NAIROBI).strftime("%d.%m.%Y %H:%M:%S")},
                {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"}]}
        return body


    def moved(self, body: dict[str, Any]) -> dict[str, Any]:
        """A pay bill payment (`paybill_body`) went through at M-Pesa: Pull lists it from now on."""
        self.transactions.append(Transaction(body["TransID"], int(float(body["TransAmount"])), body["BillRefNumber"], "254712345678",
                                             datetime.now(NAIROBI)))
        return body

    def forget(self, receipt: str) -> None:
        """M-Pesa's records lose a transaction (or it never happened there): Pull stops listing it."""
        self.transactions = [t for t in self.transactions if t.receipt != receipt]

    def status_body(self, question: StatusQuestion) -> dict[str, Any]:
        """Transaction Status's result for `question`: the payout's receipt, amount and state, or "not found"."""
        payout = next((p for p in self.payouts if question.receipt and p.receipt == question.receipt
                       or p.originator_id == question.originator_id), None)
        result: dict[str, Any] = {"ResultType": 0, "OriginatorConversationID": f"{next(self._ids)}-1",
                                  "ConversationID": question.conversation_id, "TransactionID": "SLS0000000"}
        if payout is None:
            result.update(ResultCode=2032, ResultDesc="The transaction receipt number does not exist.")
            return {"Result": result}
        state = "Pending" if payout.result is None else "Completed" if payout.result == 0 else "Failed"
        result.update(ResultCode=0, ResultDesc="The service request is processed successfully.")
        result["ResultParameters"] = {"ResultParameter": [
            {"Key": "ReceiptNo", "Value": payout.receipt}, {"Key": "Conversation ID", "Value": payout.conversation_id},
            {"Key": "FinalisedTime", "Value": int(datetime.now(NAIROBI).strftime("%Y%m%d%H%M%S"))},
            {"Key": "Amount", "Value": payout.amount}, {"Key": "TransactionStatus", "Value": state},
            {"Key": "ReasonType", "Value": "Business Payment to Customer via API"}, {"Key": "DebitPartyName", "Value": f"{SHORTCODE} - Village"},
            {"Key": "CreditPartyName", "Value": f"{payout.phone} - Farmer"}]}
        return {"Result": result}

    def answer_status(self, question: StatusQuestion | None = None) -> requests.Response:
        """Daraja answers a Transaction Status question (the oldest unanswered) by calling its ResultURL."""
        question = question or self.questions[0]
        self.questions.remove(question)
        return requests.post(question.result_url, json=self.status_body(question), timeout=10)

    def pulled(self, start: datetime, end: datetime) -> list[Transaction]:
        return [t for t in self.transactions if start <= t.at.replace(microsecond=0) <= end]


def start_fake_daraja() -> tuple[FakeDaraja, ThreadingHTTPServer]:
    daraja = FakeDaraja()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):  # noqa: N802  (the http.server API)
            expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
            if not self.path.startswith("/oauth/v1/generate?grant_type=client_credentials"):
                return self._answer(404, {"errorMessage": "not found"})
            if self.headers.get("Authorization") != expected:
                return self._answer(400, {"errorCode": "400.008.01", "errorMessage": "Invalid Authentication passed"})
            return self._answer(200, {"access_token": daraja.token, "expires_in": "3599"})

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.headers.get("Authorization") != f"Bearer {daraja.token}":
                return self._answer(401, {"errorCode": "404.001.03", "errorMessage": "Invalid Access Token"})
            if self.path == "/mpesa/b2c/v3/paymentrequest":
                return self._payout(body)
            if self.path == "/pulltransactions/v1/query":
                return self._pull(body)
            if self.path == "/mpesa/transactionstatus/v1/query":
                return self._status(body)
            if self.path == "/mpesa/c2b/v2/registerurl":
                daraja.paybill_urls = {"validation": body["ValidationURL"], "confirmation": body["ConfirmationURL"]}
                return self._answer(200, {"OriginatorCoversationID": "1", "ResponseCode": "0", "ResponseDescription": "Success"})
            password = base64.b64encode(f"{body.get('BusinessShortCode')}{PASSKEY}{body.get('Timestamp')}".encode()).decode()
            if body.get("BusinessShortCode") != SHORTCODE or body.get("Password") != password:
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid Password"})
            if self.path == "/mpesa/stkpush/v1/processrequest":
                return self._push(body)
            if self.path == "/mpesa/stkpushquery/v1/query":
                return self._query(body)
            return self._answer(404, {"errorMessage": "not found"})

        def _payout(self, body: dict[str, Any]) -> None:
            if daraja.payouts_down > 0:
                daraja.payouts_down -= 1
                return self._answer(503, {"errorCode": "503.001.01", "errorMessage": "Service Unavailable"})
            if body.get("InitiatorName") != INITIATOR or body.get("SecurityCredential") != CREDENTIAL:
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid Initiator"})
            if any(p.originator_id == body.get("OriginatorConversationID") for p in daraja.payouts):
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Duplicate OriginatorConversationID"})
            payout = Payout(originator_id=body["OriginatorConversationID"], conversation_id=f"AG_20261203_{next(daraja._ids):010d}",
                            amount=body["Amount"], phone=str(body["PartyB"]), result_url=body["ResultURL"], timeout_url=body["QueueTimeOutURL"])
            daraja.payouts.append(payout)
            if daraja.hold_payouts is not None:  # Daraja has it; its answer is slow (the caller may die meanwhile)
                daraja.hold_payouts.wait(60)
            return self._answer(200, {"ConversationID": payout.conversation_id, "OriginatorConversationID": payout.originator_id,
                                      "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."})

        def _pull(self, body: dict[str, Any]) -> None:
            daraja.pull_calls += 1
            try:
                start, end = (datetime.strptime(body[key], "%Y-%m-%d %H:%M:%S").replace(tzinfo=NAIROBI) for key in ("StartDate", "EndDate"))
                offset = int(body["OffSetValue"])
            except (KeyError, ValueError):
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid StartDate/EndDate"})
            if body.get("ShortCode") != SHORTCODE or end - start > timedelta(days=2):
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid ShortCode or period"})
            page = daraja.pulled(start, end)[offset:offset + daraja.pull_page]
            if not page:
                return self._answer(200, {"ResponseRefID": f"{next(daraja._ids)}-1", "ResponseCode": "1001",
                                          "ResponseMessage": "No transactions found", "Response": [[]]})
            return self._answer(200, {"ResponseRefID": f"{next(daraja._ids)}-1", "ResponseCode": "1000", "ResponseMessage": "Success",
                                      "Response": [[{"transactionId": t.receipt, "trxDate": t.at.strftime("%Y-%m-%dT%H:%M:%S") + "+03:00",
                                                     "msisdn": int(t.phone[3:]), "sender": "WANJIKU", "transactiontype": t.kind,
                                                     "billreference": t.account, "amount": f"{t.amount:.2f}",
                                                     "organizationname": "Village Square"} for t in page]]})

        def _status(self, body: dict[str, Any]) -> None:
            if body.get("Initiator") != INITIATOR or body.get("SecurityCredential") != CREDENTIAL:
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid Initiator"})
            if body.get("CommandID") != "TransactionStatusQuery" or not (body.get("TransactionID") or body.get("OriginalConversationID")):
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid TransactionID"})
            question = StatusQuestion(conversation_id=f"AG_20261203_{next(daraja._ids):010d}", receipt=body.get("TransactionID") or "",
                                      originator_id=body.get("OriginalConversationID") or "", result_url=body["ResultURL"],
                                      timeout_url=body["QueueTimeOutURL"])
            daraja.questions.append(question)
            return self._answer(200, {"OriginatorConversationID": f"{next(daraja._ids)}-1", "ConversationID": question.conversation_id,
                                      "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."})

        def _push(self, body: dict[str, Any]) -> None:
            if daraja.refuse_next:
                message, daraja.refuse_next = daraja.refuse_next, ""
                return self._answer(400, {"requestId": "1", "errorCode": "400.002.02", "errorMessage": message})
            if not isinstance(body.get("Amount"), int) or body["Amount"] < 1 or not str(body.get("PhoneNumber", "")).startswith("254"):
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid Amount or PhoneNumber"})
            number = next(daraja._ids)
            prompt = Prompt(checkout_request_id=f"ws_CO_03122026{number:010d}", merchant_request_id=f"29115-{number}-1",
                            amount=body["Amount"], phone=str(body["PhoneNumber"]), account=body.get("AccountReference", ""),
                            callback_url=body["CallBackURL"])
            daraja.prompts.append(prompt)
            return self._answer(200, {"MerchantRequestID": prompt.merchant_request_id, "CheckoutRequestID": prompt.checkout_request_id,
                                      "ResponseCode": "0", "ResponseDescription": "Success. Request accepted for processing",
                                      "CustomerMessage": "Success. Request accepted for processing"})

        def _query(self, body: dict[str, Any]) -> None:
            prompt = next((p for p in daraja.prompts if p.checkout_request_id == body.get("CheckoutRequestID")), None)
            if prompt is None:
                return self._answer(400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid CheckoutRequestID"})
            if prompt.result is None:
                return self._answer(500, {"errorCode": "500.001.1001", "errorMessage": "The transaction is being processed"})
            return self._answer(200, {"ResponseCode": "0", "ResponseDescription": "The service request has been accepted successsfully",
                                      "MerchantRequestID": prompt.merchant_request_id, "CheckoutRequestID": prompt.checkout_request_id,
                                      "ResultCode": str(prompt.result), "ResultDesc": RESULTS.get(prompt.result, "Failed")})

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    daraja.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return daraja, server
