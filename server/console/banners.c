/*
 * banners.c - the banners of every console page in GitLab's words: the
 * seat alert of SeatAlert::Admin (threshold, reached, overage) and the
 * expiry message of Gitlab::ExpiringSubscriptionMessage as an admin sees
 * it.  Which banner shows is the engine's decision (sl_status_banners, on
 * the figures of sl_store_status); this file only words it.  GitLab's
 * sentences about restricted access are kept as GitLab writes them for an
 * instance without it; its "How do I renew my subscription?" link, which
 * points at GitLab's documentation, is left out (the console links nowhere
 * else).
 */
#include "console/console_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define TEXT_MAX 512
#define PLAN_MAX 64

/* A body: runs of text, some of them strong. */
static json_t *run(const char *text, int strong)
{
    return json_pack("{s:s,s:b}", "text", text, "strong", strong);
}

static json_t *banner(const char *id, const char *variant, const char *title, json_t *body)
{
    if (!body)
        return NULL;
    return json_pack("{s:s,s:s,s:s,s:o}", "id", id, "variant", variant, "title", title, "body",
                     body);
}

/* Rails' titleize of a plan name: "premium" -> "Premium",
 * "ultimate_trial" -> "Ultimate Trial". */
static void titleize(const char *plan, char *out, size_t size)
{
    size_t o = 0;
    int start = 1;
    for (const char *p = plan ? plan : ""; *p && o + 1 < size; p++) {
        char c = *p == '_' ? ' ' : *p;
        out[o++] = start ? (char)toupper((unsigned char)c) : (char)tolower((unsigned char)c);
        start = c == ' ';
    }
    out[o] = '\0';
}

static json_t *seat_banner(const sl_banners *b)
{
    char title[TEXT_MAX], text[TEXT_MAX];
    const char *variant = b->seat == SL_SEAT_BANNER_THRESHOLD ? "info" : "warning";
    switch (b->seat) {
    case SL_SEAT_BANNER_THRESHOLD:
        snprintf(title, sizeof title, "Your instance is approaching its seat limit");
        snprintf(text, sizeof text,
                 "Your instance has used %lld of %lld %s. When no seats remain, adding new users "
                 "will put your instance into overage. Purchase more seats and turn on restricted "
                 "access to block new users automatically.",
                 (long long)b->seats_used, (long long)b->seats_total,
                 b->seats_total == 1 ? "seat" : "seats");
        break;
    case SL_SEAT_BANNER_REACHED:
        snprintf(title, sizeof title, "Your instance has reached its seat limit");
        snprintf(text, sizeof text,
                 "Your instance has used all %lld %s. Adding new users will put your instance "
                 "into overage. Purchase more seats and turn on restricted access to block new "
                 "users automatically.",
                 (long long)b->seats_total, b->seats_total == 1 ? "seat" : "seats");
        break;
    case SL_SEAT_BANNER_OVERAGE:
        snprintf(title, sizeof title, "Your instance has exceeded its seat limit");
        snprintf(text, sizeof text,
                 "Your instance has used %lld of %lld %s (%lld over limit). Purchase more seats "
                 "and turn on restricted access to prevent further overages.",
                 (long long)b->seats_used, (long long)b->seats_total,
                 b->seats_total == 1 ? "seat" : "seats", (long long)b->seats_over);
        break;
    default:
        return NULL;
    }
    return banner("seats", variant, title, json_pack("[o]", run(text, 0)));
}

static json_t *expiry_banner(const sl_status *s, const sl_banners *b)
{
    char plan[PLAN_MAX], title[TEXT_MAX], text[TEXT_MAX], day[16];
    json_t *body = json_array();
    titleize(s->plan, plan, sizeof plan);
    if (b->expiry == SL_EXPIRY_BANNER_EXPIRED)
        snprintf(title, sizeof title, "Your subscription expired!");
    else
        snprintf(title, sizeof title, "Your %s subscription will expire on %s", plan,
                 sl_date_format(b->expires_on, day, sizeof day));
    /* GitLab says more only of a license that blocks changes some day */
    if (body && b->block_changes_on != SL_DATE_NONE) {
        if (b->expiry == SL_EXPIRY_BANNER_EXPIRED && b->block_changes) {
            json_array_append_new(body, run("Please delete your current license if you want to "
                                            "downgrade to the free plan.", 0));
        } else if (b->expiry == SL_EXPIRY_BANNER_EXPIRED) {
            json_array_append_new(body, run("No worries, you can still use all the ", 0));
            json_array_append_new(body, run(plan, 1));
            snprintf(text, sizeof text, " features for now. You have %lld %s to renew your "
                     "subscription.", (long long)b->days_to_renew,
                     b->days_to_renew == 1 ? "day" : "days");
            json_array_append_new(body, run(text, 0));
        } else {
            json_array_append_new(body, run("If you don't renew by ", 0));
            json_array_append_new(body, run(sl_date_format(b->block_changes_on, day, sizeof day), 1));
            json_array_append_new(body, run(" your instance will become read-only, and you won't "
                                            "be able to create issues or merge requests. You will "
                                            "also lose access to your paid features and support "
                                            "entitlement.", 0));
        }
    }
    return banner("expiry", b->expiry == SL_EXPIRY_BANNER_EXPIRED ? "danger" : "warning", title,
                  body);
}

json_t *sl_console_banners_of(const sl_status *s)
{
    sl_banners b;
    json_t *list = json_array(), *out;
    sl_status_banners(s, &b);
    if (list && b.expiry != SL_EXPIRY_BANNER_NONE &&
        json_array_append_new(list, expiry_banner(s, &b)) != 0) {
        json_decref(list);
        return NULL;
    }
    if (list && b.seat != SL_SEAT_BANNER_NONE && json_array_append_new(list, seat_banner(&b)) != 0) {
        json_decref(list);
        return NULL;
    }
    out = list ? json_pack("{s:o}", "banners", list) : NULL;
    return out;
}

sl_rc sl_console_banners_json(sl_store *st, json_t **out, sl_error *err)
{
    sl_status s;
    sl_rc rc = sl_store_status(st, &s, err);
    *out = NULL;
    if (rc != SL_OK)
        return rc;
    *out = sl_console_banners_of(&s);
    sl_status_free(&s);
    return *out ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory");
}
