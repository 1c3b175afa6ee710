// The listing form's price hint follows what the farmer chooses and types. Without JavaScript the
// hint shown with the page (for the category, unit and village already chosen) stays as it is.
(function () {
  "use strict";
  var hint = document.getElementById("price-hint");
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
      .then(function (data) { if (data && ticket === asked) { hint.textContent = data.hint; } })
      .catch(function () { /* a slow or lost connection leaves the last hint in place */ });
  }
  fields.forEach(function (field) {
    field.addEventListener(field.tagName === "SELECT" ? "change" : "input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 400);
    });
  });
}());
