// Card payment with Stripe.js: the card field is Stripe's, the card number never reaches our server.
// The page after payment asks Stripe itself whether it was paid; this script only says where to go.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var data = form.dataset;
  var stripe = Stripe(data.publishableKey);
  var card = stripe.elements({locale: data.locale}).create("card", {hidePostalCode: true});
  card.mount("#card-element");
  var message = document.getElementById("card-message");
  var button = form.querySelector("button[type=submit]");

  function explain(error) {
    var code = (error && (error.decline_code || error.code)) || "";
    if (code === "payment_intent_authentication_failure") { return data.msgAuthentication; }
    if (code === "card_declined" || code === "insufficient_funds" || code === "generic_decline") { return data.msgDeclined; }
    if (code === "expired_card") { return data.msgExpired; }
    if (code === "incorrect_cvc" || code === "invalid_cvc") { return data.msgCvc; }
    if (code === "incorrect_number" || code === "invalid_number") { return data.msgNumber; }
    return data.msgGeneric;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    message.className = "notice";
    message.textContent = data.msgWorking;
    stripe.confirmCardPayment(data.clientSecret, {payment_method: {card: card}}).then(function (result) {
      if (result.error) {
        message.className = "error-message";
        message.textContent = explain(result.error);
        message.focus();
        button.disabled = false;
        return;
      }
      window.location.assign(data.returnUrl);
    });
  });
  form.hidden = false;
  document.getElementById("card-needs-js").hidden = true;
})();
