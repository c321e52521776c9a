// subscription.js - Admin > Subscription: the current license, its figures
// (GitLab's GraphQL API: currentLicense), the subscription history
// (licenseHistoryEntries), the usage chart the engine draws with its data
// table, adding a license and removing one (the License API).  Every number
// shown is the API's; nothing is computed here.

import { PRODUCT, alert, banners, consoleJson, count, el, graphql, notice, rest, run, when } from './console.js';

const CURRENT = `query getCurrentLicense {
  currentLicense {
    id type plan name email company startsAt expiresAt activatedAt lastSync trial
    subscriptionName usersInLicenseCount billableUsersCount maximumUserCount usersOverLicenseCount
  }
}`;
const HISTORY = `query getLicenseHistory {
  licenseHistoryEntries {
    nodes { id type plan name email company startsAt expiresAt activatedAt usersInLicenseCount }
  }
}`;

const TYPES = { online_cloud: 'Online license', offline_cloud: 'Offline license', legacy_license: 'Legacy license' };
const HELP = {
  users: "Users with a Guest role or those who don't belong to a Project or Group will not use a seat from your license.",
  billable: 'This is the number of billable users on your installation, and this is the minimum number you need to purchase when you renew your license.',
  maximum: 'This is the highest peak of users on your installation since the license started.',
  over: "You'll be charged for users over license on a quarterly or annual basis, depending on the terms of your agreement.",
  overTrial: "You are using a trial license. When you use a paid subscription, you'll be charged for users over license.",
};

const capitalize = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : '-');
const text = (v) => (v === null || v === undefined || v === '' ? '-' : v);

function details(dl, rows) {
  dl.replaceChildren(...rows.flatMap(([k, v, id]) => [
    el('dt', { text: k }), el('dd', { text: text(v), 'data-field': id })]));
}

function figure(id, title, value, help) {
  return el('li', { class: 'figure card', 'data-figure': id },
    el('h2', { class: 'figure-title', text: title, id: 'figure-' + id }),
    el('p', { class: 'figure-value', 'aria-describedby': 'figure-' + id + '-help', text: value }),
    el('p', { class: 'help', id: 'figure-' + id + '-help', text: help }));
}

function showLicense(lic) {
  const has = !!lic;
  document.getElementById('subscription').hidden = !has;
  document.getElementById('no-subscription').hidden = has;
  document.getElementById('export-usage').hidden = !has;
  if (!has) return;
  details(document.getElementById('details'), [
    ['ID', lic.id, 'id'], ['Subscription name', lic.subscriptionName, 'subscriptionName'],
    ['Plan', capitalize(lic.plan), 'plan'], ['Last sync', when(lic.lastSync), 'lastSync'],
    ['Start date', lic.startsAt, 'startsAt'], ['End date', lic.expiresAt, 'expiresAt']]);
  details(document.getElementById('licensee'), [
    ['Licensed to', lic.name, 'name'], ['Email', lic.email, 'email'], ['Company', lic.company, 'company']]);
  const seats = lic.usersInLicenseCount === null ? 'Unlimited' : count(lic.usersInLicenseCount);
  document.getElementById('figures').replaceChildren(
    figure('users-in-subscription', 'Users in subscription', seats, lic.plan === 'ultimate' ? HELP.users : ''),
    figure('billable-users', 'Billable users', count(lic.billableUsersCount), HELP.billable),
    figure('maximum-users', 'Maximum users', count(lic.maximumUserCount), HELP.maximum),
    figure('users-over-subscription', 'Users over subscription', count(lic.usersOverLicenseCount),
      lic.trial ? HELP.overTrial : HELP.over));
  for (const f of document.querySelectorAll('.figure .help:empty')) f.remove();
}

function showHistory(entries, current) {
  const body = document.querySelector('#history tbody');
  document.getElementById('history-card').hidden = entries.length === 0;
  body.replaceChildren(...entries.map((h) => el('tr', {
    class: current && h.id === current.id ? 'current' : null,
    'aria-current': current && h.id === current.id ? 'true' : null,
    'data-license': h.id,
  },
  el('td', {}, el('span', { class: 'name', text: text(h.name) }),
    el('span', { class: 'sub', text: text(h.email) }), el('span', { class: 'sub', text: text(h.company) })),
  el('td', { text: capitalize(h.plan) }),
  el('td', { text: text(h.activatedAt) }),
  el('td', { text: text(h.startsAt) }),
  el('td', { text: text(h.expiresAt) }),
  el('td', { class: 'num', text: h.usersInLicenseCount === null ? 'Unlimited' : count(h.usersInLicenseCount) }),
  el('td', { text: TYPES[h.type] || h.type }))));
}

/* ---- the usage chart ---------------------------------------------------- */

function chartSize(box) {
  const width = Math.max(320, Math.min(1400, Math.floor(box.clientWidth || 960)));
  const height = Math.max(260, Math.min(420, Math.round(width * 0.45)));
  return { width, height };
}

function tooltipFor(box, tip) {
  let points = [];
  const show = (g) => {
    const circle = g.querySelector('circle');
    const label = g.getAttribute('aria-label') || (g.querySelector('title') || {}).textContent || '';
    const colon = label.indexOf(': ');
    tip.replaceChildren(el('strong', { text: colon > 0 ? label.slice(0, colon) : label }),
      el('span', { text: colon > 0 ? label.slice(colon + 2) : '' }));
    tip.hidden = false;
    const b = box.getBoundingClientRect();
    const c = circle.getBoundingClientRect();
    const x = c.left + c.width / 2 - b.left;
    const y = c.top - b.top;
    tip.style.left = Math.max(0, Math.min(b.width - tip.offsetWidth, x - tip.offsetWidth / 2)) + 'px';
    tip.style.top = Math.max(0, y - tip.offsetHeight - 10) + 'px';
    for (const p of points) p.classList.toggle('active', p === g);
  };
  const hide = () => { tip.hidden = true; for (const p of points) p.classList.remove('active'); };
  return {
    attach(svg, maxIndex) {
      // one tab stop for the chart; the arrow keys move between its points
      points = [...svg.querySelectorAll('.sl-pt')];
      points.forEach((p, i) => p.setAttribute('tabindex', i === (maxIndex ?? 0) ? '0' : '-1'));
      svg.addEventListener('mouseover', (e) => { const g = e.target.closest('.sl-pt'); if (g) show(g); });
      svg.addEventListener('mouseleave', hide);
      svg.addEventListener('focusin', (e) => { const g = e.target.closest('.sl-pt'); if (g) show(g); });
      svg.addEventListener('focusout', hide);
      svg.addEventListener('keydown', (e) => {
        const i = points.indexOf(document.activeElement);
        if (i < 0) return;
        const next = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1,
          Home: 0, End: points.length - 1 }[e.key];
        if (next === undefined) { if (e.key === 'Escape') hide(); return; }
        e.preventDefault();
        const j = Math.max(0, Math.min(points.length - 1, next));
        points[i].setAttribute('tabindex', '-1');
        points[j].setAttribute('tabindex', '0');
        points[j].focus();
      });
    },
  };
}

async function showChart() {
  const box = document.getElementById('chart');
  const tip = document.getElementById('chart-tooltip');
  const { width, height } = chartSize(box);
  const c = await consoleJson('usage_chart', `?width=${width}&height=${height}`);
  // the engine's SVG as it is (escaped by the engine), parsed as XML: no HTML
  const doc = new DOMParser().parseFromString(c.svg, 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  box.replaceChildren(svg);
  tooltipFor(box, tip).attach(svg, c.max_index);
  const unit = c.unit === 'snapshot' ? 'per snapshot' : `(the highest count of each ${c.unit})`;
  document.getElementById('chart-caption').textContent =
    `Billable users ${unit}, ${c.from} to ${c.to}` + (c.seats === null ? '' : `, ${count(c.seats)} seats`);
  document.querySelector('#chart-table tbody').replaceChildren(...c.points.map((p) => el('tr', {},
    el('th', { scope: 'row', text: p.label }), el('td', { class: 'num', text: count(p.billable) }),
    el('td', { class: 'num', text: p.over > 0 ? count(p.over) : '-' }))));
}

/* ---- loading ------------------------------------------------------------ */

async function load() {
  const [cur, hist] = await Promise.all([graphql(CURRENT), graphql(HISTORY)]);
  showLicense(cur.currentLicense);
  showHistory(hist.licenseHistoryEntries.nodes, cur.currentLicense);
  if (cur.currentLicense) await showChart();
}

async function reload() {
  await Promise.all([banners(), load()]);
}

/* ---- adding and removing licenses ----------------------------------------- */

async function addLicense(e) {
  e.preventDefault();
  const form = e.target;
  const result = document.getElementById('add-result');
  const file = form.elements.license_file.files[0];
  const key = file ? await file.text() : form.elements.license.value;
  result.replaceChildren();
  if (!key.trim()) {
    result.append(alert('danger', null, 'Please enter or upload a license.'));
    return;
  }
  const added = await rest('POST', '/license', { license: key });
  if (added.status !== 201) {
    // the API's own validation message, word for word
    const b = added.body || {};
    result.append(alert('danger', null, typeof b === 'string' ? b : b.message || b.error || String(added.status)));
    return;
  }
  const now = await rest('GET', '/license');
  form.reset();
  if (now.body && now.body.id === added.body.id) {
    notice('success', null, 'The license was successfully uploaded and is now active. You can see the details below.');
  } else {
    notice('success', null, `The license was successfully uploaded and will be active from ${added.body.starts_at}. You can see the details below.`);
  }
  await reload();
}

async function removeLicense() {
  const dialog = document.getElementById('remove-dialog');
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'confirm') return;
  const cur = await rest('GET', '/license');
  if (!cur.body || !cur.body.id) return;
  const del = await rest('DELETE', '/license/' + cur.body.id);
  if (del.status !== 204) {
    notice('danger', null, (del.body && del.body.message) || 'The license could not be removed.');
    return;
  }
  const after = await rest('GET', '/license');
  if (after.body && after.body.id) {
    notice('success', null, `The license was removed. ${PRODUCT} has fallen back on the previous license.`);
  } else {
    notice('warning', null, `The license was removed. ${PRODUCT} now no longer has a valid license.`);
  }
  await reload();
}

const guard = (fn) => (...a) => fn(...a).catch((err) => notice('danger', 'Something went wrong', err.message));
document.getElementById('add-license').addEventListener('submit', guard(addLicense));
document.getElementById('remove-license').addEventListener('click', guard(removeLicense));
run(load);
