/*
 * notify/notify_internal.h - the seams between the notification modules:
 * what a watched condition looks like when observed (events.c) and how an
 * event is worded (event_text.c).  Deliveries (deliveries.c) only read the
 * stored rows.
 */
#ifndef SL_NOTIFY_INTERNAL_H
#define SL_NOTIFY_INTERNAL_H

#include "ops/ops_internal.h"

/* One watched condition as seen now.  `subject` names the condition
 * ("seats", "license.expiry", "snapshot", "addon.seats:duo_pro", ...);
 * `scope` what it is about (a license, an expiry date, a purchase): a
 * level compares with the stored one only within the same scope, so a new
 * license starts from nothing to tell.  level 0 is nothing to tell; a
 * higher level than stored fires events[level]. */
#define SL_NOTIFY_LEVELS 4
#define SL_NOTIFY_SUBJECT_MAX 96
#define SL_NOTIFY_SCOPE_MAX 96
#define SL_NOTIFY_MESSAGE_MAX 256
typedef struct sl_notify_observation {
    char subject[SL_NOTIFY_SUBJECT_MAX];
    char scope[SL_NOTIFY_SCOPE_MAX];
    int level;
    const char *events[SL_NOTIFY_LEVELS];   /* by level; [0] unused */
    char message[SL_NOTIFY_MESSAGE_MAX];    /* the sentence `status` shows */
    const sl_status_addon *addon;           /* the add-on events': the purchase */
} sl_notify_observation;

/* Word a fired event: its JSON document (with `id`), mail subject and mail
 * text, from the status it was observed in.  The strings are malloc'd into
 * *ev (its id, event and fired_at_ms are set by the caller). */
sl_rc sl__notify_compose(const sl_status *s, const sl_notify_observation *o,
                         sl_notify_event *ev, sl_error *err);

#endif /* SL_NOTIFY_INTERNAL_H */
