/* config.h — every GIGD_* setting, read from the environment once and checked. */
#ifndef GIGD_CONFIG_H
#define GIGD_CONFIG_H

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
    long shutdown_timeout;        /* seconds before QUIT escalates to KILL */
    long json_body_limit;         /* bytes */
    const char *pidfile;
    const char *config_file;      /* optional KEY=VALUE file, re-read on SIGHUP */
    /* urgent gigs */
    long match_wave;              /* providers offered an urgent gig per wave */
    long match_wave_interval;     /* seconds between waves while nobody is selected */
    long platform_fee_bps;        /* platform fee on urgent gigs, basis points (1200 = 12 %) */
};

extern struct config cfg;

/* Loads cfg from the environment (after applying GIGD_CONFIG_FILE if set).
 * Returns 0, or -1 after writing the offending variable's name and problem to err. */
int config_load(char *err, unsigned long errlen);

#endif
