// Processing page: poll the payment status and move on once it is settled.
(function () {
  var link = document.getElementById('check-again');
  if (!link) return;
  var statusUrl = link.getAttribute('data-status-url');
  var delay = 2000;
  function poll() {
    fetch(statusUrl, { headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (body) {
        if (body && body.settled) {
          window.location.replace(link.href);
          return;
        }
        delay = Math.min(delay * 1.5, 15000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
