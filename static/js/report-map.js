// The report form's exact place, where JavaScript runs: a pin on a map (Leaflet, loaded only when
// the person opens the map, so the form stays light on 3G) or "Add where I am" (the Geolocation API).
// Either fills the form's hidden latitude and longitude and picks the nearest village from the
// gazetteer (/places/villages.geojson); the server checks both again (voice.services.file_report).
// Without JavaScript the box stays hidden and the village alone places the report.
(function () {
  "use strict";
  var box = document.querySelector("[data-place-picker]");
  if (!box) { return; }
  var form = box.closest("form");
  var latitudeInput = form.querySelector("input[name=latitude]");
  var longitudeInput = form.querySelector("input[name=longitude]");
  var villageSelect = form.querySelector("select[name=village_id]");
  var said = box.querySelector("[data-place-said]");
  var mapBox = box.querySelector("[data-place-map]");
  var clearButton = box.querySelector("[data-place-clear]");
  var whereButton = box.querySelector("[data-place-where-i-am]");
  var mapButton = box.querySelector("[data-place-open-map]");
  var RADIUS_KM = 10;  // voice.services: a pin further than this from every village places nothing
  var words = {};
  Array.prototype.forEach.call(box.querySelector("template").content.querySelectorAll("[data-said]"), function (node) {
    words[node.getAttribute("data-said")] = node.textContent;
  });
  var villages = null;  // [{id, name, lat, lon}] once fetched
  var map = null;
  var pin = null;

  function say(key, village) {
    // the village's name goes in a <bdi>, so a Latin name keeps its place in an Arabic sentence
    var parts = (words[key] || "").split("{village}");
    said.textContent = parts[0];
    if (parts.length > 1) {
      var name = document.createElement("bdi");
      name.textContent = village || "";
      said.appendChild(name);
      said.appendChild(document.createTextNode(parts.slice(1).join("")));
    }
  }

  function loadVillages() {
    if (villages) { return Promise.resolve(villages); }
    return fetch(box.getAttribute("data-villages"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        villages = collection.features.map(function (feature) {
          return { id: String(feature.id), name: feature.properties.name,
                   lat: feature.geometry.coordinates[1], lon: feature.geometry.coordinates[0] };
        });
        return villages;
      });
  }

  function kilometres(lat1, lon1, lat2, lon2) {  // great circle: close enough to choose a village
    var rad = Math.PI / 180;
    var a = Math.pow(Math.sin((lat2 - lat1) * rad / 2), 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin((lon2 - lon1) * rad / 2), 2);
    return 12742 * Math.asin(Math.sqrt(a));
  }

  function nearest(lat, lon) {
    var best = null;
    (villages || []).forEach(function (village) {
      var km = kilometres(lat, lon, village.lat, village.lon);
      if (km <= RADIUS_KM && (!best || km < best.km)) { best = { village: village, km: km }; }
    });
    return best;
  }

  function place(lat, lon, key) {
    latitudeInput.value = lat.toFixed(6);
    longitudeInput.value = lon.toFixed(6);
    clearButton.hidden = false;
    if (map) {
      if (!pin) {
        pin = window.L.marker([lat, lon], { draggable: true, keyboard: true }).addTo(map);
        pin.on("dragend", function () { var at = pin.getLatLng(); place(at.lat, at.lng, "pinned"); });
      } else {
        pin.setLatLng([lat, lon]);
      }
    }
    loadVillages().then(function () {
      var found = nearest(lat, lon);
      if (found && villageSelect) { villageSelect.value = found.village.id; }
      if (key === "added") { say("added"); } else { say(found ? "pinned" : "far", found ? found.village.name : ""); }
    }, function () { say(key === "added" ? "added" : "pinned", ""); });
  }

  function loadLeaflet() {
    if (window.L) { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = box.getAttribute("data-leaflet-css");
      document.head.appendChild(css);
      var script = document.createElement("script");
      script.src = box.getAttribute("data-leaflet-js");
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function centre() {
    if (latitudeInput.value && longitudeInput.value) {
      return { at: [parseFloat(latitudeInput.value), parseFloat(longitudeInput.value)], zoom: 16 };
    }
    var chosen = villageSelect && villages.filter(function (v) { return v.id === villageSelect.value; })[0];
    if (chosen) { return { at: [chosen.lat, chosen.lon], zoom: 14 }; }
    return null;
  }

  function openMap() {
    mapButton.disabled = true;
    Promise.all([loadLeaflet(), loadVillages()]).then(function () {
      var L = window.L;
      mapBox.hidden = false;
      map = L.map(mapBox, { tap: true });
      L.tileLayer(box.getAttribute("data-tiles"), { maxZoom: 19, attribution: box.getAttribute("data-attribution") }).addTo(map);
      var start = centre();
      if (start) {
        map.setView(start.at, start.zoom);
      } else if (villages.length) {
        map.fitBounds(villages.map(function (v) { return [v.lat, v.lon]; }), { padding: [20, 20] });
      } else {
        map.setView([0, 0], 2);
      }
      if (latitudeInput.value && longitudeInput.value) {
        place(parseFloat(latitudeInput.value), parseFloat(longitudeInput.value), "pinned");
      } else {
        say("tap");
      }
      map.on("click", function (event) { place(event.latlng.lat, event.latlng.lng, "pinned"); });
      mapButton.hidden = true;
    }, function () {
      mapButton.disabled = false;
      say("no-map");
    });
  }

  box.hidden = false;
  if (latitudeInput.value) { clearButton.hidden = false; }
  if (mapButton) { mapButton.addEventListener("click", openMap); }
  if (!navigator.geolocation) {
    whereButton.hidden = true;
  } else {
    whereButton.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        place(position.coords.latitude, position.coords.longitude, "added");
        if (map) { map.setView([position.coords.latitude, position.coords.longitude], 16); }
      }, function () { say("refused"); }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
  clearButton.addEventListener("click", function () {
    latitudeInput.value = "";
    longitudeInput.value = "";
    if (pin) { map.removeLayer(pin); pin = null; }
    clearButton.hidden = true;
    say("cleared");
  });
  if (villageSelect) {
    villageSelect.addEventListener("change", function () {
      if (!map || !villages) { return; }
      var chosen = villages.filter(function (v) { return v.id === villageSelect.value; })[0];
      if (chosen && !latitudeInput.value) { map.setView([chosen.lat, chosen.lon], 14); }
    });
  }
}());
