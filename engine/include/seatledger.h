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
 *  - Everything this header declares, and nothing else, is exported from the
 *    shared library: the engine is compiled with hidden visibility and the
 *    declarations below are wrapped in default visibility (checked by the
 *    ctest `exported_symbols`).
 */
#ifndef SEATLEDGER_H
#define SEATLEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility push(default)
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
    SL_ECLOCK,     /* clock safety: the clock is behind the ledger's latest
                    * event, or too far ahead of it (SL_CLOCK_AHEAD_MAX_DAYS) */
    SL_EAUTH,      /* missing, unknown, expired or revoked token */
    SL_EFORBIDDEN, /* valid token without the needed rights */
    SL_EUSAGE,     /* API misuse: bad argument combination */
    SL_ESTORAGE,   /* SQLite or file-system failure */
    SL_ENOMEM,     /* allocation failed */
    SL_EINTERNAL,  /* a library (OpenSSL, ...) failed unexpectedly */
    SL_ETAMPERED,  /* the ledger's hash chain is broken where no admin
                    * acknowledged it (sl_store_ledger_verify): nothing is
                    * appended onto it */
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

/* seatledger's version, "MAJOR.MINOR.PATCH" (the build's project version). */
const char *sl_version(void);

/* ------------------------------------------------------------------------
 * Clock and dates
 * ---------------------------------------------------------------------- */

#define SL_DATE_NONE INT32_MIN
/* An instant that is absent. */
#define SL_TIME_NONE INT64_MIN

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
/* Parse a license date-time the way the gem's DateTime.parse reads keys:
 * YYYY-MM-DD, optionally followed by T (or a space), HH:MM[:SS[.fraction]]
 * and an offset (Z, +HH, +HH:MM, +HHMM or " UTC"; none is UTC), into an
 * instant.  SL_EINVAL when unparseable or impossible. */
sl_rc sl_time_parse_lenient(const char *s, size_t len, int64_t *out_ms);
/* Format days as YYYY-MM-DD into buf (at least 11 bytes). Returns buf. */
char *sl_date_format(int32_t days, char *buf, size_t size);
/* Format an instant as "YYYY-MM-DDTHH:MM:SS.mmmZ" (buf >= 25 bytes). */
char *sl_time_format_rfc3339(int64_t ms, char *buf, size_t size);
/* Format an instant as "YYYY-MM-DD HH:MM:SS UTC" (buf >= 24 bytes), for
 * people. */
char *sl_time_format_utc(int64_t ms, char *buf, size_t size);
/* The same in UTC without the zone suffix, "YYYY-MM-DD HH:MM:SS" (buf >= 20
 * bytes): GitLab's `%Y-%m-%d %H:%M:%S`, the usage CSV's times. */
char *sl_time_format_plain(int64_t ms, char *buf, size_t size);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" (also with a space for T, optional .mmm). */
sl_rc sl_time_parse(const char *s, int64_t *out_ms, sl_error *err);
/* days*86400000 */
int64_t sl_date_to_ms(int32_t days);
int32_t sl_ms_to_date(int64_t ms);
/* Shift a date by whole years (Feb 29 -> Feb 28 like Ruby's Date#<<). */
int32_t sl_date_add_years(int32_t days, int years);

/* ------------------------------------------------------------------------
 * File names
 * ---------------------------------------------------------------------- */

/* 1 when `a` and `b` name the same file: the same inode when both exist,
 * else the same path once their directories are resolved (a file about to
 * be created is compared by the name it will get). */
int sl_path_same(const char *a, const char *b);
/* What `path` is to the ledger at `ledger_path` - "the ledger", "the
 * ledger's rollback journal" (-journal), "the ledger's write-ahead log"
 * (-wal) or "the ledger's shared-memory index" (-shm): SQLite owns all four
 * names, and deletes a journal it finds beside the ledger - or NULL when it
 * is none of them.  The answer is a static string. */
const char *sl_path_ledger_role(const char *ledger_path, const char *path);

/* ------------------------------------------------------------------------
 * Text from untrusted sources, for people
 * ---------------------------------------------------------------------- */

/* A copy of `s` fit for a terminal or a log line: control characters as
 * \t, \n, \r or \xHH (ESC is \x1b, DEL \x7f), bytes that are not UTF-8 as
 * \xHH, C1 controls and bidirectional overrides as \uHHHH; every other
 * character, backslash included, as it is.  Caller frees with sl_free(); NULL
 * when `s` is NULL or memory runs out.  JSON output needs none of this. */
char *sl_text_escape(const char *s);
/* Escape into a buffer, as sl_text_escape() does, and also ' ' as \x20 when
 * flags has SL_ESCAPE_SPACE (a field of a line whose fields are separated
 * by spaces).  Reads at most `len` bytes of `s` (less at a NUL), writes at
 * most `size` bytes to `out`, always NUL-terminated when size > 0, and stops
 * before a character whose escape would not fit.  Returns the number of
 * bytes of `s` consumed (less than the input's length: the output was cut).
 * `s` may be NULL (nothing consumed). */
#define SL_ESCAPE_SPACE 1u
size_t sl_text_escape_to(char *out, size_t size, const char *s, size_t len, unsigned flags);

/* 1 when s[0..n) is well-formed UTF-8 with no NUL byte (no stray or missing
 * continuation byte, overlong form, UTF-16 surrogate or code point beyond
 * U+10FFFF), else 0: the test GitLab applies to every request parameter. */
int sl_text_is_utf8(const char *s, size_t n);

/* ------------------------------------------------------------------------
 * Trusted public keys (in memory) and vendor key pairs
 * ---------------------------------------------------------------------- */

/* Hard caps for untrusted input, named once. */
#define SL_LICENSE_TEXT_MAX   (1024 * 1024)  /* a key's text as received */
#define SL_PAYLOAD_MAX        (256 * 1024)   /* decrypted payload JSON */
#define SL_JSON_DEPTH_MAX     32             /* nesting depth of any JSON */
#define SL_PEM_MAX            (64 * 1024)    /* a PEM file */

typedef struct sl_keyring sl_keyring;

/* A trusted key that accepts license keys in the v2 format only: a key in
 * the GitLab format that verifies with it is refused ("signature: trusted
 * key 'NAME' accepts only v2 license keys ..."). */
#define SL_KEY_REQUIRE_V2 0x1

sl_rc sl_keyring_new(sl_keyring **out, sl_error *err);
void sl_keyring_free(sl_keyring *kr);
/* Parse an SPKI PEM public key ("BEGIN PUBLIC KEY", RSA or Ed25519) and
 * append it; GitLab-format keys try the keys in the order added, v2 keys
 * name theirs by fingerprint.  `name` (may be NULL; copied) is what
 * messages call the key. */
sl_rc sl_keyring_add_pem(sl_keyring *kr, const char *pem, size_t len,
                         const char *name, sl_error *err);
/* The same with flags (SL_KEY_REQUIRE_V2 or 0). */
sl_rc sl_keyring_add_pem_flags(sl_keyring *kr, const char *pem, size_t len,
                               const char *name, unsigned flags, sl_error *err);
size_t sl_keyring_count(const sl_keyring *kr);

/* Generate an RSA key pair (bits: 2048, 3072 or 4096).  Returns PKCS#8 PEM
 * private key and SPKI PEM public key; caller frees both with sl_free(). */
sl_rc sl_keys_generate(int bits, char **private_pem, char **public_pem,
                       sl_error *err);
/* Generate an Ed25519 key pair (signs v2 license keys only), PEM as above. */
sl_rc sl_keys_generate_ed25519(char **private_pem, char **public_pem,
                               sl_error *err);
/* SHA-256 fingerprint of a public key PEM (of its DER SubjectPublicKeyInfo):
 * 64 lowercase hex chars.  It is also the key id a v2 license key names. */
sl_rc sl_key_fingerprint(const char *pem, size_t len, char **out_hex,
                         sl_error *err);
/* The type of a public key PEM into type: "rsa-<bits>" or "ed25519". */
sl_rc sl_key_describe(const char *pem, size_t len, char *type, size_t size,
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
    /* GitLab's cloud-license attributes (the gem reads them as DateTime):
     * a value that does not parse counts as absent, as in the gem. */
    int32_t activated_on;              /* activated_at's calendar date as written;
                                          SL_DATE_NONE if absent */
    int64_t last_synced_at_ms;         /* last_synced_at as an instant (an offset
                                          applied, none meaning UTC); SL_TIME_NONE */
    int64_t key_id;                    /* restrictions.id when an integer (GitLab's
                                          License#license_id); SL_COUNT_NONE */
} sl_license_info;

/* Decode a key's text in either format: the v2 format when the text holds
 * a "BEGIN SEATLEDGER LICENSE" line (armor, container, one signature over
 * the payload by the trusted key the container names), else the GitLab
 * format (boundary, base64, envelope, RSA verify-recover with each trusted
 * key in order, AES-128-CBC), then the payload JSON and its attributes.  On
 * failure err->message names the layer ("armor: ...", "signature: ...").  A
 * decoded key may still be invalid: see sl_license_validate(). */
sl_rc sl_license_decode(const char *text, size_t len, const sl_keyring *kr,
                        sl_license **out, sl_error *err);
/* Build a license from an already decrypted payload JSON (used for stored
 * licenses, whose payload was verified when they were added). */
sl_rc sl_license_from_payload(const char *json, size_t len, sl_license **out,
                              sl_error *err);
void sl_license_free(sl_license *lic);

const sl_license_info *sl_license_get_info(const sl_license *lic);

typedef enum sl_key_format {
    SL_KEY_FORMAT_NONE = 0,   /* built from a stored payload */
    SL_KEY_FORMAT_GITLAB,     /* the gitlab-license gem's format */
    SL_KEY_FORMAT_V2          /* seatledger's signed format (docs/license-format.md) */
} sl_key_format;

/* How a decoded key was made.  Strings are borrowed from the license. */
typedef struct sl_license_origin {
    sl_key_format format;
    const char *format_name;  /* "gitlab", "v2"; NULL for SL_KEY_FORMAT_NONE */
    const char *algorithm;    /* "rsa" (GitLab), "ed25519", "rsa-pss-sha256"; or NULL */
    const char *signer;       /* the trusted key's name, else "key-" and the first 12
                               * hex digits of its fingerprint; NULL when none */
} sl_license_origin;
const sl_license_origin *sl_license_get_origin(const sl_license *lic);
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

/* Encode a payload JSON object (the same attributes as the GitLab format)
 * into a v2 key: the container of docs/license-format.md signed as a whole
 * with `private_pem` (Ed25519, or RSA-PSS-SHA256 with an RSA key) and
 * wrapped in "-----BEGIN SEATLEDGER LICENSE-----" armor, 64 columns, final
 * newline.  Ed25519 output is deterministic.  Caller frees *out_text. */
sl_rc sl_license_encode_v2(const char *payload_json, size_t payload_len,
                           const char *private_pem, size_t private_pem_len,
                           char **out_text, sl_error *err);

/* Encode a plaintext payload JSON object into a key: random AES-128 key and
 * IV, RSA PKCS#1 v1.5 private operation on the AES key, base64 wrapped at 60
 * columns.  `boundary` (e.g. "GitLab") adds BEGIN/END lines; NULL for none.
 * The payload must be a JSON object; it is encrypted byte for byte. */
sl_rc sl_license_encode(const char *payload_json, size_t payload_len,
                        const char *private_pem, size_t private_pem_len,
                        const char *boundary, char **out_text, sl_error *err);

/* ------------------------------------------------------------------------
 * Add-ons in a key (add-ons.md): restrictions.add_on_products
 * ---------------------------------------------------------------------- */

/* The add-ons seatledger knows, index-stable.  Other names in a key are kept
 * in its payload and ignored. */
typedef enum sl_addon {
    SL_ADDON_DUO_PRO = 0,
    SL_ADDON_DUO_ENTERPRISE,
    SL_ADDON_DUO_AMAZON_Q,
    SL_ADDON_DUO_CORE,
    SL_ADDON_COUNT
} sl_addon;

#define SL_ADDON_ENTRIES_MAX 64   /* entries of one add-on in a key */
#define SL_ADDON_XID_MAX     255  /* bytes of a purchase_xid */

/* "duo_pro", "duo_enterprise", "duo_amazon_q", "duo_core" (the key's and the
 * CLI's name); NULL when out of range. */
const char *sl_addon_name(sl_addon a);
/* GitLab's GraphQL enum value: CODE_SUGGESTIONS, DUO_ENTERPRISE,
 * DUO_AMAZON_Q, DUO_CORE; NULL when out of range. */
const char *sl_addon_type_name(sl_addon a);
/* The add-on named `name` (sl_addon_name's spelling); SL_EINVAL "unknown
 * add-on '<name>': use duo_pro, duo_enterprise, duo_amazon_q or duo_core". */
sl_rc sl_addon_parse(const char *name, sl_addon *out, sl_error *err);
/* The GraphQL enum value back to the add-on; SL_EINVAL like sl_addon_parse. */
sl_rc sl_addon_parse_type(const char *type_name, sl_addon *out, sl_error *err);
/* 1 for duo_pro and duo_enterprise, which take seat assignments. */
int sl_addon_seat_assignable(sl_addon a);

/* What a license grants of one add-on on a given day: its active entries
 * (both dates valid, started_on <= day < expires_on) summed up. */
typedef struct sl_addon_grant {
    int64_t quantity;          /* sum of the active entries; 0: not in the license */
    int32_t started_on;        /* earliest active start; SL_DATE_NONE when quantity is 0 */
    int32_t expires_on;        /* latest active expiry (exclusive) */
    const char *purchase_xid;  /* first active entry's that has one (borrowed); NULL */
    int trial;                 /* every active entry is a trial */
} sl_addon_grant;

/* The grant of add-on `a` by `lic` on `day`.  Entries that are malformed
 * (only possible in a key that fails sl_license_validate) count as inactive.
 * Whether the grant is provisioned (cloud licenses only) is the ledger's
 * decision, not this function's. */
void sl_license_addon_grant(const sl_license *lic, sl_addon a, int32_t day,
                            sl_addon_grant *out);
/* restrictions.add_on_products exactly as signed, as compact JSON ("{}" when
 * absent).  Caller frees *out_json. */
sl_rc sl_license_add_on_products_json(const sl_license *lic, char **out_json,
                                      sl_error *err);

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
/* What an answer read from the ledger through `st` depends on: the
 * connection, every commit (this connection's and other processes') and
 * the clock's date.  An answer computed under a stamp is still the answer
 * while a new stamp compares equal: the rule of the engine's own read
 * cache, for callers that keep answers (the GraphQL API's response cache). */
typedef struct sl_store_stamp {
    uint64_t connection;     /* unique in the process, never reused */
    int64_t data_version;
    int64_t commits;
    int32_t date;
} sl_store_stamp;
sl_rc sl_store_stamp_get(sl_store *st, sl_store_stamp *out, sl_error *err);
int sl_store_stamp_equal(const sl_store_stamp *a, const sl_store_stamp *b);

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
    char type[16];       /* "rsa-2048", "ed25519" (sl_key_describe) */
    int require_v2;      /* accepts v2 license keys only */
} sl_trusted_key;

/* Trust a public key.  name NULL -> "key-<first 12 hex of fingerprint>".
 * SL_EEXIST when the name or the key is already trusted. */
sl_rc sl_store_key_trust(sl_store *st, const char *pem, size_t len,
                         const char *name, sl_error *err);
/* sl_store_key_trust() with flags: SL_KEY_REQUIRE_V2 marks the key to
 * accept v2 license keys only.  Given for a key already trusted (under any
 * name; `name` is then ignored), it marks that key instead of failing, and
 * *out_marked (may be NULL) is set; already marked is SL_OK and changes
 * nothing.  The mark is only lifted by untrusting the key. */
sl_rc sl_store_key_trust_flags(sl_store *st, const char *pem, size_t len,
                               const char *name, unsigned flags, int *out_marked,
                               sl_error *err);
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
 * SL_EINVAL for an invalid key, failed checks or an expired key.  The new
 * license's id goes to *out_id (0 on failure) unless out_id is NULL. */
sl_rc sl_store_license_add(sl_store *st, const char *text, size_t len,
                           sl_source source, int64_t *out_id, sl_error *err);
/* Both also provision the add-on purchases from the license that is current
 * afterwards (add-ons.md), in the same transaction. */
sl_rc sl_store_license_delete(sl_store *st, int64_t id, sl_source source,
                              sl_error *err);
/* The dry run of sl_store_license_add(): the same add, every step of it,
 * in a transaction that is rolled back, so nothing at all is written.  The
 * report (caller frees *out_json) says what the add would do:
 *   {"dry_run":true,"valid":bool,"error":<the add's message>|null,
 *    "format":"gitlab"|"v2"|null,"algorithm":...|null,"signed_by":...|null,
 *    "would_be_current":bool|null,"license":<entity without id>|null,
 *    "checks":{"billable_now","seats","seats_allowed","overage_now",
 *              "prior_period":{"from","to","historical_max","seats"}|null,
 *              "trueup_due","trueup_quantity"}|null}
 * plus "add_ons" (what provisioning and a clean-up would do, see
 * docs/cli.md, `license check`).  A refused key is SL_OK with "valid":
 * false; an error is the dry run's own failure (storage, memory). */
sl_rc sl_store_license_check(sl_store *st, const char *text, size_t len,
                             char **out_json, sl_error *err);
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

/* The figures of one stored license at this moment (ledger-rules.md), the
 * same numbers as its license entity. */
typedef struct sl_license_figures {
    int64_t historical_max;
    int64_t maximum_user_count;  /* max(historical_max, active_users) */
    int64_t overage;             /* the entity's: expired ? overage(maximum) : overage(today) */
    int64_t overage_historical;  /* overage(maximum_user_count) at any time (GitLab's
                                    overage_with_historical_max, GraphQL's
                                    usersOverLicenseCount) */
    int64_t user_limit;          /* seats; 0 when unlimited */
    int64_t active_users;        /* daily_billable_users_count */
    int expired;
} sl_license_figures;
sl_rc sl_store_license_figures(sl_store *st, int64_t id, sl_license_figures *out,
                               sl_error *err);

/* One stored license as GitLab's license history shows it (GraphQL's
 * licenseHistoryEntries, subscriptionFutureEntries and currentLicense). */
typedef struct sl_license_entry {
    int64_t id;                  /* the ledger's id */
    int64_t key_id;              /* restrictions.id of the key when an integer, else id */
    const char *type;            /* "online_cloud", "offline_cloud" or "legacy_license" */
    const char *plan;
    const char *licensee_name;   /* NULL when absent (also email, company) */
    const char *licensee_email;
    const char *licensee_company;
    const char *subscription_name;
    int32_t starts_on;           /* SL_DATE_NONE when absent (also the others) */
    int32_t expires_on;
    int32_t block_changes_on;
    int32_t activated_on;        /* the key's activated_at, else the date it was stored */
    int64_t created_at_ms;       /* when it was stored */
    int64_t last_synced_at_ms;   /* the key's last_synced_at; SL_TIME_NONE */
    int64_t seats;               /* restrictions.active_user_count; SL_COUNT_NONE: unlimited */
    int trial;
    int future;                  /* starts after the ledger's today */
} sl_license_entry;

/* Every stored license whose payload parses, in GitLab's history order:
 * newest first by (starts_on, created_at, expires_on), a missing date
 * sorting last, ties by id, newest first.  *out is borrowed from the store
 * (built once and kept until the ledger or the date changes) and valid
 * until the next call into `st`; NULL when *count is 0. */
sl_rc sl_store_license_history(sl_store *st, const sl_license_entry **out, size_t *count,
                               sl_error *err);

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
 * (YYYY-MM-DD), last_duo_activity_on (YYYY-MM-DD: the later of it and the
 * ledger's own record is kept, so an import never moves it back).  An empty
 * value (JSON null) takes the default; an unknown
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

/* --- clock safety ------------------------------------------------------ */

/* Every change of the ledger is an event at one time, and no event is
 * recorded before the ledger's latest time (the newest time it has recorded
 * anywhere), nor more than SL_CLOCK_AHEAD_MAX_DAYS after it unless the
 * admin confirmed the clock (sl_store_clock_confirm): SL_ECLOCK otherwise,
 * with nothing written.  Expiry (of licenses and tokens) is judged on the
 * ledger's today, never before its latest time.  One set-forward clock can
 * move the latest at most this far; a ledger whose latest lies in the
 * future anyway is recovered with sl_store_clock_recover(), an audited
 * event kept forever. */
#define SL_CLOCK_AHEAD_MAX_DAYS 31

/* The ledger's today: the date of max(clock now, its latest time). */
sl_rc sl_store_today(sl_store *st, int32_t *out, sl_error *err);

typedef struct sl_clock_state {
    int64_t now_ms;          /* the clock */
    int has_latest;          /* the ledger has recorded something */
    int64_t latest_ms;       /* its latest time */
    int64_t recoveries;      /* clock recoveries ever recorded */
    int64_t confirmations;   /* clock confirmations ever recorded */
    int64_t last_recovery_ms;                 /* 0 when none */
    int64_t last_recovery_latest_before_ms;   /* the latest it set aside */
} sl_clock_state;
sl_rc sl_store_clock_state(sl_store *st, sl_clock_state *out, sl_error *err);

/* The admin says the clock, more than SL_CLOCK_AHEAD_MAX_DAYS after the
 * ledger's latest event, is right: record that (a clock event and an audit
 * line, "clock.confirm"), which makes now the latest.  *recorded is 0, and
 * nothing written, when the clock is not that far ahead; SL_ECLOCK when it
 * is behind the ledger. */
sl_rc sl_store_clock_confirm(sl_store *st, sl_source source, int *recorded, sl_error *err);
/* Recover a ledger whose latest event lies after now (a clock that was set
 * forward and then corrected): record a recovery at now (a clock event and
 * an audit line, "clock.recover") that sets aside every time recorded
 * before it; they stay in the ledger, visible, and now is the latest again.
 * *recorded is 0, and nothing written, when the latest is not after now. */
sl_rc sl_store_clock_recover(sl_store *st, sl_source source, int *recorded, sl_error *err);

typedef struct sl_clock_event {
    int64_t at_ms;
    int recovery;             /* 1: recovery, 0: confirmation */
    sl_source source;
    int64_t latest_before_ms; /* the ledger's latest just before it */
} sl_clock_event;
/* Clock events with from <= at <= to, oldest first; fn as for
 * sl_store_history(). */
sl_rc sl_store_clock_events(sl_store *st, int64_t from_ms, int64_t to_ms,
                            int (*fn)(void *ud, const sl_clock_event *e), void *ud,
                            sl_error *err);

/* --- the hash chain (docs/trust.md) ------------------------------------ */

/* Every row of the append-only tables (audit log, snapshots, add-on
 * snapshots, seat history, license additions and deletions, clock events,
 * key fingerprints, acknowledged breaks) is chained in the order it was
 * appended: its entry holds SHA-256 over the previous entry's hash, the
 * row's table, id and time, and the SHA-256 of its canonical encoding.
 * Every write first checks the chain's head, that nothing was appended
 * outside it, and the next SL_CHAIN_RECHECK_ROWS entries of a rolling
 * re-verification; on a break no admin acknowledged it refuses with
 * SL_ETAMPERED and writes nothing (clock confirmation and recovery and the
 * acknowledgement itself excepted). */
#define SL_CHAIN_RECHECK_ROWS 128
#define SL_CHAIN_HASH_HEX 65          /* 64 lowercase hex digits and the NUL */
#define SL_CHAIN_BREAKS_LISTED 100    /* breaks a verdict lists; the rest are counted */

typedef enum sl_chain_break_kind {
    SL_CHAIN_CHANGED = 0,  /* a row, or its chain entry, is not what was chained */
    SL_CHAIN_DELETED,      /* a chained row is gone from its table */
    SL_CHAIN_MISSING,      /* chain positions are gone: rows and their entries deleted */
    SL_CHAIN_INSERTED      /* a row of a chained table is not in the chain */
} sl_chain_break_kind;

/* "changed", "deleted", "missing", "inserted". */
const char *sl_chain_break_kind_name(sl_chain_break_kind k);

typedef struct sl_chain_break {
    sl_chain_break_kind kind;
    int64_t position;        /* its chain position (MISSING: the first missing
                              * one); 0 for INSERTED */
    int64_t last_position;   /* MISSING: the last missing one; else = position */
    char table[24];          /* the row's table; "" for MISSING and for an
                              * entry naming no chained table */
    int table_code;          /* the chain's code of that table (docs/trust.md) */
    int64_t row_id;          /* the row's id; 0 for MISSING */
    int64_t at_ms;           /* the row's time as chained or found; 0 unknown */
    int acknowledged;        /* an admin accepted it (sl_store_ledger_accept_break) */
    int64_t acknowledged_at_ms;
} sl_chain_break;

/* One sentence naming the break, for people and for messages:
 * "snapshots row 13 (chain position 57, recorded 2026-03-01T00:00:00.000Z)
 * is missing: it was deleted".  Returns buf (256 bytes hold any). */
char *sl_chain_break_describe(const sl_chain_break *b, char *buf, size_t size);

typedef struct sl_chain_verdict {
    int64_t head_position;             /* entries in the chain; 0 when empty */
    char head_hash[SL_CHAIN_HASH_HEX]; /* the head's hash as stored; 64 zeros when empty */
    int64_t breaks;                    /* breaks found, acknowledged or not */
    int64_t unacknowledged;            /* of those, not acknowledged: 0 means intact */
    sl_chain_break first_unacknowledged; /* valid when unacknowledged > 0 */
    size_t nlisted;                    /* the first breaks, in the order found */
    sl_chain_break listed[SL_CHAIN_BREAKS_LISTED];
    int64_t accepted;                  /* sl_store_ledger_accept_break: acknowledged now */
} sl_chain_verdict;

/* Walk the whole chain in one read transaction: recompute every entry from
 * its row and the entry before, and find every row that is not chained.
 * SL_OK with the verdict (intact or not); an error only when the ledger
 * cannot be read. */
sl_rc sl_store_ledger_verify(sl_store *st, sl_chain_verdict *out, sl_error *err);
/* The admin acknowledges the breaks found now (`ledger verify
 * --accept-break`): one event that records them (chain_breaks, chained
 * like every record, and an audit line "ledger.accept_break"), after which
 * writes are appended again; every later verification still lists them.
 * Writes nothing when there is nothing to acknowledge (out->accepted 0).
 * Subject to the clock check. */
sl_rc sl_store_ledger_accept_break(sl_store *st, sl_source source, sl_chain_verdict *out,
                                   sl_error *err);

/* --- signed usage reports (docs/trust.md) ------------------------------ */

#define SL_REPORT_BYTES_MAX (96 * 1024 * 1024)  /* a report file */
#define SL_REPORT_POSITIONS_MAX 1000000          /* chain positions one report covers */

typedef struct sl_report_options {
    int64_t from_ms, to_ms;   /* the window; both INT64_MIN: the current license's term */
} sl_report_options;

/* What a verified report says (and what sl_store_usage_report wrote). */
typedef struct sl_report_info {
    char instance_id[37];              /* the ledger's instance (a UUID) */
    int64_t generated_at_ms;
    int64_t license_id;
    int64_t from_ms, to_ms;            /* its window */
    int64_t start_position, head_position;
    char head_hash[SL_CHAIN_HASH_HEX];
    int64_t snapshots, add_on_snapshots;  /* rows listed: every one of the window */
    int64_t peak_count, peak_at_ms;    /* the highest billable count listed, and when */
    int64_t restarts;                  /* positions where an acknowledged break restarts the chain */
    int64_t breaks;                    /* acknowledged breaks the report lists */
    char key_sha256[SL_CHAIN_HASH_HEX];  /* SHA-256 of the signing key's SPKI */
} sl_report_info;

/* The signed usage report of the current license: the license key as
 * chained when it was added, the window, every snapshot and add-on
 * snapshot recorded in it with its chain position, the chain's records
 * (table, row id, time and digest of every row) from position 0 to the
 * head, the acknowledged breaks, the instance id; signed with the
 * instance's Ed25519 key.  SL_ENOTFOUND "no current license";
 * SL_ETAMPERED when the chain has a break no admin acknowledged;
 * SL_ETOOBIG beyond SL_REPORT_POSITIONS_MAX.  Writes nothing.  Caller
 * frees *out_json with sl_free(); *out_info (may be NULL) says what it
 * holds. */
sl_rc sl_store_usage_report(sl_store *st, const sl_report_options *o, char **out_json,
                            size_t *out_len, sl_report_info *out_info, sl_error *err);

/* Verify a report offline (no ledger) against the instance's Ed25519
 * public key (SPKI PEM, `keys instance-public --reports`): signed by that
 * key, its records leading from its start to its head, every row it lists
 * matching its record, every snapshot and add-on snapshot of its window
 * listed, its license key the one chained when it was added.  SL_OK with
 * *out (may be NULL); SL_EINVAL with the first reason; SL_ETOOBIG over the
 * limits. */
sl_rc sl_report_verify(const char *json, size_t len, const char *pub_pem, size_t pem_len,
                       sl_report_info *out, sl_error *err);

typedef struct sl_report_extension {
    int64_t rows_added;        /* chain positions after the old head */
    int64_t snapshots_added;   /* of those, snapshots */
    int64_t old_snapshots;     /* the old report's, found unchanged in the new chain */
} sl_report_extension;

/* Both reports verified as by sl_report_verify (messages prefixed "the old
 * report: " or "the new report: "), then that the new one extends the old
 * one: the same instance, a head at or after the old head, a chain passing
 * through the old head with the same hash, the records both cover equal,
 * and no acknowledged break in the old range that the old report did not
 * have.  SL_EINVAL "the new report does not extend the old one: ..."
 * otherwise.  Each out-pointer may be NULL. */
sl_rc sl_report_verify_extends(const char *old_json, size_t old_len, const char *new_json,
                               size_t new_len, const char *pub_pem, size_t pem_len,
                               sl_report_info *old_out, sl_report_info *new_out,
                               sl_report_extension *ext, sl_error *err);

/* --- snapshots (the append-only ledger) -------------------------------- */

typedef struct sl_snapshot {
    int64_t id;
    int64_t recorded_at_ms;
    int64_t billable_user_count;
    sl_source source;
} sl_snapshot;

/* The daily job, in one write transaction (overlapping refreshes queue up
 * and both succeed): count billable users under the current license's plan
 * and append one snapshot, then provision the add-on purchases from the
 * current license, run the seat clean-up (add-ons.md: ineligible, overage,
 * expired) and record one add-on snapshot per active purchase
 * (sl_store_addon_metrics).  SL_ECLOCK under the clock-safety rules above
 * ("clock is behind the ledger: ..." or "clock is N days ahead of ...");
 * nothing at all is written on any failure.  `out` may be NULL. */
sl_rc sl_store_refresh(sl_store *st, sl_source source, sl_snapshot *out,
                       sl_error *err);
/* Snapshots with from <= recorded_at <= to (INT64_MIN/INT64_MAX for open
 * ends), oldest first.  fn returns non-zero to stop; it must not call into
 * the same store (the rows are streamed from an open statement). */
sl_rc sl_store_history(sl_store *st, int64_t from_ms, int64_t to_ms,
                       int (*fn)(void *ud, const sl_snapshot *s), void *ud,
                       sl_error *err);

/* The window the license figures cover by default: the current license's
 * term, from its start date 00:00:00.000 (now minus one year when it has
 * none) to its expiry date 23:59:59.999 (now when it has none); without a
 * current license, the year up to now.  Instants, inclusive. */
sl_rc sl_store_license_term(sl_store *st, int64_t *from_ms, int64_t *to_ms, sl_error *err);

/* Write the usage CSV of ledger-rules.md to `out` (streamed: memory stays
 * flat however many snapshots there are).  It covers the current license's
 * term; SL_ENOTFOUND "no current license" when there is none, because the
 * CSV's license fields would be empty (GitLab fails on that case too).
 * SL_ESTORAGE when writing to `out` fails. */
sl_rc sl_store_usage_export(sl_store *st, FILE *out, sl_error *err);

/* Format n with thousands separators ("1,234,567", "-5") into buf; 28 bytes
 * hold any int64_t.  Returns buf. */
char *sl_format_count(int64_t n, char *buf, size_t size);

/* One active add-on purchase in `seatledger status`. */
typedef struct sl_status_addon {
    sl_addon add_on;
    int64_t quantity;
    int64_t assigned;
    int32_t expires_on;           /* exclusive */
    int64_t days_left;            /* expires_on - today */
} sl_status_addon;

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
    int32_t today;                /* the ledger's today (sl_store_today) */
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
    sl_clock_state clock;         /* the clock against the ledger's latest */
    struct sl_status_addon *addons; /* active purchases, by id */
    size_t addon_count;
    char **notices;               /* human sentences */
    size_t notice_count;
} sl_status;

sl_rc sl_store_status(sl_store *st, sl_status *out, sl_error *err);
void sl_status_free(sl_status *s);

/* The admin console's banners (console.md), GitLab's rules over a filled
 * status; the console says them in GitLab's words.
 * Seats (GitLab's SeatAlert::AdminComponent): remaining = seats - today's
 * billable count; OVERAGE when remaining < 0, REACHED when 0, THRESHOLD when
 * remaining > 0 is within the seat threshold of ledger-rules.md; none
 * without a current license, for unlimited seats and for subscriptions of
 * SL_BANNER_SMALL_SEATS seats or fewer.
 * Expiry (GitLab's ExpiringSubscriptionMessage for an admin): EXPIRING from
 * the expiry date minus 15 days (7 for a trial), EXPIRED once expired and
 * for SL_BANNER_EXPIRED_DAYS days after the expiry date; none while a
 * future-dated license waits, nor without an expiry date. */
#define SL_BANNER_SMALL_SEATS 2
#define SL_BANNER_EXPIRED_DAYS 30
typedef enum sl_seat_banner {
    SL_SEAT_BANNER_NONE = 0,
    SL_SEAT_BANNER_THRESHOLD,   /* "approaching its seat limit" */
    SL_SEAT_BANNER_REACHED,     /* "has reached its seat limit" */
    SL_SEAT_BANNER_OVERAGE      /* "has exceeded its seat limit" */
} sl_seat_banner;
typedef enum sl_expiry_banner {
    SL_EXPIRY_BANNER_NONE = 0,
    SL_EXPIRY_BANNER_EXPIRING,
    SL_EXPIRY_BANNER_EXPIRED
} sl_expiry_banner;
typedef struct sl_banners {
    sl_seat_banner seat;
    int64_t seats_total;        /* the license's seats (seat banner only) */
    int64_t seats_used;         /* today's billable count */
    int64_t seats_over;         /* used - total when over, else 0 */
    sl_expiry_banner expiry;
    int32_t expires_on;
    int32_t block_changes_on;   /* SL_DATE_NONE when the license has none */
    int block_changes;          /* today >= block_changes_on */
    int64_t days_to_renew;      /* EXPIRED: days to block_changes_on; EXPIRING: days to
                                   expires_on; never negative */
} sl_banners;
/* Fill *out from a status of sl_store_status() (a pure function). */
void sl_status_banners(const sl_status *s, sl_banners *out);

/* --- add-on purchases and seats (add-ons.md) --------------------------- */

/* An add-on purchase record, provisioned from the current cloud license.
 * One record serves the Duo tier (duo_pro, duo_enterprise, duo_amazon_q;
 * updated in place, add-on included) and one duo_core; records are never
 * deleted, an add-on that leaves the license is expired. */
typedef struct sl_addon_purchase {
    int64_t id;              /* GraphQL: gid://gitlab/GitlabSubscriptions::AddOnPurchase/<id> */
    sl_addon add_on;
    int64_t quantity;        /* purchased seats */
    int64_t assigned;        /* seats assigned now */
    int32_t started_on;
    int32_t expires_on;      /* exclusive: on that date the add-on is off */
    char *purchase_xid;      /* NULL when none */
    int trial;
    int active;              /* started_on <= today < expires_on (ledger's today) */
} sl_addon_purchase;

/* Every purchase record, by id.  *out is NULL when there are none.  Free
 * with sl_addon_purchases_free(). */
sl_rc sl_store_addon_purchases(sl_store *st, sl_addon_purchase **out, size_t *count,
                               sl_error *err);
void sl_addon_purchases_free(sl_addon_purchase *p, size_t count);
/* One record by id, or the record that holds add-on `a` now (by name: after
 * an upgrade duo_pro no longer names the Duo record).  SL_ENOTFOUND "no
 * purchase of <add-on>" / "no add-on purchase with id N".  Free the fields
 * with sl_addon_purchase_clear(). */
sl_rc sl_store_addon_purchase_get(sl_store *st, int64_t id, sl_addon_purchase *out,
                                  sl_error *err);
sl_rc sl_store_addon_purchase_find(sl_store *st, sl_addon a, sl_addon_purchase *out,
                                   sl_error *err);
void sl_addon_purchase_clear(sl_addon_purchase *p);

/* What one refresh recorded per active purchase (Seat Link add_on_metrics). */
typedef struct sl_addon_metric {
    sl_addon add_on;
    int64_t purchase_id;
    int64_t purchased_seats;
    int64_t assigned_seats;
} sl_addon_metric;
/* The add-on snapshots of the refresh that recorded snapshot `snapshot_id`
 * (sl_snapshot.id), by purchase id; *out NULL when none.  Caller frees *out
 * with sl_free(). */
sl_rc sl_store_addon_metrics(sl_store *st, int64_t snapshot_id, sl_addon_metric **out,
                             size_t *count, sl_error *err);

/* The refusals of add-ons.md, returned verbatim (the CLI prints them, GraphQL
 * returns them in `errors`). */
typedef enum sl_seat_error {
    SL_SEAT_OK = 0,
    SL_SEAT_NO_SEATS_AVAILABLE,
    SL_SEAT_ASSIGNMENT_NOT_SUPPORTED,
    SL_SEAT_INVALID_USER_MEMBERSHIP,
    SL_SEAT_INCOMPATIBLE_ADD_ON,
    SL_SEAT_INVALID_USER_ID_PRESENT,
    SL_SEAT_NOT_ENOUGH_SEATS,
    SL_SEAT_NO_ASSIGNMENTS_FOUND,
    SL_SEAT_ERROR_COUNT
} sl_seat_error;
/* "NO_SEATS_AVAILABLE", ...; "" for SL_SEAT_OK; NULL when out of range. */
const char *sl_seat_error_name(sl_seat_error e);

#define SL_SEATS_BULK_MAX 100   /* user ids in one bulk call (100 allowed) */
#define SL_SEAT_ACTOR_MAX 64    /* bytes of an actor name */
#define SL_MSG_SEAT_NOT_FOUND \
    "The resource that you are attempting to access does not exist or you don't " \
    "have permission to perform this action"
#define SL_MSG_BULK_ASSIGN_MAX \
    "The number of users to be assigned in a single API call should be less than 100."
#define SL_MSG_BULK_UNASSIGN_MAX \
    "The number of users to be unassigned in a single API call should be less than 100."

/* What happened to each user of an assignment call. */
typedef enum sl_seat_outcome {
    SL_SEAT_REFUSED = 0,   /* the call was refused: nothing changed */
    SL_SEAT_CHANGED,       /* assigned / unassigned now */
    SL_SEAT_UNCHANGED,     /* already assigned / held no seat */
    SL_SEAT_SKIPPED        /* bulk assign: not eligible */
} sl_seat_outcome;

/* Assign the directory users `user_ids` (n of them) a seat of purchase
 * `purchase_id`, by the rules of add-ons.md, in one write transaction (the
 * seat count is read inside it: concurrent assigners never exceed the
 * quantity).  `bulk` 0 applies the single-user rules (n must be 1), 1 the
 * bulk rules (all or nothing).  `actor` (1 to SL_SEAT_ACTOR_MAX bytes: a token
 * name, "cli", ...) goes into the seat history.  `outcomes` (n entries, may
 * be NULL) receives each user's outcome.
 *   SL_OK: done (*out_error SL_SEAT_OK);
 *   SL_EINVAL with *out_error set and err->message "<CODE>: <why>" when a
 *     rule refuses (nothing written);
 *   SL_ENOTFOUND, message SL_MSG_SEAT_NOT_FOUND: unknown or inactive
 *     purchase, or a user id that is not in the directory;
 *   SL_EINVAL (*out_error SL_SEAT_OK): more than SL_SEATS_BULK_MAX ids
 *     (SL_MSG_BULK_ASSIGN_MAX), no ids, an id given twice, a bad actor. */
sl_rc sl_store_seats_assign(sl_store *st, int64_t purchase_id, const char *const *user_ids,
                            size_t n, int bulk, const char *actor, sl_seat_outcome *outcomes,
                            sl_seat_error *out_error, sl_error *err);
/* The same for removing seats: single, a user without a seat is a no-op;
 * bulk (SL_MSG_BULK_UNASSIGN_MAX), NO_ASSIGNMENTS_FOUND when none of the ids
 * holds a seat, else those that do lose it.  A user no longer in the
 * directory who still holds a seat can be unassigned. */
sl_rc sl_store_seats_unassign(sl_store *st, int64_t purchase_id,
                              const char *const *user_ids, size_t n, int bulk,
                              const char *actor, sl_seat_outcome *outcomes,
                              sl_seat_error *out_error, sl_error *err);

/* Resolve user references (a directory id, else a username) to directory
 * ids: one indexed lookup per id and one pass over the directory for all
 * usernames.  out_ids[i] is a copy owned by the caller (sl_free each), NULL
 * for a reference that matches nobody.  SL_EINVAL when a username matches
 * several users ("username 'x' is ambiguous: use the id"). */
sl_rc sl_store_users_resolve(sl_store *st, const char *const *refs, size_t n,
                             char **out_ids, sl_error *err);

/* Sort orders of the eligible-user list (GraphQL GitlabSubscriptionsUserSort;
 * "name" is the username, the directory having no display name). */
typedef enum sl_seat_sort {
    SL_SEAT_SORT_ID_ASC = 0,
    SL_SEAT_SORT_ID_DESC,
    SL_SEAT_SORT_NAME_ASC,
    SL_SEAT_SORT_NAME_DESC,
    SL_SEAT_SORT_LAST_ACTIVITY_ON_ASC,
    SL_SEAT_SORT_LAST_ACTIVITY_ON_DESC,
    SL_SEAT_SORT_COUNT
} sl_seat_sort;

#define SL_SEAT_SEARCH_MAX 256  /* bytes of a search string */

/* Which users to list.  Zero-initialised: every directory user by id, no
 * purchase (nobody assigned). */
typedef struct sl_seat_query {
    int64_t purchase_id;     /* whose assignments `assigned` reports; 0: none */
    int eligible_only;       /* only users eligible for a seat */
    int assigned;            /* 0 any, 1 only assigned, -1 only unassigned */
    const char *search;      /* case-insensitive substring of username or email; NULL */
    sl_seat_sort sort;
    /* keyset paging: continue after this row (both NULL: from the start);
     * `after_key` is the sl_seat_user.cursor of the last row seen */
    const char *after_key;
    size_t limit;            /* rows at most; 0: all */
    /* only these directory ids (nids of them, at most SL_SEATS_BULK_MAX);
     * ids NULL: every user */
    const char *const *ids;
    size_t nids;
} sl_seat_query;

typedef struct sl_seat_user {
    const char *id;
    const char *username;
    const char *email;                 /* NULL when none */
    const char *state;
    const char *user_type;
    int eligible;
    int assigned;                      /* holds a seat of q->purchase_id */
    const char *last_activity_on;      /* YYYY-MM-DD or NULL */
    const char *last_duo_activity_on;  /* YYYY-MM-DD or NULL */
    const char *cursor;                /* opaque: pass as after_key to continue */
} sl_seat_user;

/* Calls fn for each directory user that q selects, in q->sort order (ties
 * by id).  The strings live until fn returns; fn returns non-zero to stop
 * and must not call into `st`.  SL_EINVAL for a bad query (search too long,
 * bad cursor, more than SL_SEATS_BULK_MAX ids), SL_ENOTFOUND for an unknown
 * purchase id. */
sl_rc sl_store_seat_users_each(sl_store *st, const sl_seat_query *q,
                               int (*fn)(void *ud, const sl_seat_user *u), void *ud,
                               sl_error *err);
/* The number of users q selects (paging ignored). */
sl_rc sl_store_seat_users_count(sl_store *st, const sl_seat_query *q, int64_t *out,
                                sl_error *err);

/* One row of the append-only seat history. */
typedef struct sl_seat_event {
    int64_t at_ms;
    const char *add_on;       /* the purchase's add-on at the time */
    int64_t purchase_id;
    const char *user_id;
    const char *username;
    const char *event;        /* assigned | unassigned | removed */
    const char *reason;       /* removed: expired | ineligible | overage; else NULL */
    const char *actor;        /* token name, "cli" or "system" */
} sl_seat_event;
/* Seat history rows with from <= at <= to, oldest first; add_on NULL for
 * every add-on.  fn as for sl_store_history. */
sl_rc sl_store_seat_history(sl_store *st, const char *add_on, int64_t from_ms, int64_t to_ms,
                            int (*fn)(void *ud, const sl_seat_event *e), void *ud,
                            sl_error *err);

/* Code Suggestions entitlement (code-suggestions.md step 3): the
 * seat-assignable add-on of an active purchase that `user_id` holds a seat
 * of; SL_ENOTFOUND when none.  Eligibility is the caller's first check
 * (sl_seat_user.eligible). */
sl_rc sl_store_seat_entitlement(sl_store *st, const char *user_id, sl_addon *out,
                                sl_error *err);
/* Record today (the ledger's) as the user's last Duo activity: at most one
 * write a day (*out_written 0 when it was already today; may be NULL).
 * SL_ENOTFOUND when the user is not in the directory. */
sl_rc sl_store_user_duo_activity(sl_store *st, const char *user_id, int *out_written,
                                 sl_error *err);

/* --- API tokens -------------------------------------------------------- */

#define SL_TOKEN_NAME_MAX   64    /* a name is 1-64 of [A-Za-z0-9._-] */
#define SL_TOKEN_SECRET_MAX 256   /* longer presented secrets are refused unhashed */

typedef struct sl_token_info {
    char *name;
    int admin;
    int32_t expires_on;     /* SL_DATE_NONE when it never expires */
    int64_t created_at_ms;
    int64_t revoked_at_ms;  /* 0 when active */
    char *user_id;          /* the bound directory user; NULL when unbound */
    char *username;         /* that user's username now; NULL when unbound or
                               no longer in the directory */
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
/* Create a token bound to the directory user `user_id` (code-suggestions.md):
 * it acts for that user, is never an admin token, and stops working when the
 * user leaves the directory.  SL_ENOTFOUND "no user with id '<id>'" when the
 * user is not in the directory; otherwise as sl_store_token_create (the
 * audit line names the user id). */
sl_rc sl_store_user_token_create(sl_store *st, const char *name, const char *user_id,
                                 int32_t expires_on, char **out_secret, sl_error *err);
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

/* Who a valid token acts for. */
typedef struct sl_token_auth {
    int admin;
    int bound;                              /* user_id names the acting user */
    char name[SL_TOKEN_NAME_MAX + 1];
    char user_id[SL_USER_FIELD_MAX + 1];    /* "" when not bound */
} sl_token_auth;
/* Authenticate a presented secret: SL_OK with *out filled for any valid
 * token, admin or not; SL_EAUTH for an unknown, revoked or expired token and
 * for a bound token whose user is no longer in the directory.  One indexed
 * lookup; compared in constant time as sl_store_token_check. */
sl_rc sl_store_token_authenticate(sl_store *st, const char *secret, size_t len,
                                  sl_token_auth *out, sl_error *err);

/* ------------------------------------------------------------------------
 * The instance identity (code-suggestions.md)
 *
 * Every ledger has one, made with it (existing ledgers get it when
 * migrated): a UUID (GitLab's instance_id), a secret salt for the anonymous
 * user ids, an Ed25519 key pair (usage reports) and an RSA-2048 key pair
 * that signs the direct-access JWTs (RS256: Debian's libjwt 1.10 has no
 * EdDSA).  The RSA pair is made the first time it is needed (see
 * sl_store_instance_prepare).  Private keys never leave the engine.
 * ---------------------------------------------------------------------- */

#define SL_INSTANCE_UUID_LEN   36   /* 8-4-4-4-12 lowercase hex */
#define SL_GLOBAL_USER_ID_LEN  44   /* base64 of a SHA-256 */
#define SL_ACCESS_TOKEN_TTL_S  3600 /* a direct-access JWT's lifetime */

typedef enum sl_instance_key {
    SL_INSTANCE_KEY_JWT = 0,   /* RSA-2048: verifies the direct-access JWTs */
    SL_INSTANCE_KEY_REPORTS    /* Ed25519: verifies signed usage reports */
} sl_instance_key;

/* The instance's UUID into out. */
sl_rc sl_store_instance_id(sl_store *st, char out[SL_INSTANCE_UUID_LEN + 1], sl_error *err);
/* Make the JWT key pair if the ledger has none yet (an RSA-2048 generation,
 * a tenth to a third of a second; audited as "instance.jwt_key").  Called by
 * whatever needs the key first: `keys instance-public`, which the admin runs
 * to hand the key to the gateway, or else the first direct-access token. */
sl_rc sl_store_instance_prepare(sl_store *st, sl_error *err);
/* The SPKI PEM public key of `which` (the JWT key is made when missing).
 * Caller frees *out_pem with sl_free(). */
sl_rc sl_store_instance_public_key(sl_store *st, sl_instance_key which, char **out_pem,
                                   sl_error *err);
/* GitLab's global_user_id of a directory user: base64 of SHA-256 over the
 * instance id, the user id and the instance's secret salt (stable per
 * ledger, and not computable from the two ids alone). */
sl_rc sl_store_global_user_id(sl_store *st, const char *user_id,
                              char out[SL_GLOBAL_USER_ID_LEN + 1], sl_error *err);
/* A direct-access JWT for `user_id`, RS256 with the instance's JWT key
 * (header kid: the first 16 hex digits of the key's SPKI SHA-256), claims
 * iss (instance id), sub (global user id), aud "gitlab-ai-gateway", iat
 * (the clock), exp (iat + SL_ACCESS_TOKEN_TTL_S), gitlab_realm
 * "self-managed", scopes ["code_suggestions"].  Caller frees *out_jwt with
 * sl_free(); *out_exp receives exp. */
sl_rc sl_store_access_token(sl_store *st, const char *user_id, char **out_jwt,
                            int64_t *out_exp, sl_error *err);

/* ------------------------------------------------------------------------
 * Instance settings (code-suggestions.md)
 * ---------------------------------------------------------------------- */

typedef enum sl_setting {
    SL_SETTING_DUO_FEATURES_ENABLED = 0,
    SL_SETTING_DUO_CORE_FEATURES_ENABLED,
    SL_SETTING_DIRECT_CODE_SUGGESTIONS,
    SL_SETTING_COUNT
} sl_setting;

/* "duo_features_enabled", ...; NULL when out of range. */
const char *sl_setting_name(sl_setting s);

typedef struct sl_setting_value {
    sl_setting setting;
    int value;          /* 1 on, 0 off */
    int locked;         /* the instance value wins over every group and project */
    int is_default;     /* never set: on */
} sl_setting_value;

/* Every setting, in enum order, into out[SL_SETTING_COUNT]. */
sl_rc sl_store_settings(sl_store *st, sl_setting_value out[SL_SETTING_COUNT], sl_error *err);
/* Set `name` to `value` ("true"/"false", also on/off, yes/no, 1/0), locked
 * or not (only duo_features_enabled can be locked: SL_EINVAL for the
 * others).  SL_EINVAL "unknown setting '<name>': use ..." or "invalid value
 * '<v>' for <name>: use true or false".  One transaction with an audit line
 * "settings.set" ("<name>: <old> -> <new>[, locked]"). */
sl_rc sl_store_setting_set(sl_store *st, const char *name, const char *value, int lock,
                           sl_error *err);

/* ------------------------------------------------------------------------
 * The project directory (code-suggestions.md)
 * ---------------------------------------------------------------------- */

#define SL_PROJECT_PATH_MAX  1024  /* bytes of a path (the field limit too) */
#define SL_PROJECT_DEPTH_MAX 21    /* segments: 20 nested groups and a project */

/* Import the host's projects and groups from `in`, streamed and all or
 * nothing like sl_store_users_import (same limits, same "line N: reason"
 * messages, "projects.import" audit line).  Columns: path (required,
 * unique: segments of [A-Za-z0-9_.-] joined by '/', not starting or ending
 * with '/', at most SL_PROJECT_DEPTH_MAX), kind (project (default) or
 * group), duo_features_enabled (true/false or empty: inherit), locked
 * (true/false, default false).  JSON booleans are taken for the last two.
 * `prune` removes what the file lacks. */
sl_rc sl_store_projects_import(sl_store *st, FILE *in, sl_user_format format, int prune,
                               sl_import_stats *stats, sl_error *err);

typedef struct sl_project {
    const char *path;
    const char *kind;             /* "project" or "group" */
    int duo_features_enabled;     /* 1, 0, or -1: inherit */
    int locked;
    int effective;                /* the cascade's answer for this path */
} sl_project;
/* Calls fn for each project and group by path (bytewise); the strings live
 * until fn returns; fn returns non-zero to stop and must not use st. */
sl_rc sl_store_projects_each(sl_store *st, int (*fn)(void *ud, const sl_project *p),
                             void *ud, sl_error *err);
/* Duo features for the project at `path` by the cascade: instance, then each
 * group prefix, then the project; the most specific non-empty value wins,
 * but a locked value wins over everything below it.  *out_enabled 1 or 0.
 * SL_ENOTFOUND when the path is empty, malformed or not a known project (a
 * group is not one). */
sl_rc sl_store_project_duo_enabled(sl_store *st, const char *path, int *out_enabled,
                                   sl_error *err);

/* ------------------------------------------------------------------------
 * Code Suggestions entitlement (code-suggestions.md)
 * ---------------------------------------------------------------------- */

/* Why a user is or is not entitled, in the spec's order (the first that
 * applies). */
typedef enum sl_entitlement_reason {
    SL_ENT_INSTANCE_OFF = 0,     /* duo_features_enabled is off */
    SL_ENT_NO_USER,              /* no acting user (an admin token without sudo) */
    SL_ENT_NOT_IN_DIRECTORY,
    SL_ENT_NOT_ELIGIBLE,         /* state or user_type (add-ons.md) */
    SL_ENT_SEAT,                 /* allowed: a seat of an active duo_pro/duo_enterprise */
    SL_ENT_AMAZON_Q,             /* allowed: an active duo_amazon_q purchase */
    SL_ENT_DUO_CORE,             /* allowed: an active duo_core purchase, setting on */
    SL_ENT_DUO_CORE_OFF,         /* denied: duo_core active, duo_core_features_enabled off */
    SL_ENT_NONE,                 /* denied: nothing grants it */
    SL_ENT_REASON_COUNT
} sl_entitlement_reason;

#define SL_ENTITLEMENT_DETAIL_MAX 160

typedef struct sl_entitlement {
    int allowed;
    sl_entitlement_reason reason;
    sl_addon add_on;                 /* the enabling add-on when allowed */
    const char *enablement_type;     /* "duo_pro", ... or "" when denied (static) */
    char detail[SL_ENTITLEMENT_DETAIL_MAX]; /* one line for `seats check` */
} sl_entitlement;

/* "instance_off", "no_user", "not_in_directory", "not_eligible", "seat",
 * "amazon_q", "duo_core", "duo_core_off", "none"; NULL when out of range. */
const char *sl_entitlement_reason_name(sl_entitlement_reason r);
/* May `user_id` (NULL: no acting user) use Code Suggestions, and through
 * which add-on?  Reads only: the settings, the user's row, the user's seats
 * and the active purchases (indexed lookups).  SL_OK with *out filled,
 * allowed or not; an error only when the ledger cannot be read. */
sl_rc sl_store_code_suggestions_entitlement(sl_store *st, const char *user_id,
                                            sl_entitlement *out, sl_error *err);

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

/* ------------------------------------------------------------------------
 * Notifications (engine/notify/)
 * ---------------------------------------------------------------------- */

/* The conditions `status` reports become events when they get worse:
 * seats.threshold, seats.reached, seats.exceeded, license.expiring,
 * license.expired, snapshot.missing, addon.seats_full and addon.expiring.  Each fires once per change, whoever looks (cron or
 * the server); the ledger records every event and, per target, whether it
 * was delivered.  A target names where events go, "exec:CMD" or
 * "mail:ADDRESS"; delivering is the caller's business (the CLI runs the
 * command or sendmail), the engine only keeps the books. */

#define SL_NOTIFY_TARGET_MAX 4096   /* bytes of one target */
#define SL_NOTIFY_TARGETS_MAX 64    /* targets of one check */
#define SL_NOTIFY_BATCH_MAX 100     /* events handed out by one claim */

typedef struct sl_notify_event {
    int64_t id;
    char *event;           /* "seats.threshold", ... */
    int64_t fired_at_ms;
    char *document;        /* the event as one JSON object (docs/operations.md) */
    char *mail_subject;    /* one line: GitLab's subject where it has one */
    char *mail_text;       /* plain-text body: what happened, the licensee, the figures */
    int attempt;           /* claims only: this delivery attempt, 1 for the first */
    char *last_error;      /* claims only: why the previous attempt failed, or NULL */
} sl_notify_event;

/* Frees the strings of each event and the array; accepts NULL. */
void sl_notify_events_free(sl_notify_event *events, size_t count);

/* In one write transaction: register `targets` (a target named for the
 * first time is owed the events fired from this check on), look at the
 * ledger as `status` does and record an event for every condition that got
 * worse since the last check.  Concurrent checks record each event once.
 * *out receives the events this check recorded, oldest first (NULL and 0
 * when none; free with sl_notify_events_free()).  SL_EINVAL for an empty
 * target, one with a control character, or more than SL_NOTIFY_TARGETS_MAX;
 * SL_ETOOBIG for one over SL_NOTIFY_TARGET_MAX.  On failure nothing is
 * written. */
sl_rc sl_store_notify_check(sl_store *st, const char *const *targets, size_t ntargets,
                            sl_notify_event **out, size_t *count, sl_error *err);

/* Take up to SL_NOTIFY_BATCH_MAX events owed to `target` (registered by a
 * check, not yet delivered to it, not held by another run), oldest first,
 * and hold them for hold_ms so a concurrent run leaves them alone.  Report
 * each with sl_store_notify_done(); one that is not reported is owed again
 * once the hold ends.  SL_ENOTFOUND when no check registered the target. */
sl_rc sl_store_notify_claim(sl_store *st, const char *target, int64_t hold_ms,
                            sl_notify_event **out, size_t *count, sl_error *err);

/* The outcome of delivering a claimed event to `target`: error NULL when it
 * was delivered, else why not (kept, shown by the next claim).  A failed
 * delivery stays owed and is claimed again by the next run. */
sl_rc sl_store_notify_done(sl_store *st, int64_t event_id, const char *target,
                           const char *error, sl_error *err);

/* How many events are owed to `target` and not yet delivered (0 for a
 * target no check registered). */
sl_rc sl_store_notify_owed(sl_store *st, const char *target, int64_t *out,
                           sl_error *err);

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* SEATLEDGER_H */
