#!/usr/bin/env bash
# test_graphql_introspection.sh - graphql-js (npm graphql, pinned) accepts
# the GraphQL engine's introspection of its toy schema: buildClientSchema
# builds a valid schema from GraphiQL's introspection query, and
# introspecting that rebuilt schema with graphql-js gives our answer back,
# type by type.  This checks the engine alone; the API's schema is
# tests/e2e/test_graphql_api.sh's.  Skips (77) without node/npm or when the packages
# cannot be installed (tests/e2e/lib_npm.sh: pinned, cached outside the tree).
set -euo pipefail
source "$(dirname "$0")/lib_npm.sh"
driver=${SL_BINARY_DIR:?}/graphql_toy_run
npm_ready || exit $?
NODE_PATH=$NPM_CACHE/node_modules node - "$driver" <<'JS'
const g = require('graphql');
const { execFileSync } = require('child_process');
const driver = process.argv[2];
const run = (q) => JSON.parse(execFileSync(driver, [], { input: q }));
let failed = 0;
const check = (ok, what) => { if (!ok) { failed++; console.error('FAILED: ' + what); } else console.log('ok: ' + what); };

// GraphiQL's query (default options), then every option graphql-js 16 has
for (const opts of [{}, { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true,
                           schemaDescription: true, inputValueDeprecation: true }]) {
  const q = g.getIntrospectionQuery(opts);
  const ours = run(q);
  check(!ours.errors, 'introspection without errors ' + JSON.stringify(opts) + (ours.errors ? JSON.stringify(ours.errors) : ''));
  let schema;
  try { schema = g.buildClientSchema(ours.data); } catch (e) { check(false, 'buildClientSchema: ' + e.message); continue; }
  check(g.validateSchema(schema).length === 0, 'rebuilt schema is valid: ' + g.validateSchema(schema).map(String));
  // graphql-js introspecting the rebuilt schema answers what we answered
  // (buildClientSchema puts its own introspection types and standard
  // scalars in place of ours: their descriptions differ, so those are
  // compared by name only)
  const theirs = g.graphqlSync({ schema, source: q });
  const standard = (n) => n.startsWith('__') || g.specifiedScalarTypes.some((t) => t.name === n);
  const byName = (d) => Object.fromEntries(d.__schema.types.map((t) => [t.name, t]));
  const a = byName(ours.data), b = byName(theirs.data);
  for (const name of Object.keys(b)) {
    if (standard(name)) { if (!a[name]) check(false, 'missing type ' + name); continue; }
    const same = JSON.stringify(a[name]) === JSON.stringify(b[name]);
    if (!same) check(false, 'type ' + name + '\nours:   ' + JSON.stringify(a[name]) + '\ntheirs: ' + JSON.stringify(b[name]));
  }
  check(Object.keys(a).every((n) => b[n]), 'graphql-js rebuilt every type of ours');
  check(Object.keys(b).filter((n) => !standard(n)).length === 21, 'the toy schema has its 21 types');
  const dirs = (d) => JSON.stringify([...d.__schema.directives].sort((x, y) => x.name.localeCompare(y.name)));
  check(dirs(ours.data) === dirs(theirs.data), 'directives match');
  if (opts.descriptions) {
    check(schema.description === 'A library of books.', 'schema description');
    check(schema.getType('Book').getFields().isbn.deprecationReason === 'Use id', 'deprecated field');
    check(schema.getType('Date').specifiedByURL === 'https://example.com/date', 'specifiedByURL');
    check(schema.getType('BookFilter').getFields().minYear.defaultValue === 1900, 'input default');
    check(schema.getType('Book').getFields().title.description === 'The title, as printed.\n  Indented line.',
          'block string description');
  }
}
if (failed) { console.error(failed + ' failed'); process.exit(1); }
console.log('introspection accepted by graphql-js ' + g.version);
JS
