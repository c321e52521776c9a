/*
 * settings.c - the instance settings of the Code Suggestions API
 * (code-suggestions.md): duo_features_enabled (which alone can be locked),
 * duo_core_features_enabled and direct_code_suggestions, all on until set.
 * Every change is one transaction with its audit line.
 */
#include "ledger/ledger_internal.h"

#include <string.h>
#include <strings.h>

static const char *const names[SL_SETTING_COUNT] = {
    [SL_SETTING_DUO_FEATURES_ENABLED] = "duo_features_enabled",
    [SL_SETTING_DUO_CORE_FEATURES_ENABLED] = "duo_core_features_enabled",
    [SL_SETTING_DIRECT_CODE_SUGGESTIONS] = "direct_code_suggestions",
};

#define SETTING_DEFAULT 1
#define VALUE_QUOTE_MAX 64   /* bytes of a refused name or value in a message */

const char *sl_setting_name(sl_setting s)
{
    return (int)s >= 0 && s < SL_SETTING_COUNT ? names[s] : NULL;
}

sl_rc sl__setting_get(sl_store *st, sl_setting which, int *value, int *locked, sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc = sl__stmt(st, "SELECT value, locked FROM settings WHERE name = ?1", &s, err);
    *value = SETTING_DEFAULT;
    *locked = 0;
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_text(s, 1, names[which], -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *value = sqlite3_column_int(s, 0);
        *locked = sqlite3_column_int(s, 1);
    } else if (step != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot read the settings");
    }
    sqlite3_reset(s);
    return rc;
}

sl_rc sl_store_settings(sl_store *st, sl_setting_value out[SL_SETTING_COUNT], sl_error *err)
{
    sqlite3_stmt *s;
    int step;
    sl_rc rc;
    for (int i = 0; i < SL_SETTING_COUNT; i++)
        out[i] = (sl_setting_value){(sl_setting)i, SETTING_DEFAULT, 0, 1};
    rc = sl__stmt(st, "SELECT name, value, locked FROM settings", &s, err);
    if (rc != SL_OK)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        for (int i = 0; name && i < SL_SETTING_COUNT; i++) {
            if (strcmp(name, names[i]) == 0) {
                out[i].value = sqlite3_column_int(s, 1);
                out[i].locked = sqlite3_column_int(s, 2);
                out[i].is_default = 0;
            }
        }
    }
    if (step != SQLITE_DONE)
        rc = sl__db_err(st, err, "cannot read the settings");
    sqlite3_reset(s);
    return rc;
}

/* true/false, on/off, yes/no, 1/0 in any case: 1 or 0; -1 otherwise. */
static int parse_value(const char *v)
{
    static const char *const yes[] = {"true", "on", "yes", "1"};
    static const char *const no[] = {"false", "off", "no", "0"};
    for (size_t i = 0; v && i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

sl_rc sl_store_setting_set(sl_store *st, const char *name, const char *value, int lock,
                           sl_error *err)
{
    sqlite3_stmt *s;
    int which = -1, v, old = SETTING_DEFAULT, old_locked = 0;
    char detail[160];
    sl_rc rc;
    for (int i = 0; name && i < SL_SETTING_COUNT; i++) {
        if (strcmp(name, names[i]) == 0)
            which = i;
    }
    if (which < 0)
        return sl__err(err, SL_EINVAL,
                       "unknown setting '%.*s': use duo_features_enabled, "
                       "duo_core_features_enabled or direct_code_suggestions",
                       VALUE_QUOTE_MAX, name ? name : "");
    v = parse_value(value);
    if (v < 0)
        return sl__err(err, SL_EINVAL, "invalid value '%.*s' for %s: use true or false",
                       VALUE_QUOTE_MAX, value ? value : "", names[which]);
    if (lock && which != SL_SETTING_DUO_FEATURES_ENABLED)
        return sl__err(err, SL_EINVAL, "setting '%s' cannot be locked: only "
                       "duo_features_enabled cascades to groups and projects", names[which]);
    rc = sl__begin(st, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__event_begin(st, 0, err);
    if (rc != SL_OK) {
        sl__rollback(st);
        return rc;
    }
    rc = sl__setting_get(st, (sl_setting)which, &old, &old_locked, err);
    if (rc != SL_OK)
        goto fail;
    rc = sl__stmt(st, "INSERT INTO settings(name, value, locked) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
                      "locked = excluded.locked", &s, err);
    if (rc != SL_OK)
        goto fail;
    sqlite3_bind_text(s, 1, names[which], -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, v);
    sqlite3_bind_int(s, 3, lock ? 1 : 0);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = sl__db_err(st, err, "cannot store the setting");
        sqlite3_reset(s);
        goto fail;
    }
    sqlite3_reset(s);
    snprintf(detail, sizeof detail, "%s: %s%s -> %s%s", names[which], old ? "true" : "false",
             old_locked ? " (locked)" : "", v ? "true" : "false", lock ? " (locked)" : "");
    rc = sl__audit(st, "settings.set", 0, "ok", detail, err);
    if (rc != SL_OK)
        goto fail;
    return sl__commit(st, err);
fail:
    sl__rollback(st);
    return rc;
}
