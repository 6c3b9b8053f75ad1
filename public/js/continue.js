// Loading page: go on to the checkout by itself; the link stays for shoppers without JavaScript.
(function () {
  var link = document.getElementById('continue');
  if (link && link.getAttribute('data-autocontinue') === 'true') {
    window.setTimeout(function () {
      window.location.replace(link.href);
    }, 50);
  }
})();
