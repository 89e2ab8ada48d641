// Progressive enhancement only: every page works without this file.
(function () {
  'use strict';

  // Read from the body, which htmx replaces on every boosted page: the <head> meta keeps the
  // token of the first page loaded and would be stale after sign-in.
  function csrfToken() {
    var holder = document.getElementById('csrf');
    return holder ? holder.getAttribute('data-csrf-token') : '';
  }

  // htmx requests carry the CSRF token in a header; plain forms carry it in a hidden field.
  document.addEventListener('htmx:configRequest', function (event) {
    event.detail.headers['X-CSRF-Token'] = csrfToken();
  });

  // The connection picker and the how-to-connect guide open in a <dialog>. Remember which button
  // opened it so focus returns there when the dialog closes (Esc or Cancel).
  var opener = null;
  document.addEventListener('click', function (event) {
    var trigger = event.target.closest('[data-opens-dialog]');
    if (trigger) opener = trigger;
    var cancel = event.target.closest('[data-close-dialog]');
    if (cancel) {
      var dialog = cancel.closest('dialog');
      if (dialog) {
        event.preventDefault();
        dialog.close();
      }
    }
  });

  // Opened once the content has settled, i.e. htmx has processed its forms: a quick Enter is
  // then already handled by htmx. (The page sets defaultSettleDelay to 0, so this is immediate.)
  document.addEventListener('htmx:afterSettle', function (event) {
    // History navigation (Back, Forward) settles without a target element.
    var target = event.detail && event.detail.target;
    var dialog = target && target.closest && target.closest('dialog');
    if (dialog && !dialog.open) {
      dialog.showModal();
      var first = dialog.querySelector('[autofocus], input:checked, input, select, button');
      if (first) first.focus();
    }
  });

  document.addEventListener('close', function (event) {
    var dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement)) return;
    var body = dialog.querySelector('[data-dialog-body]');
    if (body) body.innerHTML = '';
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }, true);

  // Buttons that start slow work (sync) show their busy state and cannot be pressed twice.
  document.addEventListener('htmx:beforeRequest', function (event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && elt.closest && elt.closest('form[data-busy-label]');
    if (!form) return;
    var button = form.querySelector('button[type="submit"]');
    if (button) {
      button.textContent = form.dataset.busyLabel;
      button.setAttribute('aria-busy', 'true');
    }
  });

  // An error flash after an htmx swap is announced at once.
  document.addEventListener('htmx:afterSettle', function () {
    var flash = document.querySelector('#flash .flash-error');
    if (flash) flash.setAttribute('role', 'alert');
  });
})();
