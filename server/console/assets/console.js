// console.js - what both admin pages share: the session (its CSRF token),
// calls to the server's own GraphQL and License APIs with it, the banners,
// and building the page from text only (never HTML from data: every text
// from a key or the directory goes in through textContent).

export const PRODUCT = 'seatledger';
let session = null;

/** An element: attributes, then children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** A count as GitLab's pages print it: 1,234. */
export function count(n) {
  return n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US');
}

/** A Time of the API ("2026-11-21T08:30:00Z") for people. */
export function when(t) {
  return t ? t.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : '-';
}

class SignedOut extends Error {}

function signIn() {
  window.location.assign('/admin/sign_in');
  return new SignedOut('signed out');
}

async function send(method, url, body, headers = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = session.csrf_token;
  const res = await fetch(url, { method, headers: h, body, credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) throw signIn();
  return res;
}

/** The session: who is signed in and the CSRF token every change carries. */
export async function start() {
  const res = await fetch('/admin/console/session', { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) throw signIn();
  if (!res.ok) throw new Error('the session cannot be read (' + res.status + ')');
  session = await res.json();
  for (const f of document.querySelectorAll('form.sign-out')) {
    f.elements.authenticity_token.value = session.csrf_token;
  }
  const who = document.getElementById('who');
  if (who) who.textContent = 'Signed in with ' + session.name;
  return session;
}

/** One GraphQL document; the answer's data, or an Error with the API's message. */
export async function graphql(query, variables = {}) {
  const res = await send('POST', '/api/graphql', JSON.stringify({ query, variables }),
    { 'Content-Type': 'application/json' });
  const body = await res.json();
  if (!res.ok || body.errors) {
    const msg = body.errors ? body.errors.map((e) => e.message).join('; ') : res.statusText;
    throw Object.assign(new Error(msg), { body });
  }
  return body.data;
}

/** The License API: {status, body} (body parsed as JSON when it is JSON). */
export async function rest(method, path, json) {
  const res = await send(method, '/api/v4' + path, json === undefined ? undefined : JSON.stringify(json),
    json === undefined ? {} : { 'Content-Type': 'application/json' });
  const text = await res.text();
  let body = text;
  if ((res.headers.get('Content-Type') || '').startsWith('application/json') && text) body = JSON.parse(text);
  return { status: res.status, body };
}

/** The console's own JSON (the banners, the usage chart). */
export async function consoleJson(name, query = '') {
  const res = await send('GET', '/admin/console/' + name + query);
  if (!res.ok) throw new Error(name + ' cannot be read (' + res.status + ')');
  return res.json();
}

/** An alert in GitLab's style: variant info, success, warning or danger. */
export function alert(variant, title, body, opts = {}) {
  const parts = Array.isArray(body) ? body : body ? [{ text: body, strong: false }] : [];
  const a = el('div', { class: 'gl-alert gl-alert-' + variant, 'data-banner': opts.id },
    el('div', { class: 'gl-alert-content' },
      title ? el('p', { class: 'gl-alert-title', text: title }) : null,
      parts.length ? el('p', { class: 'gl-alert-body' },
        parts.map((p) => (p.strong ? el('strong', { text: p.text }) : p.text))) : null));
  if (opts.dismissible) {
    a.append(el('button', { type: 'button', class: 'gl-alert-dismiss', 'aria-label': 'Dismiss',
      onclick: () => a.remove() }, '×'));
  }
  return a;
}

/** The banners of every page, as the server words them. */
export async function banners() {
  const box = document.getElementById('banners');
  const { banners: list } = await consoleJson('banners');
  box.replaceChildren(...list.map((b) => alert(b.variant, b.title, b.body, { id: b.id })));
}

/** A notice under the page's title (role=status: read out when it changes). */
export function notice(variant, title, body) {
  document.getElementById('notices').replaceChildren(alert(variant, title, body, { dismissible: true }));
}

/** Run a page: session, banners, then the page's own loading; failures shown. */
export async function run(load) {
  const main = document.getElementById('main');
  try {
    await start();
    await Promise.all([banners(), load()]);
  } catch (e) {
    if (e instanceof SignedOut) return;
    notice('danger', 'Something went wrong', e.message);
  } finally {
    main.setAttribute('aria-busy', 'false');
    document.documentElement.dataset.ready = 'true';
  }
}

export { SignedOut };
