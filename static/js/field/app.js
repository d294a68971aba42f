// Field mode's page (/field/): prepare a trip, unlock with the PIN, the cases taken along with
// their follow-up form, the community activity form, the pending work, sync and the end of the
// trip (docs/field-mode.md). The key lives in this page's memory only; everything stored is
// encrypted (store.js). Needs crypto.js, store.js and activity.js first. Plain JavaScript, no
// library.
(function () {
  "use strict";
  var root = document.getElementById("field-app");
  if (!root) { return; }
  var store = window.WarmiField.store;
  var forms = window.WarmiField.forms;
  var activity = window.WarmiField.activity;  // absent from a page cached before it existed
  var cfg = root.dataset;
  var user = cfg.user;
  var view = document.getElementById("field-view");
  var IDLE_MS = 10 * 60 * 1000;
  var MAX_CASES = 200;
  var BATCH = 100;
  var key = null;
  var syncing = null;
  var retryLater = null;  // the timer of a sync for items the server asked to send later
  var lastActivity = Date.now();
  var geography = null;  // the promise of the trip's places, read once per page
  var words = {};
  document.querySelectorAll("#field-strings [data-s]").forEach(function (el) {
    words[el.getAttribute("data-s")] = el.textContent.trim();
  });

  function t(name, values) {
    return (words[name] || name).replace(/\{(\w+)\}/g, function (whole, part) {
      return values && part in values ? values[part] : whole;
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function show(templateId) {
    view.replaceChildren(document.getElementById(templateId).content.cloneNode(true));
    return view;
  }

  function message(text) { document.getElementById("field-message").textContent = text || ""; }

  function alertBox(content, level) {
    var box = document.getElementById("field-alert");
    box.replaceChildren();
    if (!content) { return; }
    var inner = el("div", "alert alert-" + (level || "danger"));
    if (typeof content === "string") { inner.textContent = content; } else { inner.append(content); }
    box.append(inner);
  }

  function when(iso) {
    if (!iso) { return ""; }
    var date = new Date(iso);
    if (isNaN(date)) { return iso; }
    // Day and 24-hour time: Spanish 12-hour times end in "a. m.", which a sentence's stop doubles.
    return date.toLocaleString(document.documentElement.lang || "es-PE", {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hour12: false
    });
  }

  function size(bytes) {
    if (bytes < 1024) { return bytes + " B"; }
    if (bytes < 1024 * 1024) { return (bytes / 1024).toFixed(1) + " kB"; }
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function updateCount() {
    return store.pendingCount().then(function (count) {
      document.querySelector("[data-testid='field-pending-count']").textContent = String(count);
      return count;
    });
  }

  function connection() {
    root.querySelector("[data-role='connection']").textContent =
      navigator.onLine ? t("online") : t("offline");
  }

  // --- server --------------------------------------------------------------------------
  function SessionExpired(loginUrl) { this.loginUrl = loginUrl || cfg.loginUrl; }

  function sessionExpired(error) {
    var box = el("span", "", t("sessionExpired") + " ");
    var link = el("a", "alert-link", t("loginAgain"));
    link.href = error.loginUrl || cfg.loginUrl;
    box.append(link);
    alertBox(box, "warning");
  }

  // One more try after a server error (a busy server, a proxy's hiccup): every call here is
  // safe to repeat, the sync included (the server stores an item's id once).
  function request(url, options) {
    return fetch(url, options).then(function (response) {
      if (response.status < 500) { return response; }
      return new Promise(function (resolve) { window.setTimeout(resolve, 1000); })
        .then(function () { return fetch(url, options); });
    });
  }

  function getJson(url) {
    return request(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(answer);
  }

  function answer(response) {
    if (response.status === 401) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        throw new SessionExpired(body.login_url);
      });
    }
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    return response.json();
  }

  function postJson(url, token, body) {
    return request(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
        "X-CSRFToken": token },
      body: JSON.stringify(body)
    }).then(answer);
  }

  function csrfToken() { return getJson(cfg.csrfUrl).then(function (body) { return body.csrfToken; }); }

  // --- service worker and cache ------------------------------------------------------------
  function registerWorker() {
    if (!("serviceWorker" in navigator)) { return Promise.resolve(); }
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }

  // Keep what the trip needs offline: pages without case data, the places, the static files.
  function warmCache() {
    var urls = [cfg.fieldUrl, cfg.intakeUrl, cfg.geographyUrl].concat(
      cfg.static.split(/\s+/).filter(Boolean));
    var services = JSON.parse(cfg.services || "[]");
    if (services.length > 1) {
      services.forEach(function (s) { urls.push(cfg.intakeUrl + "?service=" + encodeURIComponent(s.code)); });
    }
    var total = 0;
    // One at a time: gentler on a rural link (and on the server) than a burst of requests.
    return registerWorker().then(function () { return caches.open(store.CACHE); }).then(function (cache) {
      return urls.reduce(function (previous, url) {
        return previous.then(function () {
          return fetch(url, { credentials: "same-origin" });
        }).then(function (response) {
          if (!response.ok || response.redirected) { throw new Error("cache " + url); }
          return response.clone().blob().then(function (blob) {
            total += blob.size;
            return cache.put(url, response);
          });
        });
      }, Promise.resolve());
    }).then(function () { return total; });
  }

  // --- 1. prepare ------------------------------------------------------------------------------
  function showSetup() {
    key = null;
    show("tpl-setup");
    var form = view.querySelector("[data-role='setup']");
    var choices = form.querySelector("[data-role='choices']");
    var chosen = form.querySelector("[data-role='chosen']");
    if (!navigator.onLine) {
      form.hidden = true;
      message(t("offlineSetup"));
      return Promise.resolve();
    }
    function count() {
      var boxes = choices.querySelectorAll("input[type=checkbox]");
      var marked = choices.querySelectorAll("input:checked").length;
      boxes.forEach(function (box) { box.disabled = !box.checked && marked >= MAX_CASES; });
      chosen.textContent = t("chosen", { count: marked });
    }
    choices.addEventListener("change", count);
    // The PIN and "Preparar salida" may come in either order: a PIN confirmed with
    // `field-pin-submit` waits for the prepare button, and a prepare without a PIN waits for it.
    var chosenPin = null;
    var wantsPrepare = false;
    function pinTyped() {
      var pin = form.elements.pin.value;
      if (!/^[0-9]{4,}$/.test(pin)) { alertBox(t("pinShort")); form.elements.pin.focus(); return null; }
      var again = form.elements.pin_confirm.value;
      if (again && pin !== again) {
        alertBox(t("pinMismatch")); form.elements.pin_confirm.focus(); return null;
      }
      return pin;
    }
    function go() {
      var codes = Array.prototype.map.call(choices.querySelectorAll("input:checked"),
        function (box) { return box.value; });
      if (codes.length > MAX_CASES) { alertBox(t("tooMany")); return; }
      prepare(chosenPin, codes, form);
    }
    form.querySelector("[data-testid='field-pin-submit']").addEventListener("click", function () {
      var pin = pinTyped();
      if (pin === null) { return; }
      chosenPin = pin;
      alertBox(null);
      message(t("pinChosen"));
      if (wantsPrepare) { go(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.elements.pin.value) {
        var pin = pinTyped();
        if (pin === null) { return; }
        chosenPin = pin;
      }
      if (chosenPin === null) {
        wantsPrepare = true;
        message(t("pinFirst"));
        form.elements.pin.focus();
        return;
      }
      go();
    });
    return getJson(cfg.openCasesUrl).then(function (body) {
      if (!body.cases.length) { chosen.textContent = t("noOpenCases"); }
      body.cases.forEach(function (c, index) {
        var line = el("div", "form-check");
        var box = el("input", "form-check-input");
        box.type = "checkbox";
        box.value = c.code;
        box.id = "field-take-" + index;
        var label = el("label", "form-check-label",
          [c.code, c.intake_date, c.risk, c.status].filter(Boolean).join(" · "));
        label.htmlFor = box.id;
        line.append(box, label);
        choices.append(line);
      });
      if (body.cases.length) { count(); }
    }).catch(function (error) {
      if (error instanceof SessionExpired) { sessionExpired(error); } else { alertBox(t("loadFailed")); }
    });
  }

  function prepare(pin, codes, form) {
    var button = form.querySelector("[data-testid='field-prepare']");
    button.disabled = true;
    alertBox(null);
    message(t("preparing"));
    var pack;
    var packBytes;
    return csrfToken().then(function (token) {
      return store.setUp(pin, user).then(function (derived) {
        key = derived;
        // No case taken along is a trip all the same: its services and the activity types.
        return postJson(cfg.packageUrl, token, { cases: codes });
      });
    }).then(function (body) {
      pack = body;
      return store.put(key, { id: "package", kind: "package", status: null }, pack);
    }).then(function (bytes) {
      packBytes = bytes;
      return warmCache();
    }).then(function (cached) {
      return store.updateMeta(function (meta) {
        meta.cases = (pack.cases || []).length;
        meta.bytes = packBytes + cached;
        meta.prepared_at = pack.prepared_at || new Date().toISOString();
      });
    }).then(function () {
      lastActivity = Date.now();
      return showUnlocked();
    }).catch(function (error) {
      key = null;
      return store.wipe().then(function () {
        button.disabled = false;
        message("");
        if (error instanceof SessionExpired) { sessionExpired(error); } else { alertBox(t("prepareFailed")); }
      });
    });
  }

  function preparedText(meta) {
    return t("prepared", { when: when(meta.prepared_at), cases: meta.cases || 0,
      size: size(meta.bytes || 0) });
  }

  // --- 2. locked ---------------------------------------------------------------------------------
  function warning(failures) {
    var left = store.MAX_FAILURES - failures;
    return failures >= 3 ? t("wipeWarning", { left: left }) : "";
  }

  function showLocked(note) {
    key = null;
    show("tpl-locked");
    var form = view.querySelector("[data-role='unlock']");
    var warn = form.querySelector("[data-role='warning']");
    function setWarning(text) {
      warn.replaceChildren();
      if (text) { warn.append(el("p", "alert alert-danger", text)); }
    }
    message(note || "");
    store.getMeta().then(function (meta) {
      if (meta) {
        view.querySelector("[data-role='prepared']").textContent = preparedText(meta);
        setWarning(warning(meta.failures || 0));
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = form.elements.pin;
      var button = form.querySelector("[data-testid='field-pin-submit']");
      button.disabled = true;
      store.unlock(input.value).then(function (result) {
        input.value = "";
        button.disabled = false;
        if (result.key) {
          key = result.key;
          lastActivity = Date.now();
          alertBox(null);
          return showUnlocked().then(function () { if (navigator.onLine) { return sync(); } });
        }
        if (result.wiped) {
          updateCount();
          alertBox(t("wiped"));
          return showSetup();
        }
        alertBox(t("wrongPin"));
        setWarning(warning(result.failures));
        input.focus();
      });
    });
    form.elements.pin.focus();
  }

  // --- 3. unlocked ---------------------------------------------------------------------------------
  function today() {
    var now = new Date();
    return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  // A copy of a server-rendered form whose ids are unique on the page.
  function cloneForm(templateId, target, suffix) {
    var content = document.getElementById(templateId).content.cloneNode(true);
    content.querySelectorAll("[id]").forEach(function (node) { node.id = node.id + "-" + suffix; });
    content.querySelectorAll("label[for]").forEach(function (node) {
      node.htmlFor = node.htmlFor + "-" + suffix;
    });
    content.querySelectorAll("[aria-describedby]").forEach(function (node) {
      node.setAttribute("aria-describedby", node.getAttribute("aria-describedby").split(" ")
        .map(function (id) { return id + "-" + suffix; }).join(" "));
    });
    target.replaceChildren(content);
    return target;
  }

  function dateLimits(form, intakeDate) {
    var date = form.querySelector("[name='date']");
    if (date) {
      date.max = today();
      if (intakeDate) { date.min = intakeDate; }
    }
  }

  function showUnlocked() {
    show("tpl-unlocked");
    var panel = view;
    panel.querySelector("[data-role='sync']").addEventListener("click", function () { sync(); });
    panel.querySelector("[data-role='lock']").addEventListener("click", function () { showLocked(); });
    panel.querySelector("[data-role='end']").addEventListener("click", endTrip);
    return Promise.all([store.getMeta(), store.readAll(key)]).then(function (both) {
      var meta = both[0];
      var records = both[1];
      panel.querySelector("[data-role='prepared']").textContent = preparedText(meta);
      var pack = records.filter(function (r) { return r.kind === "package"; })[0] || { cases: [] };
      renderActivityForm(pack, panel.querySelector("[data-role='activity-form']"));
      renderCases(pack.cases || [], panel.querySelector("[data-role='cases']"));
      renderItems(records);
      return updateCount();
    });
  }

  function renderCases(cases, target) {
    cases.forEach(function (c, index) {
      var card = document.getElementById("tpl-case").content.cloneNode(true).firstElementChild;
      ["code", "victim_name", "intake_date", "status", "risk", "violence_type", "residence"]
        .forEach(function (name) { card.querySelector("[data-f='" + name + "']").textContent = c[name] || "—"; });
      var actions = card.querySelector("[data-f='actions']");
      (c.actions || []).forEach(function (a) {
        actions.append(el("li", "", [a.date, a.kind].filter(Boolean).join(" · ")));
      });
      if (!(c.actions || []).length) { actions.append(el("li", "", t("noActions"))); }
      card.setAttribute("data-case", c.code);

      var actionForm = cloneForm("tpl-action-form", card.querySelector("[data-role='action-form']"),
        "c" + index);
      dateLimits(actionForm, c.intake_date);
      actionForm.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!actionForm.reportValidity()) { return; }
        saveItem({ type: "action", case: c.code, data: forms.values(actionForm) }).then(function () {
          actionForm.reset();
          actionForm.closest("details").open = false;
        });
      });

      var editForm = cloneForm("tpl-edit-form", card.querySelector("[data-role='edit-form']"),
        "e" + index);
      forms.fill(editForm, { risk_level: c.risk_level });
      editForm.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!editForm.reportValidity()) { return; }
        saveItem({ type: "edit", case: c.code, base_version: c.version,
          data: forms.values(editForm) }).then(function () {
          editForm.closest("details").open = false;
        });
      });
      target.append(card);
    });
  }

  // The places of her services' regions, as the trip cached them (Cache Storage, public data):
  // the cached copy first, so that it is there without signal; else the network. null if neither.
  function places() {
    if (geography) { return geography; }
    var cached = window.caches
      ? caches.match(cfg.geographyUrl, { cacheName: store.CACHE, ignoreVary: true })
      : Promise.resolve(null);
    geography = cached.then(function (response) {
      return response ? response.json() : getJson(cfg.geographyUrl);
    }).catch(function () { return null; }).then(function (found) {
      if (!found) { geography = null; }  // try again next time
      return found;
    });
    return geography;
  }

  function packageOf(records) {
    return records.filter(function (r) { return r.kind === "package"; })[0] || {};
  }

  // A copy of the activity form, wired to the trip's services, types and places.
  function activityForm(pack, target, suffix) {
    cloneForm("tpl-activity-form", target, suffix);
    return places().then(function (found) {
      if (!found) {
        target.insertBefore(el("p", "alert alert-warning", t("placesMissing")), target.firstChild);
      }
      return activity.setUp(target, { services: pack.services || [], types: pack.activity_types,
        places: found, today: today() });
    });
  }

  // The community activity form, built when she opens it (the places may be many).
  function renderActivityForm(pack, target) {
    if (!target) { return; }
    var details = target.closest("details");
    if (!activity) { details.hidden = true; return; }
    var built = null;
    function build() {
      if (built) { return built; }
      built = activityForm(pack, target, "a").then(function (wired) {
        target.addEventListener("submit", function (event) {
          event.preventDefault();
          if (!target.reportValidity()) { return; }
          var data = forms.values(target);
          var service = data.service;
          delete data.service;
          saveItem({ type: "activity", service: service, data: data }).then(function () {
            wired.reset();
            details.open = false;
          });
        });
        target.setAttribute("data-ready", "1");
        return wired;
      });
      return built;
    }
    details.addEventListener("toggle", function () { if (details.open) { build(); } });
  }

  function saveItem(item) {
    item.id = item.id || crypto.randomUUID();
    item.captured_at = item.captured_at || new Date().toISOString();
    return putItem(item, "pending").then(function () {
      message(t("savedOnDevice"));
      return refreshItems();
    }).then(function () { if (navigator.onLine) { return sync(); } });
  }

  function putItem(item, status) {
    var secret = {};
    Object.keys(item).forEach(function (name) {
      if (["id", "kind", "status"].indexOf(name) === -1) { secret[name] = item[name]; }
    });
    return store.put(key, { id: item.id, kind: "item", status: status }, secret);
  }

  function refreshItems() {
    if (!key) { return updateCount(); }
    return store.readAll(key).then(function (records) {
      renderItems(records);
      return updateCount();
    });
  }

  function badge(status) {
    var colours = { pending: "secondary", sent: "success", refused: "danger", conflict: "warning" };
    return el("span", "badge text-bg-" + (colours[status] || "secondary") + " ms-2", t(status));
  }

  function activityLabel(pack, code) {
    var kind = (pack.activity_types || []).filter(function (k) { return k.code === code; })[0];
    return kind ? kind.label : code || "";
  }

  function title(item, pack) {
    if (item.type === "case") { return t("caseItem", { number: item.provisional || "" }); }
    if (item.type === "activity") {
      var data = item.data || {};
      return t("activityItem", { type: activityLabel(pack, data.type), date: data.date || "" });
    }
    if (item.type === "action") { return t("actionItem", { case: item.case }); }
    return t("editItem", { case: item.case });
  }

  function renderItems(records) {
    var list = view.querySelector("[data-role='items']");
    if (!list) { return; }
    var items = records.filter(function (r) { return r.kind === "item"; });
    var pack = packageOf(records);
    items.sort(function (a, b) { return (a.captured_at || "").localeCompare(b.captured_at || ""); });
    view.querySelector("[data-role='no-items']").hidden = items.length > 0;
    list.replaceChildren();
    items.forEach(function (item, index) {
      var li = el("li", "list-group-item");
      li.setAttribute("data-item", item.id);
      li.setAttribute("data-status", item.status);
      li.setAttribute("data-type", item.type);
      var head = el("div", "fw-semibold", title(item, pack));
      head.append(badge(item.status));
      li.append(head, el("div", "small text-body-secondary", t("captured", { when: when(item.captured_at) })));
      if (item.status === "sent" && item.result && item.result.code) {
        var done = el("div", "small");
        var link = el("a", "tap", t("registeredAs", { code: item.result.code }));
        link.href = item.result.url || "#";
        done.append(link);
        li.append(done);
      }
      if (item.status === "pending" && item.errors) { li.append(reasonList(item.errors)); }
      if (item.status === "refused") { li.append(refusedPart(item, index, pack)); }
      if (item.status === "conflict") { li.append(conflictPart(item)); }
      list.append(li);
    });
  }

  function reasonList(errors) {
    var reasons = el("ul", "text-danger small mb-2");
    Object.keys(errors || {}).forEach(function (name) {
      [].concat(errors[name]).forEach(function (text) { reasons.append(el("li", "", text)); });
    });
    return reasons;
  }

  // Send a corrected item again (its id kept: the server has stored nothing under it).
  function resend(item) {
    delete item.errors;
    return putItem(item, "pending").then(refreshItems).then(function () {
      if (navigator.onLine) { return sync(); }
    });
  }

  // A refused activity, in its form again, with the server's reasons next to the fields.
  function refusedActivity(item, index, pack, box) {
    var form = el("form", "border rounded p-2");
    form.noValidate = true;
    form.setAttribute("data-testid", "field-activity-correct");
    box.append(form);
    activityForm(pack, form, "r" + index).then(function (wired) {
      wired.fill(item.service, item.data);
      forms.showErrors(form, item.errors);
      form.querySelector("button[type=submit]").textContent = t("resend");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!form.reportValidity()) { return; }
        var data = forms.values(form);
        item.service = data.service;
        delete data.service;
        item.data = data;
        resend(item);
      });
    });
    return box;
  }

  function refusedPart(item, index, pack) {
    var box = el("div", "mt-2");
    box.append(reasonList(item.errors));
    if (item.type === "activity" && activity) { return refusedActivity(item, index, pack, box); }
    if (item.type === "case") {
      var link = el("a", "btn btn-outline-primary btn-sm", t("correct"));
      link.href = cfg.intakeUrl + "#field-item=" + item.id;
      box.append(link);
      return box;
    }
    var form = el("form", "border rounded p-2");
    form.noValidate = true;
    cloneForm(item.type === "action" ? "tpl-action-form" : "tpl-edit-form", form, "r" + index);
    forms.fill(form, item.data);
    forms.showErrors(form, item.errors);
    var submit = form.querySelector("button[type=submit]");
    submit.textContent = t("resend");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity()) { return; }
      item.data = forms.values(form);
      resend(item);
    });
    box.append(form);
    return box;
  }

  function optionLabel(name, value) {
    var select = document.getElementById("tpl-edit-form").content.querySelector("[name='" + name + "']");
    if (select && select.options) {
      var option = Array.prototype.filter.call(select.options, function (o) { return o.value === String(value); })[0];
      if (option) { return option.textContent; }
    }
    return value === undefined || value === null ? "—" : String(value);
  }

  function conflictPart(item) {
    var box = el("div", "mt-2");
    box.append(el("p", "small mb-1", t("conflictText")));
    var table = el("table", "table table-sm small");
    var head = el("tr");
    [t("field"), t("yours"), t("theirs")].forEach(function (text) { head.append(el("th", "", text)); });
    var thead = el("thead");
    thead.append(head);
    var body = el("tbody");
    var fields = (item.current && item.current.fields) || {};
    Object.keys(item.data || {}).forEach(function (name) {
      var theirs = fields[name] || {};
      var row = el("tr");
      row.append(el("th", "", theirs.label || name),
        el("td", "", optionLabel(name, item.data[name])),
        el("td", "", theirs.display || (theirs.value === undefined ? "—" : String(theirs.value))));
      body.append(row);
    });
    table.append(thead, body);
    var mine = el("button", "btn btn-primary btn-sm me-2", t("keepMine"));
    mine.type = "button";
    mine.addEventListener("click", function () {
      item.base_version = item.current.version;
      delete item.current;
      putItem(item, "pending").then(refreshItems).then(function () {
        if (navigator.onLine) { return sync(); }
      });
    });
    var theirsButton = el("button", "btn btn-outline-secondary btn-sm", t("keepServer"));
    theirsButton.type = "button";
    theirsButton.addEventListener("click", function () {
      store.remove(item.id).then(refreshItems);
    });
    box.append(table, mine, theirsButton);
    return box;
  }

  // --- sync -------------------------------------------------------------------------------------------
  function wire(item) {
    var sent = { id: item.id, type: item.type, captured_at: item.captured_at, data: item.data };
    if (item.service) { sent.service = item.service; }
    if (item.case) { sent.case = item.case; }
    if (item.base_version !== undefined) { sent.base_version = item.base_version; }
    return sent;
  }

  // `deferred`: the items of this sync the server asked to send again later (`retry_after`: too
  // many document checks for now, nothing wrong in the item). They stay pending with the reason,
  // are not sent again in this sync, and a sync runs again when the server said it may.
  function apply(item, reply, deferred) {
    if (reply.status === "refused" && reply.retry_after) {
      item.errors = reply.errors || {};
      deferred.ids[item.id] = true;
      deferred.after = Math.max(deferred.after, Number(reply.retry_after) || 0);
      return putItem(item, "pending");
    }
    if (reply.status === "accepted") {
      item.result = reply.result || {};
      delete item.errors;
      delete item.current;
      return putItem(item, "sent");
    }
    if (reply.status === "conflict") {
      item.current = reply.current;
      return putItem(item, "conflict");
    }
    var missing = item.service ? t("notFoundService") : t("notFound");
    item.errors = reply.status === "refused" ? reply.errors || {} : { __all__: [missing] };
    return putItem(item, "refused");
  }

  // Send the pending items, 100 at a time; each is marked sent only when the server accepts it.
  function sync() {
    if (syncing) { return syncing; }
    if (!key) { return Promise.resolve(); }
    if (!navigator.onLine) { message(t("syncOffline")); return Promise.resolve(); }
    var accepted = 0;
    var deferred = { ids: {}, after: 0 };
    message(t("syncing"));
    var button = view.querySelector("[data-testid='field-sync']");
    if (button) { button.disabled = true; }
    syncing = csrfToken().then(function (token) {
      var rounds = 0;
      function round() {
        return store.readAll(key).then(function (records) {
          var pending = records.filter(function (r) {
            return r.kind === "item" && r.status === "pending" && !deferred.ids[r.id];
          });
          if (!pending.length || rounds++ > records.length / BATCH + 1) { return; }
          var batch = pending.slice(0, BATCH);
          return postJson(cfg.syncUrl, token, { items: batch.map(wire) }).then(function (body) {
            var byId = {};
            batch.forEach(function (item) { byId[item.id] = item; });
            return Promise.all((body.items || []).map(function (reply) {
              var item = byId[reply.id];
              if (!item) { return null; }
              if (reply.status === "accepted") { accepted += 1; }
              return apply(item, reply, deferred);
            }));
          }).then(round);
        });
      }
      return round();
    }).then(function () {
      alertBox(null);
      return updateCount().then(function (left) {
        message(t("syncDone", { sent: accepted, left: left }));
      });
    }, function (error) {
      if (error instanceof SessionExpired) { sessionExpired(error); message(""); }
      else if (error instanceof TypeError) { message(t("syncOffline")); }
      else { alertBox(t("syncError")); message(""); }
    }).then(function () {
      syncing = null;
      if (button) { button.disabled = false; }
      if (deferred.after && !retryLater) {
        retryLater = setTimeout(function () { retryLater = null; sync(); }, deferred.after * 1000);
      }
      return refreshItems();
    });
    return syncing;
  }

  // --- end of the trip -------------------------------------------------------------------------------------
  function endTrip() {
    var box = view.querySelector("[data-role='end-warning']");
    (navigator.onLine ? sync() : Promise.resolve()).then(updateCount).then(function (left) {
      if (!left) { return finish(); }
      box.replaceChildren();
      var alert = el("div", "alert alert-danger", t("endWarning", { count: left }) + " ");
      var anyway = el("button", "btn btn-danger btn-sm", t("endAnyway"));
      anyway.type = "button";
      anyway.addEventListener("click", finish);
      alert.append(anyway);
      box.append(alert);
    });
  }

  function finish() {
    key = null;
    return store.wipe().then(function () {
      return updateCount();
    }).then(function () {
      alertBox(null);
      return showSetup();
    }).then(function () { message(t("ended")); });
  }

  // --- idle lock, connection --------------------------------------------------------------------------------
  ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { lastActivity = Date.now(); }, { passive: true });
  });
  window.setInterval(function () {
    if (key && Date.now() - lastActivity > IDLE_MS) { showLocked(t("idleLocked")); }
  }, 15000);
  window.addEventListener("online", function () { connection(); if (key) { sync(); } });
  window.addEventListener("offline", connection);

  // Logging out: the server answers Clear-Site-Data; the page wipes first all the same.
  document.querySelectorAll("form[action$='/logout/']").forEach(function (logout) {
    logout.addEventListener("submit", function (event) {
      if (logout.getAttribute("data-wiped") === "1") { return; }
      event.preventDefault();
      key = null;
      store.wipe().then(function () {
        logout.setAttribute("data-wiped", "1");
        logout.submit();
      });
    });
  });

  // --- start ----------------------------------------------------------------------------------------------
  connection();
  // The worker first, then the rest: one request at a time on a slow link.
  registerWorker().then(function () { return store.claimFor(user); }).then(function (meta) {
    updateCount();
    root.setAttribute("data-ready", "1");
    if (store.isPrepared(meta)) { return showLocked(); }
    if (meta) { return store.wipe().then(showSetup); }  // a trip left half prepared
    return showSetup();
  }).then(function () { root.setAttribute("data-ready", "1"); });
}());
