/*
 * usage_csv.c - the usage export auditors receive: the current license and
 * the snapshots of its term in GitLab's CSV layout, streamed row by row from
 * the ledger, with a guard against spreadsheet formula injection.
 */
#include "ledger/ledger_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Cells starting with one of these would run as formulas in a spreadsheet. */
static int formula_lead(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* One cell: guard, then RFC 4180 quoting when a character needs it (or
 * always, for the key). */
static void put_cell(FILE *out, const char *s, size_t n, int always_quote)
{
    int quote = always_quote;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote)
        fputc('"', out);
    if (n > 0 && formula_lead(s[0]))
        fputc('\'', out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
    if (quote)
        fputc('"', out);
}

static void put_text(FILE *out, const char *s)
{
    if (s)
        put_cell(out, s, strlen(s), 0);
}

static void put_date(FILE *out, int32_t d)
{
    char buf[16];
    if (d != SL_DATE_NONE)
        fputs(sl_date_format(d, buf, sizeof buf), out);
}

/* The key as the layout wants it: CRLF -> LF, trailing newlines stripped,
 * one \n appended; always quoted. */
static sl_rc put_key(FILE *out, const char *text, size_t len, sl_error *err)
{
    char *norm = malloc(len + 2);
    size_t n = 0;
    if (!norm)
        return sl__err(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
            continue;
        norm[n++] = text[i];
    }
    while (n > 0 && norm[n - 1] == '\n')
        n--;
    norm[n++] = '\n';
    put_cell(out, norm, n, 1);
    free(norm);
    return SL_OK;
}

static sl_rc write_error(sl_error *err)
{
    return sl__err(err, SL_ESTORAGE, "cannot write the usage CSV: %s",
                   errno ? strerror(errno) : "write error");
}

sl_rc sl__usage_csv_write(sl_store *st, FILE *out, const sl_usage_head *head, sl_error *err)
{
    sqlite3_stmt *s;
    char when[32];
    int64_t now, from, to;
    int step;
    sl_rc rc = sl__ledger_now(st, &now, err);
    if (rc != SL_OK)
        return rc;
    sl__ledger_window(head->starts_on, head->expires_on, now, &from, &to);
    errno = 0;
    fputs("License Key,", out);
    rc = put_key(out, head->key_text, head->key_len, err);
    if (rc != SL_OK)
        return rc;
    fputs("\nEmail,", out);
    put_text(out, head->email);
    fputs("\nLicense Start Date,", out);
    put_date(out, head->starts_on);
    fputs("\nLicense End Date,", out);
    put_date(out, head->expires_on);
    fputs("\nCompany,", out);
    put_text(out, head->company);
    fprintf(out, "\nGenerated At,%s\n",
            sl_time_format_plain(head->generated_at_ms, when, sizeof when));
    /* GitLab writes the blank separator row with two quoted empty cells */
    fputs("\"\",\"\"\nDate,Billable User Count\n", out);
    if (ferror(out))
        return write_error(err);

    rc = sl__stmt(st, "SELECT recorded_at, billable_user_count FROM snapshots "
                      "WHERE recorded_at BETWEEN ?1 AND ?2 ORDER BY recorded_at, id", &s, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    for (;;) {
        step = sqlite3_step(s);
        if (step != SQLITE_ROW)
            break;
        fprintf(out, "%s,%lld\n", sl_time_format_plain(sqlite3_column_int64(s, 0), when, sizeof when),
                (long long)sqlite3_column_int64(s, 1));
        /* stop at the first failed write (a closed pipe, a full disk) */
        if (ferror(out))
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the snapshots");
    sqlite3_reset(s);
    if (rc == SL_OK && (ferror(out) || fflush(out) != 0))
        rc = write_error(err);
    return rc;
}

sl_rc sl_store_usage_export(sl_store *st, FILE *out, sl_error *err)
{
    sl_license *lic = NULL;
    const sl_license_info *inf;
    sl_usage_head head;
    char *text = NULL;
    size_t len = 0;
    int32_t today;
    int64_t id = 0;
    sl_rc rc = sl__ledger_today(st, &today, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__license_current(st, today, &lic, &id, err);
    if (rc != SL_OK)
        return rc;
    if (!lic)
        return sl__err(err, SL_ENOTFOUND, "no current license");
    rc = sl_store_license_text(st, id, &text, &len, err);
    if (rc != SL_OK)
        goto done;
    inf = sl_license_get_info(lic);
    head.key_text = text;
    head.key_len = len;
    head.email = inf->licensee_email;
    head.company = inf->licensee_company;
    head.starts_on = inf->starts_on;
    head.expires_on = inf->expires_on;
    head.generated_at_ms = sl_clock_now_ms();
    rc = sl__usage_csv_write(st, out, &head, err);
done:
    free(text);
    sl_license_free(lic);
    return rc;
}
