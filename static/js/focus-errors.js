// After a form comes back with errors, put the keyboard focus on the first field in error, so the person (and their
// screen reader) starts where the problem is. Django marks such fields aria-invalid="true". Also after htmx swaps in
// a form that came back with errors.
(function () {
  function focusFirstError(root) {
    var field = root.querySelector("form [aria-invalid='true']");
    if (!field) {
      // A field Django did not mark (a group of checkboxes, a custom widget): the first input of the first
      // field block that shows an error list.
      var errors = root.querySelector("form .field .errorlist");
      field = errors && errors.closest(".field").querySelector("input, select, textarea");
    }
    if (field) {
      field.focus();
      if (field.scrollIntoView) { field.scrollIntoView({ block: "center" }); }
    }
  }
  focusFirstError(document);
  document.addEventListener("htmx:afterSwap", function (event) { focusFirstError(event.target); });
})();
