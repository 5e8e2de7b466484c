// Keyboard shortcuts of "grade this question" (attempts/web/grading.py). A static file: the
// Content-Security-Policy allows no inline script. Keys are ignored while typing in a field.
//   n: next answer   p: previous answer   m: the marks field   Escape: leave a field
(function () {
  "use strict";
  var typing = function (el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var target = null;
    if (event.key === "n") target = document.getElementById("grade-next");
    if (event.key === "p") target = document.getElementById("grade-previous");
    if (target) {
      event.preventDefault();
      target.click();
      return;
    }
    if (event.key === "m") {
      var marks = document.querySelector(".evaluation-form input[name=marks]");
      if (marks) {
        event.preventDefault();
        marks.focus();
      }
    }
  });
})();
