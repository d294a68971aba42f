// The case form: dependent selects for residence, the relationship detail and the acts of the
// chosen type of violence, and a warning when the document number has earlier cases.
// Plain JavaScript, no library: pages must stay light for rural connections.
(function () {
  "use strict";
  var form = document.getElementById("case-form");
  if (!form) { return; }

  function field(name) { return form.querySelector("[name='" + name + "']"); }

  // Region -> province -> district -> community
  var chain = ["region", "province", "district", "community"];

  function clear(select) {
    while (select.options.length > 1) { select.remove(1); }
    select.value = "";
  }

  function load(parent, child) {
    var url = parent.getAttribute("data-children-url");
    clear(child);
    for (var i = chain.indexOf(child.name) + 1; i < chain.length; i++) { clear(field(chain[i])); }
    if (!parent.value || !url) { return; }
    fetch(url + "?parent=" + encodeURIComponent(parent.value), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : { options: [] }; })
      .then(function (data) {
        data.options.forEach(function (option) {
          child.add(new Option(option.label, option.value));
        });
        child.dispatchEvent(new CustomEvent("options-loaded", { bubbles: true }));
      });
  }

  chain.slice(0, -1).forEach(function (name, index) {
    var parent = field(name);
    var child = field(chain[index + 1]);
    if (parent && child) {
      parent.addEventListener("change", function () { load(parent, child); });
    }
  });

  // Relationship detail: only the list that matches the relationship
  var relationship = field("relationship");
  function showRelationshipDetail() {
    form.querySelectorAll(".relationship-detail").forEach(function (box) {
      var shown = relationship && box.getAttribute("data-for") === relationship.value;
      box.hidden = !shown;
      if (!shown) { box.querySelectorAll("select").forEach(function (s) { s.value = ""; }); }
    });
  }
  if (relationship) {
    relationship.addEventListener("change", showRelationshipDetail);
    showRelationshipDetail();
  }

  // Acts of violence: only the chosen type's
  var violenceType = field("violence_type");
  function showActs() {
    var chosen = violenceType ? violenceType.value : "";
    form.querySelectorAll("input[name='violence_acts']").forEach(function (box) {
      var shown = chosen !== "" && box.getAttribute("data-violence-type") === chosen;
      box.closest(".form-check").hidden = !shown;
      if (!shown) { box.checked = false; }
    });
  }
  if (violenceType) {
    violenceType.addEventListener("change", showActs);
    showActs();
  }

  // Repeat detection: a POST (the number never goes into a URL), during an intake only: it
  // carries the form's one-time key, not yet used, and the proof the page was drawn with.
  var documentNumber = field("victim_document_number");
  var notice = document.getElementById("repeat-notice");
  var proof = form.getAttribute("data-intake-proof");
  if (documentNumber && notice && proof) {
    documentNumber.addEventListener("change", function () {
      notice.textContent = "";
      notice.className = "";
      if (!documentNumber.value.trim()) { return; }
      var body = new FormData();
      body.append("document", documentNumber.value);
      body.append("csrfmiddlewaretoken", field("csrfmiddlewaretoken").value);
      body.append("service", field("service").value);
      body.append("submission_token", field("submission_token").value);
      body.append("intake_proof", proof);
      fetch(form.getAttribute("data-repeat-url"), {
        method: "POST", body: body, credentials: "same-origin"
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.message) {
            notice.textContent = data.message;
            notice.className = "alert alert-warning";
          }
        })
        .catch(function () { /* the form checks again when it is saved */ });
    });
  }

  // A numeric keyboard for a DNI only: other documents may hold letters.
  var documentType = field("victim_document_type");
  function documentKeyboard() {
    if (!documentNumber) { return; }
    if (documentType && documentType.value === "DNI") {
      documentNumber.setAttribute("inputmode", "numeric");
    } else {
      documentNumber.removeAttribute("inputmode");
    }
  }
  if (documentType && documentNumber) {
    documentType.addEventListener("change", documentKeyboard);
    // Filled in by a script (field mode) without a change event: check again before typing.
    documentNumber.addEventListener("focus", documentKeyboard);
    documentKeyboard();
  }

  // Sections that fold (<details>, cases/forms.py `Section`). Each summary's badge says whether
  // the section still holds an error: the server's (.is-invalid, also set by field mode when the
  // server refused an item) or the browser's (a failed reportValidity, e.g. field mode's).
  var sections = form.querySelectorAll("details[data-section]");
  var ERROR = ".is-invalid, [data-browser-invalid]";

  function holdsError(section) { return !!section.querySelector(ERROR); }

  function refreshBadges() {
    sections.forEach(function (section) {
      var had = section.hasAttribute("data-has-errors");
      var has = holdsError(section);
      var badge = section.querySelector("[data-section-badge]");
      if (badge) { badge.hidden = !has; }
      section.toggleAttribute("data-has-errors", has);
      if (has && !had) { section.open = true; }  // an error just shown here: show it
    });
  }
  sections.forEach(function (section) { section.toggleAttribute("data-has-errors", holdsError(section)); });

  // Nothing to correct: on a wide screen every section starts open.
  var anyError = Array.prototype.some.call(sections, holdsError);
  if (!anyError && window.matchMedia("(min-width: 768px)").matches) {
    sections.forEach(function (section) { section.open = true; });
  }

  // The browser's check failed on a field (maybe inside a closed section, where it could neither
  // show its message nor take the focus): open its section and focus the first such field.
  var firstInvalid = null;
  form.addEventListener("invalid", function (event) {
    var target = event.target;
    var section = target.closest("details[data-section]");
    if (section && !section.open) { section.open = true; }
    target.setAttribute("data-browser-invalid", "");
    if (firstInvalid) { return; }
    firstInvalid = target;
    setTimeout(function () {
      if (document.activeElement !== firstInvalid) { firstInvalid.focus(); }
      firstInvalid = null;
    }, 0);
  }, true);

  // Corrected: no longer counted for the badge (the server's own marks stay until it answers).
  function recheck(event) {
    var target = event.target;
    if (target.hasAttribute && target.hasAttribute("data-browser-invalid") && target.validity.valid) {
      target.removeAttribute("data-browser-invalid");
    }
  }
  form.addEventListener("input", recheck);
  form.addEventListener("change", recheck);

  if (sections.length && "MutationObserver" in window) {
    new MutationObserver(refreshBadges).observe(form, {
      subtree: true, attributes: true, attributeFilter: ["class", "data-browser-invalid"]
    });
  }
})();
