/**
 * The console's one script (served as /console.js, `script-src 'self'`): times in the
 * browser's own time zone with relative times ("ends in 2 h"), the zone remembered in a
 * cookie so the server renders it next time, and live updates of pages marked
 * `data-live` (polled every 20 s, left alone while a form is in use). The pages work without it.
 */
export const CONSOLE_JS = `
(function () {
  'use strict';
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  if (!/(?:^|; )rg_tz=/.test(document.cookie)) {
    document.cookie = 'rg_tz=' + encodeURIComponent(zone) + '; path=/; max-age=31536000; samesite=lax';
  }
  var chosen = (/(?:^|; )rg_tz=([^;]*)/.exec(document.cookie) || [])[1];
  var shown = chosen ? decodeURIComponent(chosen) : zone;
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: shown, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  } catch (e) {
    fmt = new Intl.DateTimeFormat('en-US', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  }
  function span(ms) {
    var a = Math.abs(ms), m = Math.round(a / 60000);
    if (m < 1) return 'less than a minute';
    if (m < 60) return m + ' min';
    var h = Math.round(a / 3600000);
    if (h < 48) return h + ' h';
    return Math.round(a / 86400000) + ' d';
  }
  function paint(root) {
    var now = Date.now() + skew;
    root.querySelectorAll('time[data-local]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (!isNaN(d)) t.textContent = fmt.format(d);
    });
    root.querySelectorAll('[data-rel]').forEach(function (el) {
      var at = Date.parse(el.getAttribute('data-at'));
      if (isNaN(at)) return;
      var word = el.getAttribute('data-rel');
      var ms = at - now;
      el.textContent = (word ? word + ' ' : '') + (ms >= 0 ? 'in ' + span(ms) : span(ms) + ' ago');
    });
  }
  // Relative times count from the server's clock, whatever the browser's says.
  var main = document.querySelector('main[data-now]');
  var skew = main ? Date.parse(main.getAttribute('data-now')) - Date.now() : 0;
  if (isNaN(skew)) skew = 0;
  var live = document.querySelector('main[data-live]');
  var served = live ? live.innerHTML : '';
  paint(document);
  setInterval(function () { paint(document); }, 30000);
  if (!live || !window.fetch || !window.DOMParser) return;
  setInterval(function () {
    var active = document.activeElement;
    if (document.hidden || (active && live.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
    fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var next = new DOMParser().parseFromString(html, 'text/html').querySelector('main[data-live]');
        if (!next || next.innerHTML === served) return;
        served = next.innerHTML;
        live.innerHTML = served;
        paint(live);
        live.setAttribute('data-updated', new Date().toISOString());
      })
      .catch(function () {});
  }, 20000);
})();
`.trim();
