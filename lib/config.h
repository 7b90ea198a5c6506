/* config.h — every GIGD_* setting, read once and checked, replaced only as a whole. */
#ifndef GIGD_CONFIG_H
#define GIGD_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

struct config {
    const char *database_url;
    long workers;
    const char *socket;
    const char *public_url;
    const char *upload_dir;       /* public files served by nginx at /uploads/ */
    const char *private_dir;      /* attachments, served only via X-Accel-Redirect */
    const char *stripe_secret_key;
    const char *stripe_webhook_secret;
    const char *stripe_pro_price;
    const char *stripe_api_base;
    long stripe_timeout;          /* seconds per Stripe API attempt (connect + answer) */
    const char *expo_push_url;
    const char *smtp_url;
    const char *mail_from;
    const char *cron_secret;
    const char *nchan_publish_url;
    const char *video_base_url;
    long max_requests;            /* recycle a worker after this many requests; 0 = never */
    long db_trace;                /* 1: name each request in PostgreSQL's application_name */
    long shutdown_timeout;        /* seconds before QUIT escalates to KILL */
    long json_body_limit;         /* bytes */
    long listen_backlog;          /* the FastCGI socket's accept queue: short, so overload fails fast */
    long statement_timeout_ms;    /* every statement of a worker; 0 = none */
    /* Abuse limits (README "Abuse"): counts per window, 0 disables one. */
    long password_window;         /* seconds of the password-check windows */
    long password_user_max;       /* password checks per account per window */
    long password_addr_max;       /* password hashings/checks per client address per window */
    long password_concurrency;    /* Argon2id runs at once over all workers on the database; 0 = no cap */
    long reset_mail_interval;     /* seconds between two reset mails of one account */
    long quota_upload_bytes;      /* attachment bytes per user per day */
    long quota_uploads;           /* attachment files per user per day */
    long orphan_upload_ttl;       /* seconds an unsent attachment is kept */
    long quota_messages;          /* messages per user per hour */
    long quota_conversations;     /* new conversations per user per day */
    long quota_calls;             /* calls created per user per day */
    long quota_calls_peer;        /* calls per caller per participant per day */
    long quota_reviews;           /* reviews per user per day */
    long quota_applications;      /* applications per user per 24 h */
    long quota_push_tokens;       /* push-token registrations per user per day */
    long quota_urgent_gigs;       /* urgent gigs (PaymentIntents) created per user per 24 h */
    const char *pidfile;
    const char *user;             /* account the workers run as when gigd starts as root */
    const char *config_file;      /* optional KEY=VALUE file, re-read on SIGHUP */
    const char *log_format;       /* "text" or "json" */
    const char *database_read_url; /* optional streaming standby for lag-tolerant reads; "" = none */
    /* operations: the watchdog and the /status and /metrics pages (issue 14) */
    long slow_request;            /* seconds: a request running longer is logged once (slow log) */
    long request_timeout;         /* seconds: a request running longer has its worker killed; 0 = never */
    const char *ops_allow;        /* addresses/CIDRs besides loopback allowed /status and /metrics */
    /* urgent gigs */
    long match_wave;              /* providers offered an urgent gig per wave */
    long match_wave_interval;     /* seconds between waves while nobody is selected */
    long platform_fee_bps;        /* platform fee on urgent gigs, basis points (1200 = 12 %) */
    /* accounts */
    long require_email_verification; /* 1: unverified accounts cannot post, apply, message or pay */
    long verify_resend_max;       /* verification mails a user may ask for per hour; 0 = no cap */
    long account_grace_days;      /* days a deleted account can be restored before it is erased */
    /* saved-search alerts */
    long alert_min_interval;      /* seconds between two gig_alerts of one saved search */
    const char *payout_country;   /* ISO country of new Connect Express accounts (payouts) */
    const char *stripe_connect_webhook_secret; /* the Connect endpoint's signing secret; "" = none */
    /* Derived at load: scheme://host[:port] of public_url, lowercased, default port
     * dropped. Every same-origin check compares against it. */
    const char *public_origin;
};

/* The configuration in force. Its strings are owned by the config module and stay valid
 * until the next successful config_load replaces them; never written elsewhere. */
extern struct config cfg;

/* Loads every setting: for each key the value in GIGD_CONFIG_FILE (when the environment
 * names one) wins, then the environment, then the default, so a key removed from the file
 * returns to its environment value or default on the next load. All or nothing: on success
 * cfg is replaced as a whole and 0 returned; on any error (unreadable file, bad value) cfg
 * is left exactly as it was, and -1 returned with the offending variable and its problem
 * written to err. */
int config_load(char *err, size_t errlen);

/* True when the n bytes at origin, an origin (scheme://host[:port], nothing after), are
 * cfg.public_origin once normalised the same way (case, default port). */
bool config_is_public_origin(const char *origin, size_t n);

/* True when addr (textual IPv4 or IPv6) is in list ("10.0.0.0/8 192.0.2.7, ::1"); with
 * addr NULL, true when every entry of list parses (config_load checks GIGD_OPS_ALLOW). A
 * malformed entry makes the whole list match nothing. */
bool config_addr_listed(const char *list, const char *addr);

#endif
