// graphql_clients.mjs - real GraphQL clients against a running seatledger
// (tests/e2e/test_graphql_api.sh starts it and passes its URL and tokens):
//  1. graphql-js (the reference implementation) introspects the server as
//     GraphiQL does, anonymously; buildClientSchema; printSchema equals the
//     checked-in docs/schema.graphql (SL_UPDATE_SCHEMA=1 writes it instead);
//  2. GitLab's own documents (tests/e2e/graphql/) validate against that
//     schema and run with graphql-request;
//  3. graphql-request runs the license queries, pages licenseHistoryEntries
//     with cursors, runs each mutation and meets each error code and each
//     transport refusal; the figures equal the License API's.
// Prints "ok: ..." per check; exits 1 when any failed.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const env = process.env;
const url = env.SL_URL;
const cache = env.SL_NPM_CACHE_DIR;
const g = createRequire(cache + '/')('graphql');
const { GraphQLClient, ClientError } = await import(
  pathToFileURL(cache + '/node_modules/graphql-request/build/entrypoints/main.js').href);

let failed = 0;
const check = (ok, what, detail) => {
  if (ok) console.log('ok: ' + what);
  else { failed++; console.error('FAILED: ' + what + (detail === undefined ? '' : '\n  ' + JSON.stringify(detail))); }
};
const eq = (got, want, what) => check(JSON.stringify(got) === JSON.stringify(want), what,
                                      { got, want });

const endpoint = url + '/api/graphql';
const admin = new GraphQLClient(endpoint, { headers: { 'PRIVATE-TOKEN': env.SL_ADMIN } });
const reader = new GraphQLClient(endpoint, { headers: { Authorization: 'Bearer ' + env.SL_READER } });
const anonymous = new GraphQLClient(endpoint);

// the error a request ends in (graphql-request throws ClientError for an
// HTTP error or a response with errors)
async function failure(client, doc, vars) {
  try { await client.request(doc, vars); } catch (e) {
    if (e instanceof ClientError) return e.response;
    throw e;
  }
  return null;
}

// ---- 1. introspection, as GraphiQL does it, and the checked-in schema ----
const introspectionQuery = g.getIntrospectionQuery({ descriptions: true });
const intro = await (await fetch(endpoint, {
  method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ query: introspectionQuery, operationName: 'IntrospectionQuery' }),
})).json();
check(!intro.errors, 'anonymous GraphiQL introspection', intro.errors);
const schema = g.buildClientSchema(intro.data);
eq(g.validateSchema(schema).map(String), [], 'buildClientSchema gives a valid schema');
const printed = g.printSchema(schema) + '\n';
if (env.SL_UPDATE_SCHEMA === '1') {
  writeFileSync(env.SL_SCHEMA_FILE, printed);
  console.log('wrote ' + env.SL_SCHEMA_FILE);
} else {
  check(printed === readFileSync(env.SL_SCHEMA_FILE, 'utf8'),
        'printSchema equals docs/schema.graphql (SL_UPDATE_SCHEMA=1 rewrites it after a reviewed change)');
}
// every option graphql-js 16 has, as an admin
const full = await admin.request(g.getIntrospectionQuery({
  descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true,
  inputValueDeprecation: true }));
check(g.validateSchema(g.buildClientSchema(full)).length === 0, 'introspection with every option');
check(schema.getMutationType().name === 'Mutation' &&
      Object.keys(schema.getQueryType().getFields()).join() ===
      'currentLicense,licenseHistoryEntries,subscriptionFutureEntries,addOnPurchases,' +
      'selfManagedAddOnEligibleUsers,billableUsersHistory,addOnSeatHistory,queryComplexity',
      'the root fields of the spec and ours');

// ---- 2. GitLab's documents -------------------------------------------------
// Apollo removes @client fields before a document leaves the browser.
const stripClient = (doc) => g.visit(doc, {
  Field(node) { return node.directives?.some((d) => d.name.value === 'client') ? null : undefined; },
});
const docs = {};
for (const f of readdirSync(env.SL_DOC_DIR).filter((n) => n.endsWith('.graphql')).sort()) {
  const doc = stripClient(g.parse(readFileSync(env.SL_DOC_DIR + '/' + f, 'utf8')));
  eq(g.validate(schema, doc).map(String), [], 'GitLab document ' + f + ' validates');
  docs[f.replace(/\..*/, '')] = g.print(doc);
}
const purchases = (await admin.request(docs.add_on_purchases)).addOnPurchases;
eq(purchases.map((p) => [p.name, p.purchasedQuantity, p.assignedQuantity]),
   [['CODE_SUGGESTIONS', 3, 0], ['DUO_CORE', 50, 0]], 'addOnPurchases (GitLab docs example)');
const duoPro = purchases[0].id, duoCore = purchases[1].id;
check(/^gid:\/\/gitlab\/GitlabSubscriptions::AddOnPurchase\/\d+$/.test(duoPro), 'purchase Global ID');

const current = (await admin.request(docs.get_current_license)).currentLicense;
eq(current, {
  id: 'gid://gitlab/License/9001', type: 'online_cloud', plan: 'ultimate', name: 'Ada Lovelace',
  email: 'ada@example.com', company: 'Acme', startsAt: '2026-02-01', expiresAt: '2027-02-01',
  activatedAt: '2026-02-03', lastSync: '2026-11-21T08:30:00Z', usersInLicenseCount: 10,
  billableUsersCount: 4, maximumUserCount: 4, usersOverLicenseCount: 0,
}, 'the subscription page\'s currentLicense');
const history = (await admin.request(docs.get_license_history)).licenseHistoryEntries.nodes;
eq(history.map((l) => [l.id, l.type, l.plan, l.usersInLicenseCount, l.startsAt, l.expiresAt]), [
  ['gid://gitlab/License/2', 'offline_cloud', 'ultimate', 30, '2027-01-15', '2028-01-15'],
  ['gid://gitlab/License/9001', 'online_cloud', 'ultimate', 10, '2026-02-01', '2027-02-01'],
  ['gid://gitlab/License/1', 'legacy_license', 'premium', 20, '2026-01-01', '2027-06-01'],
], 'the license history, newest first');
eq((await admin.request(docs.get_past_license_history)).licenseHistoryEntries.nodes, history,
   'getPastLicenseHistory');
eq((await admin.request(docs.get_future_license_history)).subscriptionFutureEntries.nodes, [{
  type: 'offline_cloud', plan: 'ultimate', name: 'Ada Lovelace', email: 'ada@example.com',
  company: 'Future Corp', usersInLicenseCount: 30, startsAt: '2027-01-15', expiresAt: '2028-01-15',
}], 'getFutureLicenseHistory');

const bulk = await admin.request(docs.bulk_assign, {
  addOnPurchaseId: duoPro, userIds: ['gid://gitlab/User/1', 'gid://gitlab/User/2'] });
eq(bulk.userAddOnAssignmentBulkCreate, {
  addOnPurchase: { id: duoPro, name: 'CODE_SUGGESTIONS', assignedQuantity: 2, purchasedQuantity: 3 },
  users: { nodes: [{ id: 'gid://gitlab/User/1', username: 'alice' },
                   { id: 'gid://gitlab/User/2', username: 'bob' }] },
  errors: [],
}, 'bulk assignment (GitLab docs example)');

const eligible = async (vars) => (await admin.request(docs.self_managed_add_on_eligible_users, {
  addOnType: 'CODE_SUGGESTIONS', addOnPurchaseIds: [duoPro], sort: 'ID_ASC', ...vars,
})).selfManagedAddOnEligibleUsers;
let page = await eligible({ first: 2 });
eq(page.nodes.map((u) => [u.username, u.addOnAssignments.nodes.map((a) => a.addOnPurchase.name)]),
   [['alice', ['CODE_SUGGESTIONS']], ['bob', ['CODE_SUGGESTIONS']]], 'the usage-quotas page: first page');
eq([page.nodes[0].id, page.nodes[0].name, page.nodes[0].webUrl, page.pageInfo.hasNextPage,
    page.pageInfo.hasPreviousPage], ['gid://gitlab/User/1', 'alice', null, true, false], 'its user fields and pageInfo');
page = await eligible({ first: 2, after: page.pageInfo.endCursor });
eq(page.nodes.map((u) => u.username), ['dave', 'eve'], 'next page by cursor');
page = await eligible({ last: 1, before: page.pageInfo.startCursor });
eq(page.nodes.map((u) => u.username), ['bob'], 'previous page by cursor');
eq((await eligible({ filterByAssignedSeat: 'false', search: 'EXAMPLE' })).nodes.map((u) => u.username),
   ['dave', 'eve'], 'search and the seat filter');
eq((await eligible({ sort: 'NAME_DESC' })).nodes.map((u) => u.username), ['svc', 'eve', 'dave', 'bob', 'alice'],
   'sorted by name, service users eligible, blocked users and bots not');

// ---- 3. a standard client: queries, paging, mutations, error codes ----------------
const rest = await (await fetch(url + '/api/v4/license', { headers: { 'PRIVATE-TOKEN': env.SL_ADMIN } })).json();
const figures = (await admin.request(`{ currentLicense { billableUsersCount maximumUserCount
  usersOverLicenseCount usersInLicenseCount } }`)).currentLicense;
eq([figures.billableUsersCount, figures.maximumUserCount, figures.usersOverLicenseCount, figures.usersInLicenseCount],
   [rest.active_users, rest.maximum_user_count, rest.overage, rest.user_limit],
   'figures equal the License API\'s active_users, maximum_user_count, overage, user_limit');

const ids = [];
let after = null, more = true;
while (more) {
  const r = await admin.request(`query($after: String) { licenseHistoryEntries(first: 1, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
  const c = r.licenseHistoryEntries;
  ids.push(...c.edges.map((e) => e.node.id));
  eq(c.pageInfo.endCursor, c.edges.at(-1).cursor, 'endCursor is the last edge\'s cursor');
  after = c.pageInfo.endCursor;
  more = c.pageInfo.hasNextPage;
}
eq(ids, history.map((l) => l.id), 'licenseHistoryEntries paged one by one with cursors');
const back = await admin.request(`query($before: String) { licenseHistoryEntries(last: 2, before: $before) {
  nodes { id } pageInfo { hasPreviousPage hasNextPage } } }`, { before: after });
eq(back.licenseHistoryEntries, { nodes: history.slice(0, 2).map((l) => ({ id: l.id })),
   pageInfo: { hasPreviousPage: false, hasNextPage: true } }, 'and backwards with last/before');

const M = {
  create: `mutation($p: GitlabSubscriptionsAddOnPurchaseID!, $u: UserID!) {
    userAddOnAssignmentCreate(input: { addOnPurchaseId: $p, userId: $u, clientMutationId: "c1" }) {
      clientMutationId errors addOnPurchase { assignedQuantity } user { username } } }`,
  remove: `mutation($p: GitlabSubscriptionsAddOnPurchaseID!, $u: UserID!) {
    userAddOnAssignmentRemove(input: { addOnPurchaseId: $p, userId: $u }) {
      errors addOnPurchase { assignedQuantity } user { username } } }`,
  bulkCreate: `mutation($p: GitlabSubscriptionsAddOnPurchaseID!, $u: [UserID!]!) {
    userAddOnAssignmentBulkCreate(input: { addOnPurchaseId: $p, userIds: $u }) {
      errors addOnPurchase { assignedQuantity } users { nodes { username } } } }`,
  bulkRemove: `mutation($p: GitlabSubscriptionsAddOnPurchaseID!, $u: [UserID!]!) {
    userAddOnAssignmentBulkRemove(input: { addOnPurchaseId: $p, userIds: $u }) {
      errors addOnPurchase { assignedQuantity } users { nodes { username } } } }`,
};
const user = (n) => 'gid://gitlab/User/' + n;
eq((await admin.request(M.create, { p: duoPro, u: user(4) })).userAddOnAssignmentCreate,
   { clientMutationId: 'c1', errors: [], addOnPurchase: { assignedQuantity: 3 }, user: { username: 'dave' } },
   'userAddOnAssignmentCreate');
eq((await admin.request(M.create, { p: duoPro, u: user(5) })).userAddOnAssignmentCreate,
   { clientMutationId: 'c1', errors: ['NO_SEATS_AVAILABLE'], addOnPurchase: null, user: null }, 'NO_SEATS_AVAILABLE');
eq((await admin.request(M.create, { p: duoCore, u: user(5) })).userAddOnAssignmentCreate.errors,
   ['SEAT_ASSIGNMENT_NOT_SUPPORTED'], 'SEAT_ASSIGNMENT_NOT_SUPPORTED');
eq((await admin.request(M.remove, { p: duoPro, u: user(4) })).userAddOnAssignmentRemove,
   { errors: [], addOnPurchase: { assignedQuantity: 2 }, user: { username: 'dave' } }, 'userAddOnAssignmentRemove');
eq((await admin.request(M.create, { p: duoPro, u: user(3) })).userAddOnAssignmentCreate.errors,
   ['INVALID_USER_MEMBERSHIP'], 'INVALID_USER_MEMBERSHIP');
eq((await admin.request(M.bulkCreate, { p: duoCore, u: [user(5)] })).userAddOnAssignmentBulkCreate,
   { errors: ['INCOMPATIBLE_ADD_ON'], addOnPurchase: null, users: null }, 'INCOMPATIBLE_ADD_ON');
eq((await admin.request(M.bulkCreate, { p: duoPro, u: [user(3), user(6)] })).userAddOnAssignmentBulkCreate.errors,
   ['INVALID_USER_ID_PRESENT'], 'INVALID_USER_ID_PRESENT');
eq((await admin.request(M.bulkCreate, { p: duoPro, u: [user(4), user(5)] })).userAddOnAssignmentBulkCreate.errors,
   ['NOT_ENOUGH_SEATS'], 'NOT_ENOUGH_SEATS');
eq((await admin.request(M.bulkRemove, { p: duoPro, u: [user(4), user(5)] })).userAddOnAssignmentBulkRemove.errors,
   ['NO_ASSIGNMENTS_FOUND'], 'NO_ASSIGNMENTS_FOUND');
eq((await admin.request(M.bulkRemove, { p: duoPro, u: [user(1), user(2), user(4)] })).userAddOnAssignmentBulkRemove,
   { errors: [], addOnPurchase: { assignedQuantity: 0 }, users: { nodes: [{ username: 'alice' }, { username: 'bob' }] } },
   'userAddOnAssignmentBulkRemove');
eq((await admin.request(M.bulkCreate, { p: duoPro, u: [user(1), user(3), user(7)] })).userAddOnAssignmentBulkCreate,
   { errors: [], addOnPurchase: { assignedQuantity: 2 }, users: { nodes: [{ username: 'alice' }, { username: 'svc' }] } },
   'userAddOnAssignmentBulkCreate skips the ineligible');

const tooMany = Array.from({ length: 101 }, (_, i) => user(i + 1));
let r = await failure(admin, M.bulkCreate, { p: duoPro, u: tooMany });
eq([r.status, r.errors[0].message], [200,
   'The number of users to be assigned in a single API call should be less than 100.'], '101 users refused');
r = await failure(admin, M.create, { p: 'gid://gitlab/GitlabSubscriptions::AddOnPurchase/99', u: user(1) });
eq(r.errors[0].message, 'The resource that you are attempting to access does not exist or you don\'t have ' +
   'permission to perform this action', 'an unknown purchase is not available');
r = await failure(reader, '{ currentLicense { id } }');
eq([r.status, r.data, r.errors[0].path], [200, { currentLicense: null }, ['currentLicense']],
   'a non-admin token gets null and the error');
eq((await reader.request('{ queryComplexity { score limit } }')).queryComplexity, { score: 3, limit: 250 },
   'an authenticated caller\'s limit');
eq((await anonymous.request('{ queryComplexity { limit } }')).queryComplexity.limit, 200, 'an anonymous caller\'s limit');
// graphql-request 7 keeps only the status of a non-2xx answer: the body is
// read with fetch, as a client that shows GitLab's message would
const raw = async (init, query = '') => {
  const res = await fetch(endpoint + query, init);
  return [res.status, res.headers.get('content-type'), await res.json()];
};
r = await failure(new GraphQLClient(endpoint, { headers: { 'PRIVATE-TOKEN': 'slt_wrong' } }), '{ __typename }');
eq(r.status, 401, 'graphql-request sees 401 for an unknown token');
eq(await raw({ method: 'POST', headers: { 'Content-Type': 'application/json', 'PRIVATE-TOKEN': 'slt_wrong' },
               body: JSON.stringify({ query: '{ __typename }' }) }),
   [401, 'application/json', { errors: [{ message: 'Invalid token' }] }], '401 Invalid token');
const huge = '{ __typename }' + '#'.repeat(10000);
r = await failure(anonymous, huge);
eq(r.status, 422, 'graphql-request sees 422 for a query too large');
eq(await raw({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: huge }) }),
   [422, 'application/json', { errors: [{ message: 'Query too large' }] }], '422 Query too large');
r = await failure(admin, '{ currentLicense { idd } }');
eq(r.errors[0].message, 'Field \'idd\' doesn\'t exist on type \'CurrentLicense\' (Did you mean `id`?)',
   'graphql-ruby\'s validation wording');
// batching is a JSON array of requests
const batch = await admin.batchRequests([{ document: '{ queryComplexity { score } }' },
                                         { document: '{ addOnPurchases { name } }' }]);
eq(batch.map((b) => b.data), [{ queryComplexity: { score: 2 } },
   { addOnPurchases: [{ name: 'CODE_SUGGESTIONS' }, { name: 'DUO_CORE' }] }], 'batchRequests');
// GET for queries
const got = await new GraphQLClient(endpoint, { method: 'GET', headers: { 'PRIVATE-TOKEN': env.SL_ADMIN } })
  .request('query Q($n: Int) { licenseHistoryEntries(first: $n) { nodes { plan } } }', { n: 1 });
eq(got, { licenseHistoryEntries: { nodes: [{ plan: 'ultimate' }] } }, 'GET with variables');
// graphql-request itself never sends a mutation over GET; a browser link might
eq(await raw({ method: 'GET' }, '?query=' + encodeURIComponent(M.create) + '&variables=' +
             encodeURIComponent(JSON.stringify({ p: duoPro, u: user(1) }))),
   [422, 'application/json', { errors: [{ message: 'Mutations are forbidden in GET requests' }] }],
   'no mutation over GET');

if (failed) { console.error(failed + ' failed'); process.exit(1); }
console.log('all GraphQL client checks passed (graphql-js ' + g.version + ')');
