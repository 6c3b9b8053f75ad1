// Saved-card checkout step: a form is sent once (the server also refuses a second use of its token).
(function () {
  var forms = document.querySelectorAll('form[data-once="true"]');
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-sent') === 'true') {
        event.preventDefault();
        return;
      }
      form.setAttribute('data-sent', 'true');
      Array.prototype.forEach.call(document.querySelectorAll('form[data-once="true"] button'), function (b) {
        b.setAttribute('aria-disabled', 'true');
      });
    });
  });
})();
