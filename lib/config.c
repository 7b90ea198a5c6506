/* config.c — configuration as a table {name, kind, offset, default, min, max}. */
#include "config.h"
#include "util.h"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct config cfg;

enum kind { STR, NUM };

struct setting {
    const char *name;
    enum kind kind;
    size_t offset;
    const char *def;
    long min, max;
};

#define S(name, field, def) { name, STR, offsetof(struct config, field), def, 0, 0 }
#define N(name, field, def, min, max) { name, NUM, offsetof(struct config, field), def, min, max }

static const struct setting settings[] = {
    S("GIGD_DATABASE_URL", database_url, "dbname=gigd"),
    N("GIGD_WORKERS", workers, NULL, 1, 256),
    S("GIGD_SOCKET", socket, "/run/gigd/gigd.sock"),
    S("GIGD_PUBLIC_URL", public_url, "https://localhost:8443"),
    S("GIGD_UPLOAD_DIR", upload_dir, "/var/lib/gigd/uploads"),
    S("GIGD_PRIVATE_DIR", private_dir, "/var/lib/gigd/private"),
    S("GIGD_STRIPE_SECRET_KEY", stripe_secret_key, ""),
    S("GIGD_STRIPE_WEBHOOK_SECRET", stripe_webhook_secret, ""),
    S("GIGD_STRIPE_PRO_PRICE", stripe_pro_price, ""),
    S("GIGD_STRIPE_API_BASE", stripe_api_base, "https://api.stripe.com"),
    N("GIGD_STRIPE_TIMEOUT", stripe_timeout, "10", 1, 120),
    S("GIGD_EXPO_PUSH_URL", expo_push_url, "https://exp.host/--/api/v2/push/send"),
    S("GIGD_SMTP_URL", smtp_url, "smtp://127.0.0.1:25"),
    S("GIGD_MAIL_FROM", mail_from, "gigd <no-reply@localhost>"),
    S("GIGD_CRON_SECRET", cron_secret, ""),
    S("GIGD_NCHAN_PUBLISH_URL", nchan_publish_url, "http://127.0.0.1:8081/pub"),
    S("GIGD_VIDEO_BASE_URL", video_base_url, "https://meet.jit.si/"),
    N("GIGD_MAX_REQUESTS", max_requests, "10000", 0, 100000000),
    N("GIGD_SHUTDOWN_TIMEOUT", shutdown_timeout, "10", 1, 3600),
    N("GIGD_JSON_BODY_LIMIT", json_body_limit, "1048576", 1024, 64 * 1024 * 1024),
    S("GIGD_PIDFILE", pidfile, ""),
    S("GIGD_CONFIG_FILE", config_file, ""),
    /* urgent gigs */
    N("GIGD_MATCH_WAVE", match_wave, "5", 1, 100),
    N("GIGD_MATCH_WAVE_INTERVAL", match_wave_interval, "300", 1, 86400),
    N("GIGD_PLATFORM_FEE_BPS", platform_fee_bps, "1200", 0, 5000),
};

/* KEY=VALUE lines, '#' comments; values override the environment (that is the point of reload). */
static int apply_file(const char *path, char *err, unsigned long errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "GIGD_CONFIG_FILE: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\0')
            continue;
        char *eq = strchr(p, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *v = eq + 1;
        size_t vl = strlen(v);
        if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
            v[vl - 1] = '\0';
            v++;
        }
        setenv(p, v, 1);
    }
    fclose(f);
    return 0;
}

int config_load(char *err, unsigned long errlen)
{
    const char *file = getenv("GIGD_CONFIG_FILE");
    if (file && *file && apply_file(file, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
        const struct setting *s = &settings[i];
        const char *v = getenv(s->name);
        if (!v || !*v)
            v = s->def;
        if (s->kind == STR) {
            *(const char **)((char *)&cfg + s->offset) = v ? v : "";
            continue;
        }
        long n;
        if (!v) {
            n = sysconf(_SC_NPROCESSORS_ONLN); /* GIGD_WORKERS defaults to the core count */
            if (n < 1)
                n = 1;
        } else {
            char *end;
            errno = 0;
            n = strtol(v, &end, 10);
            if (errno || *end || end == v) {
                snprintf(err, errlen, "%s: '%s' is not an integer", s->name, v);
                return -1;
            }
        }
        if (n < s->min || n > s->max) {
            snprintf(err, errlen, "%s: %ld is outside %ld..%ld", s->name, n, s->min, s->max);
            return -1;
        }
        *(long *)((char *)&cfg + s->offset) = n;
    }
    return 0;
}
