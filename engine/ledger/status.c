/*
 * status.c - the morning summary of `seatledger status`: the current
 * license, its seats and figures, and the notices an admin must act on
 * (expiry and block-changes windows, seat threshold, overage, a waiting
 * future-dated license, a stale ledger, a clock behind or far ahead of the
 * ledger, and every clock recovery ever made).
 */
#include "ledger/ledger_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL
/* ledger-rules.md: admins are warned this many days before expiry */
#define WARN_DAYS 15
#define WARN_DAYS_TRIAL 7
/* a daily refresh that has not run for longer than this is reported */
#define STALE_MS (2 * MS_PER_DAY)
#define CLOCK_AHEAD_MAX_MS ((int64_t)SL_CLOCK_AHEAD_MAX_DAYS * MS_PER_DAY)
#define NOTICE_MAX 256

sl_rc sl__status_notice(sl_status *s, sl_error *err, const char *fmt, ...)
{
    char text[NOTICE_MAX];
    char **grown, *copy;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    copy = sl__strdup(text);
    grown = realloc(s->notices, (s->notice_count + 1) * sizeof *grown);
    if (!copy || !grown) {
        free(copy);
        if (grown)
            s->notices = grown;
        return sl__err(err, SL_ENOMEM, "out of memory");
    }
    s->notices = grown;
    s->notices[s->notice_count++] = copy;
    return SL_OK;
}

/* ledger-rules.md's seat threshold: used >= seats, or few seats remaining
 * (1 up to 15 seats, 2 up to 25, then 10 %, 8 %, 5 % of seats). */
static int seat_threshold_reached(int64_t seats, int64_t used)
{
    int64_t remaining = seats - used, pct;
    if (used >= seats)
        return 1;
    if (seats <= 15)
        return remaining <= 1;
    if (seats <= 25)
        return remaining <= 2;
    pct = seats <= 99 ? 10 : seats <= 999 ? 8 : 5;
    /* remaining <= seats * pct / 100 without overflowing seats * pct */
    return remaining <= seats / 100 * pct + seats % 100 * pct / 100;
}

void sl_status_banners(const sl_status *s, sl_banners *out)
{
    int64_t warn = s->trial ? WARN_DAYS_TRIAL : WARN_DAYS;
    memset(out, 0, sizeof *out);
    out->expires_on = out->block_changes_on = SL_DATE_NONE;
    if (!s->has_license)
        return;
    if (s->seats > SL_BANNER_SMALL_SEATS) {
        int64_t remaining = s->seats - s->daily_billable;
        out->seats_total = s->seats;
        out->seats_used = s->daily_billable;
        if (remaining < 0) {
            out->seat = SL_SEAT_BANNER_OVERAGE;
            out->seats_over = -remaining;
        } else if (remaining == 0) {
            out->seat = SL_SEAT_BANNER_REACHED;
        } else if (seat_threshold_reached(s->seats, s->daily_billable)) {
            out->seat = SL_SEAT_BANNER_THRESHOLD;
        }
    }
    if (s->expires_on == SL_DATE_NONE || s->has_future_license)
        return;
    out->expires_on = s->expires_on;
    out->block_changes_on = s->block_changes_on;
    out->block_changes = s->block_changes_on != SL_DATE_NONE && s->today >= s->block_changes_on;
    if (s->expired) {
        if ((int64_t)s->expires_on + SL_BANNER_EXPIRED_DAYS <= s->today)
            return;
        out->expiry = SL_EXPIRY_BANNER_EXPIRED;
        if (s->block_changes_on != SL_DATE_NONE && s->block_changes_on > s->today)
            out->days_to_renew = (int64_t)s->block_changes_on - s->today;
    } else if (s->today >= (int64_t)s->expires_on - warn) {
        out->expiry = SL_EXPIRY_BANNER_EXPIRING;
        if (s->expires_on > s->today)
            out->days_to_renew = (int64_t)s->expires_on - s->today;
    }
}

static const char *days_phrase(int64_t n, char *buf, size_t size)
{
    char num[32];
    snprintf(buf, size, "%s %s", sl_format_count(n, num, sizeof num), n == 1 ? "day" : "days");
    return buf;
}

/* The clock against the ledger's latest event, and every recovery ever
 * made (an auditor must see that one happened, and when). */
static sl_rc clock_notices(sl_status *s, sl_error *err)
{
    const sl_clock_state *c = &s->clock;
    char a[32], b[32], n[32];
    sl_rc rc = SL_OK;
    if (c->has_latest && c->now_ms < c->latest_ms)
        rc = sl__status_notice(s, err, "clock is behind the ledger's latest event (%s): nothing can be "
                                "recorded until it is right, or until the ledger is recovered "
                                "with seatledger clock recover",
                        sl_time_format_utc(c->latest_ms, a, sizeof a));
    else if (c->has_latest && c->now_ms - c->latest_ms > CLOCK_AHEAD_MAX_MS)
        rc = sl__status_notice(s, err, "clock is %s days ahead of the ledger's latest event (%s): "
                                "nothing is recorded until the clock is confirmed with "
                                "seatledger clock confirm",
                        sl_format_count((c->now_ms - c->latest_ms) / MS_PER_DAY, n, sizeof n),
                        sl_time_format_utc(c->latest_ms, a, sizeof a));
    if (rc == SL_OK && c->recoveries > 0)
        rc = sl__status_notice(s, err, "the ledger's clock was recovered %s%s, last at %s: its latest "
                                "event had been recorded at %s (see history and the audit log)",
                        c->recoveries == 1 ? "once" : sl_format_count(c->recoveries, n, sizeof n),
                        c->recoveries == 1 ? "" : " times",
                        sl_time_format_utc(c->last_recovery_ms, a, sizeof a),
                        sl_time_format_utc(c->last_recovery_latest_before_ms, b, sizeof b));
    return rc;
}

int sl__status_seat_level(const sl_status *s)
{
    if (!s->has_license || s->seats < 0)
        return SL_SEATS_OK;
    if (s->overage > 0)
        return SL_SEATS_EXCEEDED;
    if (s->daily_billable > s->seats || !seat_threshold_reached(s->seats, s->daily_billable))
        return SL_SEATS_OK;
    return s->daily_billable >= s->seats ? SL_SEATS_REACHED : SL_SEATS_THRESHOLD;
}

int sl__status_expiry_level(const sl_status *s)
{
    int64_t warn = s->trial ? WARN_DAYS_TRIAL : WARN_DAYS;
    if (!s->has_license)
        return SL_EXPIRY_OK;
    if (s->expired)
        return SL_EXPIRY_EXPIRED;
    if (s->expires_on != SL_DATE_NONE && s->today >= (int64_t)s->expires_on - warn)
        return SL_EXPIRY_SOON;
    return SL_EXPIRY_OK;
}

int sl__status_snapshot_stale(const sl_status *s, int64_t now_ms)
{
    return s->snapshots == 0 || now_ms - s->last_snapshot_ms > STALE_MS;
}

void sl__status_seat_sentence(const sl_status *s, int level, char *buf, size_t size)
{
    char n1[32], n2[32], n3[48];
    int64_t used = s->expired ? s->maximum_user_count : s->daily_billable;
    if (level == SL_SEATS_EXCEEDED)
        snprintf(buf, size, "license is over its user limit by %s: %s of %s seats used",
                 sl__count_users(s->overage, n3, sizeof n3), sl_format_count(used, n1, sizeof n1),
                 sl_format_count(s->seats, n2, sizeof n2));
    else
        snprintf(buf, size, "license %s its user limit: %s of %s seats used",
                 level == SL_SEATS_REACHED ? "has reached" : "is nearing",
                 sl_format_count(s->daily_billable, n1, sizeof n1),
                 sl_format_count(s->seats, n2, sizeof n2));
}

void sl__status_expiry_sentence(const sl_status *s, char *buf, size_t size)
{
    char d[16], n3[48];
    if (s->expired)
        snprintf(buf, size, "license expired on %s", sl_date_format(s->expires_on, d, sizeof d));
    else
        snprintf(buf, size, "license expires in %s on %s",
                 days_phrase((int64_t)s->expires_on - s->today, n3, sizeof n3),
                 sl_date_format(s->expires_on, d, sizeof d));
}

void sl__status_snapshot_sentence(const sl_status *s, int64_t now_ms, char *buf, size_t size)
{
    char d[16], n3[48];
    if (s->snapshots == 0)
        snprintf(buf, size, "no snapshot recorded yet: run seatledger refresh");
    else
        snprintf(buf, size, "last snapshot was recorded %s ago on %s: run seatledger refresh",
                 days_phrase((now_ms - s->last_snapshot_ms) / MS_PER_DAY, n3, sizeof n3),
                 sl_date_format(sl_ms_to_date(s->last_snapshot_ms), d, sizeof d));
}

sl_rc sl__status_notices(sl_status *s, int64_t now_ms, sl_error *err)
{
    char d[16], n3[48], text[NOTICE_MAX];
    sl_rc rc = SL_OK;
    int seats;
    if (!s->has_license) {
        rc = sl__status_notice(s, err, "no current license: add one with seatledger license add");
    } else {
        int64_t warn = s->trial ? WARN_DAYS_TRIAL : WARN_DAYS;
        if (sl__status_expiry_level(s) != SL_EXPIRY_OK) {
            sl__status_expiry_sentence(s, text, sizeof text);
            rc = sl__status_notice(s, err, "%s", text);
        }
        if (rc == SL_OK && s->block_changes_on != SL_DATE_NONE) {
            if (s->today >= s->block_changes_on)
                rc = sl__status_notice(s, err, "license has blocked changes since %s",
                                sl_date_format(s->block_changes_on, d, sizeof d));
            else if (s->today >= (int64_t)s->block_changes_on - warn)
                rc = sl__status_notice(s, err, "license blocks changes in %s on %s",
                                days_phrase((int64_t)s->block_changes_on - s->today, n3, sizeof n3),
                                sl_date_format(s->block_changes_on, d, sizeof d));
        }
        /* the status shows one sentence for the threshold, reached or not */
        seats = sl__status_seat_level(s);
        if (rc == SL_OK && seats != SL_SEATS_OK) {
            sl__status_seat_sentence(s, seats == SL_SEATS_EXCEEDED ? seats : SL_SEATS_THRESHOLD,
                                     text, sizeof text);
            rc = sl__status_notice(s, err, "%s", text);
        }
    }
    if (rc == SL_OK && s->has_future_license)
        rc = sl__status_notice(s, err, "license %lld starts on %s", (long long)s->future_license_id,
                        sl_date_format(s->future_starts_on, d, sizeof d));
    if (rc == SL_OK)
        rc = clock_notices(s, err);
    if (rc == SL_OK && sl__status_snapshot_stale(s, now_ms)) {
        sl__status_snapshot_sentence(s, now_ms, text, sizeof text);
        rc = sl__status_notice(s, err, "%s", text);
    }
    return rc;
}

static sl_rc snapshot_stats(sl_store *st, sl_status *out, sl_error *err)
{
    sqlite3_stmt *s;
    sl_rc rc = sl__stmt(st, "SELECT COUNT(*), COALESCE(MAX(recorded_at), 0) FROM snapshots",
                        &s, err);
    if (rc != SL_OK)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->snapshots = sqlite3_column_int64(s, 0);
        out->last_snapshot_ms = sqlite3_column_int64(s, 1);
    } else {
        rc = sl__db_err(st, err, "cannot count the snapshots");
    }
    sqlite3_reset(s);
    return rc;
}

/* The license part of the status; `lic` is the current license. */
static sl_rc license_status(sl_store *st, const sl_license *lic, sl_status *out, sl_error *err)
{
    const sl_license_info *inf = sl_license_get_info(lic);
    sl_license_figures fig;
    sl_rc rc;
    out->has_license = 1;
    out->plan = sl__strdup(inf->plan);
    out->licensee_name = sl__strdup(inf->licensee_name);
    out->licensee_email = sl__strdup(inf->licensee_email);
    out->licensee_company = sl__strdup(inf->licensee_company);
    if (!out->plan || (inf->licensee_name && !out->licensee_name) ||
        (inf->licensee_email && !out->licensee_email) ||
        (inf->licensee_company && !out->licensee_company))
        return sl__err(err, SL_ENOMEM, "out of memory");
    out->starts_on = inf->starts_on;
    out->expires_on = inf->expires_on;
    out->block_changes_on = inf->block_changes_on;
    out->trial = inf->trial != 0;
    out->seats = inf->seats >= 0 ? inf->seats : -1;
    rc = sl__ledger_figures(st, lic, out->today, &fig, err);
    if (rc != SL_OK)
        return rc;
    out->expired = fig.expired;
    if (inf->expires_on != SL_DATE_NONE)
        out->days_left = fig.expired ? 0 : (int64_t)inf->expires_on - out->today;
    out->daily_billable = fig.active_users;
    out->historical_max = fig.historical_max;
    out->maximum_user_count = fig.maximum_user_count;
    out->overage = fig.overage;
    return SL_OK;
}

/* Without a license: the last year's maximum, nothing owed. */
static sl_rc unlicensed_status(sl_store *st, int64_t now, sl_status *out, sl_error *err)
{
    int64_t from, to;
    sl_rc rc = sl__ledger_daily_count(st, NULL, &out->daily_billable, err);
    if (rc != SL_OK)
        return rc;
    sl__ledger_window(SL_DATE_NONE, SL_DATE_NONE, now, &from, &to);
    rc = sl__ledger_historical_max(st, from, to, &out->historical_max, err);
    if (rc != SL_OK)
        return rc;
    out->maximum_user_count = out->historical_max > out->daily_billable ? out->historical_max
                                                                        : out->daily_billable;
    return SL_OK;
}

static sl_rc future_status(sl_store *st, sl_status *out, sl_error *err)
{
    sl_license *fut = NULL;
    sl_error none = {0};
    int64_t id = 0;
    sl_rc rc = sl_store_license_future(st, &id, &none);
    if (rc == SL_ENOTFOUND)
        return SL_OK;
    if (rc != SL_OK) {
        if (err)
            *err = none;
        return rc;
    }
    rc = sl_store_license_get(st, id, &fut, NULL, err);
    if (rc != SL_OK)
        return rc;
    out->has_future_license = 1;
    out->future_license_id = id;
    out->future_starts_on = sl_license_get_info(fut)->starts_on;
    sl_license_free(fut);
    return SL_OK;
}

sl_rc sl__status_fill(sl_store *st, sl_status *out, int64_t *now_ms, sl_error *err)
{
    sl_license *lic = NULL;
    int64_t now, id = 0;
    sl_rc rc;
    memset(out, 0, sizeof *out);
    out->starts_on = out->expires_on = out->block_changes_on = SL_DATE_NONE;
    out->future_starts_on = SL_DATE_NONE;
    out->days_left = -1;
    out->seats = -1;
    rc = sl__ledger_now(st, &now, err);
    if (rc != SL_OK)
        goto done;
    *now_ms = now;
    out->today = sl_ms_to_date(now);
    rc = sl_store_clock_state(st, &out->clock, err);
    if (rc != SL_OK)
        goto done;
    rc = snapshot_stats(st, out, err);
    if (rc != SL_OK)
        goto done;
    rc = sl__license_current(st, out->today, &lic, &id, err);
    if (rc != SL_OK)
        goto done;
    rc = sl__users_billable_count(st, lic ? sl_license_get_info(lic)->plan : NULL,
                                  &out->billable_now, err);
    if (rc != SL_OK)
        goto done;
    out->license_id = lic ? id : 0;
    rc = lic ? license_status(st, lic, out, err) : unlicensed_status(st, now, out, err);
    if (rc != SL_OK)
        goto done;
    rc = future_status(st, out, err);
done:
    sl_license_free(lic);
    if (rc != SL_OK)
        sl_status_free(out);
    return rc;
}

void sl_status_free(sl_status *s)
{
    if (!s)
        return;
    free(s->plan);
    free(s->licensee_name);
    free(s->licensee_email);
    free(s->licensee_company);
    for (size_t i = 0; i < s->notice_count; i++)
        free(s->notices[i]);
    free(s->notices);
    free(s->addons);
    s->addons = NULL;
    s->addon_count = 0;
    s->plan = s->licensee_name = s->licensee_email = s->licensee_company = NULL;
    s->notices = NULL;
    s->notice_count = 0;
}
