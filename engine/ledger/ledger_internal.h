/*
 * ledger_internal.h - the seams of the ledger modules (ledger.c,
 * add_checks.c, usage_csv.c, status.c): the rules written over plain values
 * so that unit tests can drive them without a stored license.
 */
#ifndef SL_LEDGER_INTERNAL_H
#define SL_LEDGER_INTERNAL_H

#include "internal.h"

/* Inclusive ms bounds of a day: [d 00:00:00.000, d 23:59:59.999]. */
int64_t sl__day_start_ms(int32_t day);
int64_t sl__day_end_ms(int32_t day);
/* The same instant one calendar year earlier (Feb 29 -> Feb 28). */
int64_t sl__ms_minus_year(int64_t ms);

/* max(clock now, newest snapshot): "now" that never runs behind the ledger. */
sl_rc sl__ledger_now(sl_store *st, int64_t *out_ms, sl_error *err);

/* The default historical-max window of a license term: from its start date
 * 00:00:00.000 (or now minus one year) to its expiry date 23:59:59.999 (or
 * now).  Dates may be SL_DATE_NONE. */
void sl__ledger_window(int32_t starts_on, int32_t expires_on, int64_t now_ms,
                       int64_t *from_ms, int64_t *to_ms);

/* overage(n) of ledger-rules.md; seats < 0 means unrestricted (nil). */
int64_t sl__overage(int64_t n, int64_t seats);

/* sl__ledger_figures over decoded attributes: `expired` is the license's
 * expiry state on the clock-safe today. */
sl_rc sl__ledger_figures_info(sl_store *st, const sl_license_info *inf, int expired,
                              sl_license_figures *out, sl_error *err);

/* sl__add_checks over decoded attributes; current may be NULL. */
sl_rc sl__add_checks_info(sl_store *st, const sl_license_info *lic,
                          const sl_license_info *current, sl_error *err);

/* "1 user", "0 users", "1,234 users" into buf (at least 40 bytes). */
char *sl__count_users(int64_t n, char *buf, size_t size);

/* What the usage CSV says about the license above its rows. */
typedef struct sl_usage_head {
    const char *key_text;      /* stored key text, as received */
    size_t key_len;
    const char *email;         /* NULL: empty cell */
    const char *company;
    int32_t starts_on;         /* SL_DATE_NONE: empty cell */
    int32_t expires_on;
    int64_t generated_at_ms;
} sl_usage_head;

/* The usage CSV for `head`, rows over the window of its term, streamed. */
sl_rc sl__usage_csv_write(sl_store *st, FILE *out, const sl_usage_head *head,
                          sl_error *err);

/* The notices of `seatledger status` from a filled status (everything but
 * the notices) and the clock-safe now; appended to s->notices. */
sl_rc sl__status_notices(sl_status *s, int64_t now_ms, sl_error *err);

#endif /* SL_LEDGER_INTERNAL_H */
