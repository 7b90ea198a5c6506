/* h_urgent.h — handlers of the urgent-gig routes (fcgi/h_urgent.c). */
#ifndef GIGD_H_URGENT_H
#define GIGD_H_URGENT_H
#include "http.h"

void h_availability_get(struct request *r);
void h_availability_update(struct request *r);
void h_availability_location(struct request *r);
void h_urgent_create(struct request *r);
void h_urgent_get(struct request *r);
void h_urgent_responses(struct request *r);
void h_urgent_confirm_payment(struct request *r);
void h_urgent_respond(struct request *r);
void h_urgent_select(struct request *r);
void h_urgent_mine(struct request *r);
void h_cron_urgent(struct request *r);

#endif
