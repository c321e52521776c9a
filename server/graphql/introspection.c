/*
 * introspection.c - the schema describing itself (spec section 4): the
 * __Schema, __Type, __Field, __InputValue, __EnumValue and __Directive
 * types declared in SDL like any other, and one resolver per type reading
 * the schema's own structures, complete enough for GraphiQL and graphql-js
 * buildClientSchema.
 */
#include "gql_internal.h"

#include <string.h>

const char gql_introspection_sdl[] =
    "\"A GraphQL service's types, root operation types and directives.\"\n"
    "type __Schema {\n"
    "  description: String\n"
    "  \"Every type of the schema.\"\n"
    "  types: [__Type!]!\n"
    "  \"The type of query operations.\"\n"
    "  queryType: __Type!\n"
    "  \"The type of mutation operations, when the service has them.\"\n"
    "  mutationType: __Type\n"
    "  \"The type of subscription operations, when the service has them.\"\n"
    "  subscriptionType: __Type\n"
    "  \"Every directive the service understands.\"\n"
    "  directives: [__Directive!]!\n"
    "}\n"
    "\"A type of the schema, or a list or non-null wrapper of one (see `kind`).\"\n"
    "type __Type {\n"
    "  kind: __TypeKind!\n"
    "  name: String\n"
    "  description: String\n"
    "  specifiedByURL: String\n"
    "  fields(includeDeprecated: Boolean = false): [__Field!]\n"
    "  interfaces: [__Type!]\n"
    "  possibleTypes: [__Type!]\n"
    "  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]\n"
    "  inputFields(includeDeprecated: Boolean = false): [__InputValue!]\n"
    "  ofType: __Type\n"
    "}\n"
    "\"What a __Type is.\"\n"
    "enum __TypeKind {\n"
    "  \"A leaf value.\"\n"
    "  SCALAR\n"
    "  \"An object with fields.\"\n"
    "  OBJECT\n"
    "  \"A set of fields that object types implement.\"\n"
    "  INTERFACE\n"
    "  \"One of several object types.\"\n"
    "  UNION\n"
    "  \"One of a fixed set of names.\"\n"
    "  ENUM\n"
    "  \"An object given as input.\"\n"
    "  INPUT_OBJECT\n"
    "  \"A list of the type in `ofType`.\"\n"
    "  LIST\n"
    "  \"The type in `ofType`, never null.\"\n"
    "  NON_NULL\n"
    "}\n"
    "\"A field of an object or interface type.\"\n"
    "type __Field {\n"
    "  name: String!\n"
    "  description: String\n"
    "  args(includeDeprecated: Boolean = false): [__InputValue!]!\n"
    "  type: __Type!\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "\"An argument, or a field of an input object type.\"\n"
    "type __InputValue {\n"
    "  name: String!\n"
    "  description: String\n"
    "  type: __Type!\n"
    "  \"The default as GraphQL text, or null.\"\n"
    "  defaultValue: String\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "\"One value of an enum type.\"\n"
    "type __EnumValue {\n"
    "  name: String!\n"
    "  description: String\n"
    "  isDeprecated: Boolean!\n"
    "  deprecationReason: String\n"
    "}\n"
    "\"A directive: where it may stand and what it takes.\"\n"
    "type __Directive {\n"
    "  name: String!\n"
    "  description: String\n"
    "  isRepeatable: Boolean!\n"
    "  locations: [__DirectiveLocation!]!\n"
    "  args(includeDeprecated: Boolean = false): [__InputValue!]!\n"
    "}\n"
    "\"Where a directive may stand.\"\n"
    "enum __DirectiveLocation {\n"
    "  QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD\n"
    "  INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION\n"
    "  ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT\n"
    "  INPUT_FIELD_DEFINITION\n"
    "}\n";

static const char *const kind_names[] = {
    [GQL_SCALAR] = "SCALAR", [GQL_OBJECT] = "OBJECT", [GQL_INTERFACE] = "INTERFACE",
    [GQL_UNION] = "UNION", [GQL_ENUM] = "ENUM", [GQL_INPUT_OBJECT] = "INPUT_OBJECT"};

/* ---- helpers ---------------------------------------------------------------------- */

static sl_rc give(sl_gql_value **out, sl_gql_value *v)
{
    *out = v;
    return v ? SL_OK : SL_ENOMEM;
}

static sl_rc give_json(sl_gql_value **out, json_t *j)
{
    if (!j)
        return SL_ENOMEM;
    return give(out, sl_gql_value_json(j));
}

static sl_rc give_string(sl_gql_value **out, const char *s)
{
    *out = NULL;
    return s ? give_json(out, json_string(s)) : SL_OK;
}

static sl_rc give_handle(sl_gql_value **out, const void *h, const char *type)
{
    *out = NULL;
    return h ? give(out, sl_gql_value_object((void *)h, type, NULL)) : SL_OK;
}

static int include_deprecated(const sl_gql_call *c)
{
    return json_is_true(json_object_get(c->args, "includeDeprecated"));
}

/* A list of handles to the items of an array of pointers. */
static sl_rc give_list(sl_gql_value **out, void *const *items, size_t n, const char *type,
                       const char *(*dep)(const void *item), int with_deprecated)
{
    sl_gql_value *list = sl_gql_value_list();
    if (!list)
        return SL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!with_deprecated && dep && dep(items[i]))
            continue;
        if (sl_gql_value_list_add(list, sl_gql_value_object(items[i], type, NULL)) != SL_OK) {
            sl_gql_value_free(list);
            return SL_ENOMEM;
        }
    }
    *out = list;
    return SL_OK;
}

static const char *field_dep(const void *f)
{
    return ((const gql_field_def *)f)->deprecation;
}

static const char *input_dep(const void *f)
{
    return ((const gql_input_def *)f)->deprecation;
}

static const char *enum_dep(const void *f)
{
    return ((const gql_enum_value *)f)->deprecation;
}

static int is(const sl_gql_call *c, const char *name)
{
    return strcmp(c->field_name, name) == 0;
}

static sl_rc deprecation(const sl_gql_call *c, const char *reason, sl_gql_value **out)
{
    if (is(c, "isDeprecated"))
        return give_json(out, json_boolean(reason != NULL));
    return give_string(out, reason);
}

/* ---- resolvers ------------------------------------------------------------------------- */

static sl_rc resolve_root(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    const sl_gql_schema *s = c->userdata;
    const gql_type *t;
    (void)err;
    if (is(c, "__schema"))
        return give_handle(out, s, "__Schema");
    t = gql_schema_type(s, json_string_value(json_object_get(c->args, "name")));
    return give_handle(out, t ? &t->self : NULL, "__Type");
}

static sl_rc resolve_schema(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    const sl_gql_schema *s = c->parent;
    (void)err;
    if (is(c, "description"))
        return give_string(out, s->description);
    if (is(c, "types")) {
        sl_gql_value *list = sl_gql_value_list();
        if (!list)
            return SL_ENOMEM;
        for (size_t i = 0; i < s->types.n; i++) {
            gql_type *t = s->types.items[i];
            if (sl_gql_value_list_add(list, sl_gql_value_object(&t->self, "__Type", NULL)) != SL_OK) {
                sl_gql_value_free(list);
                return SL_ENOMEM;
            }
        }
        *out = list;
        return SL_OK;
    }
    if (is(c, "queryType"))
        return give_handle(out, &s->query->self, "__Type");
    if (is(c, "mutationType"))
        return give_handle(out, s->mutation ? &s->mutation->self : NULL, "__Type");
    if (is(c, "subscriptionType"))
        return give_handle(out, s->subscription ? &s->subscription->self : NULL, "__Type");
    return give_list(out, s->directives.items, s->directives.n, "__Directive", NULL, 1);
}

static sl_rc resolve_type(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    const gql_typeref *r = c->parent;
    const gql_type *t = r->kind == GQL_REF_NAMED ? r->type : NULL;
    (void)err;
    *out = NULL;
    if (is(c, "kind"))
        return give_string(out, t ? kind_names[t->kind] : r->kind == GQL_REF_LIST ? "LIST" : "NON_NULL");
    if (is(c, "ofType"))
        return give_handle(out, t ? NULL : r->of, "__Type");
    if (!t)
        return SL_OK;
    if (is(c, "name"))
        return give_string(out, t->name);
    if (is(c, "description"))
        return give_string(out, t->description);
    if (is(c, "specifiedByURL"))
        return give_string(out, t->specified_by);
    if (is(c, "fields")) {
        if (t->kind != GQL_OBJECT && t->kind != GQL_INTERFACE)
            return SL_OK;
        return give_list(out, (void *const *)t->fields, t->nfields, "__Field", field_dep,
                         include_deprecated(c));
    }
    if (is(c, "interfaces")) {
        sl_gql_value *list;
        if (t->kind != GQL_OBJECT && t->kind != GQL_INTERFACE)
            return SL_OK;
        list = sl_gql_value_list();
        if (!list)
            return SL_ENOMEM;
        for (size_t i = 0; i < t->ninterfaces; i++) {
            if (sl_gql_value_list_add(list, sl_gql_value_object(t->interfaces[i], "__Type", NULL)) != SL_OK) {
                sl_gql_value_free(list);
                return SL_ENOMEM;
            }
        }
        *out = list;
        return SL_OK;
    }
    if (is(c, "possibleTypes")) {
        sl_gql_value *list;
        if (!gql_type_is_abstract(t))
            return SL_OK;
        list = sl_gql_value_list();
        if (!list)
            return SL_ENOMEM;
        for (size_t i = 0; i < t->npossible; i++) {
            if (sl_gql_value_list_add(list, sl_gql_value_object((void *)&t->possible[i]->self, "__Type",
                                                                NULL)) != SL_OK) {
                sl_gql_value_free(list);
                return SL_ENOMEM;
            }
        }
        *out = list;
        return SL_OK;
    }
    if (is(c, "enumValues")) {
        if (t->kind != GQL_ENUM)
            return SL_OK;
        return give_list(out, (void *const *)t->values, t->nvalues, "__EnumValue", enum_dep,
                         include_deprecated(c));
    }
    if (t->kind != GQL_INPUT_OBJECT)
        return SL_OK;
    return give_list(out, (void *const *)t->inputs, t->ninputs, "__InputValue", input_dep,
                     include_deprecated(c));
}

static sl_rc resolve_field(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    const gql_field_def *f = c->parent;
    (void)err;
    if (is(c, "name"))
        return give_string(out, f->name);
    if (is(c, "description"))
        return give_string(out, f->description);
    if (is(c, "args"))
        return give_list(out, (void *const *)f->args, f->nargs, "__InputValue", input_dep,
                         include_deprecated(c));
    if (is(c, "type"))
        return give_handle(out, f->type, "__Type");
    return deprecation(c, f->deprecation, out);
}

static sl_rc resolve_input(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    const gql_input_def *d = c->parent;
    (void)err;
    if (is(c, "name"))
        return give_string(out, d->name);
    if (is(c, "description"))
        return give_string(out, d->description);
    if (is(c, "type"))
        return give_handle(out, d->type, "__Type");
    if (is(c, "defaultValue")) {
        gql_buf b = {0};
        sl_rc rc;
        *out = NULL;
        if (!d->def)
            return SL_OK;
        gql_value_print(&b, d->def);
        rc = b.oom ? SL_ENOMEM : give_string(out, b.s);
        gql_buf_free(&b);
        return rc;
    }
    return deprecation(c, d->deprecation, out);
}

static sl_rc resolve_enum_value(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    const gql_enum_value *e = c->parent;
    (void)err;
    if (is(c, "name"))
        return give_string(out, e->name);
    if (is(c, "description"))
        return give_string(out, e->description);
    return deprecation(c, e->deprecation, out);
}

static sl_rc resolve_directive(const sl_gql_call *c, sl_gql_value **out, sl_error *err)
{
    const gql_directive_def *d = c->parent;
    (void)err;
    if (is(c, "name"))
        return give_string(out, d->name);
    if (is(c, "description"))
        return give_string(out, d->description);
    if (is(c, "isRepeatable"))
        return give_json(out, json_boolean(d->repeatable));
    if (is(c, "args"))
        return give_list(out, (void *const *)d->args, d->nargs, "__InputValue", input_dep,
                         include_deprecated(c));
    {
        json_t *locs = json_array();
        for (size_t k = 0; locs && k < d->nlocations; k++)
            json_array_append_new(locs, json_string(gql_dir_loc_names[d->order[k]]));
        return give_json(out, locs);
    }
}

sl_rc gql_introspection_attach(sl_gql_schema *s, sl_error *err)
{
    static const struct {
        const char *coord;
        sl_gql_resolve_fn fn;
    } table[] = {
        {"__Schema.*", resolve_schema}, {"__Type.*", resolve_type},
        {"__Field.*", resolve_field}, {"__InputValue.*", resolve_input},
        {"__EnumValue.*", resolve_enum_value}, {"__Directive.*", resolve_directive}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        sl_rc rc = sl_gql_schema_resolver(s, table[i].coord, table[i].fn, NULL, err);
        if (rc != SL_OK)
            return rc;
    }
    s->f_schema->resolve = resolve_root;
    s->f_schema->resolve_ud = s;
    s->f_type->resolve = resolve_root;
    s->f_type->resolve_ud = s;
    return SL_OK;
}
