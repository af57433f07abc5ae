// Catalytic: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="element-id" hidden>. Shown only when the
  // clipboard API is there; the secret itself stays selectable text.
  function setupCopyButtons() {
    if (!navigator.clipboard) {
      return;
    }
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) {
        return;
      }
      var label = button.textContent;
      var status = document.getElementById(button.getAttribute("data-copy") + "-status");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(target.textContent.trim()).then(
          function () {
            button.textContent = "Copied";
            if (status) {
              status.textContent = "Copied to the clipboard.";
            }
            window.setTimeout(function () {
              button.textContent = label;
            }, 2000);
          },
          function () {
            if (status) {
              status.textContent = "Copy failed: select the text and copy it by hand.";
            }
          }
        );
      });
    });
  }

  // Destructive forms ask once: <form data-confirm="Remove this member?">.
  function setupConfirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  }

  function ready() {
    setupCopyButtons();
    setupConfirmations();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
