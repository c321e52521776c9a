/*
 * billable.c - who is billable, and why not: the rules of ledger-rules.md
 * ("Users and who is billable") and the reason codes, plus the name <-> code
 * tables of the stored user attributes.  No other file decides billability.
 */
#include "ledger/billable.h"
#include "core/internal.h"

#include <string.h>

static const char *const state_names[SL_STATE_COUNT] = {
    [SL_STATE_ACTIVE] = "active",
    [SL_STATE_BLOCKED] = "blocked",
    [SL_STATE_LDAP_BLOCKED] = "ldap_blocked",
    [SL_STATE_BLOCKED_PENDING_APPROVAL] = "blocked_pending_approval",
    [SL_STATE_DEACTIVATED] = "deactivated",
    [SL_STATE_BANNED] = "banned",
};

static const char *const type_names[SL_TYPE_COUNT] = {
    [SL_TYPE_HUMAN] = "human",
    [SL_TYPE_SERVICE_USER] = "service_user",
    [SL_TYPE_GHOST] = "ghost",
    [SL_TYPE_BOT] = "bot",
    [SL_TYPE_SUPPORT_BOT] = "support_bot",
    [SL_TYPE_ALERT_BOT] = "alert_bot",
    [SL_TYPE_VISUAL_REVIEW_BOT] = "visual_review_bot",
    [SL_TYPE_SECURITY_BOT] = "security_bot",
    [SL_TYPE_AUTOMATION_BOT] = "automation_bot",
    [SL_TYPE_ADMIN_BOT] = "admin_bot",
    [SL_TYPE_SECURITY_POLICY_BOT] = "security_policy_bot",
    [SL_TYPE_PROJECT_BOT] = "project_bot",
    [SL_TYPE_DUO_CODE_REVIEW_BOT] = "duo_code_review_bot",
    [SL_TYPE_LLM_BOT] = "llm_bot",
    [SL_TYPE_SUGGESTED_REVIEWERS_BOT] = "suggested_reviewers_bot",
    [SL_TYPE_SERVICE_ACCOUNT] = "service_account",
    [SL_TYPE_PLACEHOLDER] = "placeholder",
    [SL_TYPE_IMPORT_USER] = "import_user",
};

static const char *const role_names[SL_ROLE_COUNT] = {
    [SL_ROLE_NONE] = "none",
    [SL_ROLE_MINIMAL_ACCESS] = "minimal_access",
    [SL_ROLE_GUEST] = "guest",
    [SL_ROLE_PLANNER] = "planner",
    [SL_ROLE_REPORTER] = "reporter",
    [SL_ROLE_DEVELOPER] = "developer",
    [SL_ROLE_MAINTAINER] = "maintainer",
    [SL_ROLE_OWNER] = "owner",
};

static const char *const reason_names[SL_REASON_COUNT] = {
    [SL_REASON_BILLABLE] = "billable",
    [SL_REASON_BLOCKED] = "blocked",
    [SL_REASON_PENDING_APPROVAL] = "pending_approval",
    [SL_REASON_DEACTIVATED] = "deactivated",
    [SL_REASON_BANNED] = "banned",
    [SL_REASON_BOT] = "bot",
    [SL_REASON_MINIMAL_ACCESS] = "minimal_access",
    [SL_REASON_NO_MEMBERSHIP_ON_ULTIMATE] = "no_membership_on_ultimate",
    [SL_REASON_GUEST_ON_ULTIMATE] = "guest_on_ultimate",
};

static int lookup(const char *const *names, int n, const char *s, size_t len)
{
    for (int i = 0; i < n; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return i;
    }
    return -1;
}

int sl__state_code(const char *s, size_t len)
{
    return lookup(state_names, SL_STATE_COUNT, s, len);
}

int sl__user_type_code(const char *s, size_t len)
{
    return lookup(type_names, SL_TYPE_COUNT, s, len);
}

int sl__role_code(const char *s, size_t len)
{
    return lookup(role_names, SL_ROLE_COUNT, s, len);
}

const char *sl__state_name(int code)
{
    return code >= 0 && code < SL_STATE_COUNT ? state_names[code] : NULL;
}

const char *sl__user_type_name(int code)
{
    return code >= 0 && code < SL_TYPE_COUNT ? type_names[code] : NULL;
}

const char *sl__role_name(int code)
{
    return code >= 0 && code < SL_ROLE_COUNT ? role_names[code] : NULL;
}

const char *sl_reason_name(int i)
{
    return i >= 0 && i < SL_REASON_COUNT ? reason_names[i] : NULL;
}

bool sl__plan_is_ultimate(const char *plan)
{
    return plan && strcmp(plan, "ultimate") == 0;
}

int sl__billable_reason(int state, int user_type, int role, int guest_seat,
                        bool ultimate)
{
    switch (state) {
    case SL_STATE_ACTIVE:
        break;
    case SL_STATE_BLOCKED:
    case SL_STATE_LDAP_BLOCKED:
        return SL_REASON_BLOCKED;
    case SL_STATE_BLOCKED_PENDING_APPROVAL:
        return SL_REASON_PENDING_APPROVAL;
    case SL_STATE_DEACTIVATED:
        return SL_REASON_DEACTIVATED;
    case SL_STATE_BANNED:
    default: /* the schema's CHECK keeps codes in range; fail closed anyway */
        return SL_REASON_BANNED;
    }
    if (user_type != SL_TYPE_HUMAN && user_type != SL_TYPE_SERVICE_USER)
        return SL_REASON_BOT;
    /* minimal access is free on every plan */
    if (role == SL_ROLE_MINIMAL_ACCESS)
        return SL_REASON_MINIMAL_ACCESS;
    if (!ultimate)
        return SL_REASON_BILLABLE;
    if (role == SL_ROLE_NONE)
        return SL_REASON_NO_MEMBERSHIP_ON_ULTIMATE;
    /* a guest occupies a seat only through a seat-taking custom role */
    if (role == SL_ROLE_GUEST && !guest_seat)
        return SL_REASON_GUEST_ON_ULTIMATE;
    return SL_REASON_BILLABLE;
}
