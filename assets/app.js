// LinkedGrow: the only script. It copies a new API key or webhook secret, counts a post's
// characters and turns Enter in an idea's tags into a comma; every page works without it.
"use strict";

function copyText(input) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(input.value);
  }
  // Plain-HTTP pages have no clipboard API; selecting and copying still works there.
  input.select();
  return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy failed"));
}

function setUpCopyButtons() {
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById("copy-status");
    var done = button.getAttribute("data-copy-done") || "The key is on your clipboard.";
    button.addEventListener("click", function () {
      copyText(input).then(
        function () {
          button.textContent = "Copied";
          if (status) status.textContent = done;
        },
        function () {
          input.select();
          if (status) status.textContent = "Copying failed; it is selected, press Ctrl+C (or ⌘C).";
        }
      );
    });
  });
}

function setUpCounters() {
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var counter = document.getElementById(area.getAttribute("data-counter"));
    var count = counter.querySelector("[data-count]");
    var max = parseInt(area.getAttribute("data-max"), 10);
    function update() {
      // Characters as the server counts them (Unicode code points), not UTF-16 units.
      var n = Array.from(area.value).length;
      count.textContent = n.toLocaleString("en-US");
      counter.classList.toggle("over", n > max);
    }
    area.addEventListener("input", update);
    update();
  });
}

// Enter in the tags field ends a tag instead of submitting the form half filled in.
function setUpTagFields() {
  document.querySelectorAll("input[data-tags]").forEach(function (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) return;
      event.preventDefault();
      var value = input.value.replace(/[\s,]+$/, "");
      if (value !== "") input.value = value + ", ";
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  setUpCopyButtons();
  setUpCounters();
  setUpTagFields();
});
