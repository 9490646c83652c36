// The workspace's keyboard: 1-8 choose a call outcome, Enter saves the call, n opens the next account.
(function () {
  "use strict";
  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return el.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && el.type !== "radio" && el.type !== "checkbox");
  }
  function showExtras(form) {
    var checked = form.querySelector("input[name=outcome]:checked");
    var outcome = checked ? checked.value : "";
    form.querySelectorAll("fieldset.extra").forEach(function (fs) {
      fs.hidden = (fs.getAttribute("data-for") || "").split(" ").indexOf(outcome) < 0;
    });
    return outcome;
  }
  function choose(form, radio) {
    radio.checked = true;
    var outcome = showExtras(form);
    var extra = form.querySelector("fieldset.extra[data-for~='" + outcome + "']:not([hidden]) input, fieldset.extra[data-for~='" + outcome + "']:not([hidden]) select");
    (extra || radio).focus();
  }
  function init() {
    var form = document.querySelector("[data-call-form]");
    if (form) {
      showExtras(form);
      form.addEventListener("change", function (e) { if (e.target.name === "outcome") showExtras(form); });
      if (!document.querySelector("[autofocus]")) {
        var first = form.querySelector("input[name=outcome]:checked") || form.querySelector("input[name=outcome]");
        if (first) first.focus({ preventScroll: true });
      }
    }
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var target = e.target;
      if (form && /^[1-8]$/.test(e.key) && !typing(target)) {
        var radio = form.querySelector("input[name=outcome][data-key='" + e.key + "']");
        if (radio) { e.preventDefault(); choose(form, radio); }
      } else if (form && e.key === "Enter" && form.contains(target) && target.tagName !== "TEXTAREA" && target.tagName !== "BUTTON") {
        e.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      } else if (e.key === "n" && !typing(target)) {
        var next = document.querySelector("[data-key=n]");
        if (next) { e.preventDefault(); window.location.href = next.href; }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
