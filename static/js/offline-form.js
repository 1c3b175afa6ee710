// Filing without a signal (egov.views.offline). Where JavaScript runs: a service worker keeps this
// page and its files on the phone; what is typed is kept in the browser as it is typed; "Send" puts
// the filled form, with an id made here, in a queue (IndexedDB, files included) that is sent one form
// at a time, with back-off, whenever the network is there. The server stores each id once, so a
// form sent twice (the answer was lost on the way) is one application. Questions that depend on an
// answer are shown or hidden as the server would judge them (egov.conditions). Without JavaScript the
// page is an ordinary form, posted at once.
(function () {
  "use strict";
  var form = document.querySelector("form[data-offline-form]");
  if (!form || !window.indexedDB || !window.fetch || !window.FormData || !window.Promise) { return; }
  var slug = form.getAttribute("data-slug");
  var TYPED = "vs-offline-typed:" + slug;
  var outbox = document.getElementById("outbox");
  var list = outbox.querySelector("[data-outbox-list]");
  var words = {};
  Array.prototype.forEach.call(document.getElementById("outbox-texts").content.querySelectorAll("[data-state]"), function (node) {
    words[node.getAttribute("data-state")] = node.textContent;
  });
  var draining = false;
  var retryTimer = null;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/services/offline-worker.js").catch(function () {});
  }

  // --- conditions, as egov.conditions judges them -------------------------------------------
  function answers() {
    var found = {};
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string") { value = value.name || ""; }
      (found[name] = found[name] || []).push(value);
    });
    return found;
  }
  function one(values) { return values && values.length ? values[0] : ""; }
  function number(text) { var n = Number(String(text).replace(",", ".")); return text === "" || isNaN(n) ? null : n; }
  function compare(left, op, right) {
    if (left === "" || left === null || left === undefined) { return op === "!="; }
    var isDate = /^\d{4}-\d{2}-\d{2}$/;
    var a = left, b = right;
    if (!(isDate.test(String(a)) && isDate.test(String(b)))) {
      var na = number(a), nb = number(b);
      if (na !== null && nb !== null) { a = na; b = nb; }
    }
    return { "=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b }[op];  // eslint-disable-line eqeqeq
  }
  function holds(c, v) {
    if (!c) { return true; }
    if (c.all) { return c.all.every(function (p) { return holds(p, v); }); }
    if (c.any) { return c.any.some(function (p) { return holds(p, v); }); }
    if (c.not) { return !holds(c.not, v); }
    if (c.length_of) { return compare(one(v[c.length_of]).length, c.compare, c.value); }
    if (c.count_of) { return compare((v[c.count_of] || []).filter(Boolean).length, c.compare, c.value); }
    var values = v[c.field] || [];
    if ("equals" in c) { return values.indexOf(String(c.equals)) !== -1 || (!values.length && c.equals === ""); }
    if ("in" in c) { return c["in"].map(String).indexOf(one(values)) !== -1; }
    if ("matches" in c) { return one(values) !== "" && new RegExp("^(?:" + c.matches + ")$").test(one(values)); }
    var wanted = c.today ? new Date().toISOString().slice(0, 10) : ("than" in c ? one(v[c.than]) : c.value);
    if ("than" in c && wanted === "") { return c.compare === "!="; }
    return compare(one(values), c.compare, wanted);
  }
  function reveal() {
    var v = answers();
    Array.prototype.forEach.call(form.querySelectorAll("[data-show-if]"), function (box) {
      var shown = holds(JSON.parse(box.getAttribute("data-show-if")), v);
      box.hidden = !shown;
      Array.prototype.forEach.call(box.querySelectorAll("input, select, textarea"), function (input) { input.disabled = !shown; });
    });
  }

  // --- what is typed stays on the phone until it is sent ------------------------------------
  function keepTyped() {
    var kept = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.type === "file" || input.type === "hidden") { return; }
      if ((input.type === "checkbox" || input.type === "radio") && !input.checked) { return; }
      (kept[input.name] = kept[input.name] || []).push(input.value);
    });
    try { localStorage.setItem(TYPED, JSON.stringify(kept)); } catch (e) { /* storage full or private mode */ }
  }
  function restoreTyped() {
    var kept;
    try { kept = JSON.parse(localStorage.getItem(TYPED) || "null"); } catch (e) { kept = null; }
    if (!kept) { return; }
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || !(input.name in kept) || input.type === "file" || input.type === "hidden") { return; }
      if (input.type === "checkbox" || input.type === "radio") { input.checked = kept[input.name].indexOf(input.value) !== -1; }
      else { input.value = kept[input.name][0]; }
    });
  }

  // --- the queue ----------------------------------------------------------------------------
  function database() {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open("village-square-outbox", 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("forms", { keyPath: "id" }); };
      opening.onsuccess = function () { resolve(opening.result); };
      opening.onerror = function () { reject(opening.error); };
    });
  }
  function store(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("forms", mode);
        var result = work(tx.objectStore("forms"));
        tx.oncomplete = function () { resolve(result && result.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function put(item) { return store("readwrite", function (s) { return s.put(item); }); }
  function all() {
    return store("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).filter(function (item) { return item.slug === slug; }).sort(function (a, b) { return a.at - b.at; });
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return "browser:" + crypto.randomUUID(); }
    return "browser:" + Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }

  function render() {
    return all().then(function (items) {
      outbox.hidden = !items.length;
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.setAttribute("data-outbox-item", item.state);
        var said = item.message || words[item.state] || words.waiting;
        if (item.state === "waiting" && !navigator.onLine) { said = words.waiting + " · " + words.offline; }
        li.appendChild(document.createTextNode(said));
        if (item.link) {
          var a = document.createElement("a");
          a.href = item.link;
          a.textContent = words.open;
          li.appendChild(document.createTextNode(" "));
          li.appendChild(a);
        }
        list.appendChild(li);
      });
    });
  }

  function freshToken() {
    // The page's own token may be hours old: ask for the page again, from the network.
    return fetch(form.action, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } }).then(function (res) {
      if (res.redirected && /\/login/.test(res.url)) { throw new Error("signin"); }
      return res.text();
    }).then(function (html) {
      var input = new DOMParser().parseFromString(html, "text/html").querySelector("input[name=csrf_token]");
      if (!input) { throw new Error("signin"); }
      return input.value;
    });
  }

  function later(item) {
    item.tries = (item.tries || 0) + 1;
    item.state = "waiting";
    return put(item).then(function () {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(drain, Math.min(300000, 5000 * Math.pow(2, item.tries - 1)));
    });
  }

  function send(item) {
    item.state = "sending";
    return put(item).then(render).then(freshToken).then(function (token) {
      var body = new FormData();
      item.entries.forEach(function (entry) {
        if (entry[2]) { body.append(entry[0], entry[1], entry[2]); } else { body.append(entry[0], entry[1]); }
      });
      return fetch(item.action, { method: "POST", body: body, credentials: "same-origin",
                                  headers: { Accept: "application/json", "X-CSRFToken": token } });
    }).then(function (res) {
      if (res.status >= 500 || res.status === 429) { return later(item).then(function () { return false; }); }
      return res.json().then(function (answer) {
        item.state = answer.state;
        item.message = answer.message;
        item.link = answer.link || null;
        item.entries = [];  // sent: the answers and photos leave the phone
        return put(item).then(function () { return true; });
      });
    }, function (problem) {
      if (problem && problem.message === "signin") {
        item.state = "waiting";
        item.message = words.signin;
        return put(item).then(function () { return false; });
      }
      return later(item).then(function () { return false; });
    });
  }

  function drain() {
    if (draining) { return Promise.resolve(); }
    draining = true;
    return all().then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting" || item.state === "sending"; });
      if (!navigator.onLine) { return; }
      return waiting.reduce(function (chain, item) {
        return chain.then(function (goOn) { return goOn ? send(item) : false; });
      }, Promise.resolve(true));
    }).catch(function () {}).then(function () { draining = false; return render(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button.disabled) { return; }
    button.disabled = true;
    var data = new FormData(form);
    data.set("instance_id", newId());
    var entries = [];
    data.forEach(function (value, name) {
      if (typeof value === "string") { entries.push([name, value]); }
      else if (value.size) { entries.push([name, value, value.name]); }
    });
    var item = { id: data.get("instance_id"), slug: slug, action: form.action, entries: entries, state: "waiting", tries: 0, at: Date.now() };
    put(item).then(function () {
      try { localStorage.removeItem(TYPED); } catch (e) { /* nothing kept */ }
      form.reset();
      reveal();
      window.scrollTo(0, 0);
      return render();
    }).then(drain).catch(function () {
      form.submit();  // no storage on this browser: send it as a page, as without JavaScript
    }).then(function () { button.disabled = false; });
  });
  form.addEventListener("input", function () { reveal(); keepTyped(); });
  form.addEventListener("change", function () { reveal(); keepTyped(); });
  window.addEventListener("online", drain);
  window.addEventListener("offline", render);

  restoreTyped();
  reveal();
  render().then(drain);
}());
