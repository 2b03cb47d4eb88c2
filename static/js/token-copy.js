// The API tokens page: "Copy to clipboard" for a token shown once (templates/accounts/tokens.html).
(function () {
  var button = document.getElementById("copy-token");
  if (!button) { return; }
  var status = document.getElementById("copy-status");
  var field = document.getElementById(button.dataset.copyFrom);
  field.addEventListener("focus", function () { field.select(); });
  button.addEventListener("click", function () {
    field.select();
    var done = function () { status.textContent = "Copied."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { status.textContent = "Select the token and copy it."; });
    } else {
      status.textContent = document.execCommand("copy") ? "Copied." : "Select the token and copy it.";
    }
  });
})();
