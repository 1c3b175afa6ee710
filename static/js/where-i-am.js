// "Add where I am" on the report form: where the phone can say where it is (the Geolocation API),
// one tap puts the exact place in the form's hidden latitude and longitude. Without JavaScript, or if
// the person says no, the village they chose places the report as before.
(function () {
  "use strict";
  var box = document.querySelector("[data-where-i-am]");
  if (!box || !navigator.geolocation) { return; }
  var form = box.closest("form");
  var said = box.querySelector("[data-where-i-am-said]");
  var words = {};
  Array.prototype.forEach.call(box.querySelector("template").content.querySelectorAll("[data-said]"), function (node) {
    words[node.getAttribute("data-said")] = node.textContent;
  });
  box.hidden = false;
  box.querySelector("button").addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector("input[name=latitude]").value = position.coords.latitude.toFixed(6);
      form.querySelector("input[name=longitude]").value = position.coords.longitude.toFixed(6);
      said.textContent = words.added;
    }, function () { said.textContent = words.refused; }, { enableHighAccuracy: true, timeout: 15000 });
  });
}());
