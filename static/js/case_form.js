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

  // Repeat detection: a POST (the number never goes into a URL)
  var documentNumber = field("victim_document_number");
  var notice = document.getElementById("repeat-notice");
  if (documentNumber && notice) {
    documentNumber.addEventListener("change", function () {
      notice.textContent = "";
      notice.className = "";
      if (!documentNumber.value.trim()) { return; }
      var body = new FormData();
      body.append("document", documentNumber.value);
      body.append("csrfmiddlewaretoken", field("csrfmiddlewaretoken").value);
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
})();
