/*
 * values.c - input values: literals printed back as GraphQL text, JSON
 * variables and literals coerced to the types that receive them (spec 3.5,
 * 3.10, 3.11 input coercion) with graphql-ruby's explanations, arguments
 * with their defaults, and the @skip/@include decision.
 */
#include "gql_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of an input value (lists in lists, input objects in input
 * objects) coercion follows; input types may be recursive, JSON variables
 * arrive parsed by the caller. */
#define VALUE_DEPTH_MAX 32

#define INT32_LO (-2147483647L - 1)
#define INT32_HI 2147483647L

/* ---- problems --------------------------------------------------------------- */

void gql_problem_set(gql_problem *pr, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(pr->path);
    pr->path = json_array();
    gql_buf_free(&pr->why);
    gql_buf_str(&pr->why, msg);
    pr->coercion = 0;
}

void gql_problem_in(gql_problem *pr, json_t *segment)
{
    if (pr->path)
        json_array_insert(pr->path, 0, segment);
    json_decref(segment);
}

void gql_problem_path(gql_buf *b, const gql_problem *pr)
{
    size_t i;
    json_t *seg;
    json_array_foreach(pr->path, i, seg) {
        if (i > 0)
            gql_buf_str(b, ".");
        if (json_is_integer(seg))
            gql_buf_printf(b, "%lld", (long long)json_integer_value(seg));
        else
            gql_buf_str(b, json_string_value(seg));
    }
}

void gql_problem_free(gql_problem *pr)
{
    json_decref(pr->path);
    pr->path = NULL;
    gql_buf_free(&pr->why);
}

/* ---- printing --------------------------------------------------------------- */

static void print_string(gql_buf *b, const char *s, size_t n)
{
    gql_buf_str(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            gql_buf_str(b, "\\\"");
        else if (c == '\\')
            gql_buf_str(b, "\\\\");
        else if (c == '\n')
            gql_buf_str(b, "\\n");
        else if (c == '\t')
            gql_buf_str(b, "\\t");
        else if (c == '\r')
            gql_buf_str(b, "\\r");
        else if (c == '\b')
            gql_buf_str(b, "\\b");
        else if (c == '\f')
            gql_buf_str(b, "\\f");
        else if (c < 0x20)
            gql_buf_printf(b, "\\u%04x", c);
        else
            gql_buf_add(b, s + i, 1);
    }
    gql_buf_str(b, "\"");
}

void gql_value_print(gql_buf *b, const gql_value *v)
{
    switch (v->kind) {
    case GQL_V_VARIABLE:
        gql_buf_printf(b, "$%s", v->s);
        break;
    case GQL_V_INT:
    case GQL_V_FLOAT:
    case GQL_V_ENUM:
        gql_buf_str(b, v->s);
        break;
    case GQL_V_STRING:
        print_string(b, v->s, v->slen);
        break;
    case GQL_V_BOOLEAN:
        gql_buf_str(b, v->b ? "true" : "false");
        break;
    case GQL_V_NULL:
        gql_buf_str(b, "null");
        break;
    case GQL_V_LIST:
        gql_buf_str(b, "[");
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                gql_buf_str(b, ", ");
            gql_value_print(b, v->items[i]);
        }
        gql_buf_str(b, "]");
        break;
    case GQL_V_OBJECT:
        gql_buf_str(b, "{");
        for (size_t i = 0; i < v->n; i++) {
            gql_buf_printf(b, "%s%s: ", i ? ", " : "", v->fields[i]->name);
            gql_value_print(b, v->fields[i]->value);
        }
        gql_buf_str(b, "}");
        break;
    }
}

static void print_real(gql_buf *b, double d)
{
    char tmp[40];
    /* the shortest text that reads back as the same double */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    gql_buf_str(b, tmp);
    if (!strpbrk(tmp, ".eEn"))
        gql_buf_str(b, ".0");
}

void gql_json_print(gql_buf *b, const json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;
    int first = 1;
    switch (json_typeof(v)) {
    case JSON_STRING:
        print_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        gql_buf_printf(b, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        print_real(b, json_real_value(v));
        break;
    case JSON_TRUE:
        gql_buf_str(b, "true");
        break;
    case JSON_FALSE:
        gql_buf_str(b, "false");
        break;
    case JSON_NULL:
        gql_buf_str(b, "null");
        break;
    case JSON_ARRAY:
        gql_buf_str(b, "[");
        json_array_foreach(v, i, item) {
            if (i)
                gql_buf_str(b, ", ");
            gql_json_print(b, item);
        }
        gql_buf_str(b, "]");
        break;
    case JSON_OBJECT:
        gql_buf_str(b, "{");
        json_object_foreach((json_t *)v, key, item) {
            gql_buf_printf(b, "%s%s: ", first ? "" : ", ", key);
            gql_json_print(b, item);
            first = 0;
        }
        gql_buf_str(b, "}");
        break;
    }
}

json_t *gql_value_to_json(const gql_value *v)
{
    json_t *out = NULL;
    switch (v->kind) {
    case GQL_V_VARIABLE:
    case GQL_V_NULL:
        return json_null();
    case GQL_V_INT: {
        long long n;
        errno = 0;
        n = strtoll(v->s, NULL, 10);
        if (errno == ERANGE)
            return json_real(strtod(v->s, NULL));
        return json_integer(n);
    }
    case GQL_V_FLOAT:
        return json_real(strtod(v->s, NULL));
    case GQL_V_STRING:
        return json_stringn(v->s, v->slen);
    case GQL_V_ENUM:
        return json_string(v->s);
    case GQL_V_BOOLEAN:
        return json_boolean(v->b);
    case GQL_V_LIST:
        out = json_array();
        for (size_t i = 0; out && i < v->n; i++) {
            if (json_array_append_new(out, gql_value_to_json(v->items[i])) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    case GQL_V_OBJECT:
        out = json_object();
        for (size_t i = 0; out && i < v->n; i++) {
            if (json_object_set_new(out, v->fields[i]->name, gql_value_to_json(v->fields[i]->value)) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return NULL;
}

/* ---- coercion of JSON (variables) --------------------------------------------- */

static void enum_expected(gql_problem *pr, const gql_type *t, const json_t *in)
{
    gql_buf b = {0};
    gql_buf_str(&b, "Expected ");
    gql_json_print(&b, in);
    gql_buf_str(&b, " to be one of: ");
    for (size_t i = 0; i < t->nvalues; i++)
        gql_buf_printf(&b, "%s%s", i ? ", " : "", t->values[i]->name);
    gql_problem_set(pr, "%s", b.s ? b.s : "");
    gql_buf_free(&b);
}

static void could_not_coerce(gql_problem *pr, const gql_type *t, const json_t *in)
{
    gql_buf b = {0};
    gql_json_print(&b, in);
    gql_problem_set(pr, "Could not coerce value %s to %s", b.s ? b.s : "", t->name);
    gql_buf_free(&b);
}

static int custom_scalar(const gql_type *t, const json_t *in, json_t **out, gql_problem *pr)
{
    sl_error err = {0};
    if (!t->parse) {
        *out = json_deep_copy(in);
        return *out ? 0 : -1;
    }
    if (t->parse(in, out, t->parse_ud, &err) != SL_OK || !*out) {
        gql_problem_set(pr, "%s", err.message[0] ? err.message : "invalid value");
        pr->coercion = 1;
        return -1;
    }
    return 0;
}

/* A value the output can share rather than copy: jansson values are
 * reference-counted and nothing writes to a response being built. */
static json_t *share(const json_t *in, int output)
{
    return output ? json_incref((json_t *)in) : json_copy((json_t *)in);
}

int gql_leaf_json(const sl_gql_schema *s, const gql_type *t, const json_t *in, int output, json_t **out)
{
    double d = json_is_number(in) ? json_number_value(in) : NAN;
    *out = NULL;
    if (t->kind == GQL_ENUM) {
        for (size_t i = 0; json_is_string(in) && i < t->nvalues; i++) {
            if (strcmp(t->values[i]->name, json_string_value(in)) == 0)
                *out = output ? share(in, 1) : json_string(t->values[i]->name);
        }
    } else if (t == s->t_int) {
        if (json_is_integer(in) && d >= INT32_LO && d <= INT32_HI)
            *out = share(in, output);
        else if (json_is_number(in) && d == floor(d) && d >= INT32_LO && d <= INT32_HI)
            *out = json_integer((json_int_t)d);
    } else if (t == s->t_float) {
        if (json_is_number(in) && isfinite(d))
            *out = json_real(d);
    } else if (t == s->t_boolean) {
        if (json_is_boolean(in))
            *out = json_copy((json_t *)in);
    } else if (t == s->t_string || t == s->t_id) {
        if (json_is_string(in)) {
            *out = share(in, output);
        } else if (json_is_integer(in) && (t == s->t_id || output)) {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(in));
            *out = json_string(num);
        } else if (json_is_boolean(in) && output) {
            *out = json_string(json_is_true(in) ? "true" : "false");
        }
    } else if (output) {
        *out = share(in, 1);
    }
    return *out ? 0 : -1;
}

static int coerce_leaf_json(const sl_gql_schema *s, const gql_type *t, const json_t *in, json_t **out,
                            gql_problem *pr)
{
    if (t->kind == GQL_SCALAR && !t->builtin)
        return custom_scalar(t, in, out, pr);
    if (gql_leaf_json(s, t, in, 0, out) == 0)
        return 0;
    if (t->kind == GQL_ENUM)
        enum_expected(pr, t, in);
    else
        could_not_coerce(pr, t, in);
    return -1;
}

static int coerce_input_object_json(const sl_gql_schema *s, const gql_type *t, const json_t *in,
                                    json_t **out, gql_problem *pr, int depth)
{
    const char *key;
    json_t *item;
    if (!json_is_object(in)) {
        char *txt = json_dumps(in, JSON_ENCODE_ANY | JSON_COMPACT);
        gql_problem_set(pr, "Expected %s to be a key-value object.", txt ? txt : "value");
        free(txt);
        return -1;
    }
    json_object_foreach((json_t *)in, key, item) {
        if (!gql_find_input(t->inputs, t->ninputs, key)) {
            gql_problem_set(pr, "Field is not defined on %s", t->name);
            gql_problem_in(pr, json_string(key));
            return -1;
        }
    }
    *out = json_object();
    for (size_t i = 0; *out && i < t->ninputs; i++) {
        const gql_input_def *d = t->inputs[i];
        json_t *given = json_object_get(in, d->name), *v = NULL;
        int rc = 0;
        if (given) {
            rc = gql_coerce_json(s, d->type, given, &v, pr, depth + 1);
        } else if (d->def) {
            rc = gql_coerce_literal(s, d->type, d->def, NULL, &v, pr, depth + 1);
        } else if (d->type->kind == GQL_REF_NONNULL) {
            gql_problem_set(pr, "Expected value to not be null");
            rc = -1;
        } else {
            continue;
        }
        if (rc != 0) {
            json_decref(*out);
            *out = NULL;
            gql_problem_in(pr, json_string(d->name));
            return -1;
        }
        json_object_set_new(*out, d->name, v);
    }
    return *out ? 0 : -1;
}

int gql_coerce_json(const sl_gql_schema *s, const gql_typeref *t, const json_t *in, json_t **out,
                    gql_problem *pr, int depth)
{
    *out = NULL;
    if (depth > VALUE_DEPTH_MAX) {
        gql_problem_set(pr, "Value is nested too deeply");
        return -1;
    }
    if (t->kind == GQL_REF_NONNULL) {
        if (json_is_null(in)) {
            gql_problem_set(pr, "Expected value to not be null");
            return -1;
        }
        return gql_coerce_json(s, t->of, in, out, pr, depth);
    }
    if (json_is_null(in)) {
        *out = json_null();
        return 0;
    }
    if (t->kind == GQL_REF_LIST) {
        json_t *list = json_array(), *item, *v;
        size_t i;
        if (!list)
            return -1;
        if (!json_is_array(in)) {
            if (gql_coerce_json(s, t->of, in, &v, pr, depth + 1) != 0) {
                json_decref(list);
                return -1;
            }
            json_array_append_new(list, v);
            *out = list;
            return 0;
        }
        json_array_foreach(in, i, item) {
            if (gql_coerce_json(s, t->of, item, &v, pr, depth + 1) != 0) {
                json_decref(list);
                gql_problem_in(pr, json_integer((json_int_t)i));
                return -1;
            }
            json_array_append_new(list, v);
        }
        *out = list;
        return 0;
    }
    if (t->type->kind == GQL_INPUT_OBJECT)
        return coerce_input_object_json(s, t->type, in, out, pr, depth);
    return coerce_leaf_json(s, t->type, in, out, pr);
}

/* ---- coercion of literals ----------------------------------------------------- */

static int literal_leaf(const sl_gql_schema *s, const gql_type *t, const gql_value *v, json_t **out,
                        gql_problem *pr)
{
    json_t *j;
    int rc;
    if (t->kind == GQL_ENUM) {
        if (v->kind == GQL_V_ENUM) {
            for (size_t i = 0; i < t->nvalues; i++) {
                if (strcmp(t->values[i]->name, v->s) == 0) {
                    *out = json_string(v->s);
                    return 0;
                }
            }
        }
    } else if (t == s->t_int) {
        if (v->kind == GQL_V_INT) {
            long long n;
            errno = 0;
            n = strtoll(v->s, NULL, 10);
            if (errno != ERANGE && n >= INT32_LO && n <= INT32_HI) {
                *out = json_integer(n);
                return 0;
            }
        }
    } else if (t == s->t_float) {
        if (v->kind == GQL_V_INT || v->kind == GQL_V_FLOAT) {
            double d = strtod(v->s, NULL);
            if (isfinite(d)) {
                *out = json_real(d);
                return 0;
            }
        }
    } else if (t == s->t_string) {
        if (v->kind == GQL_V_STRING) {
            *out = json_stringn(v->s, v->slen);
            return 0;
        }
    } else if (t == s->t_boolean) {
        if (v->kind == GQL_V_BOOLEAN) {
            *out = json_boolean(v->b);
            return 0;
        }
    } else if (t == s->t_id) {
        if (v->kind == GQL_V_STRING || v->kind == GQL_V_INT) {
            *out = v->kind == GQL_V_STRING ? json_stringn(v->s, v->slen) : json_string(v->s);
            return 0;
        }
    } else {
        j = gql_value_to_json(v);
        if (!j)
            return -1;
        rc = custom_scalar(t, j, out, pr);
        json_decref(j);
        return rc;
    }
    {
        gql_buf b = {0};
        gql_value_print(&b, v);
        gql_problem_set(pr, "Could not coerce value %s to %s", b.s ? b.s : "", t->name);
        gql_buf_free(&b);
    }
    return -1;
}

/* One input field or argument into obj: the given literal, else its
 * default; absent where non-null is a problem (in validation, without
 * variables, a variable stands for a value).  -1 on a problem, its path
 * prefixed with the name. */
static int coerce_member(const sl_gql_schema *s, const gql_input_def *d, const gql_value *given,
                         const json_t *vars, json_t *obj, gql_problem *pr, int depth)
{
    json_t *item = NULL;
    int rc = 1;
    if (given)
        rc = gql_coerce_literal(s, d->type, given, vars, &item, pr, depth + 1);
    if (rc == 1 && d->def)
        rc = gql_coerce_literal(s, d->type, d->def, NULL, &item, pr, depth + 1);
    if (rc == 1 && d->type->kind == GQL_REF_NONNULL && !(vars == NULL && given)) {
        gql_problem_set(pr, "Expected value to not be null");
        rc = -1;
    }
    if (rc < 0) {
        gql_problem_in(pr, json_string(d->name));
        return -1;
    }
    if (rc == 0 && json_object_set_new(obj, d->name, item) != 0)
        return -1;
    return 0;
}

static int literal_object(const sl_gql_schema *s, const gql_type *t, const gql_value *v,
                          const json_t *vars, json_t **out, gql_problem *pr, int depth)
{
    if (v->kind != GQL_V_OBJECT) {
        gql_buf b = {0};
        gql_value_print(&b, v);
        gql_problem_set(pr, "Expected %s to be a key-value object.", b.s ? b.s : "");
        gql_buf_free(&b);
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (!gql_find_input(t->inputs, t->ninputs, v->fields[i]->name)) {
            gql_problem_set(pr, "Field is not defined on %s", t->name);
            gql_problem_in(pr, json_string(v->fields[i]->name));
            return -1;
        }
    }
    *out = json_object();
    for (size_t i = 0; *out && i < t->ninputs; i++) {
        const gql_value *given = NULL;
        for (size_t k = 0; k < v->n && !given; k++) {
            if (strcmp(v->fields[k]->name, t->inputs[i]->name) == 0)
                given = v->fields[k]->value;
        }
        if (coerce_member(s, t->inputs[i], given, vars, *out, pr, depth) < 0) {
            json_decref(*out);
            *out = NULL;
            return -1;
        }
    }
    return *out ? 0 : -1;
}

int gql_coerce_literal(const sl_gql_schema *s, const gql_typeref *t, const gql_value *v,
                       const json_t *vars, json_t **out, gql_problem *pr, int depth)
{
    *out = NULL;
    if (depth > VALUE_DEPTH_MAX) {
        gql_problem_set(pr, "Value is nested too deeply");
        return -1;
    }
    if (v->kind == GQL_V_VARIABLE) {
        json_t *val = vars ? json_object_get(vars, v->s) : NULL;
        if (!val)
            return 1;
        if (t->kind == GQL_REF_NONNULL && json_is_null(val)) {
            gql_problem_set(pr, "Expected value to not be null");
            return -1;
        }
        *out = json_incref(val);
        return 0;
    }
    if (t->kind == GQL_REF_NONNULL) {
        int rc;
        if (v->kind == GQL_V_NULL) {
            gql_problem_set(pr, "Expected value to not be null");
            return -1;
        }
        rc = gql_coerce_literal(s, t->of, v, vars, out, pr, depth);
        if (rc == 1 && vars) {
            gql_problem_set(pr, "Expected value to not be null");
            return -1;
        }
        return rc;
    }
    if (v->kind == GQL_V_NULL) {
        *out = json_null();
        return 0;
    }
    if (t->kind == GQL_REF_LIST) {
        json_t *list = json_array(), *item;
        if (!list)
            return -1;
        if (v->kind != GQL_V_LIST) {
            int rc = gql_coerce_literal(s, t->of, v, vars, &item, pr, depth + 1);
            if (rc < 0) {
                json_decref(list);
                return -1;
            }
            json_array_append_new(list, rc == 1 ? json_null() : item);
            *out = list;
            return 0;
        }
        for (size_t i = 0; i < v->n; i++) {
            int rc = gql_coerce_literal(s, t->of, v->items[i], vars, &item, pr, depth + 1);
            if (rc < 0) {
                json_decref(list);
                gql_problem_in(pr, json_integer((json_int_t)i));
                return -1;
            }
            json_array_append_new(list, rc == 1 ? json_null() : item);
        }
        *out = list;
        return 0;
    }
    if (t->type->kind == GQL_INPUT_OBJECT)
        return literal_object(s, t->type, v, vars, out, pr, depth);
    return literal_leaf(s, t->type, v, out, pr);
}

int gql_literal_valid(const sl_gql_schema *s, const gql_typeref *t, const gql_value *v, int depth,
                      gql_buf *coercion)
{
    gql_problem pr = {0};
    json_t *out = NULL;
    int rc = gql_coerce_literal(s, t, v, NULL, &out, &pr, depth);
    if (rc < 0 && coercion && pr.coercion && pr.why.s)
        gql_buf_str(coercion, pr.why.s);
    json_decref(out);
    gql_problem_free(&pr);
    return rc < 0 ? -1 : 0;
}

int gql_coerce_args(const sl_gql_schema *s, gql_input_def *const *defs, size_t ndefs,
                    gql_argument *const *args, size_t nargs, const json_t *vars, json_t **out,
                    gql_problem *pr)
{
    *out = json_object();
    if (!*out)
        return -1;
    for (size_t i = 0; i < ndefs; i++) {
        const gql_value *given = NULL;
        for (size_t k = 0; k < nargs && !given; k++) {
            if (strcmp(args[k]->name, defs[i]->name) == 0)
                given = args[k]->value;
        }
        if (coerce_member(s, defs[i], given, vars, *out, pr, -1) < 0) {
            json_decref(*out);
            *out = NULL;
            return -1;
        }
    }
    return 0;
}

static int directive_if(const gql_directive *d, const json_t *vars)
{
    for (size_t i = 0; i < d->nargs; i++) {
        const gql_value *v = d->args[i]->value;
        if (strcmp(d->args[i]->name, "if") != 0)
            continue;
        if (v->kind == GQL_V_BOOLEAN)
            return v->b;
        if (v->kind == GQL_V_VARIABLE && vars)
            return json_is_true(json_object_get(vars, v->s));
    }
    return 0;
}

int gql_skipped(gql_directive *const *dirs, size_t n, const json_t *vars)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(dirs[i]->name, "skip") == 0 && directive_if(dirs[i], vars))
            return 1;
        if (strcmp(dirs[i]->name, "include") == 0 && !directive_if(dirs[i], vars))
            return 1;
    }
    return 0;
}
