// Yunwei: small, optional niceties. Every page works without this script.
(function () {
  "use strict";

  // A form sends once: its submit buttons are disabled while the request is under way.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.sent) { e.preventDefault(); return; }
    form.dataset.sent = "1";
    setTimeout(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // A file larger than the server takes is refused as it is chosen, in the page's words,
  // so nothing typed is lost to a failed upload.
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var max = Number(input.dataset.maxBytes);
    var big = Array.prototype.some.call(input.files || [], function (f) { return f.size > max; });
    input.setCustomValidity(big ? input.dataset.tooLarge : "");
    if (big) { input.reportValidity(); }
  });

  // A click anywhere in a ticket row opens the ticket (the number stays a real link).
  document.addEventListener("click", function (e) {
    var row = e.target.closest("tr[data-href]");
    if (!row || e.target.closest("a, button, input, select, label")) { return; }
    if (window.getSelection && String(window.getSelection()).length > 0) { return; }
    window.location.href = row.dataset.href;
  });

  // "/" focuses the search box, as in most consoles.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    var box = document.querySelector("[data-hotkey='/']");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });

  // Opening one action form closes the others, so the side panel stays short.
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!d.classList || !d.classList.contains("action") || !d.open) { return; }
    document.querySelectorAll("details.action[open]").forEach(function (o) { if (o !== d) { o.open = false; } });
  }, true);
}());
