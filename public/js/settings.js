// Settings page inside the Ecwid admin: initialise Ecwid's SDK when it is loaded, copy buttons.
(function () {
  var appId = document.body.getAttribute('data-app-id');
  if (window.EcwidApp && appId) {
    window.EcwidApp.init({ app_id: appId, autoloadedflag: true, autoheight: true });
  }
  var buttons = document.querySelectorAll('button.copy');
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener('click', function () {
      var input = document.getElementById(button.getAttribute('data-copy'));
      if (!input) return;
      input.select();
      if (navigator.clipboard) navigator.clipboard.writeText(input.value);
      else document.execCommand('copy');
    });
  });
})();
