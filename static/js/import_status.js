// The admin import's preview and status pages: follow the background job (the preview's check,
// or the storing) without reloading the page (a page that reloads itself every few seconds
// loses a screen reader's place), then reload once when the job has ended, to show its outcome.
// The server writes every text, in the administrator's language. A static file, not inline script: the Content-Security-Policy
// allows no inline script.
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  var url = box && box.getAttribute("data-progress-url");
  if (!url) { return; }
  var text = document.getElementById("import-status-text");
  var EVERY = 2000;

  function show(state) {
    if (state.finished) { window.location.reload(); return; }
    if (text.textContent !== state.text) { text.textContent = state.text; }
    var bar = document.getElementById("import-progress");
    if (state.state === "running" && !bar) {
      bar = document.createElement("progress");
      bar.id = "import-progress";
      box.appendChild(bar);
    }
    if (bar) {
      bar.max = state.total || 1;
      bar.value = state.done;
      bar.textContent = state.done + " / " + state.total;
    }
    window.setTimeout(poll, EVERY);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(show)
      .catch(function () { window.setTimeout(poll, EVERY * 3); });
  }

  window.setTimeout(poll, EVERY);
})();
