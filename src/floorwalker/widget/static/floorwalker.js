/*! Floorwalker loader v1 (no dependencies). Install:
 * <script async src="https://HOST/widget/floorwalker.js" data-write-key="fw_pub_..."></script>
 * Reads the site's dataLayer, sends Segment-shaped calls to POST /v1/batch and loads
 * the chat widget (widget.js) after the first page call. See README.md next to it. */
(function (w, d) {
  'use strict';
  var stub = w.floorwalker;
  if (stub && stub._fw) return; // loaded twice
  var VERSION = '1.0.0';
  var P = 'fw_'; // storage prefix
  var nav = w.navigator || {};
  var script = d.currentScript || d.querySelector('script[data-write-key][src*="floorwalker"]');
  var ds = (script && script.dataset) || {};
  var key = ds.writeKey;
  var queued = (stub && stub.q) || [];

  function api() { run(arguments); }
  w.floorwalker = api;
  if (!key || !script.src) {
    warn('data-write-key is missing on the script tag; nothing is sent');
    return;
  }

  // ---- configuration -------------------------------------------------------
  var src = script.src.split('#')[0];
  var query = src.indexOf('?') >= 0 ? src.slice(src.indexOf('?')) : '';
  src = src.split('?')[0];
  var widgetBase = src.slice(0, src.lastIndexOf('/') + 1);
  var apiBase = (ds.host || (/\/widget\/$/.test(widgetBase) ? widgetBase.slice(0, -8)
    : widgetBase.replace(/^(\w+:\/\/[^/]+).*$/, '$1'))).replace(/\/+$/, '');
  function flag(v, def) { return v == null || v === '' ? def : !/^(false|0|no|off)$/i.test(v); }
  function list(v) {
    return v ? String(v).split(',').map(function (s) { return s.trim(); }).filter(Boolean) : null;
  }
  var consentRequired = flag(ds.consentRequired, false);
  var captureGtm = flag(ds.captureGtm, false);
  var allowList = list(ds.allowEvents);
  var blockList = list(ds.blockEvents) || [];
  var auth = 'Basic ' + w.btoa(key + ':');

  // ---- storage (first party; localStorage, cookie fallback) ----------------
  function read(k) {
    try { var v = w.localStorage.getItem(P + k); if (v != null) return v; } catch (e) { /* blocked */ }
    var m = d.cookie.match(new RegExp('(?:^|;\\s*)' + P + k + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function write(k, v) {
    if (v == null) {
      try { w.localStorage.removeItem(P + k); } catch (e) { /* blocked */ }
      if (d.cookie.indexOf(P + k + '=') >= 0) d.cookie = P + k + '=; path=/; max-age=0';
      return;
    }
    try { w.localStorage.setItem(P + k, v); return; } catch (e) { /* blocked: cookie */ }
    d.cookie = P + k + '=' + encodeURIComponent(v) + '; path=/; max-age=31536000; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }
  function store(k, v) { if (state === 'on') write(k, v); }
  function clearAll() {
    [w.localStorage, w.sessionStorage].forEach(function (s) {
      try {
        for (var i = s.length - 1; i >= 0; i--) { var k = s.key(i); if (k && k.indexOf(P) === 0) s.removeItem(k); }
      } catch (e) { /* blocked */ }
    });
    d.cookie.split(';').forEach(function (c) {
      var name = c.split('=')[0].trim();
      if (name.indexOf(P) === 0) d.cookie = name + '=; path=/; max-age=0';
    });
  }

  // ---- helpers --------------------------------------------------------------
  function uuid() {
    var c = w.crypto;
    if (c && c.randomUUID) { try { return c.randomUUID(); } catch (e) { /* insecure context */ } }
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.random() * 256 | 0;
    b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  function iso() { return new Date().toISOString(); }
  function warn(m) { if (w.console) w.console.warn('[floorwalker] ' + m); }
  var PLACEHOLDER = /^\s*(null|undefined|none|nil|nan|0|-1|anonymous|anon|guest|unknown|\[object object\]|true|false|0{8}-0{4}-0{4}-0{4}-0{12})?\s*$/i;
  function goodId(v) { return (typeof v === 'string' || typeof v === 'number') && !PLACEHOLDER.test(String(v)); }

  // A JSON-safe copy within the server's limits (depth 8, 256 keys, 8,192-char strings):
  // drops functions, DOM nodes and cycles, so any dataLayer push can be sent.
  function clean(v, depth) {
    if (v == null || typeof v === 'boolean') return v;
    if (typeof v === 'number') return isFinite(v) ? v : null;
    if (typeof v === 'string') return v.length > 8192 ? v.slice(0, 8192) : v;
    if (typeof v !== 'object' || depth > 6 || v.nodeType || v === w) return undefined;
    if (v instanceof Date) return isNaN(v) ? null : v.toISOString();
    var out, n = 0, k, x;
    if (Array.isArray(v)) {
      out = [];
      for (k = 0; k < v.length && k < 500; k++) { x = clean(v[k], depth + 1); out.push(x === undefined ? null : x); }
      return out;
    }
    out = {};
    for (k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k) || n >= 256) continue;
      x = clean(v[k], depth + 1);
      if (x !== undefined) { out[k.slice(0, 200)] = x; n++; }
    }
    return out;
  }
  function props(v) { var o = clean(v, 1); return o && typeof o === 'object' && !Array.isArray(o) ? o : {}; }

  // ---- identity and consent -------------------------------------------------
  // state: 'on' (sending), 'wait' (consent required, not given: memory only), 'off' (refused)
  var state = consentRequired ? (read('consent') === '1' ? 'on' : 'wait')
    : (read('optout') === '1' ? 'off' : 'on');
  var anonymousId, userId, userHash;
  function loadIds() {
    var on = state === 'on';
    anonymousId = on && read('aid');
    if (!goodId(anonymousId)) anonymousId = uuid();
    userId = on ? read('uid') : null;
    userHash = userId && on ? read('uh') : null;
    saveIds();
  }
  function saveIds() { store('aid', anonymousId); store('uid', userId); store('uh', userHash); }
  loadIds();

  var handlers = {};
  function on(ev, fn) { (handlers[ev] = handlers[ev] || []).push(fn); }
  function emit(ev) {
    (handlers[ev] || []).forEach(function (fn) { try { fn(); } catch (e) { warn(e && e.message); } });
  }

  // ---- calls ----------------------------------------------------------------
  var referrer = d.referrer || '';
  function pageInfo() {
    var info = { url: location.href, path: location.pathname, title: d.title, referrer: referrer,
      search: location.search };
    var lang = d.documentElement.getAttribute('lang');
    if (lang) info.lang = String(lang).slice(0, 35);  // the page's language (<html lang>)
    return info;
  }
  function campaign() {
    var out = null;
    try {
      var q = new URLSearchParams(location.search);
      [['source', 'utm_source'], ['medium', 'utm_medium'], ['name', 'utm_campaign'],
        ['term', 'utm_term'], ['content', 'utm_content']].forEach(function (p) {
        var v = q.get(p[1]);
        if (v) (out = out || {})[p[0]] = v.slice(0, 500);
      });
    } catch (e) { /* old browser */ }
    return out;
  }
  function context() {
    var c = { page: pageInfo(), locale: nav.language, userAgent: nav.userAgent,
      library: { name: 'floorwalker.js', version: VERSION } };
    try { c.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* none */ }
    var camp = campaign();
    if (camp) c.campaign = camp;
    if (userId && userHash) c.user_hash = userHash;
    return c;
  }
  function call(type, fields) {
    var c = { type: type, messageId: uuid(), timestamp: iso(), anonymousId: anonymousId,
      context: context() };
    if (userId) c.userId = userId;
    for (var k in fields) c[k] = fields[k];
    enqueue(c);
    return c;
  }
  function track(name, properties) {
    if (typeof name !== 'string' || !name.trim()) return;
    call('track', { event: name.trim().slice(0, 200), properties: props(properties) });
  }
  var pageSent = false;
  var lastUrl = null;
  function page(name, properties) {
    if (name && typeof name === 'object') { properties = name; name = null; }
    var p = props(properties), info = pageInfo();
    for (var k in info) if (!(k in p)) p[k] = info[k];
    var f = { properties: p };
    if (typeof name === 'string' && name) f.name = name.slice(0, 200);
    call('page', f);
    lastUrl = location.href;
    pageSent = true;
    loadWidget();
  }
  function identify(id, traits, hash) {
    if (id && typeof id === 'object') { hash = traits; traits = id; id = null; }
    if (goodId(id)) {
      id = String(id).slice(0, 255);
      if (id !== userId) userHash = null;
      userId = id;
    }
    if (typeof hash === 'string' && /^[0-9a-f]{64}$/i.test(hash)) userHash = hash;
    saveIds();
    call('identify', { traits: props(traits) });
    emit('identity');
  }
  function reset() {
    anonymousId = uuid();
    userId = userHash = null;
    write('pc', null);
    saveIds();
    emit('reset');
  }
  function consent(yes) {
    var was = state;
    if (yes) {
      state = 'on';
      write('optout', null);
      if (consentRequired) write('consent', '1');
      saveIds();
      if (was === 'wait') { outbox = outbox.concat(waiting); waiting = []; schedule(0); }
      if (was === 'off' || !pageSent) page(); else loadWidget();
    } else {
      state = 'off';
      outbox = []; waiting = [];
      clearAll();
      if (!consentRequired) write('optout', '1');
      anonymousId = uuid(); userId = userHash = null;
      emit('stop');
    }
  }

  // ---- batching and delivery ---------------------------------------------------
  var outbox = [], waiting = [], inflight = null, timer = null, holdUntil = 0, attempt = 0, dead = false;
  function enqueue(c) {
    if (state === 'off' || dead) return;
    if (JSON.stringify(c).length > 32000) { warn('event too large, dropped: ' + (c.event || c.type)); return; }
    if (state === 'wait') { waiting.push(c); if (waiting.length > 100) waiting.shift(); return; }
    outbox.push(c);
    if (outbox.length > 1000) outbox.splice(0, outbox.length - 1000);
    schedule(outbox.length >= 20 ? 0 : 1000);
  }
  function schedule(ms) {
    var wait = Math.max(ms, holdUntil - Date.now());
    if (timer && wait > 0) return;
    clearTimeout(timer);
    timer = setTimeout(flush, wait);
  }
  function flush() {
    timer = null;
    if (inflight || !outbox.length || dead || state !== 'on') return;
    if (Date.now() < holdUntil) return schedule(0);
    send(outbox.splice(0, 20), false);
  }
  function retryAfter(r) {
    var v = r.headers && r.headers.get('Retry-After');
    if (!v) return 0;
    var s = +v;
    return isNaN(s) ? Math.max(0, Date.parse(v) - Date.now()) : s * 1000;
  }
  function send(calls, solo) {
    inflight = calls;
    var body = JSON.stringify({ batch: calls, sentAt: iso() });
    function done(again) {
      if (inflight === calls) inflight = null;
      if (again) outbox = again.concat(outbox);
      if (outbox.length) schedule(again ? 0 : 1000);
    }
    function retry(ms) {
      attempt++;
      holdUntil = Date.now() + Math.max(ms || 0,
        Math.min(60000, 1000 * Math.pow(2, attempt - 1)) * (0.5 + Math.random() / 2));
      done(calls);
    }
    var p;
    try {
      p = w.fetch(apiBase + '/v1/batch', { method: 'POST', body: body, credentials: 'omit',
        keepalive: body.length < 60000,
        headers: { 'Authorization': auth, 'Content-Type': 'application/json' } });
    } catch (e) { return retry(0); }
    p.then(function (r) {
      if (r.ok) { attempt = 0; holdUntil = 0; return done(); }
      var s = r.status;
      if (s === 429 || s >= 500 || s === 408) return retry(retryAfter(r));
      attempt = 0;
      if (s === 401) { dead = true; warn('unknown write key: tracking stopped'); return done(); }
      if (s === 403 && calls.some(function (c) { return c.userId; })) {
        // A wrong user hash: forget the claimed identity and send the events anonymously.
        warn('user hash refused: events are sent without the userId');
        userId = userHash = null; saveIds(); emit('identity');
        calls.forEach(function (c) { delete c.userId; delete c.context.user_hash; });
        return done(calls);
      }
      // Other 4xx: the batch is refused as a whole. Send the events one by one, once,
      // so that one bad event does not drop its neighbours.
      if (!solo && calls.length > 1) {
        inflight = null;
        return calls.reduce(function (prev, c) {
          return prev.then(function () { return new Promise(function (res) { sendOne(c, res); }); });
        }, Promise.resolve()).then(function () { done(); });
      }
      warn('event refused (' + s + ')');
      done();
    }, function () { retry(0); });
  }
  function sendOne(c, res) {
    var body = JSON.stringify({ batch: [c], sentAt: iso() });
    w.fetch(apiBase + '/v1/batch', { method: 'POST', body: body, credentials: 'omit',
      headers: { 'Authorization': auth, 'Content-Type': 'application/json' } })
      .then(function (r) { if (!r.ok) warn('event refused (' + r.status + '): ' + (c.event || c.type)); res(); },
        function () { outbox.push(c); res(); });
  }
  // Leaving or hiding the page: hand everything to sendBeacon (text/plain, writeKey in the body).
  function beacon() {
    if (state !== 'on' || dead || !nav.sendBeacon) return;
    var calls = (inflight && !inflight.beaconed ? inflight : []).concat(outbox);
    if (inflight) inflight.beaconed = true;
    var sent = 0;
    while (sent < calls.length) {
      var chunk = [], size = 100;
      while (sent + chunk.length < calls.length) {
        var c = calls[sent + chunk.length], n = JSON.stringify(c).length + 1;
        if (chunk.length && size + n > 60000) break;
        chunk.push(c); size += n;
      }
      var ok = false;
      try {
        ok = nav.sendBeacon(apiBase + '/v1/batch',
          JSON.stringify({ writeKey: key, batch: chunk, sentAt: iso() }));
      } catch (e) { /* refused */ }
      if (!ok) break;
      sent += chunk.length;
    }
    // What was beaconed leaves the outbox (duplicates are dropped by messageId anyway).
    var gone = {};
    calls.slice(0, sent).forEach(function (c) { gone[c.messageId] = 1; });
    outbox = outbox.filter(function (c) { return !gone[c.messageId]; });
  }
  w.addEventListener('pagehide', beacon);
  d.addEventListener('visibilitychange', function () {
    if (d.visibilityState === 'hidden') beacon();
    else schedule(0);
  });

  // ---- the dataLayer (GTM convention) ------------------------------------------
  var ECOMMERCE = /^(view_item_list|select_item|view_item|add_to_cart|remove_from_cart|view_cart|begin_checkout|add_shipping_info|add_payment_info|purchase|refund|view_promotion|select_promotion|add_to_wishlist)$/;
  var model = {}; // the part of GTM's data model we need: the last ecommerce object
  var hooked = null;
  function matches(name, patterns) {
    return patterns.some(function (p) {
      return p === name || (p.slice(-1) === '*' && name.indexOf(p.slice(0, -1)) === 0);
    });
  }
  function wanted(name) {
    if (name.indexOf('gtm.') === 0 && !captureGtm) return false;
    if (allowList) return matches(name, allowList) && !matches(name, blockList);
    // Our own page calls count page views; a pushed page_view would count them twice.
    return name !== 'page_view' && !matches(name, blockList);
  }
  function handle(item) {
    if (!item || typeof item !== 'object' || Array.isArray(item) || typeof item === 'function') return;
    if (Object.prototype.toString.call(item) === '[object Arguments]') {
      // gtag('event', name, params) pushes its arguments object.
      if (item[0] === 'event' && typeof item[1] === 'string' && wanted(item[1])) {
        var gp = props(item[2]);
        delete gp.send_to; delete gp.event_callback; delete gp.event_timeout;
        track(item[1], gp);
      }
      return;
    }
    var p = {};
    for (var k in item) {
      if (!Object.prototype.hasOwnProperty.call(item, k) || k === 'event' || k.indexOf('gtm.') === 0 ||
        k === 'eventCallback' || k === 'eventTimeout') continue;
      p[k] = item[k];
    }
    if ('ecommerce' in item) {
      if (item.ecommerce && typeof item.ecommerce === 'object') model.ecommerce = item.ecommerce;
      else delete model.ecommerce;
    }
    var name = item.event;
    if (typeof name !== 'string' || !name || !wanted(name)) return;
    if (p.ecommerce == null) {
      delete p.ecommerce;
      if (!('ecommerce' in item) && model.ecommerce && ECOMMERCE.test(name)) p.ecommerce = model.ecommerce;
    }
    track(name, p);
  }
  function hookDataLayer() {
    var dl = w.dataLayer;
    if (dl == null) dl = w.dataLayer = [];
    if (!Array.isArray(dl) || dl === hooked || dl._fw) return;
    hooked = dl;
    dl._fw = 1;
    for (var i = 0; i < dl.length; i++) handle(dl[i]);
    var push = dl.push;
    dl.push = function () {
      var r = push.apply(this, arguments);
      for (var j = 0; j < arguments.length; j++) {
        try { handle(arguments[j]); } catch (e) { warn(e && e.message); }
      }
      return r;
    };
  }

  // ---- single-page navigation ---------------------------------------------------
  function navigated() {
    setTimeout(function () {
      if (lastUrl && location.href !== lastUrl) { referrer = lastUrl; page(); }
    }, 50);
  }
  if (flag(ds.spa, true)) {
    ['pushState', 'replaceState'].forEach(function (m) {
      var orig = w.history && w.history[m];
      if (typeof orig !== 'function') return;
      w.history[m] = function () { var r = orig.apply(this, arguments); navigated(); return r; };
    });
    w.addEventListener('popstate', navigated);
  }

  // ---- heartbeats: page_ping every 15 s while the tab is visible and in use -------
  var lastActive = Date.now();
  ['pointerdown', 'keydown', 'scroll', 'mousemove', 'touchstart'].forEach(function (ev) {
    w.addEventListener(ev, function () { lastActive = Date.now(); }, { passive: true, capture: true });
  });
  setInterval(function () {
    hookDataLayer(); // the site may have replaced window.dataLayer
    if (state === 'on' && pageSent && d.visibilityState !== 'hidden' && Date.now() - lastActive < 1800000) {
      track('page_ping', { interval: 15 });
    }
  }, 15000);

  // ---- opt-in capture of typed e-mail and phone fields -------------------------------
  var captured = typeof WeakMap === 'function' ? new WeakMap() : null;
  function capture(e) {
    var el = e.target;
    if (!el || el.tagName !== 'INPUT' || !el.hasAttribute('data-floorwalker-capture')) return;
    var type = (el.getAttribute('type') || 'text').toLowerCase();
    var ac = (el.getAttribute('autocomplete') || '').toLowerCase();
    var names = ((el.getAttribute('name') || '') + ' ' + (el.getAttribute('id') || '')).toLowerCase();
    // Never: passwords, hidden fields, anything payment-like.
    if (type === 'password' || type === 'hidden' || /(^|\s)cc-|password|one-time-code/.test(ac) ||
      /card|cvc|cvv|csc|iban|ccnum|cc[-_]?(num|exp|csc)|expir|security.?code|passw|(^|[^a-z])pin([^a-z]|$)|ssn|swift|bic([^a-z]|$)/.test(names)) return;
    var field = type === 'email' || /(^|\s)email/.test(ac) || /e-?mail/.test(names) ? 'email'
      : type === 'tel' || /(^|\s)tel/.test(ac) || /phone|mobile|(^|[^a-z])tel([^a-z]|$)/.test(names) ? 'phone' : null;
    if (!field) return;
    var value = String(el.value || '').trim();
    if (field === 'email' ? !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) || value.length > 254
      : !/^\+?[\d\s().\-]{6,32}$/.test(value) || value.replace(/\D/g, '').length < 6) return;
    if (captured) { if (captured.get(el) === value) return; captured.set(el, value); }
    var form = el.form, id = form ? form.getAttribute('id') || form.getAttribute('name') || form.getAttribute('action') || 'form' : null;
    var set = {};
    set[field] = value;
    track('form_field_captured', { field: field, form: id, $set: set });
  }
  if (flag(ds.forms, false)) {
    d.addEventListener('change', capture, true);
    d.addEventListener('blur', capture, true);
  }

  // ---- the widget (loaded lazily) ------------------------------------------------
  var widgetRequested = false;
  var core = api._fw = {
    version: VERSION, base: apiBase, widgetBase: widgetBase, key: key, auth: auth, cfg: ds,
    ids: function () { return { anonymousId: anonymousId, userId: userId, userHash: userHash }; },
    track: track, on: on, uuid: uuid, read: read, write: store, openPending: false, widget: null
  };
  function loadWidget() {
    if (state !== 'on' || !pageSent || dead || !flag(ds.widget, true)) return;
    if (core.mount) { if (!core.widget) core.mount(); return; }
    if (widgetRequested) return;
    widgetRequested = true;
    var s = d.createElement('script');
    s.async = true;
    s.src = widgetBase + 'widget.js' + query;
    if (script.nonce) s.nonce = script.nonce;
    (d.head || d.body || d.documentElement).appendChild(s);
  }
  api.debug = {
    state: function () {
      return core.widget ? core.widget.state() : { connected: false, conversations: [], lastSeq: {} };
    },
    outbox: function () { return outbox.slice(); },
    flush: function () { schedule(0); }
  };

  // ---- the JS API ------------------------------------------------------------------
  function run(a) {
    try {
      switch (a[0]) {
        case 'track': return track(a[1], a[2]);
        case 'page': return page(a[1], a[2]);
        case 'identify': return identify(a[1], a[2], a[3]);
        case 'reset': return reset();
        case 'consent': return consent(!!a[1]);
        case 'open':
          if (core.widget) return core.widget.open(true);
          core.openPending = true; return loadWidget();
        case 'close': return core.widget && core.widget.close(true);
        default: warn('unknown command ' + a[0]);
      }
    } catch (e) { warn(e && e.message); }
  }

  // Calls queued by the stub first (consent, identify...), then this page, then the
  // events already in the dataLayer and every later push.
  var pagedByQueue = false;
  for (var i = 0; i < queued.length; i++) {
    if (queued[i] && queued[i][0] === 'page') pagedByQueue = true;
    run(queued[i]);
  }
  if (!pagedByQueue) page();
  hookDataLayer();
})(window, document);
