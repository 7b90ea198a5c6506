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

    /* subscriptions and the Stripe webhook (h_pay.c). The webhook is PUBLIC (Stripe signs
     * it) and not JSON-flagged: its signature covers the raw body, which must reach the
     * handler untouched. /usage belongs to the marketplace module. */
    {"GET", "/api/subscription", h_subscription_get, AUTH},
    {"POST", "/api/subscription/checkout", h_subscription_checkout, AUTH},
    {"POST", "/api/subscription/portal", h_subscription_portal, AUTH},
    {"POST", "/api/subscription/cancel", h_subscription_cancel, AUTH},
    {"POST", "/api/webhooks/stripe", h_stripe_webhook, PUBLIC},
    {"POST", "/api/stripe/webhook", h_stripe_webhook, PUBLIC},

    /* messaging, real time, calls, push tokens (h_messaging.c) */
    {"POST", "/api/conversations", h_conv_open, AUTH | JSON},
    {"GET", "/api/conversations", h_conv_list, AUTH},
    {"GET", "/api/conversations/:id/messages", h_conv_messages, AUTH},
    {"POST", "/api/conversations/:id/messages", h_conv_send, AUTH | JSON},
    {"POST", "/api/conversations/:id/read", h_conv_read, AUTH},
    {"POST", "/api/conversations/:id/typing", h_conv_typing, AUTH},
    /* nchan_authorize_request subrequest (internal in nginx) and the X-Accel-Redirect
     * entry of the per-user notification stream */
    {"GET", "/api/realtime/authorize/conversations/:id", h_rt_authorize_conversation, QTOKEN},
    {"GET", "/api/realtime/notifications", h_rt_notifications, QTOKEN},
    {"POST", "/api/calls", h_calls_create, AUTH | JSON},
    {"GET", "/api/calls/upcoming", h_calls_upcoming, AUTH},
    {"GET", "/api/calls/history", h_calls_history, AUTH},
    {"POST", "/api/calls/:id/end", h_calls_end, AUTH},
    {"POST", "/api/push-tokens", h_push_register, AUTH | JSON},
    {"DELETE", "/api/push-tokens/:token", h_push_delete, AUTH},
    {"POST", "/api/attachments", h_attachments_upload, AUTH | UPLOAD},
    {"GET", "/api/attachments/:id", h_attachments_get, AUTH},

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
