/*
 * count_format.c - numbers as the ledger's messages write them: thousands
 * separators ("1,234") and "user"/"users" by count, shared by the license
 * checks, the status notices and the CLI.
 */
#include "ledger/ledger_internal.h"

#include <string.h>

/* 20 digits, 6 commas, a sign and the NUL */
#define COUNT_TEXT_MAX 28

char *sl_format_count(int64_t n, char *buf, size_t size)
{
    char tmp[COUNT_TEXT_MAX];
    size_t pos = sizeof tmp - 1;
    /* the magnitude in unsigned arithmetic: -INT64_MIN does not fit int64 */
    uint64_t v = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    int digits = 0;
    tmp[pos] = '\0';
    do {
        if (digits > 0 && digits % 3 == 0)
            tmp[--pos] = ',';
        tmp[--pos] = (char)('0' + v % 10);
        v /= 10;
        digits++;
    } while (v);
    if (n < 0)
        tmp[--pos] = '-';
    if (size > 0)
        snprintf(buf, size, "%s", tmp + pos);
    return buf;
}

char *sl__count_users(int64_t n, char *buf, size_t size)
{
    char num[COUNT_TEXT_MAX];
    snprintf(buf, size, "%s %s", sl_format_count(n, num, sizeof num),
             n == 1 ? "user" : "users");
    return buf;
}
