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
      // Hidden inputs (the CSRF token) cannot take focus: focus() on one would leave it where the
      // dialog's own focusing put it, possibly on a container that only scripts may focus.
      var first = dialog.querySelector('[autofocus], input:checked, input:not([type="hidden"]), select, button');
      if (first) first.focus();
    }
  });

  document.addEventListener(
    'close',
    function (event) {
      var dialog = event.target;
      if (!(dialog instanceof HTMLDialogElement)) return;
      var body = dialog.querySelector('[data-dialog-body]');
      if (body) body.innerHTML = '';
      if (opener && document.contains(opener)) opener.focus();
      opener = null;
    },
    true,
  );

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

  // After a change the page comes back with its result, in the row the change was about when there
  // is one. Focus moves there, to the row's first control (described by the message), or to the
  // message itself, so the next Tab continues where the person was and a screen reader reads the
  // result; both are scrolled into view, never left above the fold.
  function showResult() {
    var message = document.querySelector('[data-row-flash]');
    if (message) {
      var row = document.getElementById(message.id.replace(/^flash-/, '')) || message.parentElement;
      var control = row.querySelector(':scope > .actions button:not([disabled]), :scope > .actions a[href]');
      if (control) {
        var described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        if (described.indexOf(message.id) < 0) control.setAttribute('aria-describedby', described.concat(message.id).join(' '));
      }
      reveal(row);
      reveal(message);
      (control || message).focus({ preventScroll: true });
      return;
    }
    var flash = document.querySelector('#flash .flash, .flash-leftover .flash');
    if (flash) {
      flash.setAttribute('tabindex', '-1');
      reveal(flash);
      flash.focus({ preventScroll: true });
    }
  }

  function reveal(element) {
    var box = element.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) element.scrollIntoView({ block: 'nearest' });
  }

  // Plain loads (JavaScript on, but a full page: a reload, a form htmx leaves alone).
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', showResult);
  else showResult();

  // A link to something behind a <details> (#add-key-<slug>: "How to connect" of an API-key
  // integration, the Add-key links of the team page) opens it and puts focus in its first field,
  // on a full load, on a boosted navigation (htmx swaps the page in; the browser reveals nothing)
  // and on a link within the page. Without JavaScript the browser may open it, or "Add key" does.
  function openHashTarget() {
    var id;
    try {
      id = decodeURIComponent(window.location.hash.slice(1));
    } catch (error) {
      return; // a malformed fragment names nothing
    }
    var target = id && document.getElementById(id);
    var details = target && target.closest('details');
    if (!details) return;
    for (var open = details; open; open = open.parentElement && open.parentElement.closest('details')) open.open = true;
    var fields = 'input:not([type="hidden"]), select, textarea';
    var field = target.matches(fields) ? target : target.querySelector(fields) || details.querySelector(fields);
    if (!field) return;
    reveal(field);
    field.focus({ preventScroll: true });
  }
  window.addEventListener('hashchange', openHashTarget);
  // On a full load the browser, once loaded, moves focus away from anything focused before it
  // reached the fragment (to the fragment's target, or nowhere): so after that.
  if (document.readyState === 'complete') openHashTarget();
  else window.addEventListener('load', openHashTarget);

  // A boosted navigation (a form's redirect) swaps the whole body, as a new page would; other swaps
  // are parts of a page. The result is shown first, then a fragment's form opened.
  document.addEventListener('htmx:afterSettle', function (event) {
    if (!event.detail || event.detail.target !== document.body) return;
    showResult();
    openHashTarget();
  });

  // Times are written in UTC by the server; the exact time in their title is given again in the
  // viewer's own time zone.
  var localTime = new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  function localizeTimes(root) {
    var times = (root.querySelectorAll ? root : document).querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute('datetime'));
      if (!isNaN(date.getTime())) times[i].setAttribute('title', localTime.format(date));
    }
  }
  document.addEventListener('htmx:load', function (event) {
    localizeTimes(event.detail && event.detail.elt ? event.detail.elt : document);
  });
  localizeTimes(document);
})();
