// seats.js - GitLab Duo seat utilization: the active add-on purchases and
// their seats (addOnPurchases), the users eligible for a seat with search,
// filter and paging (selfManagedAddOnEligibleUsers), assigning and removing
// seats one by one or in bulk (GitLab's four mutations, with GitLab's error
// texts), and the seat history (addOnSeatHistory).  The API decides and
// counts; this page asks and shows.

import { alert, banners, count, el, graphql, notice, run, when } from './console.js';

const PAGE = 20;
const HISTORY_ROWS = 20;
const NAMES = { CODE_SUGGESTIONS: 'GitLab Duo Pro', DUO_ENTERPRISE: 'GitLab Duo Enterprise',
  DUO_AMAZON_Q: 'GitLab Duo with Amazon Q', DUO_CORE: 'GitLab Duo Core' };
const ASSIGNABLE = ['CODE_SUGGESTIONS', 'DUO_ENTERPRISE', 'DUO_AMAZON_Q'];
const SUPPORT = ' If the problem persists, please contact support.';
const ERRORS = {
  NO_SEATS_AVAILABLE: ['No seats available', 'You have assigned all available GitLab Duo add-on seats.'],
  NOT_ENOUGH_SEATS: ['Not enough seats', 'There are not enough seats to assign the GitLab Duo add-on to all selected members.'],
  assign: ['Error assigning GitLab Duo add-on', 'Something went wrong when assigning the add-on to this member.' + SUPPORT],
  unassign: ['Error un-assigning GitLab Duo add-on', 'Something went wrong when un-assigning the add-on to this member.' + SUPPORT],
  bulkAssign: ['Error assigning GitLab Duo add-on', 'Something went wrong when assigning the add-on for the selected members.' + SUPPORT],
  bulkUnassign: ['Error un-assigning GitLab Duo add-on', 'Something went wrong when un-assigning the add-on to the selected members.' + SUPPORT],
};

const PURCHASES = `query getAddOnPurchases { addOnPurchases { id name purchasedQuantity assignedQuantity } }`;
const USERS = `query getAddOnEligibleUsers($addOnType: GitlabSubscriptionsAddOnType!,
  $addOnPurchaseIds: [GitlabSubscriptionsAddOnPurchaseID!]!, $search: String, $filterByAssignedSeat: String,
  $first: Int, $after: String, $last: Int, $before: String) {
  selfManagedAddOnEligibleUsers(addOnType: $addOnType, addOnPurchaseIds: $addOnPurchaseIds, search: $search,
    filterByAssignedSeat: $filterByAssignedSeat, sort: NAME_ASC, first: $first, after: $after, last: $last,
    before: $before) {
    nodes { id username email lastActivityOn lastDuoActivityOn
      addOnAssignments(addOnPurchaseIds: $addOnPurchaseIds) { nodes { addOnPurchase { id } } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const HISTORY = `query getSeatHistory($last: Int) {
  addOnSeatHistory(last: $last) { nodes { at addOnType username event reason actor } }
}`;
const one = (name) => `mutation ${name}($addOnPurchaseId: GitlabSubscriptionsAddOnPurchaseID!, $userId: UserID!) {
  ${name}(input: {addOnPurchaseId: $addOnPurchaseId, userId: $userId}) {
    errors addOnPurchase { id assignedQuantity }
  }
}`;
const bulk = (name) => `mutation ${name}($addOnPurchaseId: GitlabSubscriptionsAddOnPurchaseID!, $userIds: [UserID!]!) {
  ${name}(input: {addOnPurchaseId: $addOnPurchaseId, userIds: $userIds}) {
    errors addOnPurchase { id assignedQuantity } users { nodes { id } }
  }
}`;

const state = { purchases: [], purchase: null, search: '', filter: '', page: { after: null, before: null },
  pageInfo: null, selected: new Set() };

function showError(key) {
  const [title, body] = ERRORS[key] || ERRORS.assign;
  document.getElementById('alerts').replaceChildren(alert('danger', title, body, { dismissible: true }));
}

function clearError() {
  document.getElementById('alerts').replaceChildren();
}

/* ---- purchases ---------------------------------------------------------- */

function showPurchases() {
  const list = document.getElementById('purchases');
  list.replaceChildren(...state.purchases.map((p) => el('li', { class: 'figure card', 'data-purchase': p.id },
    el('h3', { class: 'figure-title', text: NAMES[p.name] || p.name }),
    el('p', { class: 'figure-value seats-used' }, el('span', { class: 'figure-label', text: 'Seats used: ' }),
      `${count(p.assignedQuantity)} / ${count(p.purchasedQuantity)}`))));
  document.getElementById('no-purchases').hidden = state.purchases.length > 0;
  const assignable = state.purchases.filter((p) => ASSIGNABLE.includes(p.name));
  const select = document.getElementById('purchase');
  const keep = state.purchase && assignable.find((p) => p.id === state.purchase.id);
  state.purchase = keep || assignable[0] || null;
  select.replaceChildren(...assignable.map((p) => el('option', { value: p.id, text: NAMES[p.name] || p.name,
    selected: state.purchase && p.id === state.purchase.id })));
  select.closest('.form-group').hidden = assignable.length < 2;
  document.getElementById('users-card').hidden = !state.purchase;
}

async function loadPurchases() {
  const d = await graphql(PURCHASES);
  state.purchases = d.addOnPurchases || [];
  showPurchases();
}

/* ---- users -------------------------------------------------------------- */

function updateSelection() {
  const n = state.selected.size;
  document.getElementById('selected-count').textContent = `${n} ${n === 1 ? 'user' : 'users'} selected`;
  document.getElementById('bulk-assign').disabled = n === 0;
  document.getElementById('bulk-remove').disabled = n === 0;
  const boxes = [...document.querySelectorAll('#users tbody input[type=checkbox]')];
  const all = document.getElementById('select-all');
  all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
  all.indeterminate = !all.checked && boxes.some((b) => b.checked);
}

function userRow(u) {
  const assigned = u.addOnAssignments.nodes.some((a) => a.addOnPurchase.id === state.purchase.id);
  const toggle = el('button', { type: 'button', class: 'toggle', role: 'switch', 'aria-checked': String(assigned),
    'aria-label': `Assign seat to ${u.username}`, 'data-user': u.id },
  el('span', { class: 'toggle-track', 'aria-hidden': 'true' }, el('span', { class: 'toggle-knob' })));
  toggle.addEventListener('click', () => assignOne(u, toggle).catch((e) => notice('danger', 'Something went wrong', e.message)));
  const box = el('input', { type: 'checkbox', 'aria-label': `Select ${u.username}`, value: u.id,
    checked: state.selected.has(u.id) });
  box.addEventListener('change', () => {
    if (box.checked) state.selected.add(u.id); else state.selected.delete(u.id);
    updateSelection();
  });
  return el('tr', { 'data-username': u.username },
    el('td', { class: 'col-select' }, box),
    el('th', { scope: 'row', class: 'username', text: u.username }),
    el('td', { text: u.email || '-' }),
    el('td', { text: u.lastActivityOn || '-' }),
    el('td', { text: u.lastDuoActivityOn || '-' }),
    el('td', {}, toggle));
}

async function loadUsers() {
  if (!state.purchase) return;
  const vars = { addOnType: state.purchase.name, addOnPurchaseIds: [state.purchase.id],
    search: state.search || null, filterByAssignedSeat: state.filter || null };
  if (state.page.before) Object.assign(vars, { last: PAGE, before: state.page.before });
  else Object.assign(vars, { first: PAGE, after: state.page.after });
  const d = await graphql(USERS, vars);
  const conn = d.selfManagedAddOnEligibleUsers;
  state.pageInfo = conn.pageInfo;
  const body = document.querySelector('#users tbody');
  body.replaceChildren(...conn.nodes.map(userRow));
  if (conn.nodes.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: '6', class: 'empty', text: 'No users found' })));
  }
  document.getElementById('prev-page').disabled = !conn.pageInfo.hasPreviousPage;
  document.getElementById('next-page').disabled = !conn.pageInfo.hasNextPage;
  updateSelection();
}

/* ---- assigning ---------------------------------------------------------- */

async function afterChange() {
  await Promise.all([loadPurchases(), loadUsers(), loadHistory(), banners()]);
}

async function assignOne(u, toggle) {
  clearError();
  const on = toggle.getAttribute('aria-checked') !== 'true';
  const name = on ? 'userAddOnAssignmentCreate' : 'userAddOnAssignmentRemove';
  toggle.disabled = true;
  let d;
  try {
    d = await graphql(one(name), { addOnPurchaseId: state.purchase.id, userId: u.id });
  } catch (e) {
    toggle.disabled = false;
    showError(on ? 'assign' : 'unassign');
    return;
  }
  const payload = d[name];
  // GitLab answers a null payload when there was no seat to remove
  if (payload && payload.errors.length) {
    showError(payload.errors[0]);
  }
  await afterChange();
  const again = document.querySelector(`#users button[data-user="${CSS.escape(u.id)}"]`);
  if (again) again.focus();
}

async function confirmBulk(assign, n) {
  const dialog = document.getElementById('bulk-dialog');
  document.getElementById('bulk-dialog-title').textContent = assign ? 'Confirm bulk seat assignment' : 'Confirm bulk seat removal';
  document.getElementById('bulk-dialog-text').textContent = assign
    ? `This action will assign a GitLab Duo seat to ${n} ${n === 1 ? 'user' : 'users'}. Are you sure you want to continue?`
    : `This action will remove GitLab Duo seats from ${n} ${n === 1 ? 'user' : 'users'}. Are you sure you want to continue?`;
  const button = document.getElementById('bulk-confirm');
  button.textContent = assign ? 'Assign seats' : 'Remove seats';
  button.className = assign ? 'btn btn-confirm' : 'btn btn-danger';
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  return dialog.returnValue === 'confirm';
}

async function bulkChange(assign) {
  clearError();
  const ids = [...state.selected];
  if (!ids.length || !(await confirmBulk(assign, ids.length))) return;
  const name = assign ? 'userAddOnAssignmentBulkCreate' : 'userAddOnAssignmentBulkRemove';
  let d;
  try {
    d = await graphql(bulk(name), { addOnPurchaseId: state.purchase.id, userIds: ids });
  } catch (e) {
    showError(assign ? 'bulkAssign' : 'bulkUnassign');
    return;
  }
  const payload = d[name];
  if (!payload || payload.errors.length) {
    showError(payload && ERRORS[payload.errors[0]] ? payload.errors[0] : assign ? 'bulkAssign' : 'bulkUnassign');
  } else {
    const n = payload.users.nodes.length;
    notice('success', null, assign ? `${n} ${n === 1 ? 'user has' : 'users have'} been successfully assigned a seat.`
      : `${n} ${n === 1 ? 'user has' : 'users have'} been successfully unassigned from a seat.`);
    state.selected.clear();
  }
  await afterChange();
}

/* ---- history ------------------------------------------------------------ */

function eventText(e) {
  const t = { assigned: 'Assigned', unassigned: 'Unassigned', removed: 'Removed' }[e.event] || e.event;
  return e.reason ? `${t} (${e.reason})` : t;
}

async function loadHistory() {
  const d = await graphql(HISTORY, { last: HISTORY_ROWS });
  const rows = d.addOnSeatHistory.nodes.slice().reverse();
  document.querySelector('#seat-history tbody').replaceChildren(...rows.map((e) => el('tr', {},
    el('td', { text: when(e.at) }), el('td', { text: e.username }), el('td', { text: NAMES[e.addOnType] || e.addOnType }),
    el('td', { text: eventText(e) }), el('td', { text: e.actor }))));
  document.getElementById('seat-history-empty').hidden = rows.length > 0;
  document.getElementById('seat-history').hidden = rows.length === 0;
}

/* ---- wiring ------------------------------------------------------------- */

const guard = (fn) => (...a) => fn(...a).catch((e) => notice('danger', 'Something went wrong', e.message));
const restart = guard(async () => { state.page = { after: null, before: null }; state.selected.clear(); await loadUsers(); });

document.getElementById('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.search = document.getElementById('search').value.trim();
  restart();
});
document.getElementById('filter').addEventListener('change', (e) => { state.filter = e.target.value; restart(); });
document.getElementById('purchase').addEventListener('change', (e) => {
  state.purchase = state.purchases.find((p) => p.id === e.target.value) || null;
  restart();
});
document.getElementById('select-all').addEventListener('change', (e) => {
  for (const b of document.querySelectorAll('#users tbody input[type=checkbox]')) {
    b.checked = e.target.checked;
    if (b.checked) state.selected.add(b.value); else state.selected.delete(b.value);
  }
  updateSelection();
});
document.getElementById('next-page').addEventListener('click', guard(async () => {
  state.page = { after: state.pageInfo.endCursor, before: null };
  await loadUsers();
}));
document.getElementById('prev-page').addEventListener('click', guard(async () => {
  state.page = { after: null, before: state.pageInfo.startCursor };
  await loadUsers();
}));
document.getElementById('bulk-assign').addEventListener('click', guard(() => bulkChange(true)));
document.getElementById('bulk-remove').addEventListener('click', guard(() => bulkChange(false)));

run(async () => {
  await loadPurchases();
  await Promise.all([loadUsers(), loadHistory()]);
});
