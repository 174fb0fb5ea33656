// Countdown for a practice-test attempt. The server renders the seconds left until its own
// deadline; counting down from that with the monotonic clock cannot drift with the learner's
// wall clock. At zero the page moves to the results, where the server says the time is up.
(function () {
  "use strict";
  var clock = document.querySelector(".clock-remaining[data-remaining-seconds]");
  if (!clock) return;
  var remaining = parseInt(clock.getAttribute("data-remaining-seconds"), 10);
  var expiredUrl = clock.getAttribute("data-expired-url");
  var start = performance.now();
  var lastSpoken = null;

  function format(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var left = Math.max(0, Math.round(remaining - (performance.now() - start) / 1000));
    clock.textContent = format(left);
    clock.classList.toggle("clock-low", left <= 60);
    // Screen readers hear the minutes left once per minute, not every second.
    var minutes = Math.ceil(left / 60);
    if (minutes !== lastSpoken) {
      clock.setAttribute("aria-label", minutes + (minutes === 1 ? " minute" : " minutes") + " left");
      lastSpoken = minutes;
    }
    if (left <= 0) {
      window.location.assign(expiredUrl);
      return;
    }
    window.setTimeout(tick, 250);
  }
  tick();
})();
