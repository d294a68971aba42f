// The activity form and the activity list's filters: a place chosen in one select loads the
// options of the next (province -> district -> community) from the /geo/ lists, which field
// mode also answers offline. The list's district is a search-as-you-type text field
// (autocomplete.js): it loads its communities once it holds a whole ubigeo, typed or chosen.
// Without JavaScript the page still works: the next list is the server's, after saving or
// filtering. Plain JavaScript, no library, no inline script (CSP).
(function () {
  "use strict";

  var UBIGEO = /^\d{6}$/;

  function childOf(form, parent) {
    var name = parent.getAttribute("data-child");
    return name ? form.querySelector("select[name='" + name + "']") : null;
  }

  // The code a parent stands for: a select's value; a text field's only when it is a whole
  // ubigeo (anything shorter is a search still being typed).
  function chosenIn(parent) {
    var value = parent.value.trim();
    return parent.tagName === "SELECT" || UBIGEO.test(value) ? value : "";
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
    var chosen = chosenIn(parent);
    if (!chosen || !url) { return; }
    fetch(url + "?parent=" + encodeURIComponent(chosen), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : { options: [] }; })
      .then(function (data) {
        if (chosenIn(parent) !== chosen) { return; }  // changed again meanwhile
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
    form.querySelectorAll("input[data-children-url][data-child]").forEach(function (input) {
      var loaded = chosenIn(input);  // the server drew the communities of the district sent
      function changed() {
        var chosen = chosenIn(input);
        if (chosen === loaded) { return; }
        loaded = chosen;
        load(form, input);
      }
      input.addEventListener("input", changed);
      input.addEventListener("change", changed);
    });
  });
}());
