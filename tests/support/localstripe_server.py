"""localstripe 1.15, with the few things this project uses that it lacks, run as a subprocess.

localstripe is a stateful fake of the Stripe API. Three gaps are filled here,
each the way real Stripe behaves, so the application code stays exactly what
runs against real Stripe:

- PaymentIntents accept `transfer_group` (Connect's grouping of a charge and its
  transfers) and `description`; localstripe rejects parameters it does not know.
- Stripe.js's `confirmCardPayment(clientSecret, {payment_method: {card: element}})`
  confirms the PaymentIntent from the browser with the publishable key and the
  client secret. localstripe's script only performs the 3-D Secure step, so its
  served script gets a wrapper that first POSTs the card to
  `/v1/payment_intents/{id}/confirm`, which a middleware here answers.
- A refund sends `charge.refunded`, as Stripe does.

Usage: python tests/support/localstripe_server.py PORT
"""
from __future__ import annotations

import json
import re
import sys

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.webhooks import schedule_webhook

resources.store.dump_to_disk = lambda: None  # state lives in this process only

_payment_intent_init = resources.PaymentIntent.__init__


def _payment_intent_with_extras(self, *args, transfer_group=None, description=None, **kwargs):
    _payment_intent_init(self, *args, **kwargs)
    self.transfer_group = transfer_group
    self.description = description


resources.PaymentIntent.__init__ = _payment_intent_with_extras

_refund_init = resources.Refund.__init__


def _refund_announced(self, *args, **kwargs):
    _refund_init(self, *args, **kwargs)
    charge = resources.Charge._api_retrieve(self.charge)
    schedule_webhook(resources.Event("charge.refunded", charge))


resources.Refund.__init__ = _refund_announced

_CLIENT_CONFIRM = re.compile(r"^/v1/payment_intents/(pi_\w+)/confirm$")


@web.middleware
async def client_side_confirm(request, handler):
    match = _CLIENT_CONFIRM.match(request.path)
    if request.method != "POST" or not match:
        return await handler(request)
    data = json.loads(await request.text() or "{}")
    if not str(data.get("key", "")).startswith("pk_"):
        return await handler(request)  # a server-side confirm: localstripe's own route
    intent = resources.PaymentIntent._api_retrieve(match.group(1))
    if data.get("client_secret") != intent.client_secret:
        raise UserError(401, "Unauthorized")
    method = resources.PaymentMethod(**data["payment_method_data"])
    intent.payment_method = method.id
    intent.latest_charge = None  # a new card after a declined one is a new attempt, as on Stripe
    intent._confirm(on_failure_now=intent._report_failure)
    return server.json_response(intent._export())


_CONFIRM_FROM_ELEMENT = """
;(function () {
  const localStripe = Stripe;
  Stripe = (apiKey) => {
    const stripe = localStripe(apiKey);
    const authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async (clientSecret, data) => {
      const element = data && data.payment_method && data.payment_method.card;
      if (!element || !element.value) { return authenticate(clientSecret, data); }
      const pi = clientSecret.match(/^(pi_\\w+)_secret_/)[1];
      const card = element.value.card;
      const response = await fetch(`${LOCALSTRIPE_BASE_API}/v1/payment_intents/${pi}/confirm`, {
        method: 'POST',
        body: JSON.stringify({key: apiKey, client_secret: clientSecret, payment_method_data: {
          type: 'card', card: {number: card.number, exp_month: card.exp_month, exp_year: card.exp_year, cvc: card.cvc}}}),
      });
      const body = await response.json().catch(() => ({}));
      if (response.status !== 200 || body.error) { return {error: body.error}; }
      if (body.status === 'requires_action') { return authenticate(clientSecret, data); }
      return {paymentIntent: body};
    };
    return stripe;
  };
})();
"""


@web.middleware
async def extended_stripe_js(request, handler):
    response = await handler(request)
    if request.path == "/js.stripe.com/v3/":
        return web.Response(text=response.text + _CONFIRM_FROM_ELEMENT, content_type="application/javascript")
    return response


def main() -> None:
    port = int(sys.argv[1])
    # After localstripe's error middleware (which turns UserError into Stripe's error JSON),
    # before its authentication (which only knows the secret key for confirms).
    server.app.middlewares.insert(1, extended_stripe_js)
    server.app.middlewares.insert(2, client_side_confirm)
    web.run_app(server.app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
