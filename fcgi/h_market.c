/* h_market.c — thin adapters from HTTP to lib/ for the marketplace routes:
 * take path/query/body, call the domain function, render its result. */
#include "applications.h"
#include "gigs.h"
#include "handlers.h"
#include "mpstream.h"
#include "notifications.h"
#include "profiles.h"
#include "respond.h"
#include "reviews.h"
#include <stdlib.h>
#include <string.h>

/* Calls f into res first, then renders: argument evaluation order is unspecified. */

/* ---- profiles ---- */

void h_profile_public(struct request *r) { RENDER(r, 200, profiles_get_public(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_profile_get(struct request *r) { RENDER(r, 200, profiles_get_own(&r->g, RENDER_OUT)); }
void h_profile_update(struct request *r) { RENDER(r, 200, profiles_update(&r->g, r->json, RENDER_OUT)); }
void h_profile_availability(struct request *r) { RENDER(r, 200, profiles_set_availability(&r->g, r->json, RENDER_OUT)); }

/* Multipart bodies may carry a little framing beyond the 5 MiB image. */
#define AVATAR_BODY_MAX (PROFILES_AVATAR_MAX + 64 * 1024)

/* UPLOAD route: reads its own body — a multipart/form-data part `file`, or the raw image. */
void h_profile_avatar(struct request *r)
{
    if (req_read_body(r, AVATAR_BODY_MAX) != R_SUCCESS) {
        respond_fail(r, R_TOOLARGE, "Avatar exceeds 5 MiB");
        return;
    }
    if (r->body_len == 0) {
        respond_fail(r, R_INVALID, "An image body or a multipart part `file` is required");
        return;
    }
    const char *body = r->body;
    long got = (long)r->body_len;
    const unsigned char *data = (const unsigned char *)body;
    size_t dlen = (size_t)got;
    char boundary[MPS_BOUNDARY_MAX + 1];
    const char *ct = req_param(r, "CONTENT_TYPE");
    if (ct && !strncasecmp(ct, "multipart/", 10)) {
        if (!mps_boundary(ct, boundary, sizeof boundary)) {
            respond_fail(r, R_INVALID, "Malformed multipart Content-Type");
            return;
        }
        struct buf part;
        buf_init(&part, r->a, dlen);
        int found = mps_find(body, dlen, boundary, "file", &part, NULL);
        if (found < 0) {
            respond_fail(r, R_INVALID, "Malformed multipart body");
            return;
        }
        if (found == 0) {
            gctx_fail_field(&r->g, "file", "is required");
            respond_error(r);
            return;
        }
        data = (const unsigned char *)part.p;
        dlen = part.len;
    }
    RENDER(r, 200, profiles_set_avatar(&r->g, data, dlen, RENDER_OUT));
}

/* ---- gigs ---- */

void h_gigs_search(struct request *r)
{
    struct gig_query q = {
        .search = req_query(r, "search"), .category = req_query(r, "category"), .skills = req_query(r, "skills"),
        .ai_tools = req_query(r, "ai_tools"), .budget_min = req_query(r, "budget_min"),
        .budget_max = req_query(r, "budget_max"), .location_type = req_query(r, "location_type"),
        .posted_within = req_query(r, "posted_within"), .sort = req_query(r, "sort"),
        .page = req_query(r, "page"), .limit = req_query(r, "limit"),
    };
    RENDER(r, 200, gigs_search(&r->g, &q, RENDER_OUT));
}

void h_gigs_create(struct request *r) { RENDER(r, 201, gigs_create(&r->g, r->json, RENDER_OUT)); }
void h_gigs_get(struct request *r) { RENDER(r, 200, gigs_get(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_gigs_update(struct request *r) { RENDER(r, 200, gigs_update(&r->g, req_arg(r, 0), r->json, RENDER_OUT)); }
void h_gigs_status(struct request *r) { RENDER(r, 200, gigs_set_status(&r->g, req_arg(r, 0), r->json, RENDER_OUT)); }
void h_gigs_mine(struct request *r) { RENDER(r, 200, gigs_mine(&r->g, RENDER_OUT)); }
void h_gigs_saved(struct request *r) { RENDER(r, 200, gigs_saved(&r->g, RENDER_OUT)); }
void h_subscription_usage(struct request *r) { RENDER(r, 200, gigs_usage(&r->g, RENDER_OUT)); }

void h_gigs_recommended(struct request *r)
{
    RENDER(r, 200, gigs_recommended(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

void h_gigs_delete(struct request *r)
{
    if (gigs_delete(&r->g, req_arg(r, 0)) != R_SUCCESS) {
        respond_error(r);
        return;
    }
    respond_ok(r);
}

void h_gigs_save(struct request *r)
{
    if (gigs_save(&r->g, req_arg(r, 0), true) != R_SUCCESS) {
        respond_error(r);
        return;
    }
    respond_data(r, 200, "{\"saved\":true}");
}

void h_gigs_unsave(struct request *r)
{
    if (gigs_save(&r->g, req_arg(r, 0), false) != R_SUCCESS) {
        respond_error(r);
        return;
    }
    respond_data(r, 200, "{\"saved\":false}");
}

/* ---- applications ---- */

void h_apps_create(struct request *r) { RENDER(r, 201, applications_create(&r->g, r->json, RENDER_OUT)); }
void h_apps_withdraw(struct request *r) { RENDER(r, 200, applications_withdraw(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_apps_mine(struct request *r) { RENDER(r, 200, applications_mine(&r->g, req_query(r, "status"), RENDER_OUT)); }

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
void h_reviews_user(struct request *r) { RENDER(r, 200, reviews_for_user(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_reviews_rating(struct request *r) { RENDER(r, 200, reviews_rating(&r->g, req_arg(r, 0), RENDER_OUT)); }

/* ---- notifications ---- */

void h_notifications_list(struct request *r)
{
    RENDER(r, 200, notifications_list(&r->g, req_query(r, "unread_only"), req_query(r, "limit"), RENDER_OUT));
}

void h_notifications_read(struct request *r) { RENDER(r, 200, notifications_read(&r->g, req_arg(r, 0), RENDER_OUT)); }
void h_notifications_read_all(struct request *r) { RENDER(r, 200, notifications_read_all(&r->g, RENDER_OUT)); }
void h_notifications_unread(struct request *r) { RENDER(r, 200, notifications_unread_count(&r->g, RENDER_OUT)); }
