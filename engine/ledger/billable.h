/*
 * billable.h - the billable-user rules shared by engine/ledger/users.c and the unit
 * tests: the stored integer codes of state, user_type and highest_role, the
 * one function that says whether (and why not) a user is billable, and the
 * users.c entry point that takes the plan explicitly.
 */
#ifndef SL_BILLABLE_H
#define SL_BILLABLE_H

#include "seatledger.h"

#include <stdbool.h>
#include <stddef.h>

/* These codes are stored in the users table (schema/002_users.sql): they
 * never change meaning; new values are only ever appended. */
enum sl_user_state {
    SL_STATE_ACTIVE = 0,
    SL_STATE_BLOCKED,
    SL_STATE_LDAP_BLOCKED,
    SL_STATE_BLOCKED_PENDING_APPROVAL,
    SL_STATE_DEACTIVATED,
    SL_STATE_BANNED,
    SL_STATE_COUNT
};

enum sl_user_type {
    SL_TYPE_HUMAN = 0,
    SL_TYPE_SERVICE_USER,
    SL_TYPE_GHOST,
    SL_TYPE_BOT,
    SL_TYPE_SUPPORT_BOT,
    SL_TYPE_ALERT_BOT,
    SL_TYPE_VISUAL_REVIEW_BOT,
    SL_TYPE_SECURITY_BOT,
    SL_TYPE_AUTOMATION_BOT,
    SL_TYPE_ADMIN_BOT,
    SL_TYPE_SECURITY_POLICY_BOT,
    SL_TYPE_PROJECT_BOT,
    SL_TYPE_DUO_CODE_REVIEW_BOT,
    SL_TYPE_LLM_BOT,
    SL_TYPE_SUGGESTED_REVIEWERS_BOT,
    SL_TYPE_SERVICE_ACCOUNT,
    SL_TYPE_PLACEHOLDER,
    SL_TYPE_IMPORT_USER,
    SL_TYPE_COUNT
};

/* Ordered: "planner or above" compares codes. */
enum sl_user_role {
    SL_ROLE_NONE = 0,
    SL_ROLE_MINIMAL_ACCESS,
    SL_ROLE_GUEST,
    SL_ROLE_PLANNER,
    SL_ROLE_REPORTER,
    SL_ROLE_DEVELOPER,
    SL_ROLE_MAINTAINER,
    SL_ROLE_OWNER,
    SL_ROLE_COUNT
};

/* The reason codes of seatledger.h (sl_reason_name), by name. */
enum sl_reason {
    SL_REASON_BILLABLE = 0,
    SL_REASON_BLOCKED,
    SL_REASON_PENDING_APPROVAL,
    SL_REASON_DEACTIVATED,
    SL_REASON_BANNED,
    SL_REASON_BOT,
    SL_REASON_MINIMAL_ACCESS,
    SL_REASON_NO_MEMBERSHIP_ON_ULTIMATE,
    SL_REASON_GUEST_ON_ULTIMATE
};

/* Name <-> code.  The lookups take a length (values come from CSV fields
 * that are not NUL-terminated) and return -1 for an unknown name; the name
 * functions return NULL for an out-of-range code. */
int sl__state_code(const char *s, size_t len);
int sl__user_type_code(const char *s, size_t len);
int sl__role_code(const char *s, size_t len);
const char *sl__state_name(int code);
const char *sl__user_type_name(int code);
const char *sl__role_name(int code);

/* True when `plan` is a plan on which the ultimate rules apply. */
bool sl__plan_is_ultimate(const char *plan);

/* The verdict for one user: SL_REASON_BILLABLE or the first exclusion that
 * applies, in reason-code order.  Codes must be in range. */
int sl__billable_reason(int state, int user_type, int role, int guest_seat,
                        bool ultimate);

/* sl_store_users_each() under an explicit plan instead of the current
 * license's (engine/ledger/users.c). */
sl_rc sl__users_each_plan(sl_store *st, const char *plan, int billable_only,
                          int (*fn)(void *ud, const sl_user *u), void *ud,
                          sl_error *err);

#endif
