// The console's one script: the copy buttons of the catalog's inbox. A page works without it (each
// entry is there to select and copy); with it, a button marked data-copy copies the text of the
// element it names, and says so in the status beside it.
(function () {
  "use strict";

  function say(button, text) {
    var status = button.nextElementSibling;
    if (status && status.getAttribute("role") === "status") {
      status.textContent = text;
    }
  }

  // Without the Clipboard API (a page not served over HTTPS): select the text and copy the
  // selection. When even that is refused, the text stays selected for the keyboard's copy.
  function copySelection(source) {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (refused) {
      copied = false;
    }
    if (copied) {
      selection.removeAllRanges();
    }
    return copied;
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var copied = function () {
        say(button, "Copied.");
      };
      var bySelection = function () {
        if (copySelection(source)) {
          copied();
        } else {
          say(button, "This browser did not let the page copy: the entry is selected, copy it with the keyboard.");
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent).then(copied, bySelection);
      } else {
        bySelection();
      }
    });
  });
})();
