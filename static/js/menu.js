// On a phone the main navigation and the user menu fold behind a "Menu" button. The button only appears when this
// script runs: without scripts the navigation stays open, as on a wide screen.
(function () {
  var bar = document.querySelector(".topbar");
  var button = bar && bar.querySelector(".topbar__toggle");
  if (!button) { return; }
  bar.classList.add("topbar--foldable");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    bar.classList.toggle("topbar--open", open);
  });
})();
