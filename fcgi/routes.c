/* routes.c — every route of the service, read top to bottom. First match wins, so
 * literal segments come before ":param" segments at the same place.
 * docs/openapi.json must list each of them (t/api/openapi.t checks). */
#include "handlers.h"
#include "router.h"
#include "util.h"

const struct route routes[] = {
    /* operations */
    {"GET", "/healthz", h_healthz, ROUTE_PUBLIC},
    {"GET", "/api/cron/:job", h_cron, ROUTE_PUBLIC},
    {"POST", "/api/cron/:job", h_cron, ROUTE_PUBLIC},
    /* the scoreboard and the metrics: refused unless nginx's own locations mark the request (h_ops.c) */
    {"GET", "/status", h_status, ROUTE_PUBLIC},
    {"GET", "/metrics", h_metrics, ROUTE_PUBLIC},

    /* auth */
    {"POST", "/api/auth/signup", h_auth_signup, ROUTE_JSON},
    {"POST", "/api/auth/signin", h_auth_signin, ROUTE_JSON},
    {"POST", "/api/auth/signout", h_auth_signout, ROUTE_AUTH},
    {"GET", "/api/auth/session", h_auth_session, ROUTE_AUTH},
    {"POST", "/api/auth/password/reset", h_auth_reset, ROUTE_JSON},
    {"POST", "/api/auth/password/reset/confirm", h_auth_reset_confirm, ROUTE_JSON},
    {"PUT", "/api/auth/password", h_auth_password, ROUTE_AUTH | ROUTE_JSON},

    /* accounts: email verification, export, deletion (h_auth.c, h_account.c). Posting,
     * applying, messaging and paying routes carry ROUTE_VERIFIED (the gate, fcgi/worker.c). */
    {"POST", "/api/auth/verify-email", h_auth_verify_email, ROUTE_JSON},
    {"POST", "/api/auth/verify-email/resend", h_auth_verify_resend, ROUTE_AUTH},
    {"PUT", "/api/auth/email", h_auth_email, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/me/export", h_me_export, ROUTE_AUTH},
    {"DELETE", "/api/me", h_me_delete, ROUTE_AUTH | ROUTE_JSON},

    /* subscriptions and the Stripe webhook (h_pay.c). The webhook is ROUTE_PUBLIC (Stripe signs
     * it) and not JSON-flagged: its signature covers the raw body, which must reach the
     * handler untouched. /usage belongs to the marketplace module. */
    {"GET", "/api/subscription", h_subscription_get, ROUTE_AUTH},
    {"POST", "/api/subscription/checkout", h_subscription_checkout, ROUTE_AUTH | ROUTE_VERIFIED},
    {"POST", "/api/subscription/portal", h_subscription_portal, ROUTE_AUTH},
    {"POST", "/api/subscription/cancel", h_subscription_cancel, ROUTE_AUTH},
    {"POST", "/api/webhooks/stripe", h_stripe_webhook, ROUTE_PUBLIC},
    {"POST", "/api/stripe/webhook", h_stripe_webhook, ROUTE_PUBLIC},

    /* messaging, real time, calls, push tokens (h_messaging.c) */
    {"POST", "/api/conversations", h_conv_open, ROUTE_AUTH | ROUTE_JSON | ROUTE_VERIFIED},
    {"GET", "/api/conversations", h_conv_list, ROUTE_AUTH},
    {"GET", "/api/conversations/:id/messages", h_conv_messages, ROUTE_AUTH},
    {"POST", "/api/conversations/:id/messages", h_conv_send, ROUTE_AUTH | ROUTE_JSON | ROUTE_VERIFIED},
    {"POST", "/api/conversations/:id/read", h_conv_read, ROUTE_AUTH},
    {"POST", "/api/conversations/:id/typing", h_conv_typing, ROUTE_AUTH},
    /* the X-Accel-Redirect entries of the real-time streams (nginx logs them without the query) */
    {"GET", "/api/realtime/conversations/:id", h_rt_conversation, ROUTE_QTOKEN},
    {"GET", "/api/realtime/notifications", h_rt_notifications, ROUTE_QTOKEN},
    {"POST", "/api/calls", h_calls_create, ROUTE_AUTH | ROUTE_JSON | ROUTE_VERIFIED},
    {"GET", "/api/calls/upcoming", h_calls_upcoming, ROUTE_AUTH},
    {"GET", "/api/calls/history", h_calls_history, ROUTE_AUTH},
    {"POST", "/api/calls/:id/end", h_calls_end, ROUTE_AUTH},
    {"POST", "/api/push-tokens", h_push_register, ROUTE_AUTH | ROUTE_JSON},
    {"DELETE", "/api/push-tokens/:token", h_push_delete, ROUTE_AUTH},
    {"POST", "/api/attachments", h_attachments_upload, ROUTE_AUTH | ROUTE_UPLOAD | ROUTE_VERIFIED},
    {"GET", "/api/attachments/:id", h_attachments_get, ROUTE_AUTH},

    /* profiles */
    {"GET", "/api/profiles/:username", h_profile_public, ROUTE_READ},
    {"GET", "/api/profile", h_profile_get, ROUTE_AUTH},
    {"PATCH", "/api/profile", h_profile_update, ROUTE_AUTH | ROUTE_JSON},
    {"PUT", "/api/profile/availability", h_profile_availability, ROUTE_AUTH | ROUTE_JSON},
    {"PUT", "/api/profile/avatar", h_profile_avatar, ROUTE_AUTH | ROUTE_UPLOAD},

    /* urgent gigs (h_urgent.c), before the gig routes: /api/gigs/urgent is a literal */
    {"GET", "/api/user/availability", h_availability_get, ROUTE_AUTH},
    {"PATCH", "/api/user/availability", h_availability_update, ROUTE_AUTH | ROUTE_JSON},
    {"POST", "/api/user/availability/location", h_availability_location, ROUTE_AUTH | ROUTE_JSON},
    {"POST", "/api/gigs/urgent", h_urgent_create, ROUTE_AUTH | ROUTE_JSON | ROUTE_VERIFIED},
    {"GET", "/api/gigs/urgent/:id", h_urgent_get, ROUTE_AUTH},
    {"GET", "/api/gigs/urgent/:id/responses", h_urgent_responses, ROUTE_AUTH},
    {"POST", "/api/gigs/:id/confirm-payment", h_urgent_confirm_payment, ROUTE_AUTH | ROUTE_VERIFIED},
    {"POST", "/api/gigs/:id/respond", h_urgent_respond, ROUTE_AUTH | ROUTE_JSON | ROUTE_VERIFIED},
    {"POST", "/api/gigs/:id/select", h_urgent_select, ROUTE_AUTH | ROUTE_JSON},
    {"POST", "/api/gigs/:id/complete", h_urgent_complete, ROUTE_AUTH},
    {"GET", "/api/me/urgent-gigs", h_urgent_mine, ROUTE_AUTH},
    {"GET", "/api/wallet", h_wallet, ROUTE_AUTH},
    {"POST", "/api/gig-ratings", h_gig_ratings_create, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/gig-ratings/project/:id", h_gig_ratings_project, ROUTE_AUTH},
    {"GET", "/api/gig-ratings/user/:id", h_gig_ratings_user, ROUTE_PUBLIC},
    {"POST", "/api/disputes", h_disputes_create, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/disputes/:id", h_disputes_get, ROUTE_AUTH},
    {"POST", "/api/disputes/:id/respond", h_disputes_respond, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/cron/urgent-gigs/:job", h_cron_urgent, ROUTE_PUBLIC},
    {"POST", "/api/cron/urgent-gigs/:job", h_cron_urgent, ROUTE_PUBLIC},

    /* provider payouts: Connect onboarding, payout history, wallet receipts (h_payouts.c) */
    {"POST", "/api/payouts/account", h_payouts_account_create, ROUTE_AUTH | ROUTE_VERIFIED},
    {"GET", "/api/payouts/account", h_payouts_account_get, ROUTE_AUTH},
    {"GET", "/api/payouts", h_payouts_list, ROUTE_AUTH},
    {"GET", "/api/wallet/transactions/:id/receipt", h_wallet_receipt, ROUTE_AUTH},

    /* gigs */
    /* OPTAUTH (trust): a signed-in searcher does not see gigs of users in a block with them */
    {"GET", "/api/gigs", h_gigs_search, ROUTE_READ | ROUTE_OPTAUTH},
    {"POST", "/api/gigs", h_gigs_create, ROUTE_AUTH | ROUTE_JSON | ROUTE_VERIFIED},
    {"GET", "/api/gigs/:id", h_gigs_get, ROUTE_OPTAUTH},
    {"PATCH", "/api/gigs/:id", h_gigs_update, ROUTE_AUTH | ROUTE_JSON},
    {"DELETE", "/api/gigs/:id", h_gigs_delete, ROUTE_AUTH},
    {"PUT", "/api/gigs/:id/status", h_gigs_status, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/me/gigs", h_gigs_mine, ROUTE_AUTH},
    {"GET", "/api/me/recommended-gigs", h_gigs_recommended, ROUTE_AUTH},
    {"GET", "/api/subscription/usage", h_subscription_usage, ROUTE_AUTH},

    /* saved gigs */
    {"POST", "/api/gigs/:id/save", h_gigs_save, ROUTE_AUTH},
    {"DELETE", "/api/gigs/:id/save", h_gigs_unsave, ROUTE_AUTH},
    {"GET", "/api/me/saved-gigs", h_gigs_saved, ROUTE_AUTH},

    /* applications */
    {"POST", "/api/applications", h_apps_create, ROUTE_AUTH | ROUTE_JSON | ROUTE_VERIFIED},
    {"POST", "/api/applications/bulk-status", h_apps_bulk_status, ROUTE_AUTH | ROUTE_JSON},
    {"POST", "/api/applications/:id/withdraw", h_apps_withdraw, ROUTE_AUTH},
    {"PUT", "/api/applications/:id/status", h_apps_status, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/me/applications", h_apps_mine, ROUTE_AUTH},
    {"GET", "/api/gigs/:id/applications", h_apps_for_gig, ROUTE_AUTH},

    /* reviews */
    {"POST", "/api/reviews", h_reviews_create, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/users/:id/reviews", h_reviews_user, ROUTE_READ},
    {"GET", "/api/users/:id/rating", h_reviews_rating, ROUTE_READ},

    /* notifications */
    {"GET", "/api/notifications", h_notifications_list, ROUTE_AUTH},
    {"POST", "/api/notifications/read-all", h_notifications_read_all, ROUTE_AUTH},
    {"GET", "/api/notifications/unread-count", h_notifications_unread, ROUTE_AUTH},
    {"POST", "/api/notifications/:id/read", h_notifications_read, ROUTE_AUTH},

    /* saved searches raising gig alerts, notification preferences (h_alerts.c) */
    {"POST", "/api/me/saved-searches", h_saved_searches_create, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/me/saved-searches", h_saved_searches_list, ROUTE_AUTH},
    {"DELETE", "/api/me/saved-searches/:id", h_saved_searches_delete, ROUTE_AUTH},
    {"GET", "/api/me/notification-preferences", h_notify_prefs_get, ROUTE_AUTH},
    {"PUT", "/api/me/notification-preferences", h_notify_prefs_put, ROUTE_AUTH | ROUTE_JSON},

    /* organizations: workspaces, members, invitations, categories, jobs (h_org.c);
     * /members/me before /members/:userId */
    {"POST", "/api/organizations", h_org_create, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/organizations", h_org_mine, ROUTE_AUTH},
    {"GET", "/api/organizations/:id", h_org_get, ROUTE_AUTH},
    {"PATCH", "/api/organizations/:id", h_org_update, ROUTE_AUTH | ROUTE_JSON},
    {"DELETE", "/api/organizations/:id", h_org_delete, ROUTE_AUTH},
    {"GET", "/api/organizations/:id/members", h_org_members, ROUTE_AUTH},
    {"DELETE", "/api/organizations/:id/members/me", h_org_leave, ROUTE_AUTH},
    {"PUT", "/api/organizations/:id/members/:userId", h_org_member_role, ROUTE_AUTH | ROUTE_JSON},
    {"DELETE", "/api/organizations/:id/members/:userId", h_org_member_remove, ROUTE_AUTH},
    {"POST", "/api/organizations/:id/invitations", h_org_invite, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/organizations/:id/invitations", h_org_invitations, ROUTE_AUTH},
    {"DELETE", "/api/organizations/:id/invitations/:invId", h_org_invitation_revoke, ROUTE_AUTH},
    {"POST", "/api/invitations/:token/accept", h_invitation_accept, ROUTE_AUTH},
    {"GET", "/api/organizations/:id/categories", h_org_categories, ROUTE_AUTH},
    {"POST", "/api/organizations/:id/categories", h_org_category_create, ROUTE_AUTH | ROUTE_JSON},
    {"PATCH", "/api/organizations/:id/categories/:catId", h_org_category_rename, ROUTE_AUTH | ROUTE_JSON},
    {"DELETE", "/api/organizations/:id/categories/:catId", h_org_category_delete, ROUTE_AUTH},
    {"GET", "/api/organizations/:id/jobs", h_org_jobs, ROUTE_AUTH},
    {"POST", "/api/organizations/:id/jobs", h_org_job_create, ROUTE_AUTH | ROUTE_JSON | ROUTE_VERIFIED},
    {"GET", "/api/organizations/:id/jobs/:jobId", h_org_job_get, ROUTE_AUTH},
    {"PATCH", "/api/organizations/:id/jobs/:jobId", h_org_job_update, ROUTE_AUTH | ROUTE_JSON},
    {"PUT", "/api/organizations/:id/jobs/:jobId/status", h_org_job_status, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/organizations/:id/jobs/:jobId/applicants", h_org_job_applicants, ROUTE_AUTH},
    {"GET", "/api/o/:slug", h_org_board, ROUTE_PUBLIC},

    /* trust: blocks and reports (h_trust.c); moderators' routes (h_admin.c), each refused
     * 403 to anyone below the role it needs (lib/moderation.c); their bodies are optional
     * JSON ({reason}), so they are not ROUTE_JSON. Unsuspend and restore have DELETE aliases. */
    {"POST", "/api/users/:id/block", h_trust_block, ROUTE_AUTH},
    {"DELETE", "/api/users/:id/block", h_trust_unblock, ROUTE_AUTH},
    {"GET", "/api/me/blocks", h_trust_blocks, ROUTE_AUTH},
    {"POST", "/api/reports", h_trust_report, ROUTE_AUTH | ROUTE_JSON},
    {"GET", "/api/admin/reports", h_admin_reports, ROUTE_AUTH},
    {"POST", "/api/admin/reports/:id/resolve", h_admin_report_resolve, ROUTE_AUTH},
    {"POST", "/api/admin/users/:id/suspend", h_admin_suspend, ROUTE_AUTH},
    {"DELETE", "/api/admin/users/:id/suspend", h_admin_unsuspend, ROUTE_AUTH},
    {"POST", "/api/admin/users/:id/unsuspend", h_admin_unsuspend, ROUTE_AUTH},
    {"GET", "/api/admin/gigs/:id", h_admin_content, ROUTE_AUTH},
    {"GET", "/api/admin/messages/:id", h_admin_content, ROUTE_AUTH},
    {"GET", "/api/admin/reviews/:id", h_admin_content, ROUTE_AUTH},
    {"POST", "/api/admin/gigs/:id/takedown", h_admin_takedown, ROUTE_AUTH},
    {"DELETE", "/api/admin/gigs/:id/takedown", h_admin_restore, ROUTE_AUTH},
    {"POST", "/api/admin/gigs/:id/restore", h_admin_restore, ROUTE_AUTH},
    {"POST", "/api/admin/messages/:id/takedown", h_admin_takedown, ROUTE_AUTH},
    {"DELETE", "/api/admin/messages/:id/takedown", h_admin_restore, ROUTE_AUTH},
    {"POST", "/api/admin/messages/:id/restore", h_admin_restore, ROUTE_AUTH},
    {"POST", "/api/admin/reviews/:id/takedown", h_admin_takedown, ROUTE_AUTH},
    {"DELETE", "/api/admin/reviews/:id/takedown", h_admin_restore, ROUTE_AUTH},
    {"POST", "/api/admin/reviews/:id/restore", h_admin_restore, ROUTE_AUTH},
    {"GET", "/api/admin/audit-log", h_admin_audit, ROUTE_AUTH},
};

const size_t routes_count = ARRAY_SIZE(routes);
