/* The kiosk's idle timer (the only script of the citizen pages, served to kiosks alone).
   After data-idle seconds without a touch, a key or an answer, the page asks "still there?" and starts over
   data-grace seconds later unless the citizen carries on (WCAG 2.1 SC 2.2.1: warned, at least 20 s, one action).
   Without scripts the page's <noscript> refresh starts it over at a fixed time instead. */
(function () {
  "use strict";
  var box = document.getElementById("kiosk-idle");
  if (!box) { return; }
  var idle = 1000 * Number(box.getAttribute("data-idle"));
  var grace = 1000 * Number(box.getAttribute("data-grace"));
  var restart = box.getAttribute("data-restart");
  var carry = document.getElementById("kiosk-idle-carry-on");
  var waiting = null, leaving = null;

  function arm() {
    clearTimeout(waiting);
    clearTimeout(leaving);
    box.hidden = true;
    waiting = setTimeout(warn, idle);
  }

  function warn() {
    box.hidden = false;
    carry.focus();
    leaving = setTimeout(function () { window.location.replace(restart); }, grace);
  }

  ["pointerdown", "keydown", "input", "change", "scroll"].forEach(function (name) {
    document.addEventListener(name, function () { if (box.hidden) { arm(); } }, true);
  });
  carry.addEventListener("click", arm);
  arm();
}());
