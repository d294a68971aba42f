// Field mode on the intake form (/cases/new/): when a trip is prepared and there is no signal,
// the form is kept on the device as an encrypted item with a provisional number instead of
// being posted; the sync on the field page sends it (docs/field-mode.md). A refused item comes
// back here (/cases/new/#field-item=<id>) with the server's reasons next to the fields.
// Without a prepared trip, the form works as it always did. Plain JavaScript, no library.
(function () {
  "use strict";
  var script = document.currentScript;
  var form = document.getElementById("case-form");
  if (!script || !form) { return; }
  var cfg = script.dataset;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
  // New cases only (the edit form carries a version, not a service).
  if (!form.querySelector("input[name='service']")) { return; }

  var store;
  var forms;
  var key = null;
  var editing = null;  // the refused item being corrected
  var bypass = false;
  var wiped = false;

  function t(name, values) {
    return (cfg[name] || "").replace(/\{(\w+)\}/g, function (whole, part) {
      return values && part in values ? values[part] : whole;
    });
  }

  function load(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = reject;
      document.head.append(tag);
    });
  }

  function notice(text, level, link) {
    var box = document.getElementById("field-intake-notice");
    if (!box) {
      box = document.createElement("div");
      box.id = "field-intake-notice";
      box.setAttribute("role", "status");
      form.parentNode.insertBefore(box, form);
    }
    box.className = text ? "alert alert-" + (level || "info") : "";
    box.textContent = text || "";
    if (link) {
      var a = document.createElement("a");
      a.className = "alert-link ms-1";
      a.href = link.href;
      a.textContent = link.text;
      box.append(a);
    }
  }

  // A small PIN dialog: resolves with the key, or null once the data was wiped.
  function askPin() {
    if (key) { return Promise.resolve(key); }
    return new Promise(function (resolve) {
      var dialog = document.createElement("dialog");
      dialog.className = "border rounded p-3";
      dialog.setAttribute("aria-labelledby", "field-pin-title");
      var pinForm = document.createElement("form");
      pinForm.noValidate = true;
      var heading = document.createElement("h2");
      heading.className = "h5";
      heading.id = "field-pin-title";
      heading.textContent = t("pinTitle");
      var label = document.createElement("label");
      label.className = "form-label";
      label.htmlFor = "field-pin-intake";
      label.textContent = t("pinLabel");
      var input = document.createElement("input");
      input.className = "form-control mb-2";
      input.id = "field-pin-intake";
      input.type = "password";
      input.inputMode = "numeric";
      input.autocomplete = "off";
      input.setAttribute("data-testid", "field-pin");
      var status = document.createElement("div");
      status.setAttribute("role", "alert");
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "btn btn-primary";
      button.textContent = t("pinSubmit");
      button.setAttribute("data-testid", "field-pin-submit");
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "btn btn-link";
      cancel.textContent = t("cancel");
      cancel.addEventListener("click", function () { dialog.close(); dialog.remove(); resolve(null); });
      pinForm.append(heading, label, input, status, button, cancel);
      dialog.append(pinForm);
      document.body.append(dialog);
      pinForm.addEventListener("submit", function (event) {
        event.preventDefault();
        button.disabled = true;
        store.unlock(input.value).then(function (result) {
          button.disabled = false;
          input.value = "";
          if (result.key) {
            key = result.key;
            dialog.close();
            dialog.remove();
            resolve(key);
            return;
          }
          if (result.wiped) {
            wiped = true;  // nothing left to keep: the form posts as usual from now on
            dialog.close();
            dialog.remove();
            notice(t("wiped"), "danger");
            resolve(null);
            return;
          }
          status.className = "alert alert-danger";
          status.textContent = t("wrongPin") + (result.warn ? " " + t("wipeWarning", { left: result.left }) : "");
          input.focus();
        });
      });
      dialog.showModal();
      input.focus();
    });
  }

  function freshToken() {
    var token = form.querySelector("input[name='submission_token']");
    if (token) { token.value = crypto.randomUUID(); }
  }

  // Keep the form as an encrypted item (`id`: a correction keeps its own, a lost POST its key).
  function keep(id, loginLink) {
    if (!form.reportValidity()) { return Promise.resolve(); }
    var data = forms.values(form);
    var service = data.service;
    delete data.service;
    return askPin().then(function (theKey) {
      if (!theKey) { return; }
      var provisional = editing ? Promise.resolve(editing.provisional)
        : store.nextProvisional().then(function (n) { return "P-" + n; });
      return provisional.then(function (number) {
        var item = { type: "case", service: service, provisional: number, data: data,
          captured_at: editing ? editing.captured_at : new Date().toISOString() };
        return store.put(theKey, { id: id || crypto.randomUUID(), kind: "item", status: "pending" }, item)
          .then(function () {
            if (editing) { window.location.assign(cfg.fieldUrl); return; }
            form.reset();
            freshToken();
            forms.showErrors(form, {});
            notice(t("provisional", { number: number }), "success",
              loginLink ? { href: cfg.loginUrl, text: t("loginAgain") } : null);
            window.scrollTo(0, 0);
          });
      });
    });
  }

  function tokenValue() {
    var token = form.querySelector("input[name='submission_token']");
    return token ? token.value : null;
  }

  function isLogin(url) {
    return new URL(url, window.location.href).pathname === new URL(cfg.loginUrl, window.location.href).pathname;
  }

  // Online: post as usual, through fetch so that a lost connection keeps the form on the device.
  function post() {
    var id = tokenValue();
    return fetch(cfg.csrfUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { return "login"; }
        return response.ok ? response.json() : {};
      }, function () { return "offline"; })
      .then(function (csrf) {
        if (csrf === "offline") { return keep(id); }
        if (csrf === "login") { return keep(id, true); }
        if (csrf.csrfToken) { form.querySelector("input[name='csrfmiddlewaretoken']").value = csrf.csrfToken; }
        return fetch(form.action || window.location.href, {
          method: "POST", body: new FormData(form), credentials: "same-origin"
        }).then(function (response) {
          if (response.redirected && isLogin(response.url)) { return keep(id, true); }
          if (response.redirected && response.ok) { window.location.assign(response.url); return; }
          // Refused by the server (or anything else): post it the ordinary way to see its answer;
          // nothing was stored, so the same one-time key is sent again.
          bypass = true;
          form.submit();
        }, function () {
          // The request may have reached the server: the item carries the form's one-time key,
          // which the sync answers with the first result instead of storing it twice.
          return keep(id);
        });
      });
  }

  function onSubmit(event) {
    if (bypass || wiped) { return; }
    event.preventDefault();
    if (editing) { keep(editing.id); return; }
    if (!navigator.onLine) { keep(null); return; }
    post();
  }

  function correct(id) {
    return askPin().then(function (theKey) {
      if (!theKey) { return; }
      return store.read(theKey, id).then(function (item) {
        if (!item || item.type !== "case") { return; }
        editing = item;
        forms.fill(form, item.data);
        // The dependent lists follow the values they were filled with.
        ["relationship", "violence_type"].forEach(function (name) {
          var field = form.querySelector("[name='" + name + "']");
          if (field) { field.dispatchEvent(new Event("change")); }
        });
        forms.fill(form, { violence_acts: item.data.violence_acts || [],
          partner_relationship: item.data.partner_relationship || "",
          family_relationship: item.data.family_relationship || "",
          other_relationship: item.data.other_relationship || "" });
        forms.showErrors(form, item.errors || {});
        notice(t("correcting", { number: item.provisional }), "warning");
      });
    });
  }

  load(cfg.cryptoSrc).then(function () { return load(cfg.storeSrc); }).then(function () {
    store = window.WarmiField.store;
    forms = window.WarmiField.forms;
    return store.exists();
  }).then(function (there) {
    if (!there) { return null; }
    return store.claimFor(cfg.user);
  }).then(function (meta) {
    if (!store || !store.isPrepared(meta)) { return; }
    freshToken();  // a page served from the cache must not reuse its one-time key
    form.addEventListener("submit", onSubmit);
    form.setAttribute("data-field", "ready");
    var match = /^#field-item=([0-9a-f-]+)$/.exec(window.location.hash);
    if (match) { return correct(match[1]); }
  }).catch(function () { /* the form still posts as usual */ });
}());
