/*
 * seatledger.h - the public API of libseatledger, the license-key and
 * billable-user accounting engine.  The CLI (cli/) and the HTTP server
 * (server/) use nothing but what this header declares.
 *
 * Conventions of the whole API:
 *  - Every fallible function returns an sl_rc code (SL_OK on success) and
 *    hands results back through out-parameters.
 *  - Every fallible function takes a final `sl_error *err` that may be NULL;
 *    on failure it receives the code and a lowercase, human-readable message
 *    ("what failed: why", subject quoted).  On success it is left untouched.
 *  - Strings returned through `char **` are NUL-terminated, heap-allocated
 *    and owned by the caller, who frees them with sl_free().  Pointers
 *    returned as `const` are borrowed and live as long as the object they
 *    came from.
 *  - Every *_free() accepts NULL.
 *  - Dates are days since 1970-01-01 (UTC) in an int32_t; SL_DATE_NONE means
 *    "absent".  Instants are milliseconds since the Unix epoch in an int64_t.
 */
#ifndef SEATLEDGER_H
#define SEATLEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

/* One error enum for the whole engine.  The CLI maps it to exit codes
 * (cli/exit_codes.c) and the server to HTTP statuses (server/rest/router.c), each
 * in one table. */
typedef enum sl_rc {
    SL_OK = 0,
    SL_EINVAL,     /* rejected input: invalid key, failed validation, bad file */
    SL_ETOOBIG,    /* input over one of the named limits */
    SL_ENOTFOUND,  /* no such license, key, token, user or file */
    SL_EEXIST,     /* a name that must be unique is taken */
    SL_ECLOCK,     /* the clock is behind the newest snapshot (clock safety) */
    SL_EAUTH,      /* missing, unknown, expired or revoked token */
    SL_EFORBIDDEN, /* valid token without the needed rights */
    SL_EUSAGE,     /* API misuse: bad argument combination */
    SL_ESTORAGE,   /* SQLite or file-system failure */
    SL_ENOMEM,     /* allocation failed */
    SL_EINTERNAL,  /* a library (OpenSSL, ...) failed unexpectedly */
    SL_RC_COUNT
} sl_rc;

#define SL_ERROR_MAX 1024

/* Error detail filled in by a failing call. */
typedef struct sl_error {
    sl_rc code;
    char message[SL_ERROR_MAX];
} sl_error;

/* Stable lowercase name of a code ("ok", "invalid input", ...). Never NULL. */
const char *sl_rc_name(sl_rc rc);

/* Fill err (may be NULL) with code and a printf-style message; returns code.
 * For the CLI and the server, which report their own failures the same way
 * the engine does. */
sl_rc sl_error_set(sl_error *err, sl_rc code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Frees memory the engine handed to the caller (strings, arrays). */
void sl_free(void *p);

/* ------------------------------------------------------------------------
 * Clock and dates
 * ---------------------------------------------------------------------- */

#define SL_DATE_NONE INT32_MIN

/* The one source of time.  When the environment variable SEATLEDGER_NOW is
 * set to YYYY-MM-DDTHH:MM:SSZ it is the answer; otherwise the system clock.
 * A malformed SEATLEDGER_NOW makes sl_clock_check() fail; sl_clock_now_ms()
 * then falls back to the system clock. */
int64_t sl_clock_now_ms(void);
/* SL_OK when SEATLEDGER_NOW is unset or well formed; SL_EUSAGE otherwise. */
sl_rc sl_clock_check(sl_error *err);
/* Today's date (UTC) from sl_clock_now_ms(). */
int32_t sl_clock_today(void);

/* Parse a strict calendar date "YYYY-MM-DD"; impossible dates fail. */
sl_rc sl_date_parse(const char *s, int32_t *out_days, sl_error *err);
/* Parse a license date the way the format spec says: YYYY-MM-DD, an ISO 8601
 * date-time (its calendar date as written), or YYYYMMDD.  SL_EINVAL when
 * unparseable or impossible. */
sl_rc sl_date_parse_lenient(const char *s, size_t len, int32_t *out_days);
/* Format days as YYYY-MM-DD into buf (at least 11 bytes). Returns buf. */
char *sl_date_format(int32_t days, char *buf, size_t size);
/* Format an instant as "YYYY-MM-DDTHH:MM:SS.mmmZ" (buf >= 25 bytes). */
char *sl_time_format_rfc3339(int64_t ms, char *buf, size_t size);
/* Format an instant as "YYYY-MM-DD HH:MM:SS UTC" (buf >= 24 bytes). */
char *sl_time_format_utc(int64_t ms, char *buf, size_t size);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" (also with a space for T, optional .mmm). */
sl_rc sl_time_parse(const char *s, int64_t *out_ms, sl_error *err);
/* days*86400000 */
int64_t sl_date_to_ms(int32_t days);
int32_t sl_ms_to_date(int64_t ms);
/* Shift a date by whole years (Feb 29 -> Feb 28 like Ruby's Date#<<). */
int32_t sl_date_add_years(int32_t days, int years);

/* ------------------------------------------------------------------------
 * Trusted public keys (in memory) and vendor key pairs
 * ---------------------------------------------------------------------- */

/* Hard caps for untrusted input, named once. */
#define SL_LICENSE_TEXT_MAX   (1024 * 1024)  /* a key's text as received */
#define SL_PAYLOAD_MAX        (256 * 1024)   /* decrypted payload JSON */
#define SL_JSON_DEPTH_MAX     32             /* nesting depth of any JSON */
#define SL_PEM_MAX            (64 * 1024)    /* a PEM file */

/* A keyring serves one thread at a time (each key keeps a prepared
 * verify-recover context). */
typedef struct sl_keyring sl_keyring;

sl_rc sl_keyring_new(sl_keyring **out, sl_error *err);
void sl_keyring_free(sl_keyring *kr);
/* Parse an SPKI PEM public key ("BEGIN PUBLIC KEY", RSA) and append it; keys
 * are tried in the order added.  `name` may be NULL. */
sl_rc sl_keyring_add_pem(sl_keyring *kr, const char *pem, size_t len,
                         const char *name, sl_error *err);
size_t sl_keyring_count(const sl_keyring *kr);

/* Generate an RSA key pair (bits: 2048, 3072 or 4096).  Returns PKCS#8 PEM
 * private key and SPKI PEM public key; caller frees both with sl_free(). */
sl_rc sl_keys_generate(int bits, char **private_pem, char **public_pem,
                       sl_error *err);
/* SHA-256 fingerprint of a public key PEM: 64 lowercase hex chars. */
sl_rc sl_key_fingerprint(const char *pem, size_t len, char **out_hex,
                         sl_error *err);

/* ------------------------------------------------------------------------
 * License keys: decode, inspect, encode
 * ---------------------------------------------------------------------- */

typedef struct sl_license sl_license;

/* A count that is absent from the key (seats absent = unrestricted).  Any
 * other value, negative ones included, is what the vendor signed. */
#define SL_COUNT_NONE INT64_MIN

/* Decoded attributes of a license.  Read-only; strings are borrowed from the
 * sl_license.  Counts are SL_COUNT_NONE when absent. */
typedef struct sl_license_info {
    int version;                       /* always 1 for a decoded key */
    int has_licensee;                  /* licensee is a non-empty object */
    const char *licensee_name;         /* NULL when absent or not a string */
    const char *licensee_email;
    const char *licensee_company;
    int32_t starts_on;                 /* issued_at; SL_DATE_NONE if absent */
    int32_t expires_on;
    int32_t notify_admins_on;
    int32_t notify_users_on;
    int32_t block_changes_on;
    const char *plan;                  /* "starter" when missing or blank */
    int64_t seats;                     /* restrictions.active_user_count */
    int64_t previous_user_count;
    int64_t trueup_quantity;
    int64_t trueup_period_seat_count;
    int trueup_present;                /* quantity, from and to all present */
    int32_t trueup_from;               /* SL_DATE_NONE when unparseable */
    int32_t trueup_to;
    int trial;
    int reconciliation_completed;
    int cloud_licensing_enabled;
    int offline_cloud_licensing_enabled;
    int generated_from_cancellation;
    int contract_overages_allowed;
    const char *subscription_name;     /* NULL when absent */
} sl_license_info;

/* Decode a key's text (boundary, base64, envelope, RSA verify-recover with
 * each trusted key in order, AES-128-CBC, payload JSON, attributes).  On
 * failure err->message names the layer ("signature: ...").  A decoded key
 * may still be invalid: see sl_license_validate(). */
sl_rc sl_license_decode(const char *text, size_t len, const sl_keyring *kr,
                        sl_license **out, sl_error *err);
/* Build a license from an already decrypted payload JSON (used for stored
 * licenses, whose payload was verified when they were added). */
sl_rc sl_license_from_payload(const char *json, size_t len, sl_license **out,
                              sl_error *err);
void sl_license_free(sl_license *lic);

const sl_license_info *sl_license_get_info(const sl_license *lic);
/* The decrypted payload JSON exactly as decrypted (borrowed). */
const char *sl_license_payload(const sl_license *lic, size_t *len);

/* Validity rules of the format spec; SL_EINVAL with "license: ..." message. */
sl_rc sl_license_validate(const sl_license *lic, sl_error *err);
/* Derived states for a given day. */
int sl_license_is_expired(const sl_license *lic, int32_t today);
int sl_license_is_started(const sl_license *lic, int32_t today);
int sl_license_is_block_changes(const sl_license *lic, int32_t today);

/* The `license verify --json` document for a decode attempt: pass the
 * license (or NULL when decoding failed) and the error of the failed step
 * (or NULL).  Caller frees *out_json. */
sl_rc sl_license_verify_json(const sl_license *lic, const sl_error *failure,
                             int32_t today, char **out_json, sl_error *err);

/* Encode a plaintext payload JSON object into a key: random AES-128 key and
 * IV, RSA PKCS#1 v1.5 private operation on the AES key, base64 wrapped at 60
 * columns.  `boundary` (e.g. "GitLab") adds BEGIN/END lines; NULL for none.
 * The payload must be a JSON object; it is encrypted byte for byte. */
sl_rc sl_license_encode(const char *payload_json, size_t payload_len,
                        const char *private_pem, size_t private_pem_len,
                        const char *boundary, char **out_text, sl_error *err);

/* ------------------------------------------------------------------------
 * The ledger store (SQLite)
 * ---------------------------------------------------------------------- */

typedef struct sl_store sl_store;

/* Default ledger path: $SEATLEDGER_DB, else
 * ${XDG_DATA_HOME:-$HOME/.local/share}/seatledger/ledger.db. */
sl_rc sl_store_default_path(char **out_path, sl_error *err);

#define SL_STORE_READONLY 0x1   /* fail instead of creating or migrating */

/* Open (creating with mode 0600 and making parent directories) the ledger at
 * `path`, applying pending schema migrations.  WAL, busy timeout,
 * foreign keys on. */
sl_rc sl_store_open(const char *path, int flags, sl_store **out, sl_error *err);
void sl_store_close(sl_store *st);
/* Path the store was opened with (borrowed). */
const char *sl_store_path(const sl_store *st);
/* Online backup (SQLite backup API) into `dest_path`. */
sl_rc sl_store_backup(sl_store *st, const char *dest_path, sl_error *err);
/* PRAGMA integrity_check == "ok" -> SL_OK. */
sl_rc sl_store_check(sl_store *st, sl_error *err);
/* Read the ledger as one state until sl_store_read_end(): the reads in
 * between share one SQLite read transaction, so the locks are taken and the
 * files checked once instead of once a statement (the API's GET requests
 * use it).  Nothing may be written in between: a write would fail.  Pairs
 * nest; inside a write transaction they change nothing. */
sl_rc sl_store_read_begin(sl_store *st, sl_error *err);
void sl_store_read_end(sl_store *st);

/* --- trusted keys ------------------------------------------------------ */

typedef struct sl_trusted_key {
    int64_t id;
    char *name;
    char *fingerprint;   /* sha256 hex */
    int64_t created_at_ms;
} sl_trusted_key;

/* Trust a public key.  name NULL -> "key-<first 12 hex of fingerprint>".
 * SL_EEXIST when the name or the key is already trusted. */
sl_rc sl_store_key_trust(sl_store *st, const char *pem, size_t len,
                         const char *name, sl_error *err);
sl_rc sl_store_key_untrust(sl_store *st, const char *name, sl_error *err);
/* Keys in trust order; free with sl_trusted_keys_free(). */
sl_rc sl_store_key_list(sl_store *st, sl_trusted_key **out, size_t *count,
                        sl_error *err);
void sl_trusted_keys_free(sl_trusted_key *keys, size_t count);
/* The trusted keys as a keyring (borrowed, cached until keys change). */
sl_rc sl_store_keyring(sl_store *st, const sl_keyring **out, sl_error *err);

/* --- licenses ---------------------------------------------------------- */

typedef enum sl_source {
    SL_SOURCE_CLI = 0,
    SL_SOURCE_API,
    SL_SOURCE_CRON,
    SL_SOURCE_SCHEDULER  /* the server's own daily timer */
} sl_source;
const char *sl_source_name(sl_source s);

/* Decode with the trusted keys, validate (key validity, user count/true-up
 * checks, expiry, in the order of ledger-rules.md) and store the key text
 * exactly as received.  On any failure nothing at all is written (the ledger
 * stays byte-for-byte unchanged) and err->message is the user-facing message:
 * SL_EINVAL for an invalid key, failed checks or an expired key. */
sl_rc sl_store_license_add(sl_store *st, const char *text, size_t len,
                           sl_source source, int64_t *out_id, sl_error *err);
sl_rc sl_store_license_delete(sl_store *st, int64_t id, sl_source source,
                              sl_error *err);
/* The refusal message of ledger-rules.md for an invalid key; the layer
 * detail of the format spec follows it in parentheses. */
#define SL_MSG_KEY_INVALID \
    "The license key is invalid. Make sure it is exactly as you received it."
#define SL_MSG_EXPIRED "This license has already expired."

/* Current license id; SL_ENOTFOUND when there is none. */
sl_rc sl_store_license_current(sl_store *st, int64_t *out_id, sl_error *err);
/* First valid future-dated license; SL_ENOTFOUND when none. */
sl_rc sl_store_license_future(sl_store *st, int64_t *out_id, sl_error *err);
/* Load a stored license (from its stored payload). */
sl_rc sl_store_license_get(sl_store *st, int64_t id, sl_license **out,
                           int64_t *out_created_at_ms, sl_error *err);
/* Stored key text exactly as received (caller frees). */
sl_rc sl_store_license_text(sl_store *st, int64_t id, char **out_text,
                            size_t *out_len, sl_error *err);
/* License entity JSON of rest-api.md; with_active_users adds active_users. */
sl_rc sl_store_license_entity_json(sl_store *st, int64_t id,
                                   int with_active_users, char **out_json,
                                   sl_error *err);
/* Array of all license entities, newest id first, without active_users. */
sl_rc sl_store_license_list_json(sl_store *st, char **out_json, sl_error *err);

/* --- users (the directory of the host application) -------------------- */

#define SL_USER_FIELD_MAX 1024      /* bytes in any one field */
#define SL_USER_LINE_MAX  (64*1024) /* bytes in one CSV record / JSON line */

typedef enum sl_user_format { SL_USERS_CSV = 0, SL_USERS_JSONL } sl_user_format;

typedef struct sl_import_stats {
    int64_t rows;      /* rows read */
    int64_t inserted;
    int64_t updated;
    int64_t removed;   /* by prune */
} sl_import_stats;

/* Progress callback: bytes consumed so far and total (0 when unknown). */
typedef void (*sl_progress_fn)(void *ud, uint64_t done, uint64_t total);

/* Import a user directory from `in` (streamed; never loaded whole).  Atomic:
 * any bad row rejects the file with "line N: reason" (N the physical line
 * the row starts on) and nothing changes, the audit log included; success
 * adds a "users.import" audit line.
 *
 * Columns (CSV header names, or JSON Lines keys; any order): id, username,
 * state (required); email, user_type (default human), highest_role (default
 * none), guest_seat (true/false/yes/no/1/0, default false), last_activity_on
 * (YYYY-MM-DD).  An empty value (JSON null) takes the default; an unknown
 * column or key is refused, so is an empty input.  JSON ids may be integers
 * and guest_seat a boolean.  Rows upsert by id, replacing every column; an
 * id twice in one file is refused; `prune` removes users the file lacks.
 * `total_bytes` is for progress only (0 if unknown); `progress` (may be
 * NULL) is called at most ten times a second and once at the end. */
sl_rc sl_store_users_import(sl_store *st, FILE *in, sl_user_format format,
                            int prune, uint64_t total_bytes,
                            sl_progress_fn progress, void *progress_ud,
                            sl_import_stats *stats, sl_error *err);

typedef struct sl_user {
    const char *id;
    const char *username;
    const char *email;            /* may be NULL */
    const char *state;
    const char *user_type;
    const char *highest_role;
    int guest_seat;
    const char *last_activity_on; /* YYYY-MM-DD or NULL */
    const char *reason;           /* billable verdict: "billable" or why not */
} sl_user;

/* Calls fn for each user (ordered by id, bytewise) with its verdict under
 * the current license's plan; billable_only filters.  fn returns non-zero to
 * stop.  The strings of *u live until fn returns; fn must not use `st`. */
sl_rc sl_store_users_each(sl_store *st, int billable_only,
                          int (*fn)(void *ud, const sl_user *u), void *ud,
                          sl_error *err);

/* Billable verdicts, index-stable (the first that applies wins):
 *   0 billable, 1 blocked (blocked, ldap_blocked), 2 pending_approval,
 *   3 deactivated, 4 banned, 5 bot (every non-billable user_type),
 *   6 minimal_access, 7 no_membership_on_ultimate, 8 guest_on_ultimate */
#define SL_REASON_COUNT 9
/* Name of reason i as above; NULL when out of range. */
const char *sl_reason_name(int i);

typedef struct sl_user_counts {
    char plan[32];
    int64_t billable;
    int64_t total;
    int64_t by_reason[SL_REASON_COUNT];  /* index 0 is "billable" */
} sl_user_counts;

/* Users by verdict under the current license's plan (plan "none" and the
 * non-ultimate rules without a current license); reads one index. */
sl_rc sl_store_users_count(sl_store *st, sl_user_counts *out, sl_error *err);

/* --- snapshots (the append-only ledger) -------------------------------- */

typedef struct sl_snapshot {
    int64_t id;
    int64_t recorded_at_ms;
    int64_t billable_user_count;
    sl_source source;
} sl_snapshot;

/* Count billable users under the current license's plan and append one
 * snapshot, all under the write lock (overlapping refreshes queue up and
 * both succeed).  SL_ECLOCK when now is before the newest snapshot ("clock
 * is behind the ledger: ..."); nothing is written then.  `out` may be NULL. */
sl_rc sl_store_refresh(sl_store *st, sl_source source, sl_snapshot *out,
                       sl_error *err);
/* Snapshots with from <= recorded_at <= to (INT64_MIN/INT64_MAX for open
 * ends), oldest first.  fn returns non-zero to stop; it must not call into
 * the same store (the rows are streamed from an open statement). */
sl_rc sl_store_history(sl_store *st, int64_t from_ms, int64_t to_ms,
                       int (*fn)(void *ud, const sl_snapshot *s), void *ud,
                       sl_error *err);

/* Write the usage CSV of ledger-rules.md to `out` (streamed: memory stays
 * flat however many snapshots there are).  It covers the current license's
 * term; SL_ENOTFOUND "no current license" when there is none, because the
 * CSV's license fields would be empty (GitLab fails on that case too).
 * SL_ESTORAGE when writing to `out` fails. */
sl_rc sl_store_usage_export(sl_store *st, FILE *out, sl_error *err);

/* Format n with thousands separators ("1,234,567", "-5") into buf; 28 bytes
 * hold any int64_t.  Returns buf. */
char *sl_format_count(int64_t n, char *buf, size_t size);

/* Everything `seatledger status` shows. Strings are owned by the struct and
 * freed with sl_status_free(). */
typedef struct sl_status {
    int has_license;
    int64_t license_id;
    char *plan;
    char *licensee_name;
    char *licensee_email;
    char *licensee_company;
    int32_t starts_on;
    int32_t expires_on;           /* SL_DATE_NONE when none */
    int32_t block_changes_on;
    int32_t today;                /* max(clock date, newest snapshot date) */
    int64_t days_left;            /* -1 when no expiry, 0 once expired */
    int expired;
    int trial;
    int64_t seats;                /* -1 when unrestricted */
    int64_t billable_now;         /* live count */
    int64_t daily_billable;       /* newest snapshot (or live) */
    int64_t historical_max;
    int64_t maximum_user_count;
    int64_t overage;
    int64_t snapshots;
    int64_t last_snapshot_ms;     /* 0 when none */
    int has_future_license;
    int64_t future_license_id;
    int32_t future_starts_on;
    char **notices;               /* human sentences */
    size_t notice_count;
} sl_status;

sl_rc sl_store_status(sl_store *st, sl_status *out, sl_error *err);
void sl_status_free(sl_status *s);

/* --- API tokens -------------------------------------------------------- */

#define SL_TOKEN_NAME_MAX   64    /* a name is 1-64 of [A-Za-z0-9._-] */
#define SL_TOKEN_SECRET_MAX 256   /* longer presented secrets are refused unhashed */

typedef struct sl_token_info {
    char *name;
    int admin;
    int32_t expires_on;     /* SL_DATE_NONE when it never expires */
    int64_t created_at_ms;
    int64_t revoked_at_ms;  /* 0 when active */
} sl_token_info;

/* Create a token; the secret is returned once and only its hash stored.
 * The secret is "slt_" + 43 base64url characters (32 random bytes); caller
 * frees it with sl_free().  expires_on (SL_DATE_NONE: never) is the first
 * day the token no longer works and must be after today.  SL_EINVAL for a
 * bad name or expiry, SL_EEXIST when the name was ever used (revoked names
 * stay taken).  Writes an audit line (never the secret). */
sl_rc sl_store_token_create(sl_store *st, const char *name, int admin,
                            int32_t expires_on, char **out_secret,
                            sl_error *err);
/* Revoke by name: SL_ENOTFOUND when there is no such token; revoking a
 * revoked token is SL_OK and changes nothing. */
sl_rc sl_store_token_revoke(sl_store *st, const char *name, sl_error *err);
/* All tokens in creation order (never secrets); *out is NULL when there are
 * none.  Free with sl_token_infos_free(). */
sl_rc sl_store_token_list(sl_store *st, sl_token_info **out, size_t *count,
                          sl_error *err);
void sl_token_infos_free(sl_token_info *t, size_t count);
/* SL_OK for a valid admin token, SL_EFORBIDDEN for a valid non-admin token,
 * SL_EAUTH otherwise (unknown, revoked, or today >= expires_on).  The
 * presented secret is hashed and the hashes compared in constant time. */
sl_rc sl_store_token_check(sl_store *st, const char *secret, size_t len,
                           sl_error *err);

/* ------------------------------------------------------------------------
 * The usage chart (engine/report/)
 *
 * One renderer for the CLI (`usage chart`) and the admin console: billable
 * users over a window of the ledger as an SVG line chart, with the current
 * license's seat limit over its term, the historical maximum and the area
 * above the seat limit.  The series the chart draws is available on its own,
 * so a data table beside the chart shows the same numbers.  Same ledger and
 * clock in, same bytes out: no render time, no locale, fixed number format.
 * ---------------------------------------------------------------------- */

/* Window ends meaning "the current license's term" (sl__ledger_window:
 * start date 00:00:00.000, else now minus one year; expiry date
 * 23:59:59.999, else now).  Without a current license: the last year. */
#define SL_CHART_TERM_START INT64_MIN
#define SL_CHART_TERM_END   INT64_MAX

#define SL_CHART_WIDTH_DEFAULT  960
#define SL_CHART_HEIGHT_DEFAULT 420
#define SL_CHART_WIDTH_MIN      320
#define SL_CHART_HEIGHT_MIN     260
#define SL_CHART_SIZE_MAX       4096  /* width and height */
#define SL_CHART_TITLE_MAX      200   /* bytes of a caller's title */
#define SL_CHART_ID_PREFIX_MAX  32    /* [A-Za-z][A-Za-z0-9_-]* */
/* Points drawn: one per SL_CHART_POINT_PX of width, between these bounds;
 * more snapshots than that are aggregated (see sl_chart_unit). */
#define SL_CHART_POINT_PX       2
#define SL_CHART_POINTS_MIN     120
#define SL_CHART_POINTS_MAX     600

typedef struct sl_chart_options {
    int64_t from_ms;        /* first instant drawn, or SL_CHART_TERM_START */
    int64_t to_ms;          /* last instant drawn (inclusive), or SL_CHART_TERM_END */
    int width, height;      /* pixels; 0 takes the default */
    const char *title;      /* NULL: "Billable users"; escaped when written */
    const char *id_prefix;  /* NULL: "sl-chart"; the ids of title, desc and
                               the overage pattern (one page, several charts) */
    int focusable;          /* the console: each point is a tab stop
                               (tabindex="0", role="img", aria-label) and the
                               root is role="group"; 0 for files: role="img" */
} sl_chart_options;

/* Defaults: the current license's term, default size, no title, no focus. */
void sl_chart_options_init(sl_chart_options *opt);

/* How the snapshots of a window became points: each snapshot, or the
 * highest count of each day, ISO week (Monday), month, year, decade or
 * century, the finest that fits the points allowed (no peak is ever hidden:
 * a bucket's point is its maximum, drawn at the snapshot that held it). */
typedef enum sl_chart_unit {
    SL_CHART_SNAPSHOT = 0,
    SL_CHART_DAY,
    SL_CHART_WEEK,
    SL_CHART_MONTH,
    SL_CHART_YEAR,
    SL_CHART_DECADE,
    SL_CHART_CENTURY
} sl_chart_unit;
/* "snapshot", "day", "week", "month", "year", "decade", "century". */
const char *sl_chart_unit_name(sl_chart_unit u);

#define SL_CHART_LABEL_MAX 32

typedef struct sl_chart_point {
    int64_t at_ms;            /* the (first) snapshot holding the maximum */
    int32_t first_day;        /* the bucket's first day (its own day for a snapshot) */
    int64_t billable;         /* the bucket's highest billable count */
    int64_t snapshots;        /* snapshots in the bucket */
    int64_t over;             /* billable above the seat limit at at_ms; 0 when
                                 not above or no limit applies there */
    char label[SL_CHART_LABEL_MAX]; /* "2026-03-01 12:00:00 UTC", "2026-03-01",
                                 "week of 2026-03-02", "2026-03", "2026",
                                 "2020-2029", "2000-2099" */
} sl_chart_point;

/* Everything the chart draws.  Owned by the caller: sl_chart_series_free(). */
typedef struct sl_chart_series {
    int64_t from_ms, to_ms;   /* the window, inclusive */
    sl_chart_unit unit;
    sl_chart_point *points;   /* oldest first; NULL when count is 0 */
    size_t count;
    int64_t snapshots;        /* snapshots in the window */
    size_t max_index;         /* the first point with the highest count (count > 0) */
    /* the current license (has_license 0: none; strings NULL when absent) */
    int has_license;
    int64_t license_id;
    char *plan;
    char *licensee_name;
    char *licensee_company;
    int32_t starts_on, expires_on;  /* SL_DATE_NONE when absent */
    int64_t seats;            /* SL_COUNT_NONE: unlimited */
    /* the seat limit line: limited seats and a term that meets the window */
    int has_seat_line;
    int64_t seat_from_ms, seat_to_ms;
    size_t over_count;        /* points above the seat limit */
    int64_t over_max;         /* the largest excess, 0 when none */
} sl_chart_series;

/* The series of the chart for opt's window (opt NULL: defaults) from the
 * snapshots, streamed: memory stays bounded by SL_CHART_POINTS_MAX however
 * many snapshots the window holds.  The window is clamped to the years
 * 0001-9999.  SL_EUSAGE when it starts after it ends ("the chart's window
 * starts after it ends: ..."), SL_EUSAGE/SL_ETOOBIG for bad options. */
sl_rc sl_store_chart_series(sl_store *st, const sl_chart_options *opt,
                            sl_chart_series **out, sl_error *err);
void sl_chart_series_free(sl_chart_series *s);

/* The SVG document of a series (a pure function: no ledger, no clock), as
 * a NUL-terminated string the caller frees with sl_free(); *out_len may be
 * NULL.  Valid XML whatever the texts hold (escaped; bytes that are not
 * UTF-8 and characters XML forbids become U+FFFD), presentation attributes
 * only (no <style>, no script: it works under a strict CSP). */
sl_rc sl_chart_render(const sl_chart_series *s, const sl_chart_options *opt,
                      char **out_svg, size_t *out_len, sl_error *err);

/* sl_store_chart_series() then sl_chart_render() with the same options;
 * *out_series (may be NULL) receives the series drawn, owned by the caller. */
sl_rc sl_store_chart(sl_store *st, const sl_chart_options *opt, char **out_svg,
                     size_t *out_len, sl_chart_series **out_series, sl_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SEATLEDGER_H */
