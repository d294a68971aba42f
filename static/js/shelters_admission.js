// The admission form: add a row for each child who comes with the woman, without reloading.
// Plain JavaScript, no library: pages must stay light for rural connections. Without
// JavaScript the "Add a child" link reloads the page with one more row.
(function () {
  "use strict";
  var form = document.getElementById("admission-form");
  var button = document.getElementById("add-child");
  var template = document.getElementById("child-template");
  var rows = document.getElementById("children");
  if (!form || !button || !template || !rows) { return; }
  var total = form.querySelector("[name='children-TOTAL_FORMS']");
  var max = parseInt(form.querySelector("[name='children-MAX_NUM_FORMS']").value, 10);

  function refresh() {
    button.classList.toggle("d-none", parseInt(total.value, 10) >= max);
  }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    var index = parseInt(total.value, 10);
    if (index >= max) { return; }
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    refresh();
    var first = rows.lastElementChild.querySelector("input, select");
    if (first) { first.focus(); }
  });
  refresh();
}());
