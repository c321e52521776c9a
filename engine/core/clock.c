/*
 * clock.c - the one source of time (SEATLEDGER_NOW fixes it for tests) and
 * the calendar arithmetic of the ledger: UTC dates as day numbers.
 */
#include "core/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Days from civil date (proleptic Gregorian), after H. Hinnant's algorithm. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    *y = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y += *m <= 2;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* Parse exactly n digits at s. */
static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int make_date(int y, int m, int d, int32_t *out)
{
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
        (unsigned)d > month_days(y, (unsigned)m))
        return 0;
    *out = (int32_t)days_from_civil(y, (unsigned)m, (unsigned)d);
    return 1;
}

sl_rc sl_date_parse(const char *s, int32_t *out_days, sl_error *err)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        !digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) ||
        !make_date(y, m, d, out_days))
        return sl__err(err, SL_EINVAL, "invalid date '%s': expected YYYY-MM-DD",
                       s ? s : "");
    return SL_OK;
}

sl_rc sl_date_parse_lenient(const char *s, size_t len, int32_t *out_days)
{
    int y, m, d;
    /* leading/trailing blanks are tolerated, like Ruby's Date.parse */
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= 10 && s[4] == '-' && s[7] == '-' && digits(s, 4, &y) &&
        digits(s + 5, 2, &m) && digits(s + 8, 2, &d)) {
        /* YYYY-MM-DD alone or followed by a time part: date as written */
        if (len == 10 || s[10] == 'T' || s[10] == 't' || s[10] == ' ')
            return make_date(y, m, d, out_days) ? SL_OK : SL_EINVAL;
        return SL_EINVAL;
    }
    if (len >= 8 && digits(s, 4, &y) && digits(s + 4, 2, &m) &&
        digits(s + 6, 2, &d) && (len == 8 || s[8] == 'T' || s[8] == 't'))
        return make_date(y, m, d, out_days) ? SL_OK : SL_EINVAL;
    return SL_EINVAL;
}

static void put_digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

char *sl_date_format(int32_t days, char *buf, size_t size)
{
    int64_t y;
    unsigned m, d;
    char tmp[11];
    civil_from_days(days, &y, &m, &d);
    /* dates come from YYYY-MM-DD text or a clock: years 0-9999 by
     * construction; digits by hand so no format width can overflow */
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    put_digits(tmp, (unsigned)y, 4);
    tmp[4] = '-';
    put_digits(tmp + 5, m, 2);
    tmp[7] = '-';
    put_digits(tmp + 8, d, 2);
    tmp[10] = '\0';
    if (size) {
        size_t n = size - 1 < sizeof tmp - 1 ? size - 1 : sizeof tmp - 1;
        memcpy(buf, tmp, n);
        buf[n] = '\0';
    }
    return buf;
}

void sl__date_civil(int32_t days, int *year, int *month, int *day)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    *year = (int)y;
    *month = (int)m;
    *day = (int)d;
}

int32_t sl__date_from_civil(int year, int month, int day)
{
    return (int32_t)days_from_civil(year, (unsigned)month, (unsigned)day);
}

int64_t sl_date_to_ms(int32_t days) { return (int64_t)days * 86400000LL; }

int32_t sl_ms_to_date(int64_t ms)
{
    int64_t d = ms / 86400000LL;
    if (ms < 0 && ms % 86400000LL)
        d--;
    return (int32_t)d;
}

static void split_ms(int64_t ms, int32_t *days, int *h, int *mi, int *s, int *milli)
{
    int64_t rem;
    *days = sl_ms_to_date(ms);
    rem = ms - sl_date_to_ms(*days);
    *milli = (int)(rem % 1000);
    rem /= 1000;
    *s = (int)(rem % 60);
    *mi = (int)(rem / 60 % 60);
    *h = (int)(rem / 3600);
}

char *sl_time_format_rfc3339(int64_t ms, char *buf, size_t size)
{
    int32_t days;
    int h, mi, s, milli;
    char date[16];
    split_ms(ms, &days, &h, &mi, &s, &milli);
    snprintf(buf, size, "%sT%02d:%02d:%02d.%03dZ",
             sl_date_format(days, date, sizeof date), h, mi, s, milli);
    return buf;
}

char *sl_time_format_plain(int64_t ms, char *buf, size_t size)
{
    int32_t days;
    int h, mi, s, milli;
    char date[16];
    split_ms(ms, &days, &h, &mi, &s, &milli);
    snprintf(buf, size, "%s %02d:%02d:%02d", sl_date_format(days, date, sizeof date), h, mi, s);
    return buf;
}

char *sl_time_format_utc(int64_t ms, char *buf, size_t size)
{
    char plain[24];
    snprintf(buf, size, "%s UTC", sl_time_format_plain(ms, plain, sizeof plain));
    return buf;
}

sl_rc sl_time_parse(const char *s, int64_t *out_ms, sl_error *err)
{
    int y, mo, d, h, mi, sec, milli = 0;
    int32_t days;
    size_t len = s ? strlen(s) : 0;
    size_t pos = 19;
    if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
        !digits(s + 17, 2, &sec) || !make_date(y, mo, d, &days) || h > 23 ||
        mi > 59 || sec > 59)
        goto bad;
    if (pos < len && s[pos] == '.') {
        if (len < pos + 4 || !digits(s + pos + 1, 3, &milli))
            goto bad;
        pos += 4;
    }
    if (pos < len && s[pos] == 'Z')
        pos++;
    else if (pos + 4 <= len && strcmp(s + pos, " UTC") == 0)
        pos += 4;
    if (pos != len)
        goto bad;
    *out_ms = sl_date_to_ms(days) + ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + milli;
    return SL_OK;
bad:
    return sl__err(err, SL_EINVAL, "invalid time '%s': expected YYYY-MM-DDTHH:MM:SSZ",
                   s ? s : "");
}

/* A key's date-time the way the gem's DateTime.parse reads the forms keys
 * carry: YYYY-MM-DD, then optionally T (or a space) HH:MM[:SS[.fraction]]
 * and an offset (Z, +HH, +HH:MM, +HHMM or " UTC"); no offset is UTC. */
sl_rc sl_time_parse_lenient(const char *s, size_t len, int64_t *out_ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
    int64_t frac_ms = 0, offset_ms = 0;
    int32_t days;
    size_t pos = 10;
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
        !digits(s + 8, 2, &d) || !make_date(y, mo, d, &days))
        return SL_EINVAL;
    if (pos < len && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ') && pos + 6 <= len &&
        s[pos + 3] == ':') {
        if (!digits(s + pos + 1, 2, &h) || !digits(s + pos + 4, 2, &mi) || h > 23 || mi > 59)
            return SL_EINVAL;
        pos += 6;
        if (pos + 3 <= len && s[pos] == ':') {
            if (!digits(s + pos + 1, 2, &sec) || sec > 60)
                return SL_EINVAL;
            pos += 3;
            if (pos < len && (s[pos] == '.' || s[pos] == ',')) {
                int64_t scale = 100;
                pos++;
                if (pos >= len || !isdigit((unsigned char)s[pos]))
                    return SL_EINVAL;
                for (; pos < len && isdigit((unsigned char)s[pos]); pos++, scale /= 10)
                    frac_ms += (s[pos] - '0') * scale;
            }
        }
    }
    if (pos < len && (s[pos] == 'Z' || s[pos] == 'z')) {
        pos++;
    } else if (pos + 4 == len && strncmp(s + pos, " UTC", 4) == 0) {
        pos += 4;
    } else if (pos < len && (s[pos] == '+' || s[pos] == '-')) {
        int sign = s[pos] == '-' ? -1 : 1;
        size_t rest = len - pos - 1;
        if ((rest != 2 && rest != 4 && rest != 5) || !digits(s + pos + 1, 2, &oh) ||
            (rest == 4 && !digits(s + pos + 3, 2, &om)) ||
            (rest == 5 && (s[pos + 3] != ':' || !digits(s + pos + 4, 2, &om))) || oh > 23 ||
            om > 59)
            return SL_EINVAL;
        offset_ms = sign * ((int64_t)oh * 3600 + om * 60) * 1000;
        pos = len;
    }
    if (pos != len)
        return SL_EINVAL;
    *out_ms = sl_date_to_ms(days) + ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac_ms -
              offset_ms;
    return SL_OK;
}

int32_t sl_date_add_years(int32_t days, int years)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    y += years;
    if (d > month_days(y, m))
        d = month_days(y, m);
    return (int32_t)days_from_civil(y, m, d);
}

sl_rc sl_clock_check(sl_error *err)
{
    const char *fixed = getenv("SEATLEDGER_NOW");
    int64_t ms;
    if (!fixed || !*fixed)
        return SL_OK;
    if (sl_time_parse(fixed, &ms, NULL) != SL_OK)
        return sl__err(err, SL_EUSAGE,
                       "invalid SEATLEDGER_NOW '%s': expected YYYY-MM-DDTHH:MM:SSZ", fixed);
    return SL_OK;
}

int64_t sl_clock_now_ms(void)
{
    const char *fixed = getenv("SEATLEDGER_NOW");
    struct timespec ts;
    int64_t ms;
    if (fixed && *fixed && sl_time_parse(fixed, &ms, NULL) == SL_OK)
        return ms;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int32_t sl_clock_today(void) { return sl_ms_to_date(sl_clock_now_ms()); }
