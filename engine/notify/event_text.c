/*
 * notify/event_text.c - what a fired event says: the JSON document handed
 * to an --exec command, and the subject and plain-text body of the mail.
 * GitLab mails one notice, the seat threshold, under the subject below; the
 * other events get "seatledger: " and the sentence `status` shows.
 */
#include "notify/notify_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* GitLab's LicenseMailer#approaching_active_user_count_limit, which it sends
 * whenever its threshold check holds: nearing, at and over the seats. */
#define GITLAB_SEATS_SUBJECT "Your subscription is nearing its user limit"
#define OWN_SUBJECT_PREFIX "seatledger: "
#define MAIL_TEXT_MAX (16 * 1024)

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *date_or_null(int32_t d)
{
    char buf[16];
    return d == SL_DATE_NONE ? json_null() : json_string(sl_date_format(d, buf, sizeof buf));
}

static json_t *license_json(const sl_status *s)
{
    json_t *lic, *who;
    if (!s->has_license)
        return json_null();
    who = json_object();
    json_object_set_new(who, "name", text_or_null(s->licensee_name));
    json_object_set_new(who, "email", text_or_null(s->licensee_email));
    json_object_set_new(who, "company", text_or_null(s->licensee_company));
    lic = json_object();
    json_object_set_new(lic, "id", json_integer(s->license_id));
    json_object_set_new(lic, "plan", text_or_null(s->plan));
    json_object_set_new(lic, "licensee", who);
    json_object_set_new(lic, "starts_on", date_or_null(s->starts_on));
    json_object_set_new(lic, "expires_on", date_or_null(s->expires_on));
    json_object_set_new(lic, "trial", json_boolean(s->trial));
    return lic;
}

static json_t *figures_json(const sl_status *s)
{
    char when[32];
    json_t *f = json_object();
    json_object_set_new(f, "seats", s->seats >= 0 ? json_integer(s->seats) : json_null());
    json_object_set_new(f, "billable_users", json_integer(s->daily_billable));
    json_object_set_new(f, "maximum_users", json_integer(s->maximum_user_count));
    json_object_set_new(f, "users_over_license", json_integer(s->overage));
    json_object_set_new(f, "days_left", s->days_left >= 0 ? json_integer(s->days_left) : json_null());
    json_object_set_new(f, "last_snapshot_at",
                        s->snapshots ? json_string(sl_time_format_rfc3339(s->last_snapshot_ms, when,
                                                                          sizeof when))
                                     : json_null());
    return f;
}

static sl_rc document(const sl_status *s, const sl_notify_observation *o, sl_notify_event *ev,
                      sl_error *err)
{
    char when[32];
    json_t *d = json_object();
    if (!d)
        return sl__err(err, SL_ENOMEM, "out of memory");
    json_object_set_new(d, "id", json_integer(ev->id));
    json_object_set_new(d, "event", json_string(ev->event));
    json_object_set_new(d, "fired_at",
                        json_string(sl_time_format_rfc3339(ev->fired_at_ms, when, sizeof when)));
    json_object_set_new(d, "message", json_string(o->message));
    json_object_set_new(d, "subject", json_string(ev->mail_subject));
    json_object_set_new(d, "license", license_json(s));
    json_object_set_new(d, "figures", figures_json(s));
    if (o->addon) {
        char day[16];
        json_t *a = json_object();
        json_object_set_new(a, "name", json_string(sl_addon_name(o->addon->add_on)));
        json_object_set_new(a, "quantity", json_integer(o->addon->quantity));
        json_object_set_new(a, "assigned", json_integer(o->addon->assigned));
        json_object_set_new(a, "expires_on",
                            json_string(sl_date_format(o->addon->expires_on, day, sizeof day)));
        json_object_set_new(a, "days_left", json_integer(o->addon->days_left));
        json_object_set_new(d, "add_on", a);
    }
    ev->document = sl__json_dump(d);
    json_decref(d);
    return ev->document ? SL_OK : sl__err(err, SL_ENOMEM, "out of memory");
}

/* "Ada Lovelace <ada@example.com>, Example Corp" with what is known. */
static sl_rc licensee_line(sl_buf *b, const sl_status *s)
{
    const char *name = s->licensee_name, *email = s->licensee_email, *company = s->licensee_company;
    sl_rc rc = SL_OK;
    if (!name && !email && !company)
        return sl__buf_printf(b, "(none)");
    if (name)
        rc = sl__buf_printf(b, "%s", name);
    if (rc == SL_OK && email)
        rc = sl__buf_printf(b, "%s<%s>", name ? " " : "", email);
    if (rc == SL_OK && company)
        rc = sl__buf_printf(b, "%s%s", name || email ? ", " : "", company);
    return rc;
}

static sl_rc mail_text(const sl_status *s, const sl_notify_observation *o, sl_notify_event *ev,
                       sl_error *err)
{
    char n[32], n2[32], d1[16], d2[16], when[32];
    sl_buf b;
    sl_rc rc;
    sl__buf_init(&b, MAIL_TEXT_MAX);
    rc = sl__buf_printf(&b, "%c%s.\n\n", toupper((unsigned char)o->message[0]), o->message + 1);
    if (rc == SL_OK && s->has_license) {
        rc = sl__buf_printf(&b, "License:            %lld (%s%s)\nLicensee:           ",
                            (long long)s->license_id, s->plan, s->trial ? ", trial" : "");
        if (rc == SL_OK)
            rc = licensee_line(&b, s);
        if (rc == SL_OK)
            rc = sl__buf_printf(&b, "\nTerm:               %s to %s\n",
                                s->starts_on == SL_DATE_NONE ? "-" : sl_date_format(s->starts_on, d1, sizeof d1),
                                s->expires_on == SL_DATE_NONE ? "-" : sl_date_format(s->expires_on, d2, sizeof d2));
        if (rc == SL_OK)
            rc = sl__buf_printf(&b, "Seats:              %s\n",
                                s->seats >= 0 ? sl_format_count(s->seats, n, sizeof n) : "unlimited");
    } else if (rc == SL_OK) {
        rc = sl__buf_printf(&b, "License:            none\n");
    }
    if (rc == SL_OK)
        rc = sl__buf_printf(&b, "Billable users:     %s\n", sl_format_count(s->daily_billable, n, sizeof n));
    if (rc == SL_OK)
        rc = sl__buf_printf(&b, "Maximum users:      %s\n",
                            sl_format_count(s->maximum_user_count, n, sizeof n));
    if (rc == SL_OK)
        rc = sl__buf_printf(&b, "Users over license: %s\n", sl_format_count(s->overage, n, sizeof n));
    if (rc == SL_OK && o->addon)
        rc = sl__buf_printf(&b, "Add-on:             %s, %s of %s seats assigned, until %s\n",
                            sl_addon_name(o->addon->add_on),
                            sl_format_count(o->addon->assigned, n, sizeof n),
                            sl_format_count(o->addon->quantity, n2, sizeof n2),
                            sl_date_format(o->addon->expires_on, d2, sizeof d2));
    if (rc == SL_OK)
        rc = sl__buf_printf(&b, "Last snapshot:      %s\n",
                            s->snapshots ? sl_time_format_utc(s->last_snapshot_ms, when, sizeof when)
                                         : "none");
    if (rc == SL_OK)
        rc = sl__buf_printf(&b, "\nEvent %s (%lld), recorded by seatledger at %s.\n", ev->event,
                            (long long)ev->id,
                            sl_time_format_rfc3339(ev->fired_at_ms, when, sizeof when));
    if (rc != SL_OK) {
        sl__buf_free(&b);
        return sl__err(err, rc, "cannot word the event '%s'", ev->event);
    }
    ev->mail_text = sl__buf_take(&b);
    return SL_OK;
}

sl_rc sl__notify_compose(const sl_status *s, const sl_notify_observation *o,
                         sl_notify_event *ev, sl_error *err)
{
    sl_rc rc;
    if (strncmp(ev->event, "seats.", 6) == 0) {
        ev->mail_subject = sl__strdup(GITLAB_SEATS_SUBJECT);
    } else {
        size_t n = sizeof OWN_SUBJECT_PREFIX + strlen(o->message);
        ev->mail_subject = malloc(n);
        if (ev->mail_subject)
            snprintf(ev->mail_subject, n, "%s%s", OWN_SUBJECT_PREFIX, o->message);
    }
    if (!ev->mail_subject)
        return sl__err(err, SL_ENOMEM, "out of memory");
    rc = document(s, o, ev, err);
    if (rc == SL_OK)
        rc = mail_text(s, o, ev, err);
    return rc;
}
