// The protocol page's live preview: while a value is edited, the form's draft is sent
// to /console/protocol/preview (which saves nothing) and the sample client's 40 days
// are swapped in. The days that follow from the edited one (gentle washing after no
// washing, daily SPF after sun avoidance) are updated in the form from the same
// answer, so the server stays the judge of what the draft means. Without this script
// the page's Preview buttons do the same with a full page load.
(function () {
  "use strict";
  var target = document.getElementById("preview");
  if (!target || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var sequence = 0;

  // Copies each value the preview says follows from the draft into the form: the
  // outputs of the essentials, the following days of the rules.
  function follow(form) {
    var outputs = form.querySelectorAll("[data-follows]");
    for (var i = 0; i < outputs.length; i++) {
      var name = outputs[i].getAttribute("data-follows");
      var value = target.querySelector('[data-value-of="' + name + '"]');
      if (!value) {
        continue;
      }
      if (outputs[i].tagName === "INPUT") {
        // A following day moves with the rule it follows, unless it is being typed in.
        if (outputs[i] !== document.activeElement) {
          outputs[i].value = value.textContent;
        }
      } else {
        outputs[i].textContent = value.textContent;
      }
    }
  }

  function refresh(form) {
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
        follow(form);
        target.setAttribute("data-previewed", String(mine));
      }
    }).catch(function () {
      // The Preview button still works; a failed live refresh changes nothing.
    });
  }

  var forms = document.querySelectorAll("form[data-preview]");
  for (var i = 0; i < forms.length; i++) {
    (function (form) {
      var timer = null;
      form.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { refresh(form); }, 400);
      });
    })(forms[i]);
  }
})();
