// The protocol page's live preview: while a rule is edited, the draft is sent to
// /console/protocol/preview (which saves nothing) and the sample client's 40 days are
// swapped in. Without this script the page's Preview button does the same with a
// full page load.
(function () {
  "use strict";
  var form = document.getElementById("rules-form");
  var target = document.getElementById("preview");
  if (!form || !target || !window.fetch) {
    return;
  }
  var timer = null;
  var sequence = 0;

  function refresh() {
    var mine = ++sequence;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-preview") + "?fragment=1", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      // 422: the draft is invalid; the fragment says why.
      if (!response.ok && response.status !== 422) {
        throw new Error("preview answered " + response.status);
      }
      return response.text();
    }).then(function (html) {
      if (mine === sequence) {
        target.innerHTML = html;
      }
    }).catch(function () {
      // The Preview button still works; a failed live refresh changes nothing.
    });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
})();
