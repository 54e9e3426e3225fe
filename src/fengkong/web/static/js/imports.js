// The import page: refuse a file larger than the server accepts before uploading it. The server
// refuses it too (before reading it); this only spares the wait and says why at once.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.dataset.maxBytes) return;
    var file = input.files && input.files[0];
    var tooLarge = Boolean(file) && file.size > Number(input.dataset.maxBytes);
    input.setCustomValidity(tooLarge ? input.dataset.tooLarge || "" : "");
    if (tooLarge) input.reportValidity();
  });
})();
