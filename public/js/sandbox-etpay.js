// ETpay simulator (demo): one submission per page, like a real funnel. External file: strict CSP.
(function () {
  'use strict';
  var form = document.querySelector('form[data-etpay-form="true"]');
  if (!form) return;
  form.addEventListener('submit', function (event) {
    if (form.dataset.submitted === 'true') {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = 'true';
    form.classList.add('etpay-busy');
  });
})();
