// Small behaviours on top of htmx. No inline scripts anywhere, so a strict CSP stays possible.
(function () {
  "use strict";

  // htmx does not swap error responses: say that the request failed instead of doing nothing.
  function showRequestError() {
    var region = document.getElementById("request-errors");
    if (!region) return;
    region.replaceChildren();
    var message = document.createElement("div");
    message.className = "flash flash--error";
    message.setAttribute("role", "alert");
    message.textContent = document.body.dataset.requestFailed || "";
    region.appendChild(message);
  }

  function clearRequestError() {
    var region = document.getElementById("request-errors");
    if (region) region.replaceChildren();
  }

  document.addEventListener("htmx:responseError", showRequestError);
  document.addEventListener("htmx:sendError", showRequestError);
  document.addEventListener("htmx:afterSwap", clearRequestError);
})();
