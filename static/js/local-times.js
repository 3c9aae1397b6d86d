/*
 * Times in the reader's own locale and time zone: every <time data-local-time datetime=ISO>
 * that the moderation admin renders (with a UTC text for a page without JavaScript) is
 * rewritten with Intl.DateTimeFormat; the UTC text stays as the element's tooltip.
 * Loaded from the admin's Media (in <head>), so it waits for the document.
 */
(function () {
  "use strict";

  var format = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });

  function localise(root) {
    var times = (root || document).querySelectorAll("time[data-local-time]");
    for (var index = 0; index < times.length; index += 1) {
      var element = times[index];
      var date = new Date(element.getAttribute("datetime"));
      if (Number.isNaN(date.getTime()) || element.hasAttribute("data-localised")) {
        continue;
      }
      element.title = element.textContent;
      element.textContent = format.format(date);
      element.setAttribute("data-localised", "");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      localise(document);
    });
  } else {
    localise(document);
  }
})();
