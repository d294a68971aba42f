// The activity form and the activity list's filters: a place chosen in one select loads the
// options of the next (province -> district -> community) from the /geo/ lists, which field
// mode also answers offline. Without JavaScript the page still works: the next list is the
// server's, after saving or filtering. Plain JavaScript, no library, no inline script (CSP).
(function () {
  "use strict";

  function childOf(form, select) {
    var name = select.getAttribute("data-child");
    return name ? form.querySelector("select[name='" + name + "']") : null;
  }

  function clear(select) {
    while (select.options.length > 1) { select.remove(1); }
    select.value = "";
  }

  function load(form, parent) {
    var child = childOf(form, parent);
    if (!child) { return; }
    clear(child);
    for (var next = childOf(form, child); next; next = childOf(form, next)) { clear(next); }
    var url = parent.getAttribute("data-children-url");
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
      })
      .catch(function () { /* the server checks the place when the form is sent */ });
  }

  document.querySelectorAll("form[data-places]").forEach(function (form) {
    form.querySelectorAll("select[data-children-url][data-child]").forEach(function (select) {
      select.addEventListener("change", function () { load(form, select); });
    });
  });
}());
