// Settings pages: a form carrying data-confirm asks before it is sent (activating a version puts
// it in force at once; switching a webhook off stops its messages).
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
