// The listing form's price hint and the price as buyers will see it follow what the farmer chooses
// and types, read by the server's own rule (so "1,000" shows as the thousand it will be saved as).
// Without JavaScript both are shown with the page when it comes back.
(function () {
  "use strict";
  var hint = document.getElementById("price-hint");
  var preview = document.getElementById("price-preview");
  if (!hint || !window.fetch) { return; }
  var fields = ["category_id", "unit", "village_id", "price"].map(function (id) { return document.getElementById(id); });
  if (fields.some(function (f) { return !f; })) { return; }
  var timer = null;
  var asked = 0;
  function update() {
    var params = new URLSearchParams({ category: fields[0].value, unit: fields[1].value, village: fields[2].value, price: fields[3].value });
    var ticket = ++asked;
    fetch(hint.getAttribute("data-url") + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && ticket === asked) {
          hint.textContent = data.hint;
          if (preview) { preview.textContent = data.preview; }
        }
      })
      .catch(function () { /* a slow or lost connection leaves the last hint in place */ });
  }
  fields.forEach(function (field) {
    field.addEventListener(field.tagName === "SELECT" ? "change" : "input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 400);
    });
  });
}());
