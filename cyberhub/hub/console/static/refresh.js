// Keeps a part of the page current while it is open (an advisory's delivery status): the
// server renders the part, this script only fetches it again every few seconds and puts it
// in place. Without JavaScript the page shows the state at load time; a reload shows more.
(function () {
  "use strict";
  document.querySelectorAll("[data-refresh]").forEach(function (part) {
    var url = part.getAttribute("data-refresh");
    var seconds = parseInt(part.getAttribute("data-every") || "5", 10);
    function again() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (answer) { return answer.ok ? answer.text() : null; })
        .then(function (html) {
          if (html !== null && html.trim() !== part.innerHTML.trim()) {
            part.innerHTML = html;
          }
        })
        .catch(function () { /* the next round tries again */ })
        .then(function () { window.setTimeout(again, seconds * 1000); });
    }
    window.setTimeout(again, seconds * 1000);
  });
})();
