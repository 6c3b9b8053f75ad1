// Ecwid simulator (demo): submits the payment form as Ecwid's checkout does. External file: strict CSP.
(function () {
  'use strict';
  function submit() {
    var form = document.querySelector('form[data-autosubmit="true"]');
    if (form && !form.dataset.submitted) {
      form.dataset.submitted = 'true';
      form.submit();
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', submit);
  else submit();
})();
