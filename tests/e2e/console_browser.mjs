// console_browser.mjs - the admin console in a real browser (Debian's
// Chromium, driven by playwright-core; never a downloaded browser), run by
// tests/e2e/test_console.sh against a started server.  Every request is
// intercepted: one for any host but the server's fails the test.  Console
// errors, page errors, CSP violations and dialogs (an alert() would be an
// XSS) fail it too.  axe-core must report no serious or critical violation
// on each page.  Screenshots at 1280x800 and 390x844 go to SL_OUT.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(process.env.NODE_PATH + '/');
const { chromium } = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const env = process.env;
const URL0 = env.SL_URL;
const HOST = new URL(URL0).host;
const OUT = env.SL_OUT;
let failed = 0, passed = 0;
const check = (ok, name, detail = '') => {
  if (ok) passed++; else { failed++; console.error('FAILED: ' + name + (detail ? ': ' + detail : '')); }
};
const eq = (got, want, name) => check(JSON.stringify(got) === JSON.stringify(want), name,
  `got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);

// ---- the server's APIs, with the admin token (what the page must agree with) ----
async function api(path, init = {}) {
  const res = await fetch(URL0 + path, { ...init, headers: { 'PRIVATE-TOKEN': env.SL_ADMIN, ...(init.headers || {}) } });
  return { status: res.status, body: await res.json() };
}
const gql = async (query) => (await api('/api/graphql', { method: 'POST',
  headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query }) })).body.data;

// ---- the browser ------------------------------------------------------------------
// launch() starts Chromium on a fresh, empty --user-data-dir of its own
// (a temporary folder it removes), which is why none is passed here
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const foreign = [];
const problems = [];

async function newContext(viewport) {
  const ctx = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-US' });
  // every request: none may leave the server
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.host !== HOST || !['http:', 'https:'].includes(u.protocol)) {
      foreign.push(route.request().url());
      return route.abort();
    }
    return route.continue();
  });
  return ctx;
}

// the browser logs an API's refusal as a console error: a step that asks
// for one on purpose names it here while it runs
const expectedErrors = new Set();
function watch(page, label, allowed = []) {
  page.on('console', (m) => {
    const ok = [...allowed, ...expectedErrors].some((a) => m.text().includes(a));
    if (m.type() === 'error' && !ok) problems.push(`${label}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`${label}: a dialog opened: ${d.message()}`); d.dismiss(); });
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${label}: ${r.status()} for ${r.url()}`); });
}

async function ready(page) {
  await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: 15000 });
  const violations = await page.evaluate(() => window.__cspViolations || []);
  check(violations.length === 0, 'no CSP violation on ' + page.url(), violations.join('; '));
}

async function axe(page, name) {
  // evaluated as an expression through the DevTools protocol: no script tag
  // or eval() (which our own CSP would rightly refuse) and nothing loaded
  const results = await page.evaluate(`${AXE}\n;window.axe.run(document, { resultTypes: ['violations'] })`);
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe-core: no serious or critical violation on ${name}`,
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('; '));
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  await page.screenshot({ path: join(OUT, `${name}-full.png`), fullPage: true });
}

const text = (page, sel) => page.locator(sel).innerText();
const figures = async (page) => Object.fromEntries(await page.$$eval('[data-figure]', (els) =>
  els.map((e) => [e.dataset.figure, e.querySelector('.figure-value').textContent])));
const fmt = (n) => Number(n).toLocaleString('en-US');
// a point's text as the engine writes it (snapshots: no aggregation note)
const pointText = (p) => `${fmt(p.billable)} billable ${p.billable === 1 ? 'user' : 'users'}` +
  (p.over > 0 ? `, ${fmt(p.over)} over the seat limit` : '');

try {
  // ---- a non-admin token cannot sign in -------------------------------------------
  const ctx = await newContext({ width: 1280, height: 800 });
  await ctx.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  let page = await ctx.newPage();
  // the refused sign-in's 403 is the one expected resource error
  watch(page, 'sign-in', ['status of 403', 'status of 401']);
  const first = await page.goto(URL0 + '/admin/subscription');
  eq(new URL(page.url()).pathname, '/admin/sign_in', 'signed out: the page sends to the sign-in');
  check(first.ok(), 'the sign-in page loads');
  await axe(page, 'the sign-in page');
  await shot(page, 'sign-in-1280');
  await page.getByLabel('Admin API token').fill(env.SL_READER);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  eq(new URL(page.url()).pathname, '/admin/sign_in', 'a non-admin token stays on the sign-in');
  eq(await page.getByRole('alert').innerText(), 'This token is not an admin token. Only administrators can sign in.',
    'the non-admin message');
  eq((await ctx.cookies()).length, 0, 'no cookie for a non-admin token');
  await page.close();

  // ---- sign in ------------------------------------------------------------------------
  page = await ctx.newPage();
  watch(page, 'subscription');
  await page.goto(URL0 + '/admin/sign_in');
  await page.getByLabel('Admin API token').fill(env.SL_ADMIN);
  const [resp] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/subscription')),
    page.getByRole('button', { name: 'Sign in' }).click()]);
  await ready(page);
  eq(new URL(page.url()).pathname, '/admin/subscription', 'signed in: the subscription page');
  const csp = resp.headers()['content-security-policy'] || '';
  check(csp.includes("default-src 'self'") && !csp.includes('unsafe-inline'), 'the page is served under a strict CSP', csp);
  const [cookie] = await ctx.cookies();
  eq([cookie.name, cookie.httpOnly, cookie.sameSite, cookie.secure, cookie.path],
    ['seatledger_session', true, 'Strict', false, '/'], 'the session cookie: HttpOnly, SameSite=Strict, Path=/');
  eq(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session cookie');
  eq(await page.locator('#who').innerText(), 'Signed in with console-admin', 'who is signed in');

  // ---- every figure against the License API ---------------------------------------------
  const lic = (await api('/api/v4/license')).body;
  const f = await figures(page);
  eq(f['users-in-subscription'], lic.user_limit === 0 ? 'Unlimited' : fmt(lic.user_limit), 'Users in subscription = user_limit');
  eq(f['billable-users'], fmt(lic.active_users), 'Billable users = active_users');
  eq(f['maximum-users'], fmt(lic.maximum_user_count), 'Maximum users = maximum_user_count');
  // GitLab's card is overage_with_historical_max (docs/graphql.md): the maximum over the seats
  eq(f['users-over-subscription'], fmt(Math.max(0, lic.maximum_user_count - lic.user_limit)),
    'Users over subscription = maximum_user_count - user_limit');
  const cur = (await gql('{ currentLicense { id plan name email company startsAt expiresAt subscriptionName } }')).currentLicense;
  const field = (n) => page.locator(`[data-field="${n}"]`).innerText();
  eq([await field('id'), await field('subscriptionName'), await field('plan'), await field('startsAt'), await field('expiresAt')],
    [cur.id, cur.subscriptionName, 'Ultimate', lic.starts_at, lic.expires_at], 'Subscription details');
  eq([await field('name'), await field('email'), await field('company')],
    [lic.licensee.Name, lic.licensee.Email, lic.licensee.Company], 'Licensed to');
  // the XSS licensee is text: the characters shown, no element made, no script run
  eq(await field('name'), env.SL_XSS, 'the hostile licensee name shows as text');
  eq(await page.locator('[data-field="name"] img, #history img').count(), 0, 'no element from the licensee name');
  for (const t of ['Users in subscription', 'Billable users', 'Maximum users', 'Users over subscription']) {
    check(await page.getByRole('heading', { name: t, exact: true }).isVisible(), `figure card "${t}"`);
  }
  check((await page.locator('main').innerText()).includes("Users with a Guest role or those who don't belong to a Project or Group will not use a seat from your license."),
    'the ultimate help text');

  // ---- banners ---------------------------------------------------------------------------
  eq(await page.locator('#banners .gl-alert-title').allInnerTexts(),
    ['Your Ultimate subscription will expire on 2026-12-01', 'Your instance has exceeded its seat limit'], 'the banners');
  check((await text(page, '#banners')).includes('(1 over limit)'), 'the overage banner counts the seats over');

  // ---- the history table ------------------------------------------------------------------
  const hist = (await gql('{ licenseHistoryEntries { nodes { id name email company plan activatedAt startsAt expiresAt usersInLicenseCount type } } }')).licenseHistoryEntries.nodes;
  const rows = await page.$$eval('#history tbody tr', (trs) => trs.map((tr) => ({
    cells: [...tr.cells].map((c) => c.innerText.trim()), current: tr.classList.contains('current'), id: tr.dataset.license })));
  const TYPES = { online_cloud: 'Online license', offline_cloud: 'Offline license', legacy_license: 'Legacy license' };
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  eq(rows.map((r) => r.cells), hist.map((h) => [[h.name, h.email, h.company].join('\n'), cap(h.plan), h.activatedAt || '-',
    h.startsAt, h.expiresAt, String(h.usersInLicenseCount), TYPES[h.type]]), 'the history rows, as licenseHistoryEntries');
  eq(rows.map((r) => r.current), hist.map((h) => h.id === cur.id), 'the current license\'s row is highlighted');

  // ---- the chart: the engine's SVG, its table, hover and keyboard --------------------------
  const chart = await page.evaluate(async () => (await fetch('/admin/console/usage_chart?width=900&height=400')).json());
  const svgPoints = page.locator('#chart svg .sl-pt');
  eq(await svgPoints.count(), chart.points.length, 'a mark per point of the series');
  eq(await page.locator('#chart-table tbody tr').count(), chart.points.length, 'a table row per point');
  eq(await page.locator('#chart-table tbody tr').first().locator('th').textContent(), chart.points[0].label, 'the table\'s first date');
  const last = chart.points[chart.points.length - 1];
  await svgPoints.last().hover();
  await page.waitForSelector('#chart-tooltip:not([hidden])');
  eq(await text(page, '#chart-tooltip'), `${last.label}\n${pointText(last)}`, 'hovering a point shows its date and count');
  await page.mouse.move(0, 0);
  // keyboard: one tab stop (the highest point), arrows move between points
  await page.locator('#chart-title').click();
  let tabs = 0;
  while (tabs++ < 30 && !(await page.evaluate(() => document.activeElement?.classList?.contains('sl-pt')))) await page.keyboard.press('Tab');
  const maxPoint = chart.points[chart.max_index];
  eq(await page.evaluate(() => document.activeElement.getAttribute('aria-label')).then((l) => l.split(': ')[0]),
    maxPoint.label, 'Tab reaches the chart at its highest point');
  eq((await text(page, '#chart-tooltip')).split('\n')[0], maxPoint.label, 'focus shows the point\'s date');
  await page.keyboard.press('ArrowLeft');
  const prev = chart.points[chart.max_index - 1];
  eq((await text(page, '#chart-tooltip')).split('\n'), [prev.label, pointText(prev)],
    'an arrow key moves to the previous point and shows its count');
  await page.keyboard.press('End');
  eq((await text(page, '#chart-tooltip')).split('\n')[0], last.label, 'End goes to the last point');
  await page.keyboard.press('Escape');

  await axe(page, 'the subscription page');
  await shot(page, 'subscription-1280');

  // ---- export the CSV -------------------------------------------------------------------------
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export license usage file' }).click()]);
  eq(download.suggestedFilename(), 'license_usage.csv', 'the export\'s file name');
  const csvPath = join(env.SL_TMP, 'downloaded.csv');
  await download.saveAs(csvPath);
  check(readFileSync(csvPath).equals(readFileSync(env.SL_EXPECTED_CSV)), 'the exported CSV is usage export\'s, byte for byte');

  // ---- adding a license: the API's message verbatim, then a future-dated key --------------
  expectedErrors.add('the server responded with a status of 400');
  await page.getByLabel('License key').fill('not a license key');
  await page.getByRole('button', { name: 'Add license' }).click();
  const refused = await api('/api/v4/license', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ license: 'not a license key' }) });
  await page.waitForSelector('#add-result .gl-alert');
  eq(await text(page, '#add-result'), refused.body.message, 'a refused key: the API\'s message, word for word');
  expectedErrors.clear();
  await page.getByLabel('License key').fill('');
  await page.getByLabel('Upload a license file').setInputFiles(env.SL_FUTURE_KEY);
  await page.getByRole('button', { name: 'Add license' }).click();
  await page.waitForSelector('#notices .gl-alert-success');
  eq(await text(page, '#notices .gl-alert-body'),
    'The license was successfully uploaded and will be active from 2026-12-01. You can see the details below.',
    'an uploaded future-dated license');
  await page.waitForFunction(() => document.querySelectorAll('#history tbody tr').length === 3);
  eq((await page.locator('#history tbody tr').first().innerText()).includes('2026-12-01'), true, 'the future license is listed first');
  eq(await page.locator('#banners .gl-alert-title').allInnerTexts(), ['Your instance has exceeded its seat limit'],
    'GitLab hides the expiry banner once a future-dated license waits');

  // ---- the Duo seat page ---------------------------------------------------------------------
  await page.getByRole('link', { name: 'GitLab Duo' }).click();
  await ready(page);
  const purchases = (await gql('{ addOnPurchases { id name purchasedQuantity assignedQuantity } }')).addOnPurchases;
  const duo = purchases.find((p) => p.name === 'CODE_SUGGESTIONS');
  eq(await text(page, `[data-purchase="${duo.id}"] .seats-used`), `Seats used: ${duo.assignedQuantity} / ${duo.purchasedQuantity}`,
    'Seats used, as addOnPurchases');
  const usernames = async () => page.$$eval('#users tbody tr[data-username]', (trs) => trs.map((t) => t.dataset.username));
  const eligible = (await gql(`{ selfManagedAddOnEligibleUsers(addOnType: CODE_SUGGESTIONS, addOnPurchaseIds: ["${duo.id}"], sort: NAME_ASC, first: 20) { nodes { username } } }`)).selfManagedAddOnEligibleUsers.nodes.map((n) => n.username);
  eq(await usernames(), eligible, 'the eligible users, as the API lists them');
  check((await usernames()).includes(env.SL_XSS), 'the hostile username is listed as text');
  await page.getByLabel('Search users').fill('eve');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('#users tbody tr[data-username]').length === 1);
  eq(await usernames(), ['eve'], 'search');
  await page.getByLabel('Search users').fill('');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByLabel('Assigned seat').selectOption('true');
  await page.waitForFunction(() => document.querySelectorAll('#users tbody tr[data-username]').length === 2);
  eq(await usernames(), ['alice', 'bob'], 'filter: assigned');
  await page.getByLabel('Assigned seat').selectOption('');
  await page.waitForFunction((n) => document.querySelectorAll('#users tbody tr[data-username]').length === n, eligible.length);

  const assigned = async (u) => (await gql(`{ selfManagedAddOnEligibleUsers(addOnType: CODE_SUGGESTIONS, addOnPurchaseIds: ["${duo.id}"], search: "${u}") { nodes { username addOnAssignments(addOnPurchaseIds: ["${duo.id}"]) { nodes { addOnPurchase { name } } } } } }`))
    .selfManagedAddOnEligibleUsers.nodes.find((n) => n.username === u).addOnAssignments.nodes.length === 1;
  // assign eve with the keyboard: focus her toggle, press Space
  const eveToggle = page.getByRole('switch', { name: 'Assign seat to eve' });
  await eveToggle.focus();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('[aria-label="Assign seat to eve"]')?.getAttribute('aria-checked') === 'true');
  eq(await assigned('eve'), true, 'assigned through the UI: GraphQL agrees');
  eq(await text(page, `[data-purchase="${duo.id}"] .seats-used`), 'Seats used: 3 / 3', 'the count follows');
  // no seat left: GitLab's words
  await page.getByRole('switch', { name: 'Assign seat to dave' }).click();
  await page.waitForSelector('#alerts .gl-alert');
  eq([await text(page, '#alerts .gl-alert-title'), await text(page, '#alerts .gl-alert-body')],
    ['No seats available', 'You have assigned all available GitLab Duo add-on seats.'], 'no seats available');
  eq(await assigned('dave'), false, 'dave got no seat');
  await page.getByRole('switch', { name: 'Assign seat to eve' }).click();
  await page.waitForFunction(() => document.querySelector('[aria-label="Assign seat to eve"]')?.getAttribute('aria-checked') === 'false');
  eq(await assigned('eve'), false, 'unassigned through the UI: GraphQL agrees');
  // bulk: two users for one free seat is refused whole, in GitLab's words
  await page.getByLabel('Select dave').check();
  await page.getByLabel('Select eve').check();
  eq(await text(page, '#selected-count'), '2 users selected', 'selection count');
  await page.getByRole('button', { name: 'Assign seat', exact: true }).click();
  eq(await text(page, '#bulk-dialog-text'), 'This action will assign a GitLab Duo seat to 2 users. Are you sure you want to continue?', 'bulk confirmation');
  await page.getByRole('button', { name: 'Assign seats' }).click();
  await page.waitForSelector('#alerts .gl-alert');
  eq(await page.locator('#alerts .gl-alert-title').innerText(), 'Not enough seats', 'bulk: not enough seats');
  eq(await page.locator('#alerts .gl-alert-body').innerText(), 'There are not enough seats to assign the GitLab Duo add-on to all selected members.', 'bulk: GitLab\'s text');
  eq([await assigned('dave'), await assigned('eve')], [false, false], 'a refused bulk assignment changes nothing');
  // bulk removal of alice and bob
  await page.getByLabel('Select dave').uncheck();
  await page.getByLabel('Select eve').uncheck();
  await page.getByLabel('Select alice').check();
  await page.getByLabel('Select bob').check();
  await page.getByRole('button', { name: 'Remove seat', exact: true }).click();
  await page.getByRole('button', { name: 'Remove seats' }).click();
  await page.waitForSelector('#notices .gl-alert-success');
  eq([await assigned('alice'), await assigned('bob')], [false, false], 'bulk removal: GraphQL agrees');
  eq(await text(page, `[data-purchase="${duo.id}"] .seats-used`), 'Seats used: 0 / 3', 'the count after the bulk removal');
  const history = await page.$$eval('#seat-history tbody tr', (trs) => trs.map((t) => [...t.cells].map((c) => c.innerText)));
  eq(history.slice(0, 4).map((r) => [r[1], r[3], r[4]]),
    [['bob', 'Unassigned', 'console-admin'], ['alice', 'Unassigned', 'console-admin'], ['eve', 'Unassigned', 'console-admin'],
      ['eve', 'Assigned', 'console-admin']], 'the seat history, newest first, the token\'s name as actor');
  // one seat back for the screenshot
  await page.getByRole('switch', { name: 'Assign seat to alice' }).click();
  await page.waitForFunction(() => document.querySelector('[aria-label="Assign seat to alice"]')?.getAttribute('aria-checked') === 'true');
  await page.locator('#notices').evaluate((n) => n.replaceChildren());
  await axe(page, 'the Duo seat page');
  await shot(page, 'seat-utilization-1280');

  // ---- 390 px wide ------------------------------------------------------------------------------
  const narrow = await newContext({ width: 390, height: 844 });
  await narrow.addInitScript(() => { window.__cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective)); });
  const small = await narrow.newPage();
  watch(small, 'narrow');
  // signed out first: a signed-in visit to the sign-in goes to the subscription
  await small.goto(URL0 + '/admin/sign_in');
  eq(await small.getByRole('heading', { level: 1 }).innerText(), 'Sign in to the Admin area', 'the sign-in page at 390 px');
  await shot(small, 'sign-in-390');
  await narrow.addCookies(await ctx.cookies());
  for (const [path, name] of [['/admin/subscription', 'subscription'], ['/admin/gitlab_duo/seat_utilization', 'seat-utilization']]) {
    await small.goto(URL0 + path);
    await ready(small);
    const width = await small.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 390, `${name} fits 390 px without scrolling sideways`, `scrollWidth ${width}`);
    await axe(small, `${name} at 390 px`);
    await shot(small, `${name}-390`);
  }
  await narrow.close();

  // ---- remove the license, behind the confirmation ------------------------------------------------
  await page.getByRole('link', { name: 'Subscription' }).click();
  await ready(page);
  const before = (await api('/api/v4/license')).body.id;
  await page.getByRole('button', { name: 'Remove license' }).click();
  check(await page.getByRole('dialog').isVisible(), 'the removal asks first');
  eq(await page.getByRole('dialog').locator('p').innerText(), 'Are you sure you want to remove the license?', 'GitLab\'s question');
  await page.getByRole('button', { name: 'Cancel' }).click();
  eq((await api('/api/v4/license')).body.id, before, 'cancelled: nothing removed');
  await page.getByRole('button', { name: 'Remove license' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove license' }).click();
  await page.waitForSelector('#notices .gl-alert');
  eq(await text(page, '#notices .gl-alert-body'), 'The license was removed. seatledger has fallen back on the previous license.',
    'GitLab\'s removal notice, with the product\'s name');
  const after = (await api('/api/v4/license')).body;
  check(after && after.id !== before && after.licensee.Company === 'Old Corp', 'the previous license is current again');
  await page.waitForFunction(() => document.querySelector('[data-field="company"]')?.textContent === 'Old Corp');

  // ---- sign out --------------------------------------------------------------------------------------
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/admin/sign_in');
  eq((await ctx.cookies()).length, 0, 'signing out ends the cookie');
  await page.goto(URL0 + '/admin/gitlab_duo/seat_utilization');
  eq(new URL(page.url()).pathname, '/admin/sign_in', 'signed out: the pages send to the sign-in');
  await ctx.close();
} catch (e) {
  check(false, 'the browser run', e.stack || String(e));
} finally {
  await browser.close();
}
check(foreign.length === 0, 'no request left ' + HOST, foreign.join(', '));
check(problems.length === 0, 'no console error, page error, dialog or 5xx', problems.join('\n'));
writeFileSync(join(OUT, 'result.txt'), `${passed} passed, ${failed} failed\n`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
