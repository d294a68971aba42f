// Search-as-you-type filters (services.forms.SearchChoiceField): a text input that takes a
// code, with a <datalist> of suggestions fetched as the user types from the /geo/.../search/
// endpoints (scoped as the list is, at most 20 rows for two or more characters). The page ships
// no option per service or community. Without JavaScript, typing the code works. Plain
// JavaScript, no library, no inline script (CSP).
(function () {
  "use strict";

  var DELAY_MS = 200;

  function setUp(input, index) {
    var url = input.getAttribute("data-autocomplete");
    var minChars = parseInt(input.getAttribute("data-min-chars") || "2", 10);
    var list = document.createElement("datalist");
    list.id = (input.id || "autocomplete") + "-suggestions-" + index;
    input.parentNode.appendChild(list);
    input.setAttribute("list", list.id);
    var timer = null;
    var asked = "";

    function show(options) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      options.forEach(function (option) {
        var item = document.createElement("option");
        item.value = String(option.value);
        item.label = option.label;
        item.textContent = option.label;
        list.appendChild(item);
      });
    }

    function search() {
      var text = input.value.trim();
      if (text.length < minChars) { asked = ""; show([]); return; }
      if (text === asked) { return; }
      asked = text;
      var address = new URL(url, window.location.href);
      address.searchParams.set("q", text);
      fetch(address.toString(), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) {
          if (input.value.trim() === text) { show(data.options || []); }
        })
        .catch(function () { asked = ""; show([]); });  // the same text may be asked again
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });
  }

  document.querySelectorAll("input[data-autocomplete]").forEach(setUp);
})();
