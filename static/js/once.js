// Forms that create something (they carry a `submission_token`), and forms marked `data-once`
// (with `data-saving`): while the request is in flight, the submit buttons are disabled, a
// second submission is ignored and the page says that it is being saved. The server stores a repeated token once anyway
// (services/submissions.py); this spares a slow link the second request and tells the person
// that the first one is on its way. Plain JavaScript, no library.
(function () {
  "use strict";

  function buttonsOf(form) {
    return Array.prototype.slice.call(
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")
    );
  }

  function setUp(form, words) {
    var buttons = buttonsOf(form);
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    status.className = "once-status small mb-0";
    var anchor = buttons.length ? buttons[buttons.length - 1] : null;
    // The live region exists before it speaks, so that screen readers announce the change.
    if (anchor && anchor.parentNode) {
      anchor.parentNode.insertBefore(status, anchor.nextSibling);
    } else {
      form.appendChild(status);
    }

    function lock() {
      form.setAttribute("data-sending", "1");
      form.setAttribute("aria-busy", "true");
      status.textContent = words || "…";
      buttons.forEach(function (button) { button.disabled = true; });
    }

    function unlock() {
      form.removeAttribute("data-sending");
      form.removeAttribute("aria-busy");
      status.textContent = "";
      buttons.forEach(function (button) { button.disabled = false; });
    }

    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending") === "1") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sending", "1");
      // After the other handlers (one may cancel the submission), and after the browser has
      // read the form: a button disabled now would be left out of it.
      window.setTimeout(function () {
        if (event.defaultPrevented) { unlock(); } else { lock(); }
      }, 0);
    });

    // Back to this page from the next one (the browser may restore it as it was): usable again.
    window.addEventListener("pageshow", unlock);
  }

  var forms = document.querySelectorAll("form[method=post]");
  Array.prototype.forEach.call(forms, function (form) {
    var token = form.querySelector("input[name='submission_token']");
    if (token) {
      setUp(form, token.getAttribute("data-saving"));
    } else if (form.hasAttribute("data-once")) {
      setUp(form, form.getAttribute("data-saving"));
    }
  });
}());
