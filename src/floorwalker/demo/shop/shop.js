/* Floorwalker Boots — the demo shop's only script (plain JS, no build step).
 *
 * The shop is instrumented the way a Google Tag Manager site is: it only ever calls
 * window.dataLayer.push(...) with GA4 e-commerce event names. It never calls a
 * Floorwalker API for events; the Floorwalker snippet forwards the pushes. The only
 * direct calls are floorwalker('identify', ...) after log-in and floorwalker('reset')
 * at log-out, as a site with logged-in users would make.
 */
(function () {
  'use strict';

  var CURRENCY = 'EUR';

  // The catalogue as the browser sees it: ids, names and prices only. Margins live
  // in the server's `products` lookup table and never reach this page.
  var CATALOGUE = [
    { id: 'boot-red', name: 'Red leather boots', price: 189.0, art: 'boot', color: '#b91c1c',
      blurb: 'Full-grain leather, stitched welt, a sole that lasts for years.' },
    { id: 'boot-black', name: 'Black winter boots', price: 159.0, art: 'boot', color: '#1f2937',
      blurb: 'Warm lining and a deep-tread sole for snow and slush.' },
    { id: 'coat-wool', name: 'Wool coat', price: 420.0, art: 'coat', color: '#92400e',
      blurb: 'Heavy Merino wool, knee length, fully lined.' },
    { id: 'sock-wool', name: 'Wool socks', price: 12.0, art: 'sock', color: '#4d7c0f',
      blurb: 'Soft, warm and hard-wearing; made for boots.' },
    { id: 'spray', name: 'Waterproof spray', price: 9.0, art: 'spray', color: '#0369a1',
      blurb: 'Keeps leather and suede dry; one can lasts a season.' }
  ];

  var USERS = {
    'ann@example.com': { id: 'ann', email: 'ann@example.com', name: 'Ann Archer', first_name: 'Ann' },
    'bob@example.com': { id: 'bob', email: 'bob@example.com', name: 'Bob Baker', first_name: 'Bob' }
  };

  var COUPONS = { WELCOME10: 0.1 };
  var MAX_QTY = 10;

  var KEY_CART = 'fwshop.cart';
  var KEY_COUPON = 'fwshop.coupon';
  var KEY_USER = 'fwshop.user';
  var KEY_ORDER = 'fwshop.lastOrder';

  // The folder this script is served from ("/demo/"), so that pages one level down
  // (checkout/confirmation.html) build the same links.
  var BASE = (function () {
    var script = document.currentScript;
    if (script && script.src) return new URL('.', script.src).pathname;
    return '/demo/';
  })();

  window.dataLayer = window.dataLayer || [];

  /* ---------- small helpers ---------- */

  function $(selector, root) { return (root || document).querySelector(selector); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') node.textContent = v;
        else if (k === 'html') node.innerHTML = v;
        else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function url(page) { return BASE + page; }

  function money(value) {
    try {
      return new Intl.NumberFormat('en-IE', { style: 'currency', currency: CURRENCY }).format(value);
    } catch (e) {
      return '€' + value.toFixed(2);
    }
  }

  function round2(n) { return Math.round(n * 100) / 100; }

  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      if (value === null || value === undefined) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* private mode: the cart lives for this page only */ }
  }

  function param(name) { return new URLSearchParams(window.location.search).get(name); }

  function product(id) {
    for (var i = 0; i < CATALOGUE.length; i++) if (CATALOGUE[i].id === id) return CATALOGUE[i];
    return null;
  }

  /* ---------- the data layer (the only way the shop reports behaviour) ---------- */

  function push(obj) { window.dataLayer.push(obj); }

  // GA4 e-commerce events: clear the previous ecommerce object first, as the GTM
  // documentation recommends, so that items of one event never leak into the next.
  function pushEcommerce(event, ecommerce) {
    push({ ecommerce: null });
    push({ event: event, ecommerce: ecommerce });
  }

  function gaItem(p, quantity) {
    return { item_id: p.id, item_name: p.name, price: p.price, quantity: quantity };
  }

  /* ---------- cart ---------- */

  function cartLines() {
    var lines = load(KEY_CART, []);
    if (!Array.isArray(lines)) return [];
    return lines.filter(function (l) { return l && product(l.id) && l.qty > 0; });
  }

  function saveCart(lines) { save(KEY_CART, lines.length ? lines : null); renderCartCount(); }

  function cartItems(lines) {
    return lines.map(function (l) { return gaItem(product(l.id), l.qty); });
  }

  function subtotal(lines) {
    return round2(lines.reduce(function (s, l) { return s + product(l.id).price * l.qty; }, 0));
  }

  function activeCoupon() {
    var code = load(KEY_COUPON, null);
    return code && COUPONS[code] ? code : null;
  }

  function discount(lines) {
    var code = activeCoupon();
    return code ? round2(subtotal(lines) * COUPONS[code]) : 0;
  }

  function total(lines) { return round2(subtotal(lines) - discount(lines)); }

  function cartEcommerce(lines) {
    var ecommerce = { currency: CURRENCY, value: total(lines), items: cartItems(lines) };
    var code = activeCoupon();
    if (code) ecommerce.coupon = code;
    return ecommerce;
  }

  function changeQty(id, delta) {
    var p = product(id);
    var lines = cartLines();
    var line = null;
    for (var i = 0; i < lines.length; i++) if (lines[i].id === id) line = lines[i];
    if (delta > 0) {
      if (!line) { line = { id: id, qty: 0 }; lines.push(line); }
      delta = Math.min(delta, MAX_QTY - line.qty);
      if (delta <= 0) return false;
      line.qty += delta;
      saveCart(lines);
      pushEcommerce('add_to_cart', {
        currency: CURRENCY, value: round2(p.price * delta), items: [gaItem(p, delta)]
      });
    } else {
      if (!line) return false;
      var removed = Math.min(-delta, line.qty);
      line.qty -= removed;
      saveCart(lines.filter(function (l) { return l.qty > 0; }));
      pushEcommerce('remove_from_cart', {
        currency: CURRENCY, value: round2(p.price * removed), items: [gaItem(p, removed)]
      });
    }
    return true;
  }

  function cartCount() {
    return cartLines().reduce(function (s, l) { return s + l.qty; }, 0);
  }

  /* ---------- the signed-in demo user ---------- */

  function currentUser() { return load(KEY_USER, null); }

  function logout() {
    save(KEY_USER, null);
    // Forget the identified visitor in the widget: the next events are anonymous again.
    if (typeof window.floorwalker === 'function') window.floorwalker('reset');
    renderHeader();
    document.dispatchEvent(new CustomEvent('shop:logout'));
  }

  /* ---------- product pictures (inline SVG, no files, no network) ---------- */

  var ART = {
    boot: '<path d="M38 8h30v44c0 5 3 7 9 9l24 7c7 2 10 6 10 13v3H30V70c0-4 2-7 5-9l3-3z" fill="C"/>' +
      '<rect x="28" y="83" width="84" height="7" rx="2" fill="#111827"/>' +
      '<rect x="36" y="8" width="34" height="6" rx="2" fill="#000" opacity=".25"/>',
    coat: '<path d="M44 8l16 8 16-8 20 10 10 40-14 4-4-18v56H32V44l-4 18-14-4 10-40z" fill="C"/>' +
      '<path d="M60 16v76" stroke="#000" stroke-opacity=".3" stroke-width="2"/>' +
      '<circle cx="66" cy="40" r="2.5" fill="#fde68a"/><circle cx="66" cy="56" r="2.5" fill="#fde68a"/>' +
      '<circle cx="66" cy="72" r="2.5" fill="#fde68a"/>',
    sock: '<path d="M44 8h30v46l22 14c8 5 8 18-2 22-5 2-10 1-14-2L48 68c-3-2-4-5-4-9z" fill="C"/>' +
      '<rect x="44" y="8" width="30" height="10" fill="#fff" opacity=".5"/>' +
      '<rect x="44" y="22" width="30" height="4" fill="#fff" opacity=".35"/>',
    spray: '<rect x="44" y="28" width="32" height="64" rx="6" fill="C"/>' +
      '<rect x="50" y="14" width="20" height="14" rx="3" fill="#6b7280"/>' +
      '<rect x="68" y="16" width="12" height="5" rx="2" fill="#374151"/>' +
      '<rect x="44" y="48" width="32" height="18" fill="#fff" opacity=".6"/>' +
      '<path d="M84 14l10-6M84 18h12M84 22l10 6" stroke="#93c5fd" stroke-width="2"/>'
  };

  function picture(p, cls) {
    var span = el('span', { class: 'art ' + (cls || ''), style: '--tint:' + p.color + '22' });
    span.innerHTML = '<svg viewBox="0 0 120 100" role="img" aria-label="' + p.name +
      '" focusable="false">' + ART[p.art].replace(/="C"/g, '="' + p.color + '"') + '</svg>';
    return span;
  }

  /* ---------- header and footer (shared by every page) ---------- */

  function renderCartCount() {
    var badge = $('[data-shop-cart-count]');
    if (!badge) return;
    var n = cartCount();
    badge.textContent = String(n);
    var link = badge.closest('a');
    if (link) link.setAttribute('aria-label', 'Cart, ' + n + (n === 1 ? ' item' : ' items'));
  }

  function renderHeader() {
    var header = $('[data-shop-header]');
    if (!header) return;
    var user = currentUser();
    var page = document.body.getAttribute('data-page');
    function navLink(href, label, name) {
      return el('a', { href: url(href), 'aria-current': page === name ? 'page' : null, text: label });
    }
    var account;
    if (user) {
      account = el('span', { class: 'account' }, [
        el('span', { class: 'who', text: 'Hi, ' + user.first_name }),
        el('button', { type: 'button', class: 'link-button', onclick: logout, text: 'Log out' })
      ]);
    } else {
      account = navLink('login.html', 'Log in', 'login');
    }
    var search = el('form', { class: 'header-search', role: 'search', action: url('search.html') }, [
      el('label', { for: 'header-q', class: 'visually-hidden', text: 'Search the shop' }),
      el('input', { id: 'header-q', name: 'q', type: 'search', placeholder: 'Search boots, coats…',
        value: page === 'search' ? (param('q') || '') : null }),
      el('button', { type: 'submit', class: 'button small', text: 'Search' })
    ]);
    var cart = el('a', { href: url('cart.html'), class: 'cart-link',
      'aria-current': page === 'cart' ? 'page' : null }, [
      'Cart ', el('span', { class: 'badge', 'data-shop-cart-count': true, text: '0' })
    ]);
    header.innerHTML = '';
    header.appendChild(el('div', { class: 'bar' }, [
      el('a', { class: 'brand', href: url('index.html') }, [
        el('span', { class: 'brand-mark', 'aria-hidden': 'true', text: 'F' }), 'Floorwalker Boots'
      ]),
      el('nav', { 'aria-label': 'Main' }, [
        navLink('index.html', 'Shop', 'index'), navLink('faq.html', 'FAQ', 'faq'), cart, account
      ])
    ]));
    header.appendChild(search);
    renderCartCount();
  }

  function renderFooter() {
    var footer = $('[data-shop-footer]');
    if (!footer) return;
    footer.innerHTML = '';
    footer.appendChild(el('p', null, [
      'Floorwalker Boots is a demo shop for ',
      el('strong', { text: 'Floorwalker' }),
      '. Nothing is sold and no payment is taken. ',
      el('a', { href: url('faq.html'), text: 'FAQ' }), ' · ',
      el('a', { href: url('faq.html#about-us'), text: 'About us' })
    ]));
  }

  function productCard(p) {
    return el('li', { class: 'card' }, [
      el('a', { href: url('product.html?id=' + encodeURIComponent(p.id)), class: 'card-link' }, [
        picture(p), el('span', { class: 'card-name', text: p.name })
      ]),
      el('span', { class: 'price', text: money(p.price) })
    ]);
  }

  /* ---------- pages ---------- */

  function pageIndex() {
    var grid = $('[data-shop-grid]');
    CATALOGUE.forEach(function (p) { grid.appendChild(productCard(p)); });
    pushEcommerce('view_item_list', {
      item_list_id: 'catalogue', item_list_name: 'Catalogue',
      items: CATALOGUE.map(function (p, i) {
        var item = gaItem(p, 1);
        item.index = i;
        return item;
      })
    });
  }

  function searchCatalogue(term) {
    var words = term.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    return CATALOGUE.filter(function (p) {
      var name = p.name.toLowerCase();
      return words.every(function (w) { return name.indexOf(w) !== -1; });
    });
  }

  function pageSearch() {
    var term = (param('q') || '').trim().slice(0, 100);
    var input = $('#q');
    if (input) input.value = term;
    var heading = $('[data-shop-search-heading]');
    var grid = $('[data-shop-grid]');
    var empty = $('[data-shop-empty]');
    if (!term) {
      heading.textContent = 'Search the shop';
      return;
    }
    var results = searchCatalogue(term);
    heading.textContent = results.length + (results.length === 1 ? ' result' : ' results') +
      ' for “' + term + '”';
    results.forEach(function (p) { grid.appendChild(productCard(p)); });
    empty.hidden = results.length > 0;
    document.title = 'Search: ' + term + ' — Floorwalker Boots';
    // GA4 `search` event, plus the number of results (what the few-results rule reads).
    push({ event: 'search', search_term: term, result_count: results.length });
  }

  function pageProduct() {
    var p = product(param('id'));
    var box = $('[data-shop-product]');
    if (!p) {
      box.appendChild(el('h1', { text: 'Product not found' }));
      box.appendChild(el('p', null, [
        'We could not find that product. ', el('a', { href: url('index.html'), text: 'Back to the shop' })
      ]));
      return;
    }
    document.title = p.name + ' — Floorwalker Boots';
    var status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    var add = el('button', { type: 'button', class: 'button primary', text: 'Add to cart',
      onclick: function () {
        if (changeQty(p.id, 1)) {
          status.innerHTML = '';
          status.appendChild(document.createTextNode('Added to your cart. '));
          status.appendChild(el('a', { href: url('cart.html'), text: 'View cart' }));
        } else {
          status.textContent = 'You already have ' + MAX_QTY + ' in your cart.';
        }
      } });
    box.appendChild(el('div', { class: 'product' }, [
      picture(p, 'large'),
      el('div', { class: 'product-info' }, [
        el('h1', { text: p.name }),
        el('p', { class: 'price big', text: money(p.price) }),
        el('p', { text: p.blurb }),
        el('p', { class: 'muted', text: 'Item ' + p.id + ' · Free returns within 30 days.' }),
        add, status,
        el('p', null, [el('a', { href: url('index.html'), text: '← Continue shopping' })])
      ])
    ]));
    pushEcommerce('view_item', { currency: CURRENCY, value: p.price, items: [gaItem(p, 1)] });
  }

  function pageCart() {
    var box = $('[data-shop-cart]');
    var couponForm = $('[data-shop-coupon-form]');
    var couponMsg = $('[data-shop-coupon-message]');

    function render() {
      var lines = cartLines();
      box.innerHTML = '';
      if (!lines.length) {
        box.appendChild(el('p', null, [
          'Your cart is empty. ', el('a', { href: url('index.html'), text: 'Browse the shop' })
        ]));
        couponForm.hidden = true;
        return;
      }
      couponForm.hidden = false;
      var list = el('ul', { class: 'cart-lines' });
      lines.forEach(function (l) {
        var p = product(l.id);
        list.appendChild(el('li', { class: 'cart-line' }, [
          picture(p, 'small'),
          el('div', { class: 'line-info' }, [
            el('a', { href: url('product.html?id=' + encodeURIComponent(p.id)), text: p.name }),
            el('span', { class: 'muted', text: money(p.price) + ' each' })
          ]),
          el('div', { class: 'qty', role: 'group', 'aria-label': 'Quantity of ' + p.name }, [
            el('button', { type: 'button', class: 'button small', 'aria-label': 'One less ' + p.name,
              text: '−', onclick: function () { changeQty(p.id, -1); render(); } }),
            el('span', { class: 'qty-value', 'aria-live': 'polite', text: String(l.qty) }),
            el('button', { type: 'button', class: 'button small', 'aria-label': 'One more ' + p.name,
              text: '+', disabled: l.qty >= MAX_QTY,
              onclick: function () { changeQty(p.id, 1); render(); } })
          ]),
          el('span', { class: 'line-total', text: money(p.price * l.qty) }),
          el('button', { type: 'button', class: 'link-button', 'aria-label': 'Remove ' + p.name,
            text: 'Remove', onclick: function () { changeQty(p.id, -l.qty); render(); } })
        ]));
      });
      box.appendChild(list);
      var rows = [el('div', null, [el('dt', { text: 'Subtotal' }), el('dd', { text: money(subtotal(lines)) })])];
      var code = activeCoupon();
      if (code) {
        rows.push(el('div', null, [
          el('dt', { text: 'Coupon ' + code }), el('dd', { text: '−' + money(discount(lines)) })
        ]));
      }
      rows.push(el('div', { class: 'grand' }, [el('dt', { text: 'Total' }), el('dd', { text: money(total(lines)) })]));
      box.appendChild(el('dl', { class: 'totals' }, rows));
      box.appendChild(el('p', { class: 'actions' }, [
        el('a', { href: url('checkout.html'), class: 'button primary', text: 'Checkout' })
      ]));
    }

    couponForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var input = $('#coupon', couponForm);
      var code = input.value.trim().toUpperCase().slice(0, 40);
      if (!code) return;
      couponMsg.className = 'status';
      if (COUPONS[code]) {
        save(KEY_COUPON, code);
        couponMsg.textContent = 'Coupon ' + code + ' applied: ' + Math.round(COUPONS[code] * 100) + '% off.';
        couponMsg.classList.add('ok');
        push({ event: 'coupon_applied', coupon: code });
      } else {
        couponMsg.textContent = 'Sorry, the code “' + code + '” is not valid.';
        couponMsg.classList.add('error');
        push({ event: 'coupon_failure', coupon: code });
      }
      input.value = '';
      render();
    });

    render();
    var lines = cartLines();
    if (lines.length) pushEcommerce('view_cart', cartEcommerce(lines));
  }

  function pageCheckout() {
    var lines = cartLines();
    var form = $('[data-shop-checkout]');
    var summary = $('[data-shop-summary]');
    if (!lines.length) {
      form.hidden = true;
      summary.appendChild(el('p', null, [
        'Your cart is empty. ', el('a', { href: url('index.html'), text: 'Browse the shop' })
      ]));
      return;
    }
    var list = el('ul', { class: 'summary-lines' });
    lines.forEach(function (l) {
      var p = product(l.id);
      list.appendChild(el('li', null, [
        el('span', { text: l.qty + ' × ' + p.name }), el('span', { text: money(p.price * l.qty) })
      ]));
    });
    summary.appendChild(list);
    if (activeCoupon()) {
      summary.appendChild(el('p', { class: 'muted', text: 'Coupon ' + activeCoupon() + ': −' + money(discount(lines)) }));
    }
    summary.appendChild(el('p', { class: 'grand', text: 'Total ' + money(total(lines)) }));

    var user = currentUser();
    if (user) {
      $('#checkout-name').value = user.name;
      $('#checkout-email').value = user.email;
    }

    var cardBox = $('[data-shop-card-fields]');
    var errorBox = $('[data-shop-pay-error]');
    var payButton = $('[data-shop-pay]');

    function method() {
      var checked = $('input[name="payment_method"]:checked', form);
      return checked ? checked.value : 'card';
    }
    function syncMethod() { cardBox.hidden = method() !== 'card'; }
    Array.prototype.forEach.call(form.querySelectorAll('input[name="payment_method"]'), function (r) {
      r.addEventListener('change', function () { syncMethod(); errorBox.hidden = true; });
    });
    syncMethod();

    function showError(text, m) {
      errorBox.innerHTML = '';
      errorBox.appendChild(el('strong', { text: 'Payment failed. ' }));
      errorBox.appendChild(document.createTextNode(text + ' '));
      errorBox.appendChild(el('a', { href: url('faq.html#payment-' + m), text: 'How to fix it' }));
      errorBox.hidden = false;
      errorBox.focus();
    }

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      errorBox.hidden = true;
      var m = method();
      var current = cartLines();
      var card = ($('#card-number').value || '').replace(/[\s-]/g, '');
      if (m === 'card' && !/^\d{12,19}$/.test(card)) {
        errorBox.textContent = 'Enter a card number of 12 to 19 digits (try 4242 4242 4242 4242, or 4000 … to see a failure).';
        errorBox.hidden = false;
        errorBox.focus();
        return;
      }
      var info = cartEcommerce(current);
      info.payment_type = m;
      pushEcommerce('add_payment_info', info);
      payButton.disabled = true;
      payButton.textContent = 'Paying…';
      window.setTimeout(function () {   // a payment provider takes a moment
        payButton.disabled = false;
        payButton.textContent = 'Pay';
        if (m === 'paypal' || (m === 'card' && card.indexOf('4000') === 0)) {
          showError(m === 'paypal'
            ? 'PayPal could not authorise this payment.'
            : 'Your card was declined by the bank.', m);
          push({ event: 'payment_failure', payment_method: m, currency: CURRENCY, value: total(current) });
          return;
        }
        // Paid: keep the order for the confirmation page (which reports `purchase`, as a
        // GTM site does on its thank-you page), empty the cart, go to the thank-you page.
        var order = {
          transaction_id: 'FW-' + Date.now().toString(36).toUpperCase() +
            Math.floor(Math.random() * 1296).toString(36).toUpperCase(),
          value: total(current), currency: CURRENCY, coupon: activeCoupon(),
          items: cartItems(current), payment_method: m, reported: false
        };
        save(KEY_ORDER, order);
        save(KEY_COUPON, null);
        saveCart([]);
        window.location.href = url('checkout/confirmation.html?order=' + encodeURIComponent(order.transaction_id));
      }, 600);
    });

    pushEcommerce('begin_checkout', cartEcommerce(lines));
  }

  function pageConfirmation() {
    var box = $('[data-shop-confirmation]');
    var id = param('order');
    var order = load(KEY_ORDER, null);
    if (!order || order.transaction_id !== id) {
      box.appendChild(el('p', null, [
        'Thank you! We could not find the details of this order in this browser. ',
        el('a', { href: url('index.html'), text: 'Back to the shop' })
      ]));
      return;
    }
    box.appendChild(el('p', { class: 'lead' }, [
      'Your order ', el('strong', { text: order.transaction_id }), ' of ', el('strong', { text: money(order.value) }),
      ' is confirmed. A (pretend) confirmation e-mail is on its way.'
    ]));
    var list = el('ul', { class: 'summary-lines' });
    order.items.forEach(function (i) {
      list.appendChild(el('li', null, [
        el('span', { text: i.quantity + ' × ' + i.item_name }), el('span', { text: money(i.price * i.quantity) })
      ]));
    });
    box.appendChild(list);
    box.appendChild(el('p', null, [el('a', { href: url('index.html'), class: 'button primary', text: 'Continue shopping' })]));
    if (!order.reported) {   // a reload of the thank-you page must not report the sale twice
      var ecommerce = { transaction_id: order.transaction_id, value: order.value,
        currency: order.currency, items: order.items };
      if (order.coupon) ecommerce.coupon = order.coupon;
      pushEcommerce('purchase', ecommerce);
      order.reported = true;
      save(KEY_ORDER, order);
    }
  }

  function pageFaq() {
    var programmatic = false;
    Array.prototype.forEach.call(document.querySelectorAll('details[data-title]'), function (d) {
      d.addEventListener('toggle', function () {
        if (d.open && !programmatic) push({ event: 'open_faq', title: d.getAttribute('data-title') });
      });
    });
    // Arriving on #payment-paypal (the payment-failure card links here): open that answer.
    function openFromHash() {
      var id = decodeURIComponent(window.location.hash.slice(1));
      var target = id && document.getElementById(id);
      if (!target) return;
      var d = target.tagName === 'DETAILS' ? target : target.closest('details');
      if (d && !d.open) {
        programmatic = true;
        d.open = true;
        // the toggle event fires asynchronously; let it pass before listening again
        window.setTimeout(function () { programmatic = false; }, 0);
      }
      target.scrollIntoView();
    }
    window.addEventListener('hashchange', openFromHash);
    openFromHash();
  }

  function pageLogin() {
    var form = $('[data-shop-login]');
    var msg = $('[data-shop-login-message]');
    var done = $('[data-shop-login-done]');

    function showSignedIn(user) {
      form.hidden = true;
      done.hidden = false;
      $('[data-shop-login-name]', done).textContent = user.name + ' (' + user.email + ')';
    }
    var existing = currentUser();
    if (existing) showSignedIn(existing);

    $('[data-shop-logout]', done).addEventListener('click', logout);
    document.addEventListener('shop:logout', function () {   // also from the header's button
      form.hidden = false;
      done.hidden = true;
      msg.className = 'status';
      msg.textContent = 'You are logged out.';
    });

    Array.prototype.forEach.call(document.querySelectorAll('[data-shop-demo-user]'), function (b) {
      b.addEventListener('click', function () {
        $('#login-email').value = b.getAttribute('data-shop-demo-user');
        $('#login-password').value = 'demo';
        $('#login-email').focus();
      });
    });

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var email = $('#login-email').value.trim().toLowerCase();
      var user = USERS[email];
      msg.className = 'status';
      if (!user || !$('#login-password').value) {
        msg.textContent = 'Unknown user or empty password. Use ann@example.com or bob@example.com with any password.';
        msg.classList.add('error');
        return;
      }
      push({ event: 'login', method: 'password' });
      save(KEY_USER, user);
      renderHeader();
      showSignedIn(user);
      // A real site computes the user hash on its own server; the demo server does it at
      // /demo/identity so that the widget's identify is trusted.
      fetch(url('identity?user=' + encodeURIComponent(user.id)), { credentials: 'same-origin' })
        .then(function (r) {
          if (!r.ok) throw new Error('identity ' + r.status);
          return r.json();
        })
        .then(function (data) {
          if (typeof window.floorwalker === 'function') {
            window.floorwalker('identify', data.userId,
              { email: user.email, name: user.name, first_name: user.first_name }, data.userHash);
          }
        })
        .catch(function (err) {
          if (window.console) console.warn('Floorwalker demo: could not identify the user', err);
        });
    });
  }

  var PAGES = {
    index: pageIndex, search: pageSearch, product: pageProduct, cart: pageCart,
    checkout: pageCheckout, confirmation: pageConfirmation, faq: pageFaq, login: pageLogin
  };

  function start() {
    renderHeader();
    renderFooter();
    var run = PAGES[document.body.getAttribute('data-page')];
    if (run) run();
    // Another tab changed the cart or the user: keep the header honest.
    window.addEventListener('storage', function (e) {
      if (e.key === KEY_CART) renderCartCount();
      if (e.key === KEY_USER) renderHeader();
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
