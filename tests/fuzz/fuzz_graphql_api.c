/*
 * fuzz_graphql_api.c - libFuzzer target for GitLab's GraphQL API as the
 * transport receives it: the JSON body (one query or a batch), the GET
 * query string or a form, through the schema's resolvers into a prepared
 * ledger (a cloud license with Duo seats, users, snapshots, tokens).  The
 * first byte picks the caller (anonymous, a token without rights, an
 * admin) and the transport (POST JSON, GET, POST form); the rest is the
 * body or query string.  Printable first bytes of the seeds: A admin JSON,
 * R reader JSON, Z anonymous JSON, D admin GET, B anonymous GET, G admin
 * form.  Every input starts from the same ledger bytes, so
 * a saved crash reproduces alone.  Beyond memory errors it checks that the
 * answer is JSON with a GraphQL shape, that no request makes a 5xx, that
 * only an admin sees license or seat data, that only an admin changes the
 * seat history, and that the ledger stays intact.
 */
#include "fuzzutil.h"
#include "graphql_api/graphql_api.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Data only an admin may see: the license's company, its Global ID, the
 * purchases' Global IDs. */
static const char *const secrets[] = {"Fuzz Corp", "gid://gitlab/License/", "AddOnPurchase/"};

static const char *ledger_path;
static char *template_bytes;
static size_t template_len;
static char *admin_token, *user_token;
static int64_t fake_clock;
static int verbose;

static int64_t fuzz_now(void)
{
    return fake_clock += 7;
}

static void make_template(void)
{
    static const char users_csv[] =
        "id,username,state,email,highest_role,user_type\n"
        "1,ada,active,ada@example.com,owner,human\n2,bob,active,bob@example.com,developer,human\n"
        "3,cy,blocked,,developer,human\n4,bot,active,,developer,project_bot\n"
        "5,eve,active,eve@example.com,guest,service_user\n";
    static const char payload[] =
        "{\"version\":1,\"licensee\":{\"Name\":\"Fuzz\",\"Email\":\"f@example.com\",\"Company\":\"Fuzz Corp\"},"
        "\"issued_at\":\"2025-06-01\",\"expires_at\":\"2027-01-01\",\"cloud_licensing_enabled\":true,"
        "\"last_synced_at\":\"2026-01-14T10:00:00+01:00\",\"restrictions\":{\"id\":77,\"plan\":\"ultimate\","
        "\"active_user_count\":10,\"add_on_products\":{\"duo_pro\":[{\"quantity\":2,\"started_on\":"
        "\"2025-06-01\",\"expires_on\":\"2027-01-01\"}],\"duo_core\":[{\"quantity\":9,\"started_on\":"
        "\"2025-06-01\",\"expires_on\":\"2027-01-01\"}]}}}";
    sl_store *st = fuzz_store_open(&ledger_path);
    sl_error err = {0};
    char *priv = NULL, *pub = NULL, *key = NULL, *gone = NULL;
    int64_t id = 0;
    FILE *f;
    fuzz_assert(sl_keys_generate(2048, &priv, &pub, &err) == SL_OK, "keys", &err);
    fuzz_assert(sl_store_key_trust(st, pub, strlen(pub), "vendor", &err) == SL_OK, "trust", &err);
    fuzz_assert(sl_license_encode(payload, strlen(payload), priv, strlen(priv), NULL, &key, &err) == SL_OK,
                "encode", &err);
    fuzz_assert(sl_store_license_add(st, key, strlen(key), SL_SOURCE_CLI, &id, &err) == SL_OK, "add", &err);
    f = fmemopen((void *)users_csv, sizeof users_csv - 1, "r");
    fuzz_assert(f && sl_store_users_import(st, f, SL_USERS_CSV, 0, 0, NULL, NULL, NULL, &err) == SL_OK,
                "users", &err);
    fclose(f);
    fuzz_assert(sl_store_refresh(st, SL_SOURCE_CLI, NULL, &err) == SL_OK, "refresh", &err);
    fuzz_assert(sl_store_seats_assign(st, 1, (const char *const[]){"1"}, 1, 0, "fuzz", NULL, NULL, &err) == SL_OK,
                "assign", &err);
    fuzz_assert(sl_store_token_create(st, "admin", 1, SL_DATE_NONE, &admin_token, &err) == SL_OK, "token", &err);
    fuzz_assert(sl_store_token_create(st, "user", 0, SL_DATE_NONE, &user_token, &err) == SL_OK, "token", &err);
    fuzz_assert(sl_store_token_create(st, "gone", 1, SL_DATE_NONE, &gone, &err) == SL_OK, "token", &err);
    sl_free(priv);
    sl_free(pub);
    sl_free(key);
    sl_free(gone);
    sl_store_close(st);
    template_bytes = fuzz_template_read(ledger_path, &template_len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_clock();
    verbose = getenv("FUZZ_VERBOSE") != NULL;
    make_template();
    return 0;
}

static int count_row(void *ud, const sl_seat_event *e)
{
    (void)e;
    ++*(int *)ud;
    return 0;
}

static int seat_events(sl_store *st)
{
    sl_error err = {0};
    int n = 0;
    fuzz_assert(sl_store_seat_history(st, NULL, INT64_MIN, INT64_MAX, count_row, &n, &err) == SL_OK,
                "seat history", &err);
    return n;
}

/* One answer of a response: {"data"...} and/or {"errors": [...]}. */
static void check_answer(const json_t *a, int admin)
{
    const json_t *errors = json_object_get(a, "errors");
    char *data;
    fuzz_assert(json_is_object(a), "an answer is not an object", NULL);
    fuzz_assert(json_object_get(a, "data") || json_array_size(errors) > 0, "neither data nor errors", NULL);
    for (size_t i = 0; i < json_array_size(errors); i++)
        fuzz_assert(json_is_string(json_object_get(json_array_get(errors, i), "message")),
                    "an error without a message", NULL);
    if (admin)
        return;
    data = json_dumps(json_object_get(a, "data"), JSON_ENCODE_ANY | JSON_COMPACT);
    for (size_t i = 0; data && i < sizeof secrets / sizeof secrets[0]; i++)
        fuzz_assert(!strstr(data, secrets[i]), "license or seat data without an admin token", NULL);
    free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const forms[] = {"POST", "GET", "POST"};
    sl_graphql_options opt = {fuzz_now, 1000};
    sl_http_header h[2];
    sl_http_request req = {0};
    sl_http_response r;
    sl_store *st = NULL;
    sl_error err = {0};
    char *text;
    json_t *j;
    int caller, form, before, admin;
    if (size < 1)
        return 0;
    caller = data[0] % 3;
    form = (data[0] / 3) % 3;
    admin = caller == 2;
    text = malloc(size);
    fuzz_assert(text != NULL, "out of memory", NULL);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    req.method = forms[form];
    req.path = "/api/graphql";
    if (caller)
        h[req.header_count++] = (sl_http_header){"PRIVATE-TOKEN", admin ? admin_token : user_token};
    if (form == 1) {
        req.query = text;   /* up to a NUL, as a URL is */
    } else {
        h[req.header_count++] = (sl_http_header){"Content-Type", form == 0 ? "application/json"
                                                 : "application/x-www-form-urlencoded"};
        req.body = (const char *)data + 1;  /* not NUL-terminated: ASan sees overreads */
        req.body_len = size - 1;
    }
    req.headers = h;
    fuzz_template_restore(ledger_path, template_bytes, template_len);
    fuzz_assert(sl_store_open(ledger_path, 0, &st, &err) == SL_OK, "open the scratch ledger", &err);
    before = seat_events(st);
    r = sl_graphql_route_with(st, &req, &opt);
    if (verbose)
        fprintf(stderr, "fuzz: %s caller %d -> %d %.*s (%s)\n", req.method, caller, r.status,
                (int)(r.body_len < 400 ? r.body_len : 400), r.body ? r.body : "", r.detail);
    fuzz_assert(r.status == 200 || r.status == 400 || r.status == 422, "unexpected status", NULL);
    fuzz_assert(r.content_type && strcmp(r.content_type, "application/json") == 0, "content type", NULL);
    j = json_loadb(r.body, r.body_len, 0, NULL);
    fuzz_assert(j != NULL, "the body is not JSON", NULL);
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            check_answer(json_array_get(j, i), admin);
    } else {
        check_answer(j, admin);
    }
    json_decref(j);
    sl_http_response_free(&r);
    if (!admin)
        fuzz_assert(seat_events(st) == before, "a seat changed without an admin token", NULL);
    fuzz_assert(sl_store_check(st, &err) == SL_OK, "ledger damaged by a request", &err);
    sl_store_close(st);
    free(text);
    return 0;
}
