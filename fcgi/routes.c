/* routes.c — every route of the service, read top to bottom. First match wins, so
 * literal segments come before ":param" segments at the same place.
 * docs/openapi.json must list each of them (t/api/openapi.t checks). */
#include "handlers.h"
#include "router.h"

const struct route routes[] = {
    /* operations */
    {"GET", "/healthz", h_healthz, PUBLIC},
    {"GET", "/api/cron/:job", h_cron, PUBLIC},
    {"POST", "/api/cron/:job", h_cron, PUBLIC},

    /* auth */
    {"POST", "/api/auth/signup", h_auth_signup, JSON},
    {"POST", "/api/auth/signin", h_auth_signin, JSON},
    {"POST", "/api/auth/signout", h_auth_signout, AUTH},
    {"GET", "/api/auth/session", h_auth_session, AUTH},
    {"POST", "/api/auth/password/reset", h_auth_reset, JSON},
    {"POST", "/api/auth/password/reset/confirm", h_auth_reset_confirm, JSON},
    {"PUT", "/api/auth/password", h_auth_password, AUTH | JSON},

    /* profiles */
    {"GET", "/api/profiles/:username", h_profile_public, PUBLIC},
    {"GET", "/api/profile", h_profile_get, AUTH},
    {"PATCH", "/api/profile", h_profile_update, AUTH | JSON},
    {"PUT", "/api/profile/availability", h_profile_availability, AUTH | JSON},
    {"PUT", "/api/profile/avatar", h_profile_avatar, AUTH | UPLOAD},

    /* gigs */
    {"GET", "/api/gigs", h_gigs_search, PUBLIC},
    {"POST", "/api/gigs", h_gigs_create, AUTH | JSON},
    {"GET", "/api/gigs/:id", h_gigs_get, OPTAUTH},
    {"PATCH", "/api/gigs/:id", h_gigs_update, AUTH | JSON},
    {"DELETE", "/api/gigs/:id", h_gigs_delete, AUTH},
    {"PUT", "/api/gigs/:id/status", h_gigs_status, AUTH | JSON},
    {"GET", "/api/me/gigs", h_gigs_mine, AUTH},
    {"GET", "/api/me/recommended-gigs", h_gigs_recommended, AUTH},
    {"GET", "/api/subscription/usage", h_subscription_usage, AUTH},

    /* saved gigs */
    {"POST", "/api/gigs/:id/save", h_gigs_save, AUTH},
    {"DELETE", "/api/gigs/:id/save", h_gigs_unsave, AUTH},
    {"GET", "/api/me/saved-gigs", h_gigs_saved, AUTH},

    /* applications */
    {"POST", "/api/applications", h_apps_create, AUTH | JSON},
    {"POST", "/api/applications/bulk-status", h_apps_bulk_status, AUTH | JSON},
    {"POST", "/api/applications/:id/withdraw", h_apps_withdraw, AUTH},
    {"PUT", "/api/applications/:id/status", h_apps_status, AUTH | JSON},
    {"GET", "/api/me/applications", h_apps_mine, AUTH},
    {"GET", "/api/gigs/:id/applications", h_apps_for_gig, AUTH},

    /* reviews */
    {"POST", "/api/reviews", h_reviews_create, AUTH | JSON},
    {"GET", "/api/users/:id/reviews", h_reviews_user, PUBLIC},
    {"GET", "/api/users/:id/rating", h_reviews_rating, PUBLIC},

    /* notifications */
    {"GET", "/api/notifications", h_notifications_list, AUTH},
    {"POST", "/api/notifications/read-all", h_notifications_read_all, AUTH},
    {"GET", "/api/notifications/unread-count", h_notifications_unread, AUTH},
    {"POST", "/api/notifications/:id/read", h_notifications_read, AUTH},
};

const size_t routes_count = sizeof routes / sizeof routes[0];
