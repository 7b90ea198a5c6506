/* h_market.h — handlers of the marketplace routes (profiles, gigs, applications,
 * reviews, notifications, usage); bodies in h_market.c. */
#ifndef GIGD_H_MARKET_H
#define GIGD_H_MARKET_H
#include "http.h"

void h_profile_public(struct request *r);
void h_profile_get(struct request *r);
void h_profile_update(struct request *r);
void h_profile_availability(struct request *r);
void h_profile_avatar(struct request *r);

void h_gigs_search(struct request *r);
void h_gigs_create(struct request *r);
void h_gigs_get(struct request *r);
void h_gigs_update(struct request *r);
void h_gigs_delete(struct request *r);
void h_gigs_status(struct request *r);
void h_gigs_mine(struct request *r);
void h_gigs_save(struct request *r);
void h_gigs_unsave(struct request *r);
void h_gigs_saved(struct request *r);
void h_gigs_recommended(struct request *r);
void h_subscription_usage(struct request *r);

void h_apps_create(struct request *r);
void h_apps_withdraw(struct request *r);
void h_apps_mine(struct request *r);
void h_apps_for_gig(struct request *r);
void h_apps_status(struct request *r);
void h_apps_bulk_status(struct request *r);

void h_reviews_create(struct request *r);
void h_reviews_user(struct request *r);
void h_reviews_rating(struct request *r);

void h_notifications_list(struct request *r);
void h_notifications_read(struct request *r);
void h_notifications_read_all(struct request *r);
void h_notifications_unread(struct request *r);

#endif
