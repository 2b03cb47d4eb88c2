// A filter that applies as soon as it changes: <select data-auto-submit> submits its form (no inline onchange,
// which the Content-Security-Policy forbids). The form keeps its own submit button for people without scripts.
(function () {
  document.querySelectorAll("[data-auto-submit]").forEach(function (field) {
    field.addEventListener("change", function () { if (field.form) { field.form.submit(); } });
  });
})();
