/*
 * exit_codes.c - the one table from engine error codes to CLI exit codes,
 * and the error/usage printers every command uses.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

static const int exit_table[SL_RC_COUNT] = {
    [SL_OK] = EXIT_OK,
    [SL_EINVAL] = EXIT_REJECTED,
    [SL_ETOOBIG] = EXIT_REJECTED,
    [SL_ENOTFOUND] = EXIT_NOTFOUND,
    [SL_EEXIST] = EXIT_REJECTED,
    [SL_ECLOCK] = EXIT_REJECTED,
    [SL_EAUTH] = EXIT_REJECTED,
    [SL_EFORBIDDEN] = EXIT_REJECTED,
    [SL_EUSAGE] = EXIT_USAGE,
    [SL_ESTORAGE] = EXIT_SYSTEM,
    [SL_ENOMEM] = EXIT_SYSTEM,
    [SL_EINTERNAL] = EXIT_SYSTEM,
    [SL_ETAMPERED] = EXIT_REJECTED,
};

int cli_exit_code(sl_rc rc)
{
    if ((int)rc < 0 || rc >= SL_RC_COUNT)
        return EXIT_SYSTEM;
    return exit_table[rc];
}

int cli_fail(const sl_error *err)
{
    fprintf(stderr, "seatledger: %s\n", err->message[0] ? err->message : sl_rc_name(err->code));
    return cli_exit_code(err->code);
}

int cli_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("seatledger: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'seatledger help' for usage.\n", stderr);
    return EXIT_USAGE;
}
