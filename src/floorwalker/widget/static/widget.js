/*! Floorwalker widget v1: chat, invitations, pop-ups and cards in a shadow root.
 * Loaded by floorwalker.js (never install it directly). Speaks /ws/visitor protocol v1. */
(function (w, d) {
  'use strict';
  var fw = w.floorwalker, core = fw && fw._fw;
  if (!core || core.mount) return;

  // ---- UI strings -----------------------------------------------------------------
  var K = ['chat', 'launch', 'close', 'dismiss', 'ph', 'send', 'typing', 'typingA', 'sending', 'sent',
    'read', 'failed', 'unread', 'reconnecting', 'reply', 'replyPh', 'copy', 'copied', 'code', 'more',
    'call', 'faq', 'email', 'thanks', 'pre', 'name', 'phone', 'start', 'rate', 'star', 'comment',
    'found', 'yes', 'no', 'rateThanks', 'ended', 'question', 'req', 'badEmail',
    'trOpen', 'trDone', 'trNoMail', 'trMany', 'trFail'];
  var L = {
    en: ['Chat', 'Chat with us', 'Close chat', 'Dismiss', 'Write a message…', 'Send', '{n} is typing…',
      'Typing…', 'Sending…', 'Sent', 'Read', 'Not sent. Retry', '{n} unread', 'Reconnecting…', 'Reply',
      'Type your question…', 'Copy', 'Copied!', 'Your code', 'Read more', 'Call {n}', 'Help centre',
      'E-mail', 'Thank you!', 'Before we start, please introduce yourself', 'Name', 'Phone',
      'Start chat', 'How was the chat?', '{n} out of 5', 'Comment (optional)',
      'Did you find what you were looking for?', 'Yes', 'No', 'Thank you for your feedback!',
      'The conversation has ended.', 'Your question', 'Please fill in this field.',
      'Please enter a valid e-mail address.', 'E-mail me this conversation',
      'We sent this conversation to {n}.', 'This address does not accept our e-mails. Please use another one.',
      'Too many requests. Please try again later.', 'We could not send it. Please try again.'],
    fr: ['Discussion', 'Discuter avec nous', 'Fermer la discussion', 'Ignorer', 'Écrivez un message…',
      'Envoyer', '{n} écrit…', 'En train d’écrire…', 'Envoi…', 'Envoyé', 'Lu', 'Non envoyé. Réessayer',
      '{n} non lu(s)', 'Reconnexion…', 'Répondre', 'Posez votre question…', 'Copier', 'Copié !',
      'Votre code', 'En savoir plus', 'Appeler le {n}', 'Aide', 'E-mail', 'Merci !',
      'Avant de commencer, présentez-vous', 'Nom', 'Téléphone', 'Démarrer la discussion',
      'Comment s’est passée la discussion ?', '{n} sur 5', 'Commentaire (facultatif)',
      'Avez-vous trouvé ce que vous cherchiez ?', 'Oui', 'Non', 'Merci pour votre avis !',
      'La discussion est terminée.', 'Votre question', 'Veuillez remplir ce champ.',
      'Veuillez saisir une adresse e-mail valide.', 'Recevoir la discussion par e-mail',
      'Nous avons envoyé cette discussion à {n}.', 'Cette adresse ne reçoit pas nos e-mails. Veuillez en saisir une autre.',
      'Trop de demandes. Veuillez réessayer plus tard.', 'L’envoi a échoué. Veuillez réessayer.'],
    de: ['Chat', 'Chatten Sie mit uns', 'Chat schließen', 'Ausblenden', 'Nachricht schreiben…',
      'Senden', '{n} schreibt…', 'Schreibt…', 'Wird gesendet…', 'Gesendet', 'Gelesen',
      'Nicht gesendet. Erneut versuchen', '{n} ungelesen', 'Verbindung wird wiederhergestellt…',
      'Antworten', 'Ihre Frage…', 'Kopieren', 'Kopiert!', 'Ihr Code', 'Mehr erfahren', '{n} anrufen',
      'Hilfe', 'E-Mail', 'Vielen Dank!', 'Bevor wir beginnen: Bitte stellen Sie sich kurz vor', 'Name',
      'Telefon', 'Chat starten', 'Wie war der Chat?', '{n} von 5', 'Kommentar (optional)',
      'Haben Sie gefunden, wonach Sie gesucht haben?', 'Ja', 'Nein', 'Danke für Ihr Feedback!',
      'Das Gespräch wurde beendet.', 'Ihre Frage', 'Bitte füllen Sie dieses Feld aus.',
      'Bitte geben Sie eine gültige E-Mail-Adresse ein.', 'Dieses Gespräch per E-Mail erhalten',
      'Wir haben dieses Gespräch an {n} gesendet.', 'An diese Adresse können wir keine E-Mails senden. Bitte geben Sie eine andere ein.',
      'Zu viele Anfragen. Bitte versuchen Sie es später noch einmal.', 'Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.'],
    ru: ['Чат', 'Напишите нам', 'Закрыть чат', 'Скрыть', 'Напишите сообщение…', 'Отправить',
      '{n} печатает…', 'Печатает…', 'Отправка…', 'Отправлено', 'Прочитано', 'Не отправлено. Повторить',
      'Непрочитанных: {n}', 'Переподключение…', 'Ответить', 'Задайте вопрос…', 'Копировать',
      'Скопировано!', 'Ваш код', 'Подробнее', 'Позвонить {n}', 'Справка', 'Эл. почта', 'Спасибо!',
      'Прежде чем начать, представьтесь', 'Имя', 'Телефон', 'Начать чат', 'Как прошёл чат?',
      '{n} из 5', 'Комментарий (необязательно)', 'Вы нашли то, что искали?', 'Да', 'Нет',
      'Спасибо за отзыв!', 'Разговор завершён.', 'Ваш вопрос', 'Заполните это поле.',
      'Введите правильный адрес эл. почты.', 'Отправить переписку на эл. почту',
      'Мы отправили переписку на {n}.', 'На этот адрес нельзя отправить письмо. Укажите другой.',
      'Слишком много запросов. Попробуйте позже.', 'Не удалось отправить. Попробуйте ещё раз.'],
    nl: ['Chat', 'Chat met ons', 'Chat sluiten', 'Verbergen', 'Typ een bericht…', 'Versturen',
      '{n} typt…', 'Typt…', 'Versturen…', 'Verstuurd', 'Gelezen', 'Niet verstuurd. Opnieuw proberen',
      '{n} ongelezen', 'Opnieuw verbinden…', 'Beantwoorden', 'Stel uw vraag…', 'Kopiëren',
      'Gekopieerd!', 'Uw code', 'Meer lezen', 'Bel {n}', 'Helpcentrum', 'E-mail', 'Bedankt!',
      'Stel uzelf even voor voordat we beginnen', 'Naam', 'Telefoon', 'Chat starten',
      'Hoe was de chat?', '{n} van 5', 'Opmerking (optioneel)', 'Heeft u gevonden wat u zocht?', 'Ja',
      'Nee', 'Bedankt voor uw feedback!', 'Het gesprek is beëindigd.', 'Uw vraag', 'Vul dit veld in.',
      'Vul een geldig e-mailadres in.', 'Stuur mij dit gesprek per e-mail',
      'We hebben dit gesprek naar {n} gestuurd.', 'Dit adres ontvangt geen e-mail van ons. Vul een ander adres in.',
      'Te veel verzoeken. Probeer het later opnieuw.', 'Versturen is mislukt. Probeer het opnieuw.']
  };
  // What routing tells the visitor (a message's `notice`: its kind and values), keyed.
  var NOTICE = {
    en: { joined: '{name} joined the chat.',
      waiting: 'Thanks for waiting: an agent will be with you shortly. You are number {position} in line.',
      queued: 'All our agents are busy right now; you are number {position} in the queue. Stay here: we will answer as soon as someone is free.' },
    fr: { joined: '{name} a rejoint la discussion.',
      waiting: 'Merci de patienter : un conseiller va vous répondre. Vous êtes en position {position} dans la file.',
      queued: 'Tous nos conseillers sont occupés ; vous êtes en position {position} dans la file d’attente. Restez ici : nous vous répondrons dès que quelqu’un sera libre.' },
    de: { joined: '{name} ist dem Chat beigetreten.',
      waiting: 'Danke für Ihre Geduld: Gleich ist jemand für Sie da. Sie sind an Position {position} in der Warteschlange.',
      queued: 'Alle Mitarbeiter sind gerade beschäftigt; Sie sind an Position {position} in der Warteschlange. Bleiben Sie hier: Wir antworten, sobald jemand frei ist.' },
    ru: { joined: '{name} теперь в чате.',
      waiting: 'Спасибо, что ждёте: сотрудник скоро ответит. Ваше место в очереди: {position}.',
      queued: 'Все сотрудники сейчас заняты. Ваше место в очереди: {position}. Оставайтесь здесь: мы ответим, как только кто-то освободится.' },
    nl: { joined: '{name} neemt nu deel aan de chat.',
      waiting: 'Bedankt voor uw geduld: er is zo iemand voor u. U bent nummer {position} in de rij.',
      queued: 'Al onze medewerkers zijn nu bezet; u bent nummer {position} in de wachtrij. Blijf hier: we antwoorden zodra er iemand vrij is.' }
  };
  function noticeText(n) {
    var s = n && typeof n === 'object' && ((NOTICE[lang] || {})[n.kind] || NOTICE.en[n.kind]);
    if (!s) return null;
    return s.replace(/\{(name|position)\}/g, function (_m, k) { return n[k] == null ? '' : String(n[k]); });
  }
  function langOf(tag) {
    var base = String(tag || '').toLowerCase().split(/[-_]/)[0];
    return L[base] ? base : null;
  }
  var lang = 'en', bound = [];
  function T(k, n) {
    var s = L[lang][K.indexOf(k)] || L.en[K.indexOf(k)] || k;
    return n == null ? s : s.replace('{n}', function () { return String(n); }); // no $-patterns from n
  }
  // Element text or attribute that follows the language.
  function tr(el, k, attr, n) {
    bound.push([el, k, attr, n]);
    if (attr) el.setAttribute(attr, T(k, n)); else el.textContent = T(k, n);
    return el;
  }
  function setLang(tag) {
    var l = langOf(tag);
    if (!l || l === lang) return;
    lang = l;
    bound = bound.filter(function (b) { return b[0].isConnected; });
    bound.forEach(function (b) { if (b[2]) b[0].setAttribute(b[2], T(b[1], b[3])); else b[0].textContent = T(b[1], b[3]); });
    if (typeof ui === "object" && ui && ui.panel) { ui.panel.setAttribute("lang", lang); badge(); header(); }
  }

  // ---- styles (all inside the shadow root) ----------------------------------------------
  var color = /^#[0-9a-f]{3,8}$/i.test(core.cfg.color || '') ? core.cfg.color : '#2255d4';
  var CSS = ':host{all:initial}' +
    '*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:14px;line-height:1.4;color:#1f2330;margin:0}' +
    '[hidden]{display:none!important}' +
    'button,input,textarea{font:inherit;color:inherit}' +
    'button{cursor:pointer}' +
    ':focus{outline:none}:focus-visible{outline:3px solid #f5a524;outline-offset:2px}' +
    '.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:var(--c);color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}' +
    '.launcher svg{width:28px;height:28px;fill:#fff}' +
    '.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#d92d20;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center}' +
    '.box{position:fixed;right:20px;bottom:88px;width:370px;max-width:calc(100vw - 24px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.22);overflow:hidden}' +
    '.bubble{width:320px;padding:14px 16px}' +
    '.panel{height:min(600px,calc(100vh - 110px));display:flex;flex-direction:column}' +
    '.head{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--c);color:#fff}' +
    '.head *{color:#fff}.head .title{flex:1;font-weight:600;font-size:15px}.head .status{font-size:12px;opacity:.85}' +
    '.x{border:0;background:transparent;width:32px;height:32px;border-radius:6px;font-size:20px;line-height:1;flex:none}' +
    '.bubble .x,.popup .x{position:absolute;top:6px;right:6px;color:#555}' +
    '.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}' +
    '.msg{max-width:85%;padding:8px 11px;border-radius:12px;background:#fff;border:1px solid #e3e5ea;white-space:pre-wrap;overflow-wrap:anywhere}' +
    '.msg[data-author=visitor]{align-self:flex-end;background:var(--c);border-color:transparent}.msg[data-author=visitor] *{color:#fff}' +
    '.msg[data-author=system]{align-self:center;background:#eef1f6;max-width:95%}' +
    '.who{font-size:12px;font-weight:600;color:#555}.meta{font-size:11px;opacity:.8;text-align:right}.meta *{font-size:inherit}' +
    '.meta button{border:0;background:none;text-decoration:underline;font-size:11px;padding:0}' +
    '.meta [data-fw=channel]::before{content:" · "}' +
    '.note{align-self:center;font-size:12px;color:#666}' +
    '.typing{padding:4px 14px;font-size:12px;color:#555;background:#f6f7f9}' +
    '.compose{display:flex;gap:8px;padding:10px;border-top:1px solid #e3e5ea;background:#fff}' +
    'textarea,input[type=text],input[type=email],input[type=tel]{flex:1;width:100%;min-width:0;border:1px solid #c9cdd6;border-radius:8px;padding:8px 10px;background:#fff;resize:none}' +
    '.btn{border:0;border-radius:8px;padding:8px 14px;background:var(--c);color:#fff;font-weight:600}' +
    '.btn.alt{background:#e8ebf1;color:#1f2330}.btn[aria-pressed=true]{outline:2px solid var(--c);background:#dfe7fb;color:#1f2330}' +
    '.agent{font-weight:600;margin:0 28px 4px 0}.text{margin:0 20px 10px 0;white-space:pre-wrap}' +
    '.bubble input,.popup input{margin-top:4px}.row{display:flex;gap:8px;align-items:center;margin-top:8px;flex-wrap:wrap}' +
    '.popup{padding:18px;max-height:calc(100vh - 110px);overflow-y:auto}.popup h2{font-size:17px;font-weight:700;margin:0 28px 6px 0}' +
    '.popup img{display:block;max-width:100%;max-height:180px;margin:0 auto 10px;border-radius:8px}' +
    '.coupon{display:flex;gap:8px;align-items:center;margin:8px 0;padding:8px 10px;border:2px dashed var(--c);border-radius:8px}' +
    '.coupon code{flex:1;font-family:ui-monospace,Menlo,monospace;font-size:16px;font-weight:700;letter-spacing:.05em}' +
    '.msg .coupon *{color:inherit}.coupon .lbl{font-size:12px;opacity:.8}' +
    'a{color:var(--c)}.extra{padding:10px 12px;border-top:1px solid #e3e5ea;background:#fff;display:flex;flex-direction:column;gap:8px}' +
    '.tools{display:flex;justify-content:flex-end;padding:0 12px 4px;background:#fff}' +
    '.link{display:inline-flex;align-items:center;gap:5px;min-height:26px;border:0;background:none;padding:4px 0;font-size:12px;color:#555;text-decoration:underline;text-underline-offset:2px}' +
    '.link svg{width:14px;height:14px;fill:currentColor;flex:none}.link:hover{color:var(--c)}' +
    '.tx .row{margin:0;flex-wrap:nowrap}.tx .title{font-weight:600}.tx .btn{flex:none}.tx .btn[aria-disabled=true]{opacity:.7;cursor:default}' +
    '.tx .done{overflow-wrap:anywhere}' +
    'label{display:flex;flex-direction:column;gap:3px;font-size:13px}.err{color:#b42318;font-size:12px}[aria-invalid=true]{border-color:#b42318}.stars{display:flex;gap:4px}.stars .btn{padding:6px 10px}' +
    '@media (max-width:480px){.box{right:0;left:0;width:100%;max-width:100%;border-radius:12px 12px 0 0;bottom:0}' +
    '.open .launcher{display:none}.bubble{width:auto;left:8px;right:8px;bottom:84px;border-radius:12px}.panel{height:85vh;height:85dvh}.popup{max-height:85vh}}' +
    '@media (prefers-reduced-motion:no-preference){.box{animation:fwin .18s ease-out}@keyframes fwin{from{opacity:0;transform:translateY(8px)}}}';

  // ---- helpers --------------------------------------------------------------------
  function h(tag, attrs, kids) {
    var el = d.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    (kids || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }
  function safeUrl(u, tel) {
    try {
      var x = new URL(String(u), location.href);
      return /^https?:$/.test(x.protocol) || (tel && x.protocol === 'tel:') ? x.href : null;
    } catch (e) { return null; }
  }
  function ss(v) {
    try {
      if (v === undefined) return JSON.parse(w.sessionStorage.getItem('fw_w') || 'null');
      if (v === null) w.sessionStorage.removeItem('fw_w'); else w.sessionStorage.setItem('fw_w', JSON.stringify(v));
    } catch (e) { return null; }
  }
  function now() { return Date.now(); }
  function api(method, path, body) {
    return w.fetch(core.base + path, { method: method, credentials: 'omit', keepalive: method === 'POST',
      headers: body ? { 'Authorization': core.auth, 'Content-Type': 'application/json' } : { 'Authorization': core.auth },
      body: body ? JSON.stringify(body) : undefined });
  }

  // ---- state ------------------------------------------------------------------------
  var S, ui, timers;
  function fresh(aid) {
    return { aid: aid, seq: {}, msgs: {}, order: [], draft: [], outbox: [], active: null, open: false,
      unread: 0, seen: [], surveyed: [], readSent: {}, agentRead: {}, pending: null };
  }
  function save() {
    if (!S) return;
    var keep = {};
    for (var k in S) if (k !== 'convs' && k !== 'ws' && k.charAt(0) !== '_') keep[k] = S[k];
    ss(keep);
  }
  function aid() { return core.ids().anonymousId; }

  function mount() {
    if (core.widget) return;
    var saved = ss();
    S = saved && saved.aid === aid() ? saved : fresh(aid());
    S.convs = {}; S.ws = null; S._connected = false; S._attempt = 0; S._conn = ''; S._hist = {};
    timers = {};
    // The page's own language (<html lang>) when the widget speaks it, else the browser's.
    var pageLang = w.document.documentElement.getAttribute('lang');
    setLang(langOf(pageLang) ? pageLang : w.navigator.language);
    build();
    core.widget = { open: function (user) { openPanel(user); }, close: function (user) { closePanel(user); }, state: state };
    renderLog();
    if (S.open) openPanel(false);
    if (core.openPending) { core.openPending = false; openPanel(true); }
    connect();
    poll();
    timers.poll = setInterval(function () { if (!S._connected && d.visibilityState !== 'hidden') poll(); }, 10000);
  }
  core.mount = mount;
  core.on('reset', function () {
    if (!core.widget) return;
    disconnect();
    ss(null);
    S = fresh(aid()); S.convs = {}; S._attempt = 0; S._conn = ''; S._hist = {};
    clearTimeout(timers.tx); ui.tx = null;
    hideDecision(); closePanel(false); renderLog(); showExtra(); badge();
    connect();
  });
  core.on('identity', function () {
    if (!core.widget || !S.ws) return;
    var ids = core.ids();
    if (S._user !== (ids.userId && ids.userHash ? ids.userId + ':' + ids.userHash : '')) { S._noUser = false; disconnect(); connect(); }
  });
  core.on('stop', function () {
    if (!core.widget) return;
    disconnect();
    for (var k in timers) { clearInterval(timers[k]); clearTimeout(timers[k]); }
    ss(null);
    d.removeEventListener('keydown', onDocKey);
    ui.host.remove();
    core.widget = null;
  });
  function state() {
    var list = S.order.slice();
    for (var id in S.convs) if (list.indexOf(id) < 0) list.push(id);
    return { connected: S._connected, active: S.active, anonymousId: S.aid,
      conversations: list.map(function (id) { return S.convs[id] || { id: id }; }),
      lastSeq: JSON.parse(JSON.stringify(S.seq)), outbox: S.outbox.length, language: lang };
  }

  // ---- DOM ----------------------------------------------------------------------------
  function build() {
    ui = {};
    var old = d.getElementById('floorwalker-widget');
    if (old) old.remove();
    var host = ui.host = d.createElement('floorwalker-widget');
    host.id = 'floorwalker-widget';
    host.setAttribute('style', 'all:initial!important;position:fixed!important;z-index:2147483647!important;right:0!important;bottom:0!important;width:0!important;height:0!important;display:block!important');
    var root = ui.root = host.attachShadow({ mode: 'open' });
    var sheet = null;
    try { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); root.adoptedStyleSheets = [sheet]; } catch (e) { sheet = null; }
    if (!sheet) root.appendChild(h('style', { text: CSS }));
    var wrap = ui.wrap = h('div', { style: '--c:' + color });
    root.appendChild(wrap);

    ui.badge = h('span', { 'class': 'badge', 'data-fw': 'badge', 'aria-hidden': 'true', hidden: true });
    var icon = d.createElementNS('http://www.w3.org/2000/svg', 'svg');
    icon.setAttribute('viewBox', '0 0 24 24'); icon.setAttribute('aria-hidden', 'true');
    var path = d.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
    icon.appendChild(path);
    ui.launcher = h('button', { type: 'button', 'class': 'launcher', 'data-fw': 'launcher', 'aria-expanded': 'false',
      'aria-controls': 'fw-panel', hidden: core.cfg.launcher === 'false',
      onclick: function () { if (ui.panel.hidden) openPanel(true); else closePanel(true); } }, [icon, ui.badge]);

    ui.title = h('span', { 'class': 'title', 'data-fw': 'title', text: T('chat') });
    ui.status = h('span', { 'class': 'status', 'data-fw': 'status', role: 'status' });
    var close = tr(h('button', { type: 'button', 'class': 'x', 'data-fw': 'close', text: '×',
      onclick: function () { closePanel(true); } }), 'close', 'aria-label');
    ui.log = h('div', { 'class': 'log', 'data-fw': 'messages', role: 'log', 'aria-live': 'polite', tabindex: '0' });
    ui.typing = h('div', { 'class': 'typing', 'data-fw': 'typing', 'aria-live': 'polite', hidden: true });
    ui.extra = h('div', { 'class': 'extra', hidden: true });
    ui.input = tr(tr(h('textarea', { 'data-fw': 'input', rows: '1', maxlength: '4000',
      oninput: typing, onkeydown: function (e) {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
      } }), 'ph', 'placeholder'), 'ph', 'aria-label');
    ui.send = tr(h('button', { type: 'submit', 'class': 'btn', 'data-fw': 'send' }), 'send');
    ui.compose = h('form', { 'class': 'compose', onsubmit: function (e) { e.preventDefault(); submit(); } }, [ui.input, ui.send]);
    // "E-mail me this conversation": under the text box (or the survey), once an agent wrote.
    var env = d.createElementNS('http://www.w3.org/2000/svg', 'svg');
    env.setAttribute('viewBox', '0 0 24 24'); env.setAttribute('aria-hidden', 'true');
    var envPath = d.createElementNS('http://www.w3.org/2000/svg', 'path');
    envPath.setAttribute('d', 'M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2.4V17h16V7.4l-8 5.3-8-5.3zM5.6 7l6.4 4.3L18.4 7H5.6z');
    env.appendChild(envPath);
    ui.txLink = h('button', { type: 'button', 'class': 'link', 'data-fw': 'transcript-open', onclick: function () { txOpen(); } },
      [env, tr(h('span'), 'trOpen')]);
    ui.tools = h('div', { 'class': 'tools', hidden: true }, [ui.txLink]);
    ui.panel = tr(h('div', { id: 'fw-panel', 'class': 'box panel', 'data-fw': 'panel', role: 'dialog',
      'aria-modal': 'false', lang: lang, hidden: true },
      [h('div', { 'class': 'head' }, [ui.title, ui.status, close]), ui.log, ui.typing, ui.extra, ui.compose, ui.tools]), 'chat', 'aria-label');
    ui.deck = h('div');
    wrap.appendChild(ui.deck);
    wrap.appendChild(ui.panel);
    wrap.appendChild(ui.launcher);
    root.addEventListener('keydown', function (e) { if (e.key === 'Escape') escape(e); });
    d.addEventListener('keydown', onDocKey);
    (d.body || d.documentElement).appendChild(host);
    badge();
    status();
  }
  function onDocKey(e) {
    // Escape pressed outside any site control (the widget's own keys come through its root).
    var t = e.target;
    if (e.key === 'Escape' && !e.defaultPrevented && (t === d.body || t === d.documentElement || !t)) escape(e);
  }
  function escape(e) {
    if (e._fw) return;
    e._fw = 1;
    if (!ui.panel.hidden) { closePanel(true); e.stopPropagation(); } else if (S._cur) { dismiss(); }
  }
  function badge() {
    var n = S.unread;
    ui.badge.hidden = !n;
    ui.badge.textContent = n > 9 ? '9+' : String(n);
    ui.launcher.setAttribute('aria-label', T('launch') + (n ? ', ' + T('unread', n) : ''));
  }
  var downSince = 0;
  function status() {
    clearTimeout(timers.status);
    if (S._connected) { downSince = 0; ui.status.textContent = ''; return; }
    if (!downSince) downSince = now();
    var left = 4000 - (now() - downSince);
    if (left > 0) { timers.status = setTimeout(status, left); return; }
    ui.status.textContent = T('reconnecting');
  }

  // ---- the panel -------------------------------------------------------------------------
  function openPanel(user) {
    if (S._cur && (S._cur.type === 'chat_invitation' || S._cur.type === 'popup')) adopt(S._cur);
    if (ui.panel.hidden) {
      ui.panel.hidden = false;
      ui.launcher.setAttribute('aria-expanded', 'true');
      ui.wrap.className = 'open';
      S.open = true;
    }
    S.unread = 0; badge(); showExtra(); scroll(); markRead(); save();
    ui.deck.hidden = true; // cards wait behind the open panel
    if (user) (ui.compose.hidden && ui.extra.querySelector('input,textarea') || ui.input).focus();
  }
  function closePanel(user) {
    if (ui.panel.hidden) return;
    ui.panel.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    ui.wrap.className = '';
    S.open = false;
    ui.deck.hidden = false;
    // Closing a chat the server opened, without answering, dismisses it.
    if (S.pending && user) { respond(S.pending, 'dismissed'); S.pending = null; S.draft = []; renderLog(); }
    save();
    if (user) ui.launcher.focus();
  }
  function scroll() { ui.log.scrollTop = ui.log.scrollHeight; }

  // ---- messages -----------------------------------------------------------------------------
  // A message kept for display: {k: key, a: author, x: text, n: name, s: seq, st: state, c: client_id, l: local, cp: coupon}
  var els = {};
  function renderLog() {
    ui.log.textContent = '';
    els = {};
    S.order.forEach(function (cid) {
      (S.msgs[cid] || []).forEach(function (m) { ui.log.appendChild(msgEl(m)); });
    });
    S.draft.forEach(function (m) { ui.log.appendChild(msgEl(m)); });
    scroll();
    tools();
  }
  function msgEl(m) {
    if (m.note) return tr(h('div', { 'class': 'note', 'data-fw': 'note' }), m.note);
    var el = h('div', { 'class': 'msg', 'data-fw': 'message', 'data-author': m.a, 'data-state': m.a === 'visitor' ? m.st : null });
    if (m.a !== 'visitor' && m.n) el.appendChild(h('div', { 'class': 'who', text: m.n }));
    if (m.t) el.appendChild(h('div', { 'class': 'agent', text: m.t }));
    el.appendChild(h('div', { 'class': 'body', text: m.x }));
    if (m.cp) el.appendChild(coupon(m.cp));
    if (m.a === 'visitor') { el.appendChild(h('div', { 'class': 'meta' })); setState(el, m); }
    els[m.k] = el;
    return el;
  }
  function setState(el, m) {
    el.setAttribute('data-state', m.st);
    var meta = el.lastChild;
    meta.textContent = '';
    if (m.st === 'failed') {
      meta.appendChild(tr(h('button', { type: 'button', 'data-fw': 'retry', onclick: function () { retry(m); } }), 'failed'));
    } else meta.appendChild(tr(h('span'), m.st));
    // A reply the visitor sent by e-mail says so (on every device of an identified visitor).
    if (m.ch) meta.appendChild(tr(h('span', { 'data-fw': 'channel' }), 'email'));
  }
  function update(m) { var el = els[m.k]; if (el) setState(el, m); }
  function append(cid, m) {
    var list;
    if (cid) {
      if (S.order.indexOf(cid) < 0) S.order.push(cid);
      list = S.msgs[cid] = S.msgs[cid] || [];
    } else list = S.draft;
    list.push(m);
    if (list.length > 150) list.splice(0, list.length - 150);
    while (S.order.length > 5) { var gone = S.order.shift(); delete S.msgs[gone]; delete S.seq[gone]; }
    // The log shows the conversations in order, then the draft: append at the end when that is where it goes.
    if (cid && (cid !== S.order[S.order.length - 1] || S.draft.length)) return renderLog();
    ui.log.appendChild(msgEl(m));
    scroll();
    tools();
  }
  function find(pred) {
    var all = [S.draft].concat(S.order.map(function (c) { return S.msgs[c] || []; }));
    for (var i = 0; i < all.length; i++) for (var j = 0; j < all[i].length; j++) if (pred(all[i][j])) return all[i][j];
    return null;
  }
  function activeOpen() {
    var c = S.active && S.convs[S.active];
    return S.active && !(c && c.status === 'closed') ? S.active : null;
  }

  function submit() {
    var text = ui.input.value.trim();
    if (!text) return;
    ui.input.value = '';
    say(text);
  }
  function say(text) {
    stopTyping();
    var m = { k: core.uuid(), c: null, a: 'visitor', x: text.slice(0, 4000), st: 'sending' };
    m.c = m.k;
    var out = { client_id: m.c, text: m.x, conversation_id: activeOpen(), decision_id: null };
    if (S.pending) {
      if (!out.conversation_id) out.decision_id = S.pending.id;
      respond(S.pending, 'accepted');
      S.pending = null;
    }
    out.hold = prechatNeeded();
    S.outbox.push(out);
    if (out.conversation_id) append(out.conversation_id, m); else append(null, m);
    out.cid0 = out.conversation_id;
    showExtra();
    pump();
    save();
  }
  function retry(m) {
    m.st = 'sending'; update(m);
    S.outbox.push({ client_id: m.c, text: m.x, conversation_id: m.cid || activeOpen(), decision_id: null });
    pump(); save();
  }
  // Send what is queued, in order; a message that starts a conversation goes alone until
  // its ack names the conversation the next ones belong to.
  function pump() {
    if (!S._connected) return;
    for (var i = 0; i < S.outbox.length; i++) {
      var o = S.outbox[i];
      if (o.hold) break;
      if (!o.conversation_id && i > 0) break;
      if (o.conn !== S._conn) {
        o.conn = S._conn;
        send({ type: 'message', client_id: o.client_id, text: o.text, conversation_id: o.conversation_id || null, decision_id: o.decision_id || null,
          form: o.conversation_id ? undefined : S.form || undefined });
      }
      if (!o.conversation_id) break;
    }
  }
  function send(f) {
    if (S.ws && S.ws.readyState === 1) { S.ws.send(JSON.stringify(f)); return true; }
    return false;
  }

  // Visitor typing: on at the first key, again every 3 s, off after 3 s of silence.
  function typing() {
    var cid = activeOpen();
    if (!cid) return;
    if (!S._typing || now() - S._typing > 3000) { S._typing = now(); send({ type: 'typing', conversation_id: cid, on: true }); }
    clearTimeout(timers.typing);
    timers.typing = setTimeout(stopTyping, 3000);
  }
  function stopTyping() {
    clearTimeout(timers.typing);
    if (S._typing && activeOpen()) send({ type: 'typing', conversation_id: activeOpen(), on: false });
    S._typing = 0;
  }
  function markRead() {
    if (ui.panel.hidden || d.visibilityState === 'hidden' || !S._connected) return;
    S.order.forEach(function (cid) {
      var seq = S.seq[cid] || 0;
      if (seq > (S.readSent[cid] || 0)) { S.readSent[cid] = seq; send({ type: 'read', conversation_id: cid, seq: seq }); }
    });
  }

  // ---- the socket -----------------------------------------------------------------------------
  function connect() {
    if (S.ws || !core.widget || S._fatal) return;
    clearTimeout(timers.reconnect);
    var ids = core.ids();
    var q = 'v=1&writeKey=' + encodeURIComponent(core.key) + '&anonymousId=' + encodeURIComponent(ids.anonymousId);
    S._user = '';
    if (ids.userId && ids.userHash && !S._noUser) {
      q += '&userId=' + encodeURIComponent(ids.userId) + '&userHash=' + encodeURIComponent(ids.userHash);
      S._user = ids.userId + ':' + ids.userHash;
    }
    var ws;
    try { ws = new WebSocket(core.base.replace(/^http/, 'ws') + '/ws/visitor?' + q); } catch (e) { return later(); }
    S.ws = ws;
    ws.onmessage = function (e) {
      if (S.ws !== ws) return;
      S._rx = now();
      var f;
      try { f = JSON.parse(e.data); } catch (x) { return; }
      if (f && typeof f === 'object') frame(f);
    };
    ws.onclose = function (e) {
      if (S.ws !== ws) return;
      down();
      if (e.code === 4401 || e.code === 4400) { S._fatal = true; return; } // unknown key / bad request: give up
      if (e.code === 4403) { S._noUser = true; S._attempt = 0; } // wrong user hash: continue anonymously
      later(e.code === 4429 ? 30000 : 0);
    };
  }
  function down() {
    var ws = S.ws;
    S.ws = null;
    S._connected = false;
    clearInterval(timers.ping);
    if (ws) { ws.onclose = ws.onmessage = null; try { ws.close(); } catch (e) { /* closed */ } }
    status();
    if (S._tx && S._tx.busy) txFail('trFail', true); // its answer, if any, is lost with the socket
  }
  function disconnect() { down(); clearTimeout(timers.reconnect); }
  function later(min) {
    clearTimeout(timers.reconnect);
    var ms = Math.max(min || 0, Math.min(30000, 1000 * Math.pow(2, S._attempt++)) * (0.5 + Math.random() / 2));
    timers.reconnect = setTimeout(connect, ms);
  }
  function wake() {
    if (!core.widget) return;
    if (d.visibilityState !== 'hidden') {
      if (!S.ws && !S._fatal) { S._attempt = 0; connect(); }
      markRead();
    }
  }
  d.addEventListener('visibilitychange', wake);
  w.addEventListener('online', wake);

  function frame(f) {
    switch (f.type) {
      case 'welcome': return welcome(f);
      case 'message': return message(f);
      case 'ack': return ack(f);
      case 'conversation': return conversation(f.conversation);
      case 'decision': return showDecision(f.decision);
      case 'withdraw': return withdraw(f.decision_id);
      case 'typing': return agentTyping(f);
      case 'read': return read(f);
      case 'error': return error(f);
      case 'transcript': return txDone(f);
      default: return; // pong and frames of later versions
    }
  }
  function welcome(f) {
    S._connected = true;
    S._attempt = 0;
    S._conn = core.uuid(); // messages not acked on an earlier connection are sent again
    status();
    var hb = Math.max(5, +f.heartbeat || 25) * 1000;
    clearInterval(timers.ping);
    timers.ping = setInterval(function () {
      if (now() - S._rx > 2 * hb + 5000) { down(); later(); return; } // silent socket
      send({ type: 'ping' });
    }, hb);
    var convs = Array.isArray(f.conversations) ? f.conversations : [];
    var latest = null;
    convs.forEach(function (c) {
      if (!c || !c.id) return;
      S.convs[c.id] = c;
      // The server knows how far agents read (a state saved by an older widget may not).
      if (typeof c.agent_read_seq === 'number') {
        S.agentRead[c.id] = c.agent_read_seq;
        (S.msgs[c.id] || []).forEach(function (m) {
          if (m.a === 'visitor' && m.st === 'read' && m.s > c.agent_read_seq) { m.st = 'sent'; update(m); }
        });
      }
      if (c.status !== 'closed' && (!latest || (c.started_at || 0) > (latest.started_at || 0))) latest = c;
    });
    if (!activeOpen() && latest) S.active = latest.id;
    // Resume every conversation we have seen (and the open one from another device, from 0).
    var resume = {}, any = false;
    for (var cid in S.seq) {
      var c = S.convs[cid];
      if (c && (typeof c.last_seq !== 'number' || c.last_seq > S.seq[cid])) { resume[cid] = S.seq[cid]; any = true; }
    }
    if (latest && !(latest.id in S.seq) && latest.last_seq > 0) {
      resume[latest.id] = 0; any = true;
      S._hist[latest.id] = latest.last_seq; // history, not unread
    }
    if (any) send({ type: 'resume', conversations: resume });
    header();
    pump();
    markRead();
    showExtra();
    save();
  }
  function message(f) {
    var cid = f.conversation_id, m = f.message;
    if (!cid || !m || typeof m !== 'object') return;
    var seq = +f.seq || 0;
    if (seq) {
      if (seq <= (S.seq[cid] || 0)) return; // already seen (resume, reconnect)
      S.seq[cid] = seq;
    }
    if (!activeOpen() && !(S.convs[cid] && S.convs[cid].status === 'closed')) S.active = cid;
    var mine = m.client_id && find(function (x) { return x.c === m.client_id && x.a === 'visitor'; });
    if (mine) {
      if (mine.s == null) {
        mine.s = seq; mine.st = (S.agentRead[cid] || 0) >= seq ? 'read' : 'sent'; mine.cid = cid; update(mine);
      }
      dropOut(m.client_id);
      return save();
    }
    var author = m.author === 'visitor' || m.author === 'agent' ? m.author : 'system';
    // Routing's lines are worded here, in the visitor's language (the text is English).
    var text = String((author === 'system' && noticeText(m.notice)) || (m.text == null ? '' : m.text));
    // The decision text the widget showed before the conversation existed comes back as
    // the conversation's first message: keep one, in its place.
    var local = author !== 'visitor' && find(function (x) { return x.l && (x.x === text || seq === 1); });
    if (local) {
      local.l = 0; local.s = seq; local.cid = cid; local.x = text; local.a = author; local.n = m.name || local.n;
      adoptDraft(cid);
      renderLog();
      markRead();
      return save();
    }
    adoptDraft(cid);
    append(cid, { k: m.id || cid + ':' + seq, c: m.client_id || null, a: author, x: text, n: m.name || null, s: seq, cid: cid,
      st: author === 'visitor' ? ((S.agentRead[cid] || 0) >= seq ? 'read' : 'sent') : null,
      ch: m.channel === 'email' ? 1 : 0 });
    if (author === 'agent') ui.typing.hidden = true;
    var history = seq && seq <= (S._hist[cid] || 0);
    if (author !== 'visitor' && !history && (ui.panel.hidden || d.visibilityState === 'hidden')) { S.unread++; badge(); }
    markRead();
    save();
  }
  // Messages shown before the conversation existed belong to it once it does.
  function adoptDraft(cid) {
    if (!S.draft.length) return;
    var list = S.msgs[cid] = S.msgs[cid] || [];
    if (S.order.indexOf(cid) < 0) S.order.push(cid);
    S.draft.forEach(function (m) { list.push(m); });
    S.draft = [];
    renderLog();
  }
  function dropOut(clientId) {
    S.outbox = S.outbox.filter(function (o) { return o.client_id !== clientId; });
  }
  function ack(f) {
    var o = null;
    S.outbox.forEach(function (x) { if (x.client_id === f.client_id) o = x; });
    var cid = f.conversation_id;
    if (cid) {
      S.form = null; // it went with the message that started the conversation
      if (!activeOpen()) S.active = cid;
      if (o && !o.conversation_id) {
        // The conversation now exists: the messages queued after this one belong to it.
        S.outbox.forEach(function (x) { if (!x.conversation_id && x !== o) x.conversation_id = cid; });
      }
      adoptDraft(cid);
    }
    dropOut(f.client_id);
    var m = find(function (x) { return x.c === f.client_id && x.a === 'visitor'; });
    if (m && m.s == null) {
      m.s = f.seq; m.cid = cid;
      m.st = (S.agentRead[cid] || 0) >= f.seq ? 'read' : 'sent';
      update(m);
    }
    pump();
    save();
  }
  function conversation(c) {
    if (!c || !c.id) return;
    var before = S.convs[c.id];
    S.convs[c.id] = c;
    if (c.status === 'closed') {
      if (S.active === c.id) S.active = null;
      ui.typing.hidden = true;
      if (S.msgs[c.id] && S.surveyed.indexOf(c.id) < 0 && !(before && before.status === 'closed')) {
        append(c.id, { k: c.id + ':end', note: 'ended' });
        S.survey = c.id;
        showExtra();
      }
    } else if (!activeOpen()) S.active = c.id;
    header();
    tools();
    save();
  }
  // The header names the person who joined the open conversation; until then, "Chat".
  function header() {
    var c = S.active && S.convs[S.active];
    ui.title.textContent = c && c.status !== 'closed' && c.agent_name ? String(c.agent_name) : T('chat');
  }
  function agentTyping(f) {
    clearTimeout(timers.agentTyping);
    if (!f.on) { ui.typing.hidden = true; return; }
    ui.typing.textContent = f.name ? T('typing', f.name) : T('typingA');
    ui.typing.hidden = false;
    timers.agentTyping = setTimeout(function () { ui.typing.hidden = true; }, 8000);
  }
  function read(f) {
    // The conversation's channel also carries the visitor's own read receipts (this tab's
    // and their other tabs'): only an agent's reading shows "Read".
    if (f.by !== 'agent') return;
    var cid = f.conversation_id, seq = +f.seq || 0;
    S.agentRead[cid] = Math.max(S.agentRead[cid] || 0, seq);
    (S.msgs[cid] || []).forEach(function (m) {
      if (m.a === 'visitor' && m.s != null && m.s <= seq && m.st !== 'read') { m.st = 'read'; update(m); }
    });
    save();
  }
  function error(f) {
    // The transcript's refusals carry no client_id: they answer the request in flight.
    if (!f.client_id && S._tx && S._tx.busy && TXERR[f.code]) return txFail(TXERR[f.code]);
    if (!f.client_id) return;
    if (f.code === 'invalid_form') S.form = null; // a retry starts the chat without it
    var m = find(function (x) { return x.c === f.client_id && x.a === 'visitor'; });
    dropOut(f.client_id);
    if (m && m.s == null) { m.st = 'failed'; update(m); }
    pump();
    save();
  }

  // ---- pre-chat form and post-chat survey (in the panel, above the input) -------------------
  // data-prechat="name,email*,question,order_number:Order number": key[:label], * = required.
  var EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;
  var PRE = [], BUILT = { name: ['text', 'name'], email: ['email', 'email'], phone: ['tel', 'tel'], question: 0 };
  (core.cfg.prechat || '').split(',').forEach(function (s) {
    var m = /^([a-z][a-z0-9_]{0,39})(\*?)(?::(.*?))?(\*?)$/i.exec(s.trim()), k = m && m[1].toLowerCase();
    if (m && PRE.length < 20 && !PRE.some(function (f) { return f.k === k; }))
      PRE.push({ k: k, l: (m[3] || '').trim().slice(0, 100), r: !!(m[2] || m[4]) });
  });
  function prechatNeeded() {
    return PRE.length > 0 && core.read('pc') !== '1' && !S.order.length && !activeOpen();
  }
  function showExtra() {
    var x = ui.extra;
    x.textContent = '';
    x.hidden = true;
    x.removeAttribute('data-fw');
    ui.compose.hidden = false;
    if (prechatNeeded()) return prechat();
    // The transcript form, while open, comes before the survey (which waits behind it).
    if (ui.tx) { x.hidden = false; x.appendChild(ui.tx); return; }
    if (S.survey && S.surveyed.indexOf(S.survey) < 0) return survey(S.survey);
  }
  function prechat() {
    var x = ui.extra, fields = {}, errs = {};
    ui.compose.hidden = true;
    x.hidden = false;
    var form = h('form', { novalidate: true, style: 'display:flex;flex-direction:column;gap:8px', onsubmit: function (e) {
      e.preventDefault();
      var ans = {}, set = {}, bad = null;
      PRE.forEach(function (f) {
        var k = f.k, el = fields[k], v = el.value.trim(), err = errs[k];
        var msg = f.r && !v ? 'req' : k === 'email' && v && !EMAIL.test(v) ? 'badEmail' : null;
        err.hidden = !msg;
        if (msg) {
          tr(err, msg);
          el.setAttribute('aria-invalid', 'true');
          el.setAttribute('aria-describedby', err.id);
          bad = bad || el;
        } else { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby'); }
        if (v) { ans[k] = v; if (k !== 'question') set[k] = v; }
      });
      if (bad) return bad.focus();
      core.track('prechat_submitted', { $set: set });
      core.write('pc', '1');
      S.form = ans; // sent with the message that starts the conversation
      if (ans.email) S.email = ans.email; // the transcript form offers it
      var typed = S.outbox.filter(function (o) { return o.hold; }).length;
      S.outbox.forEach(function (o) { o.hold = false; });
      showExtra();
      if (ans.question && !typed) say(ans.question);
      pump();
      save();
      ui.input.focus();
    } }, [tr(h('p', { 'class': 'pre' }), 'pre')]);
    PRE.forEach(function (f) {
      var k = f.k, b = BUILT[k], q = k === 'question', id = 'fw-pre-' + k;
      var input = fields[k] = h(q ? 'textarea' : 'input', { id: id, type: q ? null : b ? b[0] : 'text', name: k, rows: q ? '3' : null,
        required: f.r, autocomplete: b ? b[1] : null, maxlength: q ? '2000' : '200', 'data-fw': 'prechat-' + k });
      var name = h('span', { text: f.l || (b == null && (k.charAt(0).toUpperCase() + k.slice(1)).replace(/_/g, ' ')) });
      if (!f.l && b != null) tr(name, k);
      errs[k] = h('span', { id: id + '-err', 'class': 'err', 'data-fw': 'prechat-' + k + '-error', hidden: true });
      form.appendChild(h('label', null, [h('span', null, [name, f.r ? h('span', { 'aria-hidden': 'true', text: ' *' }) : null]), input]));
      form.appendChild(errs[k]); // outside the label: it describes the field, it does not name it
    });
    form.appendChild(tr(h('button', { type: 'submit', 'class': 'btn', 'data-fw': 'prechat-submit' }), 'start'));
    x.appendChild(form);
  }
  function survey(cid) {
    var x = ui.extra, rating = 0, found = null;
    ui.compose.hidden = true;  // one Send button: the survey's (× brings the text box back)
    x.hidden = false;
    var stars = h('div', { 'class': 'stars', role: 'group' });
    tr(stars, 'rate', 'aria-label');
    var starBtns = [1, 2, 3, 4, 5].map(function (n) {
      var b = h('button', { type: 'button', 'class': 'btn alt', 'aria-pressed': 'false', 'data-fw': 'rating', 'data-value': String(n), text: '★ ' + n,
        onclick: function () { rating = n; starBtns.forEach(function (s, i) { s.setAttribute('aria-pressed', String(i < n)); }); } });
      tr(b, 'star', 'aria-label', n);
      stars.appendChild(b);
      return b;
    });
    var comment = tr(tr(h('textarea', { rows: '2', maxlength: '2000', 'data-fw': 'comment' }), 'comment', 'placeholder'), 'comment', 'aria-label');
    var yn = ['yes', 'no'].map(function (k) {
      return tr(h('button', { type: 'button', 'class': 'btn alt', 'aria-pressed': 'false', 'data-fw': 'found-' + k,
        onclick: function () { found = k === 'yes'; yn[0].setAttribute('aria-pressed', String(found)); yn[1].setAttribute('aria-pressed', String(!found)); } }), k);
    });
    var q = tr(h('p'), 'found');
    var submitBtn = tr(h('button', { type: 'button', 'class': 'btn', 'data-fw': 'survey-submit', onclick: function () {
      if (!rating) { starBtns[0].focus(); return; }
      var p = { rating: rating, comment: comment.value.trim(), found: found, conversation_id: cid, $set: { last_chat_rating: rating } };
      core.track('chat_rated', p);
      S.surveyed.push(cid); S.survey = null; save();
      x.textContent = '';
      x.appendChild(tr(h('p', { role: 'status' }), 'rateThanks'));
      timers.thanks = setTimeout(showExtra, 3000);
    } }), 'send');
    var skip = tr(h('button', { type: 'button', 'class': 'x', text: '×', 'data-fw': 'survey-dismiss', style: 'align-self:flex-end;color:#555',
      onclick: function () { S.surveyed.push(cid); S.survey = null; save(); showExtra(); ui.input.focus(); } }), 'dismiss', 'aria-label');
    x.appendChild(h('div', { 'class': 'row', style: 'margin:0;justify-content:space-between;flex-wrap:nowrap' }, [tr(h('p', { style: 'font-weight:600' }), 'rate'), skip]));
    x.appendChild(stars);
    x.appendChild(comment);
    x.appendChild(q);
    x.appendChild(h('div', { 'class': 'row', style: 'margin:0' }, yn.concat([h('span', { style: 'flex:1' }), submitBtn])));
    x.setAttribute('data-fw', 'survey');
  }

  // ---- the transcript by e-mail (docs/email.md "The transcript, on request") ------------------
  // For the open conversation once an agent wrote in it, else for the one that just ended.
  var TXERR = { invalid_address: 'badEmail', address_unsubscribed: 'trNoMail', address_bouncing: 'trNoMail',
    too_many_transcripts: 'trMany', not_found: 'trFail', invalid_frame: 'trFail' };
  function txTarget() {
    var cid = activeOpen() || S.order[S.order.length - 1];
    return cid && (S.msgs[cid] || []).some(function (m) { return m.a === 'agent'; }) ? cid : null;
  }
  function tools() {
    if (ui && ui.tools) ui.tools.hidden = !!ui.tx || !txTarget();
  }
  function txOpen() {
    var cid = txTarget();
    if (!cid) return;
    S._tx = { cid: cid, busy: false };
    var t = S._tx;
    var email = ui.txEmail = tr(h('input', { type: 'email', name: 'email', autocomplete: 'email', maxlength: '254',
      id: 'fw-tx-email', 'data-fw': 'transcript-email', placeholder: 'name@example.com' }), 'email', 'aria-label');
    email.value = S.email || '';
    var err = ui.txErr = h('p', { id: 'fw-tx-err', 'class': 'err', role: 'alert', 'data-fw': 'transcript-error', hidden: true });
    var btn = ui.txSend = tr(h('button', { type: 'submit', 'class': 'btn', 'data-fw': 'transcript-send' }), 'send');
    var form = h('form', { 'class': 'row', novalidate: true, onsubmit: function (e) {
      e.preventDefault();
      if (t.busy || S._tx !== t) return;
      var v = email.value.trim();
      if (!v || v.length > 254 || !EMAIL.test(v)) return txFail('badEmail');
      err.hidden = true;
      email.removeAttribute('aria-invalid');
      email.removeAttribute('aria-describedby');
      t.busy = true;
      btn.setAttribute('aria-disabled', 'true'); // not disabled: the focus stays on it
      tr(btn, 'sending');
      if (!send({ type: 'transcript', conversation_id: t.cid, email: v })) return txFail('trFail');
      clearTimeout(timers.tx);
      timers.tx = setTimeout(function () { if (S._tx === t && t.busy) txFail('trFail'); }, 15000);
    } }, [email, btn]);
    var skip = tr(h('button', { type: 'button', 'class': 'x', text: '×', 'data-fw': 'transcript-close', style: 'color:#555',
      onclick: function () { txClose(true); } }), 'dismiss', 'aria-label');
    ui.tx = h('div', { 'class': 'tx', 'data-fw': 'transcript', style: 'display:flex;flex-direction:column;gap:8px' }, [
      h('div', { 'class': 'row', style: 'justify-content:space-between' }, [tr(h('p', { 'class': 'title' }), 'trOpen'), skip]),
      form, err]);
    ui.txForm = form;
    showExtra();
    tools();
    email.focus();
  }
  function txClose(user) {
    var inside = ui.tx && ui.root.activeElement && ui.tx.contains(ui.root.activeElement);
    clearTimeout(timers.tx);
    S._tx = null;
    ui.tx = null;
    showExtra();
    tools();
    if ((user || inside) && !ui.panel.hidden) (ui.tools.hidden ? ui.input : ui.txLink).focus();
  }
  function txFail(k, quiet) {
    var t = S._tx;
    if (!t || !ui.tx) return;
    clearTimeout(timers.tx);
    t.busy = false;
    ui.txSend.removeAttribute('aria-disabled');
    tr(ui.txSend, 'send');
    tr(ui.txErr, k);
    ui.txErr.hidden = false;
    if (k === 'badEmail' || k === 'trNoMail') {
      ui.txEmail.setAttribute('aria-invalid', 'true');
      ui.txEmail.setAttribute('aria-describedby', ui.txErr.id);
    }
    if (!quiet) ui.txEmail.focus();
  }
  function txDone(f) {
    var t = S._tx;
    if (!t || !t.busy || f.conversation_id !== t.cid) return;
    clearTimeout(timers.tx);
    t.busy = false;
    S.email = String(f.email || ui.txEmail.value.trim());
    save();
    var focused = ui.root.activeElement && ui.tx.contains(ui.root.activeElement);
    var done = tr(h('p', { 'class': 'done', role: 'status', 'data-fw': 'transcript-done', tabindex: '-1' }), 'trDone', null, S.email);
    ui.txForm.replaceWith(done);
    ui.txErr.hidden = true;
    if (focused) done.focus();
    timers.tx = setTimeout(function () { if (S._tx === t) txClose(false); }, 8000);
  }

  // ---- decisions -----------------------------------------------------------------------------
  function poll() {
    try {
      api('GET', '/v1/decisions?anonymousId=' + encodeURIComponent(aid()))
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (j && Array.isArray(j.withdrawn)) j.withdrawn.forEach(withdraw);  // replaced: down first
          if (j && Array.isArray(j.decisions)) j.decisions.forEach(showDecision);
        }, function () {});
    } catch (e) { /* no fetch */ }
  }
  function respond(dec, r) {
    dec._r = dec._r || {};
    if (!dec.id || dec._r[r]) return;
    dec._r[r] = 1;
    if (S._connected && send({ type: 'decision_response', decision_id: dec.id, response: r })) return;
    try {
      api('POST', '/v1/decisions/' + encodeURIComponent(dec.id) + '/response', { anonymousId: aid(), response: r })
        .catch(function () {});
    } catch (e) { /* no fetch */ }
  }
  function hideDecision() {
    ui.deck.textContent = '';
    S._cur = null;
  }
  function dismiss() {
    var dec = S._cur;
    if (!dec) return;
    var focused = ui.root.activeElement && ui.deck.contains(ui.root.activeElement);
    hideDecision();
    respond(dec, 'dismissed');
    if (focused) ui.launcher.focus();
  }
  function closeBtn() {
    return tr(h('button', { type: 'button', 'class': 'x', 'data-fw': 'dismiss', text: '×', onclick: dismiss }), 'dismiss', 'aria-label');
  }
  function coupon(code) {
    var btn = tr(h('button', { type: 'button', 'class': 'btn alt', 'data-fw': 'copy' }), 'copy');
    btn.addEventListener('click', function () {
      var done = function () { btn.textContent = T('copied'); setTimeout(function () { btn.textContent = T('copy'); }, 2000); };
      if (w.navigator.clipboard && w.navigator.clipboard.writeText) w.navigator.clipboard.writeText(code).then(done, fallback);
      else fallback();
      function fallback() {
        var t = h('textarea', { style: 'position:fixed;opacity:0' });
        t.value = code; ui.wrap.appendChild(t); t.select();
        try { d.execCommand('copy'); done(); } catch (e) { /* unsupported */ }
        t.remove();
      }
    });
    return h('div', { 'class': 'coupon', 'data-fw': 'coupon' }, [tr(h('span', { 'class': 'lbl' }), 'code'),
      h('code', { 'data-fw': 'coupon-code', text: code }), btn]);
  }
  function replyBox(dec) {
    return tr(tr(h('input', { type: 'text', 'data-fw': 'inline-reply', maxlength: '4000', onkeydown: function (e) {
      if (e.key !== 'Enter' || e.isComposing) return;
      e.preventDefault();
      var text = e.target.value.trim();
      if (!text) return;
      adopt(dec);
      say(text);
      openPanel(true);
    } }), 'replyPh', 'placeholder'), 'replyPh', 'aria-label');
  }
  // The decision becomes the beginning of the chat: its text is shown in the panel and
  // the visitor's first message starts the conversation from it (decision_id).
  function adopt(dec) {
    if (S._cur === dec) hideDecision();
    if (S.pending === dec) return;
    S.pending = dec;
    S.draft = S.draft.filter(function (m) { return !m.l; });
    if (dec.text || dec.title || dec.coupon) {
      append(null, { k: 'd:' + dec.id, l: 1, a: 'system', n: dec.agent_name || null, t: dec.title || null,
        x: dec.text || '', cp: dec.coupon || null });
    }
    save();
  }
  // The server replaced an unanswered message with a more urgent one: it leaves the page
  // (and the panel, when it was waiting there for the visitor's first reply).
  function withdraw(id) {
    if (!id) return;
    if (S._cur && S._cur.id === id) {
      var focused = ui.root.activeElement && ui.deck.contains(ui.root.activeElement);
      hideDecision();
      if (focused) ui.launcher.focus();
    }
    if (S.pending && S.pending.id === id) {
      S.pending = null;
      S.draft = S.draft.filter(function (m) { return m.k !== 'd:' + id; });
      renderLog();
    }
    save();
  }
  function showDecision(dec) {
    if (!dec || typeof dec !== 'object' || !dec.id || S.seen.indexOf(dec.id) >= 0) return;
    S.seen.push(dec.id);
    if (S.seen.length > 50) S.seen.shift();
    setLang(dec.language);
    var type = dec.type, text = dec.text || '';
    // With the panel open, an invitation or pop-up simply joins the chat.
    if (type === 'open_chat' || (!ui.panel.hidden && (type === 'chat_invitation' || type === 'popup'))) {
      hideDecision();
      adopt(dec);
      openPanel(false);
      respond(dec, 'shown');
      return save();
    }
    var el, kids = [closeBtn()];
    if (type === 'chat_invitation') {
      if (dec.agent_name) kids.push(h('p', { 'class': 'agent', text: dec.agent_name }));
      kids.push(h('p', { 'class': 'text', 'data-fw': 'invitation-text', text: text }));
      if (dec.inline_reply !== false) kids.push(replyBox(dec));
      else kids.push(h('div', { 'class': 'row' }, [h('button', { type: 'button', 'class': 'btn', text: dec.button || T('reply'),
        onclick: function () { adopt(dec); openPanel(true); } })]));
      el = h('div', { 'class': 'box bubble', 'data-fw': 'invitation', role: 'dialog', 'aria-modal': 'false',
        'aria-label': dec.agent_name || T('chat') }, kids);
    } else if (type === 'popup') {
      var img = dec.image_url && safeUrl(dec.image_url);
      if (img) kids.push(h('img', { src: img, alt: '' }));
      if (dec.title) kids.push(h('h2', { 'data-fw': 'popup-title', text: dec.title }));
      kids.push(h('p', { 'class': 'text', 'data-fw': 'popup-text', text: text }));
      if (dec.coupon) kids.push(coupon(dec.coupon));
      var url = dec.url && safeUrl(dec.url);
      if (dec.button || url) {
        kids.push(h('div', { 'class': 'row' }, [url
          ? h('a', { 'class': 'btn', href: url, 'data-fw': 'cta', text: dec.button || T('more'), onclick: function () { respond(dec, 'accepted'); } })
          : h('button', { type: 'button', 'class': 'btn', 'data-fw': 'cta', text: dec.button, onclick: function () { adopt(dec); openPanel(true); } })]));
      }
      if (dec.inline_reply !== false) kids.push(replyBox(dec));
      el = h('div', { 'class': 'box popup', 'data-fw': 'popup', role: 'dialog', 'aria-modal': 'false',
        'aria-label': dec.title || text.slice(0, 80) }, kids);
    } else if (type === 'faq_link' || type === 'email_capture' || type === 'phone_card') {
      kids.push(h('p', { 'class': 'text', 'data-fw': 'card-text', text: text }));
      var link = dec.url && safeUrl(dec.url);
      if (type === 'email_capture') {
        var email = tr(h('input', { type: 'email', required: true, autocomplete: 'email', 'data-fw': 'email', maxlength: '254' }), 'email', 'aria-label');
        email.setAttribute('placeholder', 'name@example.com');
        var form = h('form', { 'class': 'row', onsubmit: function (e) {
          e.preventDefault();
          var v = email.value.trim();
          if (!v || !email.checkValidity()) return email.focus();
          // captured_email: the visitor gave it here, for us to write to (docs/email.md).
          core.track('email_captured', { decision_id: dec.id, $set: { email: v, captured_email: v } });
          S.email = v; save(); // the transcript form offers it
          respond(dec, 'accepted');
          form.replaceWith(tr(h('p', { role: 'status', 'data-fw': 'thanks' }), 'thanks'));
          timers.card = setTimeout(function () { if (S._cur === dec) hideDecision(); }, 4000);
        } }, [email, tr(h('button', { type: 'submit', 'class': 'btn', 'data-fw': 'email-submit' }), 'send')]);
        kids.push(form);
      } else {
        var row = h('div', { 'class': 'row' });
        var tel = type === 'phone_card' && dec.phone && String(dec.phone).replace(/[^\d+]/g, '');
        if (tel) row.appendChild(h('a', { 'class': 'btn', href: 'tel:' + tel, 'data-fw': 'phone', text: dec.phone, onclick: function () { respond(dec, 'accepted'); } }));
        if (link) row.appendChild(h('a', { href: link, target: type === 'faq_link' ? null : '_blank', rel: 'noopener', 'data-fw': 'link',
          text: type === 'faq_link' ? dec.button || T('more') : T('faq'), onclick: function () { respond(dec, 'accepted'); } }));
        kids.push(row);
      }
      el = h('div', { 'class': 'box bubble', 'data-fw': 'card', 'data-type': type, role: 'dialog', 'aria-modal': 'false',
        'aria-label': text.slice(0, 80) || T('chat') }, kids);
    } else return; // unknown action type: ignore
    hideDecision();
    S._cur = dec;
    ui.deck.appendChild(el);
    respond(dec, 'shown');
    save();
  }

  mount();
})(window, document);
