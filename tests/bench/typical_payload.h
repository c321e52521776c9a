/*
 * typical_payload.h - the license payload both decode benchmarks time, so
 * their figures describe the same key.
 */
#ifndef SL_BENCH_TYPICAL_PAYLOAD_H
#define SL_BENCH_TYPICAL_PAYLOAD_H

/* What customers-dot issues for a self-managed Ultimate subscription. */
static const char typical_payload[] =
    "{\"version\":1,"
    "\"licensee\":{\"Name\":\"Grace Hopper\",\"Email\":\"grace.hopper@example.com\","
    "\"Company\":\"Example Industries Inc.\"},"
    "\"issued_at\":\"2025-01-15\",\"expires_at\":\"2099-01-15\","
    "\"notify_admins_at\":\"2099-01-01\",\"notify_users_at\":\"2099-01-01\","
    "\"block_changes_at\":\"2099-01-29\","
    "\"cloud_licensing_enabled\":false,\"offline_cloud_licensing_enabled\":false,"
    "\"auto_renew_enabled\":false,\"seat_reconciliation_enabled\":true,"
    "\"operational_metrics_enabled\":true,\"contract_overages_allowed\":true,"
    "\"generated_from_customers_dot\":true,\"generated_from_cancellation\":false,"
    "\"temporary_extension\":false,"
    "\"restrictions\":{\"plan\":\"ultimate\",\"active_user_count\":1500,"
    "\"previous_user_count\":1200,\"trueup_quantity\":80,"
    "\"trueup_from\":\"2024-01-15\",\"trueup_to\":\"2025-01-15\","
    "\"add_ons\":{\"GitLab_FileLocks\":1,\"GitLab_Auditor_User\":2},"
    "\"id\":123456,\"subscription_id\":\"2c92a0ff7a3b1c2d017a3b5e6f7a0001\","
    "\"subscription_name\":\"A-S00012345\",\"reconciliation_completed\":false}}";

#endif
