/*
 * test_billable.c - the billable rules of ledger-rules.md: every state, user
 * type and role on both plan families, the order in which reasons win, and
 * the name tables the import and the listing rely on.
 */
#include "testutil.h"
#include "ledger/billable.h"

#include <string.h>

static const char *const states[] = {
    "active", "blocked", "ldap_blocked", "blocked_pending_approval", "deactivated", "banned",
};
static const char *const types[] = {
    "human", "service_user", "ghost", "bot", "support_bot", "alert_bot",
    "visual_review_bot", "security_bot", "automation_bot", "admin_bot",
    "security_policy_bot", "project_bot", "duo_code_review_bot", "llm_bot",
    "suggested_reviewers_bot", "service_account", "placeholder", "import_user",
};
static const char *const roles[] = {
    "none", "minimal_access", "guest", "planner", "reporter", "developer", "maintainer", "owner",
};
static const char *const reasons[] = {
    "billable", "blocked", "pending_approval", "deactivated", "banned", "bot",
    "minimal_access", "no_membership_on_ultimate", "guest_on_ultimate",
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int st(const char *s) { return sl__state_code(s, strlen(s)); }
static int ty(const char *s) { return sl__user_type_code(s, strlen(s)); }
static int ro(const char *s) { return sl__role_code(s, strlen(s)); }

/* Reason name for a user given by attribute names. */
static const char *verdict(const char *state, const char *type, const char *role, int seat,
                           bool ultimate)
{
    assert_true(st(state) >= 0);
    assert_true(ty(type) >= 0);
    assert_true(ro(role) >= 0);
    return sl_reason_name(sl__billable_reason(st(state), ty(type), ro(role), seat, ultimate));
}

static void test_name_tables(void **state)
{
    (void)state;
    assert_int_equal(N(states), SL_STATE_COUNT);
    assert_int_equal(N(types), SL_TYPE_COUNT);
    assert_int_equal(N(roles), SL_ROLE_COUNT);
    assert_int_equal(N(reasons), SL_REASON_COUNT);
    for (int i = 0; i < N(states); i++) {
        assert_int_equal(st(states[i]), i);
        assert_string_equal(sl__state_name(i), states[i]);
    }
    for (int i = 0; i < N(types); i++) {
        assert_int_equal(ty(types[i]), i);
        assert_string_equal(sl__user_type_name(i), types[i]);
    }
    for (int i = 0; i < N(roles); i++) {
        assert_int_equal(ro(roles[i]), i);
        assert_string_equal(sl__role_name(i), roles[i]);
    }
    for (int i = 0; i < N(reasons); i++)
        assert_string_equal(sl_reason_name(i), reasons[i]);
    assert_null(sl_reason_name(-1));
    assert_null(sl_reason_name(SL_REASON_COUNT));
    assert_null(sl__state_name(SL_STATE_COUNT));
    assert_null(sl__user_type_name(-1));
    assert_null(sl__role_name(SL_ROLE_COUNT));
}

static void test_unknown_names(void **state)
{
    (void)state;
    /* exact, lowercase, whole-string matches only */
    assert_int_equal(st("actve"), -1);
    assert_int_equal(st("Active"), -1);
    assert_int_equal(st(""), -1);
    assert_int_equal(sl__state_code("active", 3), -1);
    assert_int_equal(sl__state_code("activex", 6), SL_STATE_ACTIVE);
    assert_int_equal(ty("robot"), -1);
    assert_int_equal(ty("bots"), -1);
    assert_int_equal(ro("admin"), -1);
    assert_int_equal(ro("Owner"), -1);
}

static void test_plan_family(void **state)
{
    (void)state;
    assert_true(sl__plan_is_ultimate("ultimate"));
    assert_false(sl__plan_is_ultimate("premium"));
    assert_false(sl__plan_is_ultimate("starter"));
    assert_false(sl__plan_is_ultimate("Ultimate"));
    assert_false(sl__plan_is_ultimate("ultimate_trial"));
    assert_false(sl__plan_is_ultimate("none"));
    assert_false(sl__plan_is_ultimate(""));
    assert_false(sl__plan_is_ultimate(NULL));
}

/* Every state on both plans, for a user who is otherwise billable there. */
static void test_states(void **state)
{
    static const char *const want[] = {
        "billable", "blocked", "blocked", "pending_approval", "deactivated", "banned",
    };
    (void)state;
    for (int i = 0; i < N(states); i++) {
        assert_string_equal(verdict(states[i], "human", "developer", 0, true), want[i]);
        assert_string_equal(verdict(states[i], "human", "developer", 0, false), want[i]);
        assert_string_equal(verdict(states[i], "service_user", "guest", 1, true), want[i]);
        assert_string_equal(verdict(states[i], "human", "none", 0, false), want[i]);
    }
}

/* Every user type on both plans: only human and service_user can count. */
static void test_types(void **state)
{
    (void)state;
    for (int i = 0; i < N(types); i++) {
        const char *want = i <= SL_TYPE_SERVICE_USER ? "billable" : "bot";
        assert_string_equal(verdict("active", types[i], "owner", 0, true), want);
        assert_string_equal(verdict("active", types[i], "owner", 0, false), want);
        assert_string_equal(verdict("active", types[i], "guest", 1, true), want);
        assert_string_equal(verdict("active", types[i], "none", 0, false), want);
    }
}

/* Every role with and without a seat-occupying guest role, on ultimate. */
static void test_roles_ultimate(void **state)
{
    static const char *const want_no_seat[] = {
        "no_membership_on_ultimate", "minimal_access", "guest_on_ultimate", "billable",
        "billable", "billable", "billable", "billable",
    };
    static const char *const want_seat[] = {
        "no_membership_on_ultimate", "minimal_access", "billable", "billable",
        "billable", "billable", "billable", "billable",
    };
    (void)state;
    for (int i = 0; i < N(roles); i++) {
        assert_string_equal(verdict("active", "human", roles[i], 0, true), want_no_seat[i]);
        assert_string_equal(verdict("active", "human", roles[i], 1, true), want_seat[i]);
        assert_string_equal(verdict("active", "service_user", roles[i], 0, true),
                            want_no_seat[i]);
    }
}

/* On every other plan (and with no license) only minimal access is free. */
static void test_roles_other_plans(void **state)
{
    (void)state;
    for (int i = 0; i < N(roles); i++) {
        const char *want = i == SL_ROLE_MINIMAL_ACCESS ? "minimal_access" : "billable";
        assert_string_equal(verdict("active", "human", roles[i], 0, false), want);
        assert_string_equal(verdict("active", "human", roles[i], 1, false), want);
        assert_string_equal(verdict("active", "service_user", roles[i], 0, false), want);
    }
}

/* The first reason in code order wins when several apply. */
static void test_precedence(void **state)
{
    (void)state;
    assert_string_equal(verdict("blocked", "bot", "minimal_access", 0, true), "blocked");
    assert_string_equal(verdict("ldap_blocked", "ghost", "none", 0, true), "blocked");
    assert_string_equal(verdict("blocked_pending_approval", "bot", "guest", 0, true),
                        "pending_approval");
    assert_string_equal(verdict("deactivated", "project_bot", "none", 0, true), "deactivated");
    assert_string_equal(verdict("banned", "import_user", "minimal_access", 0, false), "banned");
    assert_string_equal(verdict("active", "bot", "minimal_access", 0, true), "bot");
    assert_string_equal(verdict("active", "placeholder", "none", 0, true), "bot");
    assert_string_equal(verdict("active", "security_bot", "guest", 0, true), "bot");
    assert_string_equal(verdict("active", "human", "minimal_access", 1, true), "minimal_access");
    /* guest_seat only matters for guests on ultimate */
    assert_string_equal(verdict("active", "human", "none", 1, true), "no_membership_on_ultimate");
    assert_string_equal(verdict("active", "human", "reporter", 1, true), "billable");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_tables),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_plan_family),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_roles_ultimate),
        cmocka_unit_test(test_roles_other_plans),
        cmocka_unit_test(test_precedence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
