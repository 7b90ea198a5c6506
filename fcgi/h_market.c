/* h_market.c — thin adapters from HTTP to lib/ for the marketplace routes:
 * take path/query/body, call the domain function, render its result. */
#include "applications.h"
#include "gigs.h"
#include "handlers.h"
#include "notifications.h"
#include "profiles.h"
#include "respond.h"
#include "reviews.h"

/* ---- profiles ---- */

void h_profile_public(struct request *r) { RENDER(r, 200, profiles_get_public(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_profile_get(struct request *r) { RENDER(r, 200, profiles_get_own(&r->g, RENDER_OUT)); }
void h_profile_update(struct request *r) { RENDER(r, 200, profiles_update(&r->g, r->json, RENDER_OUT)); }
void h_profile_availability(struct request *r) { RENDER(r, 200, profiles_set_availability(&r->g, r->json, RENDER_OUT)); }

/* UPLOAD route: reads its own body (the raw image or a multipart part `file`, which
 * profiles_set_avatar tells apart). */
void h_profile_avatar(struct request *r)
{
    if (req_read_body(r, PROFILES_AVATAR_BODY_MAX) != R_SUCCESS) {
        respond_fail(r, R_TOOLARGE, "Avatar exceeds 5 MiB");
        return;
    }
    RENDER(r, 200, profiles_set_avatar(&r->g, req_param(r, "CONTENT_TYPE"), r->body, r->body_len, RENDER_OUT));
}

/* ---- gigs ---- */

void h_gigs_search(struct request *r)
{
    struct gig_query q = {
        .search = req_query(r, "search"), .category = req_query(r, "category"), .skills = req_query(r, "skills"),
        .ai_tools = req_query(r, "ai_tools"), .budget_min = req_query(r, "budget_min"),
        .budget_max = req_query(r, "budget_max"), .location_type = req_query(r, "location_type"),
        .posted_within = req_query(r, "posted_within"), .sort = req_query(r, "sort"),
        .page = req_query(r, "page"), .limit = req_query(r, "limit"), .cursor = req_query(r, "cursor"),
    };
    RENDER(r, 200, gigs_search(&r->g, &q, RENDER_OUT));
}

void h_gigs_create(struct request *r) { RENDER(r, 201, gigs_create(&r->g, r->json, RENDER_OUT)); }
/* The viewer a view is counted for: the account when signed in, else the address. */
static const char *viewer_key(struct request *r)
{
    if (r->g.user_id)
        return arena_sprintf(r->a, "u:%s", r->g.user_id);
    const char *addr = req_param(r, "REMOTE_ADDR");
    return addr ? arena_sprintf(r->a, "a:%s", addr) : NULL;
}

void h_gigs_get(struct request *r) { RENDER(r, 200, gigs_get(&r->g, req_arg(r, 0), viewer_key(r), RENDER_OUT)); }
void h_gigs_update(struct request *r) { RENDER(r, 200, gigs_update(&r->g, req_arg(r, 0), r->json, RENDER_OUT)); }
void h_gigs_status(struct request *r) { RENDER(r, 200, gigs_set_status(&r->g, req_arg(r, 0), r->json, RENDER_OUT)); }
void h_gigs_mine(struct request *r)
{
    RENDER(r, 200, gigs_mine(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}
void h_gigs_saved(struct request *r)
{
    RENDER(r, 200, gigs_saved(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}
void h_subscription_usage(struct request *r) { RENDER(r, 200, gigs_usage(&r->g, RENDER_OUT)); }

void h_gigs_recommended(struct request *r)
{
    RENDER(r, 200, gigs_recommended(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

/* The data of these three is fixed, so the call is the only argument that runs code. */
void h_gigs_delete(struct request *r) { respond_result(r, gigs_delete(&r->g, req_arg(r, 0)), 200, NULL); }

void h_gigs_save(struct request *r)
{
    respond_result(r, gigs_save(&r->g, req_arg(r, 0), true), 200, "{\"saved\":true}");
}

void h_gigs_unsave(struct request *r)
{
    respond_result(r, gigs_save(&r->g, req_arg(r, 0), false), 200, "{\"saved\":false}");
}

/* ---- applications ---- */

void h_apps_create(struct request *r) { RENDER(r, 201, applications_create(&r->g, r->json, RENDER_OUT)); }
void h_apps_withdraw(struct request *r) { RENDER(r, 200, applications_withdraw(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_apps_mine(struct request *r)
{
    RENDER(r, 200,
           applications_mine(&r->g, req_query(r, "status"), req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

void h_apps_for_gig(struct request *r)
{
    RENDER(r, 200, applications_for_gig(&r->g, req_arg(r, 0), req_query(r, "status"), RENDER_OUT));
}

void h_apps_status(struct request *r)
{
    RENDER(r, 200, applications_set_status(&r->g, req_arg(r, 0), r->json, RENDER_OUT));
}

void h_apps_bulk_status(struct request *r) { RENDER(r, 200, applications_bulk_status(&r->g, r->json, RENDER_OUT)); }

/* ---- reviews ---- */

void h_reviews_create(struct request *r) { RENDER(r, 201, reviews_create(&r->g, r->json, RENDER_OUT)); }
void h_reviews_user(struct request *r)
{
    RENDER(r, 200, reviews_for_user(&r->g, req_arg(r, 0), req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}
void h_reviews_rating(struct request *r) { RENDER(r, 200, reviews_rating(&r->g, req_arg(r, 0), RENDER_OUT)); }

/* ---- notifications ---- */

void h_notifications_list(struct request *r)
{
    RENDER(r, 200, notifications_list(&r->g, req_query(r, "unread_only"), req_query(r, "page"), req_query(r, "limit"),
                                      RENDER_OUT));
}

void h_notifications_read(struct request *r) { RENDER(r, 200, notifications_read(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_notifications_read_all(struct request *r) { RENDER(r, 200, notifications_read_all(&r->g, RENDER_OUT)); }
void h_notifications_unread(struct request *r) { RENDER(r, 200, notifications_unread_count(&r->g, RENDER_OUT)); }
