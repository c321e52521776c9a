/*
 * query.c - one request through the stages: parse, validate, select the
 * operation, coerce the variables, analyse; then the caller's limits
 * (recursion, depth, complexity, with GitLab's messages) and execution
 * into the response object.  A refused query keeps its errors and never
 * reaches a resolver.
 */
#include "gql_internal.h"

#include <stdlib.h>
#include <string.h>

/* GitLab's RecursionAnalyzer message, stray newline, quote and parenthesis
 * included as GitLab sends them (docs/graphql-engine.md). */
#define MSG_RECURSION "Recursive query - too many of fields '%s' detected\nin single branch of the query\")"
#define MSG_DEPTH "Query has depth of %d, which exceeds max depth of %d"
#define MSG_COMPLEXITY "Query has complexity of %ld, which exceeds max complexity of %ld"
#define MSG_NO_OPERATION "An operation name is required"
#define MSG_UNKNOWN_OPERATION "Unknown operation named \"%s\""
#define MSG_BAD_VARIABLES "Variables are invalid JSON"
#define MSG_SUBSCRIPTION "Subscriptions are not supported"

static void refuse(sl_gql_query *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refuse(sl_gql_query *q, const char *fmt, ...)
{
    va_list ap;
    q->refused = 1;
    va_start(ap, fmt);
    gql_error_addv(&q->errors, NULL, GQL_NO_LOC, NULL, fmt, ap);
    va_end(ap);
}

/* The operation `name` selects (the only one when name is NULL or empty);
 * NULL when none.  With `quiet` 0 a failure refuses the query. */
static const gql_operation *select_operation(sl_gql_query *q, const char *name, int quiet)
{
    const gql_document *d = &q->doc;
    if (name && name[0]) {
        for (size_t i = 0; i < d->nops; i++) {
            if (d->ops[i]->name && strcmp(d->ops[i]->name, name) == 0)
                return d->ops[i];
        }
        if (!quiet)
            refuse(q, MSG_UNKNOWN_OPERATION, name);
        return NULL;
    }
    if (d->nops == 1)
        return d->ops[0];
    if (!quiet)
        refuse(q, "%s", MSG_NO_OPERATION);
    return NULL;
}

/* graphql-ruby's invalid-variable error with its extensions. */
static void variable_error(sl_gql_query *q, const gql_vardef *var, const json_t *given,
                           gql_problem *pr)
{
    gql_buf msg = {0}, sig = {0};
    json_t *err, *problems;
    gql_ref_print(&sig, var->type);
    gql_buf_printf(&msg, "Variable $%s of type %s was provided invalid value", var->name,
                   sig.s ? sig.s : "");
    if (pr->path && json_array_size(pr->path) > 0) {
        gql_buf_str(&msg, " for ");
        gql_problem_path(&msg, pr);
        gql_buf_printf(&msg, " (%s)", pr->why.s ? pr->why.s : "");
    }
    q->refused = 1;
    gql_error_add(&q->errors, &q->doc, var->off, NULL, "%s", msg.s ? msg.s : "");
    err = json_array_get(q->errors.list, json_array_size(q->errors.list) - 1);
    problems = json_pack("[{s:O,s:s}]", "path", pr->path ? pr->path : json_array(), "explanation",
                         pr->why.s ? pr->why.s : "");
    if (err && problems)
        json_object_set_new(err, "extensions",
                            json_pack("{s:O,s:o}", "value", given ? given : json_null(), "problems", problems));
    else
        json_decref(problems);
    gql_buf_free(&msg);
    gql_buf_free(&sig);
}

static json_t *variables_object(sl_gql_query *q, const json_t *variables)
{
    json_t *v;
    if (!variables || json_is_null(variables))
        return json_object();
    if (json_is_string(variables)) {
        if (json_string_length(variables) == 0)
            return json_object();
        v = json_loadb(json_string_value(variables), json_string_length(variables), JSON_DECODE_ANY, NULL);
        if (json_is_null(v)) {
            json_decref(v);
            return json_object();
        }
    } else {
        v = json_incref((json_t *)variables);
    }
    if (!json_is_object(v)) {
        json_decref(v);
        refuse(q, "%s", MSG_BAD_VARIABLES);
        return NULL;
    }
    return v;
}

static int coerce_variables(sl_gql_query *q, const json_t *variables)
{
    json_t *given = variables_object(q, variables);
    const gql_operation *op = q->op;
    if (!given)
        return -1;
    q->vars = json_object();
    for (size_t i = 0; q->vars && i < op->nvars; i++) {
        const gql_vardef *var = op->vars[i];
        json_t *in = json_object_get(given, var->name), *out = NULL;
        gql_problem pr = {0};
        int rc = 0;
        if (in)
            rc = gql_coerce_json(q->schema, var->type, in, &out, &pr, 0);
        else if (var->def)
            rc = gql_coerce_literal(q->schema, var->type, var->def, NULL, &out, &pr, 0);
        else if (var->type->kind == GQL_REF_NONNULL) {
            gql_problem_set(&pr, "Expected value to not be null");
            rc = -1;
        }
        if (rc < 0)
            variable_error(q, var, in, &pr);
        else if (out)
            json_object_set_new(q->vars, var->name, out);
        gql_problem_free(&pr);
    }
    json_decref(given);
    return q->refused ? -1 : 0;
}

sl_rc sl_gql_query_new(const sl_gql_schema *s, const char *text, size_t len,
                       const char *operation_name, const json_t *variables, sl_gql_query **out,
                       sl_error *err)
{
    sl_gql_query *q = calloc(1, sizeof *q);
    gql_parser p;
    sl_rc rc;
    *out = NULL;
    if (!q || !(q->errors.list = json_array())) {
        free(q);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    q->schema = s;
    if (!text)
        len = 0;
    /* the document keeps its own copy: error positions are computed after
     * the caller's text is gone.  A text too large to be a query is parsed
     * in place and refused before anything else. */
    if (len <= (size_t)SL_GQL_TEXT_MAX * 4) {
        char *copy = gql_strndup(&q->doc.arena, text ? text : "", len);
        if (!copy)
            goto oom;
        text = copy;
    }
    rc = gql_parse_document(&q->doc, text, len, &p);
    if (rc == SL_ENOMEM)
        goto oom;
    q->parsed = 1;
    if (rc != SL_OK) {
        q->refused = 1;
        gql_error_add(&q->errors, &q->doc, p.err_mode == GQL_ERR_NOLOC ? GQL_NO_LOC : p.error_off,
                      NULL, "%s", p.message ? p.message : "syntax error");
        if (len > (size_t)SL_GQL_TEXT_MAX * 4)
            q->doc.text = NULL;
        *out = q;
        return sl_error_set(err, rc == SL_ETOOBIG ? SL_ETOOBIG : SL_EINVAL, "%s",
                            p.message ? p.message : "syntax error");
    }
    q->errors.max = SL_GQL_ERRORS_MAX;
    gql_validate(s, &q->doc, &q->errors);
    q->errors.max = 0;
    if (q->errors.oom)
        goto oom;
    if (json_array_size(q->errors.list) > 0) {
        /* refused, but its kind is known (the GET rule: an invalid query is
         * still no mutation); it never executes */
        q->refused = 1;
        q->op = select_operation(q, operation_name, 1);
    } else if ((q->op = select_operation(q, operation_name, 0)) != NULL) {
        if (coerce_variables(q, variables) == 0) {
            if (gql_analyze(s, q->op, q->vars, &q->an) < 0)
                goto oom;
            q->analyzed = 1;
        }
    }
    if (q->errors.oom)
        goto oom;
    *out = q;
    if (q->refused)
        return sl_error_set(err, SL_EINVAL, "%s",
                            json_string_value(json_object_get(json_array_get(q->errors.list, 0), "message")));
    return SL_OK;
oom:
    sl_gql_query_free(q);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
}

void sl_gql_query_free(sl_gql_query *q)
{
    if (!q)
        return;
    json_decref(q->vars);
    json_decref(q->errors.list);
    gql_arena_free(&q->doc.arena);
    free(q);
}

sl_gql_op sl_gql_query_op(const sl_gql_query *q)
{
    return q && q->op ? q->op->op : SL_GQL_OP_NONE;
}

const char *sl_gql_query_operation_name(const sl_gql_query *q)
{
    return q && q->op ? q->op->name : NULL;
}

int sl_gql_query_depth(const sl_gql_query *q)
{
    return q && q->analyzed ? q->an.depth : 0;
}

long sl_gql_query_complexity(const sl_gql_query *q)
{
    return q && q->analyzed ? q->an.complexity : 0;
}

long sl_gql_query_complexity_limit(const sl_gql_query *q)
{
    return q ? q->complexity_limit : 0;
}

sl_rc sl_gql_query_check(sl_gql_query *q, const sl_gql_limits *lim, long complexity)
{
    if (!q->analyzed || q->refused || !lim)
        return SL_OK;
    q->complexity_limit = lim->max_complexity;
    if (lim->recursion_max > 0) {
        json_t *found = NULL;
        if (gql_recursion(q->op, q->vars, lim->recursion_max, &found) < 0)
            return SL_ENOMEM;
        if (found) {
            gql_buf b = {0};
            gql_ruby_hash(&b, found);
            refuse(q, MSG_RECURSION, b.s ? b.s : "");
            gql_buf_free(&b);
            json_decref(found);
        }
    }
    if (lim->max_depth > 0 && q->an.depth > lim->max_depth) {
        q->refused = 1;
        gql_error_add(&q->errors, NULL, GQL_NO_LOC, NULL, MSG_DEPTH, q->an.depth, lim->max_depth);
    }
    if (complexity < 0)
        complexity = q->an.complexity;
    if (lim->max_complexity > 0 && complexity > lim->max_complexity) {
        q->refused = 1;
        gql_error_add(&q->errors, NULL, GQL_NO_LOC, NULL, MSG_COMPLEXITY, complexity, lim->max_complexity);
    }
    if (q->errors.oom)
        return SL_ENOMEM;
    return q->refused ? SL_EINVAL : SL_OK;
}

sl_rc sl_gql_query_refuse(sl_gql_query *q, const char *message)
{
    refuse(q, "%s", message);
    return q->errors.oom ? SL_ENOMEM : SL_OK;
}

int sl_gql_query_refused(const sl_gql_query *q)
{
    return q->refused;
}

const json_t *sl_gql_query_errors(const sl_gql_query *q)
{
    return q->errors.list;
}

sl_rc sl_gql_query_execute(sl_gql_query *q, void *context, const sl_gql_limits *lim,
                           json_t **response, sl_error *err)
{
    json_t *data = NULL;
    sl_rc rc;
    *response = NULL;
    if (!q->refused && q->op && q->op->op == SL_GQL_OP_SUBSCRIPTION)
        refuse(q, "%s", MSG_SUBSCRIPTION);
    if (q->refused || !q->op) {
        *response = json_pack("{s:O}", "errors", q->errors.list);
        return *response ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    rc = gql_execute(q, context, lim, &data, &q->errors);
    if (rc != SL_OK)
        return sl_error_set(err, rc, "out of memory");
    *response = json_pack("{s:o}", "data", data);
    if (*response && json_array_size(q->errors.list) > 0)
        json_object_set(*response, "errors", q->errors.list);
    return *response ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory");
}

sl_rc sl_gql_run(const sl_gql_schema *s, const char *text, size_t len, const char *operation_name,
                 const json_t *variables, void *context, const sl_gql_limits *lim, json_t **response,
                 sl_error *err)
{
    sl_gql_query *q = NULL;
    sl_rc rc = sl_gql_query_new(s, text, len, operation_name, variables, &q, err);
    sl_rc rc2;
    *response = NULL;
    if (rc == SL_ENOMEM)
        return rc;
    if (sl_gql_query_check(q, lim, -1) == SL_ENOMEM) {
        sl_gql_query_free(q);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    rc2 = sl_gql_query_execute(q, context, lim, response, err);
    sl_gql_query_free(q);
    if (rc2 != SL_OK)
        return rc2;
    return rc == SL_ETOOBIG ? SL_ETOOBIG : SL_OK;
}
