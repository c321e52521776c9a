/*
 * ops/ops_internal.h - what ops/ decides that a layer above asks: the
 * add-on conditions `status` reports, so the notification events
 * (notify/) fire on exactly them.
 */
#ifndef SL_OPS_INTERNAL_H
#define SL_OPS_INTERNAL_H

#include "seats/seats_internal.h"

/* Every seat of a seat-assignable add-on is assigned. */
int sl__status_addon_full(const sl_status_addon *a);
/* The purchase ends within ADDON_WARN_DAYS (15) days. */
int sl__status_addon_expiring(const sl_status_addon *a);
/* The sentences of those notices ("duo_pro seats are all assigned",
 * "duo_pro expires in 9 days"), as `status` prints them. */
void sl__status_addon_full_sentence(const sl_status_addon *a, char *buf, size_t size);
void sl__status_addon_expiry_sentence(const sl_status_addon *a, char *buf, size_t size);

#endif
