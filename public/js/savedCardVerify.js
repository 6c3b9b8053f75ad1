// Card verification step: the provider's own component (its script and frame, on its origin) takes what
// the shopper types there and gives this page only a single-use card token, which the form sends.
(function () {
  var form = document.getElementById('verify-form');
  var box = document.getElementById('provider-component');
  if (!form || !box || !window.EcartPay || typeof window.EcartPay.verifyCard !== 'function') return;
  var waiting = document.getElementById('verify-waiting');
  window.EcartPay.verifyCard({
    session: form.getAttribute('data-session'),
    card: form.getAttribute('data-card'),
    lang: form.getAttribute('data-lang'),
    container: box,
    onToken: function (token) {
      if (form.getAttribute('data-sent') === 'true') return;
      form.setAttribute('data-sent', 'true');
      document.getElementById('card-token').value = token;
      form.submit();
    },
  });
  if (waiting) waiting.remove();
})();
