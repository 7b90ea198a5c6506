/* h_alerts.h — handlers of saved searches (gig alerts) and notification preferences;
 * bodies in h_alerts.c. */
#ifndef GIGD_H_ALERTS_H
#define GIGD_H_ALERTS_H
#include "http.h"

void h_saved_searches_create(struct request *r);
void h_saved_searches_list(struct request *r);
void h_saved_searches_delete(struct request *r);
void h_notify_prefs_get(struct request *r);
void h_notify_prefs_put(struct request *r);

#endif
