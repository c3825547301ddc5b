// Partner Portal console: small progressive enhancements. Every page
// works without this script.
(function () {
  "use strict";
  // Filter a list of checkboxes as the user types: <input data-filter="#list">.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var list = document.querySelector(input.getAttribute("data-filter"));
    if (!list) return;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      list.querySelectorAll("[data-name]").forEach(function (item) {
        item.hidden = q !== "" && item.getAttribute("data-name").toLowerCase().indexOf(q) === -1;
      });
    });
  });
  // One three-dot menu open at a time; Escape closes it.
  var menus = document.querySelectorAll("details.row-menu");
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (!menu.open) return;
      menus.forEach(function (other) { if (other !== menu) other.open = false; });
    });
    menu.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });
  // Add another license row to the New Customer form: <template id="license-row">.
  var add = document.querySelector("[data-add-license]");
  if (add) {
    add.addEventListener("click", function () {
      var tpl = document.getElementById("license-row");
      var rows = document.getElementById("license-rows");
      var n = rows.querySelectorAll(".license-row").length;
      rows.insertAdjacentHTML("beforeend", tpl.innerHTML.replace(/__N__/g, String(n)).replace(/__N1__/g, String(n + 1)));
    });
  }
})();
