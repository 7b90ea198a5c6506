/* config.c — configuration as a table {name, kind, offset, default, min, max}, loaded
 * all or nothing: a load builds a complete new configuration aside and replaces the
 * global only when every value checked out, so a refused reload changes nothing. */
#include "config.h"
#include "log.h"
#include "util.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

#define CFG_S(name, field, def) { name, STR, offsetof(struct config, field), def, 0, 0 }
#define CFG_N(name, field, def, min, max) { name, NUM, offsetof(struct config, field), def, min, max }

static const struct setting settings[] = {
    CFG_S("GIGD_DATABASE_URL", database_url, "dbname=gigd"),
    CFG_N("GIGD_WORKERS", workers, NULL, 1, 256),
    CFG_S("GIGD_SOCKET", socket, "/run/gigd/gigd.sock"),
    CFG_S("GIGD_PUBLIC_URL", public_url, "https://localhost:8443"),
    CFG_S("GIGD_UPLOAD_DIR", upload_dir, "/var/lib/gigd/uploads"),
    CFG_S("GIGD_PRIVATE_DIR", private_dir, "/var/lib/gigd/private"),
    CFG_S("GIGD_STRIPE_SECRET_KEY", stripe_secret_key, ""),
    CFG_S("GIGD_STRIPE_WEBHOOK_SECRET", stripe_webhook_secret, ""),
    CFG_S("GIGD_STRIPE_PRO_PRICE", stripe_pro_price, ""),
    CFG_S("GIGD_STRIPE_API_BASE", stripe_api_base, "https://api.stripe.com"),
    CFG_N("GIGD_STRIPE_TIMEOUT", stripe_timeout, "10", 1, 120),
    CFG_S("GIGD_EXPO_PUSH_URL", expo_push_url, "https://exp.host/--/api/v2/push/send"),
    CFG_S("GIGD_SMTP_URL", smtp_url, "smtp://127.0.0.1:25"),
    CFG_S("GIGD_MAIL_FROM", mail_from, "gigd <no-reply@localhost>"),
    CFG_S("GIGD_CRON_SECRET", cron_secret, ""),
    CFG_S("GIGD_NCHAN_PUBLISH_URL", nchan_publish_url, "http://127.0.0.1:8081/pub"),
    CFG_S("GIGD_VIDEO_BASE_URL", video_base_url, "https://meet.jit.si/"),
    CFG_N("GIGD_MAX_REQUESTS", max_requests, "10000", 0, 100000000),
    CFG_N("GIGD_DB_TRACE", db_trace, "0", 0, 1),
    CFG_N("GIGD_SHUTDOWN_TIMEOUT", shutdown_timeout, "10", 1, 3600),
    CFG_N("GIGD_LISTEN_BACKLOG", listen_backlog, "64", 1, 4096),
    CFG_N("GIGD_STATEMENT_TIMEOUT_MS", statement_timeout_ms, "2000", 0, 600000),
    CFG_N("GIGD_JSON_BODY_LIMIT", json_body_limit, "1048576", 1024, 64 * 1024 * 1024),
    CFG_N("GIGD_PASSWORD_WINDOW", password_window, "300", 1, 86400),
    CFG_N("GIGD_PASSWORD_USER_MAX", password_user_max, "10", 0, 1000000),
    CFG_N("GIGD_PASSWORD_ADDR_MAX", password_addr_max, "100", 0, 100000000),
    CFG_N("GIGD_PASSWORD_CONCURRENCY", password_concurrency, "0", 0, 1024),
    CFG_N("GIGD_RESET_MAIL_INTERVAL", reset_mail_interval, "120", 0, 86400),
    CFG_N("GIGD_QUOTA_UPLOAD_BYTES", quota_upload_bytes, "104857600", 0, 2000000000),
    CFG_N("GIGD_QUOTA_UPLOADS", quota_uploads, "100", 0, 1000000),
    CFG_N("GIGD_ORPHAN_UPLOAD_TTL", orphan_upload_ttl, "3600", 60, 30 * 86400),
    CFG_N("GIGD_QUOTA_MESSAGES", quota_messages, "600", 0, 1000000),
    CFG_N("GIGD_QUOTA_CONVERSATIONS", quota_conversations, "100", 0, 1000000),
    CFG_N("GIGD_QUOTA_CALLS", quota_calls, "50", 0, 1000000),
    CFG_N("GIGD_QUOTA_CALLS_PEER", quota_calls_peer, "10", 0, 1000000),
    CFG_N("GIGD_QUOTA_REVIEWS", quota_reviews, "50", 0, 1000000),
    CFG_N("GIGD_QUOTA_APPLICATIONS", quota_applications, "50", 0, 1000000),
    CFG_N("GIGD_QUOTA_PUSH_TOKENS", quota_push_tokens, "20", 0, 1000000),
    CFG_N("GIGD_QUOTA_URGENT_GIGS", quota_urgent_gigs, "20", 0, 1000000),
    CFG_S("GIGD_PIDFILE", pidfile, ""),
    CFG_S("GIGD_USER", user, "gigd"),
    CFG_S("GIGD_CONFIG_FILE", config_file, ""),
    CFG_S("GIGD_LOG_FORMAT", log_format, "text"),
    CFG_S("GIGD_DATABASE_READ_URL", database_read_url, ""),
    /* operations: watchdog, slow log, /status and /metrics */
    CFG_N("GIGD_SLOW_REQUEST", slow_request, "2", 1, 3600),
    CFG_N("GIGD_REQUEST_TIMEOUT", request_timeout, "30", 0, 86400),
    CFG_S("GIGD_OPS_ALLOW", ops_allow, ""),
    /* urgent gigs */
    CFG_N("GIGD_MATCH_WAVE", match_wave, "5", 1, 100),
    CFG_N("GIGD_MATCH_WAVE_INTERVAL", match_wave_interval, "300", 1, 86400),
    CFG_N("GIGD_PLATFORM_FEE_BPS", platform_fee_bps, "1200", 0, 5000),
    /* accounts: email verification, deletion */
    CFG_N("GIGD_REQUIRE_EMAIL_VERIFICATION", require_email_verification, "1", 0, 1),
    CFG_N("GIGD_VERIFY_RESEND_MAX", verify_resend_max, "3", 0, 1000),
    CFG_N("GIGD_ACCOUNT_GRACE_DAYS", account_grace_days, "30", 0, 3650),
    /* saved-search alerts */
    CFG_N("GIGD_ALERT_MIN_INTERVAL", alert_min_interval, "3600", 0, 30 * 86400),
    /* provider payouts (lib/payouts.c): the country of new Connect Express accounts */
    CFG_S("GIGD_PAYOUT_COUNTRY", payout_country, "GB"),
    CFG_S("GIGD_STRIPE_CONNECT_WEBHOOK_SECRET", stripe_connect_webhook_secret, ""),
};

/* A growable list of malloc'd strings. */
struct strs {
    char **v;
    size_t n, cap;
};

/* Takes ownership of s (freed here when it cannot be stored); NULL when out of memory. */
static char *strs_take(struct strs *l, char *s)
{
    if (!s)
        return NULL;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            free(s);
            return NULL;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return s;
}

static void strs_free(struct strs *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (struct strs){0};
}

/* The strings the configuration in force points into. */
static struct strs held;

/* One load in progress: the configuration being built, the file's KEY, VALUE pairs
 * (even, odd entries) and the strings the new configuration will own. */
struct load {
    struct config c;
    struct strs file;
    struct strs owned;
    char *err;
    size_t errlen;
};

/* gcc 12's analyzer loses ownership once a pointer is stored in the realloc'd array of
 * strs_take and reports read_line's key and val as leaked on the way out through
 * load_fail; strs_free frees them (config_load). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int load_fail(struct load *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int load_fail(struct load *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->err, L->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Strips matching single or double quotes around a value, in place. */
static char *unquote(char *v)
{
    size_t vl = strlen(v);
    if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
        v[vl - 1] = '\0';
        v++;
    }
    return v;
}

/* One line: KEY=VALUE, '#' comments and lines without '=' ignored. */
static int read_line(struct load *L, char *line)
{
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    char *eq = strchr(p, '=');
    if (*p == '#' || !eq)
        return 0;
    *eq = '\0';
    char *key = strdup(p), *val = strdup(unquote(eq + 1));
    if (!strs_take(&L->file, key)) {
        free(val);
        return load_fail(L, "GIGD_CONFIG_FILE: out of memory");
    }
    if (!strs_take(&L->file, val))
        return load_fail(L, "GIGD_CONFIG_FILE: out of memory");
    return 0;
}
#pragma GCC diagnostic pop

/* Reads the file's pairs into L->file; the environment is left alone, so a key
 * deleted from the file is gone on the next load. */
static int read_file(struct load *L, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return load_fail(L, "GIGD_CONFIG_FILE: cannot open %s: %s", path, strerror(errno));
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f))
        rc = read_line(L, line);
    if (rc == 0 && ferror(f))
        rc = load_fail(L, "GIGD_CONFIG_FILE: cannot read %s", path);
    fclose(f);
    return rc;
}

/* The file's value for name (the last line naming it wins), else the environment's;
 * NULL or "" when neither sets it. GIGD_CONFIG_FILE itself comes from the environment. */
static const char *lookup(const struct load *L, const char *name)
{
    if (strcmp(name, "GIGD_CONFIG_FILE"))
        for (size_t i = L->file.n; i >= 2; i -= 2)
            if (!strcmp(L->file.v[i - 2], name))
                return L->file.v[i - 1];
    return getenv(name);
}

static int parse_num(struct load *L, const struct setting *s, const char *v, long *out)
{
    long n;
    if (!v) {
        /* GIGD_WORKERS defaults to 8 per core: workers mostly wait on PostgreSQL; one
         * per core left the bench machine idle, 8 per core served most (README "Scaling
         * workers", docs/benchmarks.md). */
        n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
            n = 1;
        n *= 8;
    } else {
        char *end;
        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || *end || end == v)
            return load_fail(L, "%s: '%s' is not an integer", s->name, v);
    }
    if (n < s->min || n > s->max)
        return load_fail(L, "%s: %ld is outside %ld..%ld", s->name, n, s->min, s->max);
    *out = n;
    return 0;
}

static int apply_setting(struct load *L, const struct setting *s)
{
    const char *v = lookup(L, s->name);
    if (!v || !*v)
        v = s->def;
    char *field = (char *)&L->c + s->offset;
    if (s->kind == NUM)
        return parse_num(L, s, v, (long *)(void *)field);
    /* Copied: the environment and the file's pairs do not outlive this load. */
    const char *copy = strs_take(&L->owned, strdup(v ? v : ""));
    if (!copy)
        return load_fail(L, "%s: out of memory", s->name);
    *(const char **)(void *)field = copy;
    return 0;
}

static bool valid_scheme(const char *s, size_t n)
{
    if (n == 0 || !isalpha((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

static bool valid_host(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || strchr("/?#@\\", s[i]))
            return false;
    return true;
}

/* A port of 1 to 5 digits; -1 for an empty one (which means the default). */
static bool parse_port(const char *s, size_t n, long *port)
{
    *port = -1;
    if (n == 0)
        return true;
    if (n > 5)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return false;
    *port = v;
    return true;
}

/* Where the host of host..end stops (at the port's colon or the end); NULL if malformed. */
static const char *host_end(const char *host, const char *end)
{
    if (host < end && *host == '[') { /* IPv6 literal: the port follows the bracket */
        const char *rb = memchr(host, ']', (size_t)(end - host));
        if (!rb || (rb + 1 < end && rb[1] != ':'))
            return NULL;
        return rb + 1;
    }
    const char *colon = memchr(host, ':', (size_t)(end - host));
    return colon ? colon : end;
}

/* Writes the normal form of the origin s[0..n) — scheme://host[:port] with nothing
 * after — to out: scheme and host lowercased, the scheme's default port dropped.
 * False when s is not such an origin or does not fit. */
static bool origin_normalize(const char *s, size_t n, char *out, size_t outlen)
{
    const char *end = s + n, *sep = memmem(s, n, "://", 3);
    if (!sep || !valid_scheme(s, (size_t)(sep - s)))
        return false;
    const char *host = sep + 3, *hend = host_end(host, end);
    long port;
    if (!hend || !valid_host(host, (size_t)(hend - host)) ||
        !parse_port(hend + (hend < end), (size_t)(end - hend) - (hend < end), &port))
        return false;
    size_t sl = (size_t)(sep - s);
    if ((sl == 4 && !strncasecmp(s, "http", 4) && port == 80) || (sl == 5 && !strncasecmp(s, "https", 5) && port == 443))
        port = -1;
    int w = port < 0 ? snprintf(out, outlen, "%.*s://%.*s", (int)sl, s, (int)(hend - host), host)
                     : snprintf(out, outlen, "%.*s://%.*s:%ld", (int)sl, s, (int)(hend - host), host, port);
    if (w < 0 || (size_t)w >= outlen)
        return false;
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return true;
}

/* public_origin: the origin part of public_url (up to the path, query or fragment). */
static int derive_origin(struct load *L)
{
    const char *url = L->c.public_url, *sep = strstr(url, "://");
    size_t n = sep ? (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#") : strlen(url);
    char o[512];
    if (!origin_normalize(url, n, o, sizeof o))
        return load_fail(L, "GIGD_PUBLIC_URL: '%s' is not a scheme://host[:port] URL", url);
    if (!(L->c.public_origin = strs_take(&L->owned, strdup(o))))
        return load_fail(L, "GIGD_PUBLIC_URL: out of memory");
    return 0;
}

int config_load(char *err, size_t errlen)
{
    struct load L = {.err = err, .errlen = errlen};
    int rc = 0;
    const char *file = getenv("GIGD_CONFIG_FILE");
    if (file && *file)
        rc = read_file(&L, file);
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(settings); i++)
        rc = apply_setting(&L, &settings[i]);
    if (rc == 0)
        rc = derive_origin(&L);
    if (rc == 0 && strcmp(L.c.log_format, "text") && strcmp(L.c.log_format, "json"))
        rc = load_fail(&L, "GIGD_LOG_FORMAT: '%s' is not text or json", L.c.log_format);
    if (rc == 0 && !config_addr_listed(L.c.ops_allow, NULL))
        rc = load_fail(&L, "GIGD_OPS_ALLOW: '%s' is not a list of addresses or address/prefix", L.c.ops_allow);
    if (rc == 0) {
        /* The one write to cfg: everything checked out. */
        strs_free(&held);
        held = L.owned;
        L.owned = (struct strs){0};
        cfg = L.c;
        log_set_json(!strcmp(cfg.log_format, "json"));
    }
    strs_free(&L.file);
    strs_free(&L.owned);
    return rc;
}

/* One entry "a.b.c.d", "a.b.c.d/n", "::1" or "fe80::/10" into its address and prefix. */
static bool parse_cidr(const char *e, size_t n, unsigned char addr[16], int *family, int *bits)
{
    char s[64];
    if (n == 0 || n >= sizeof s)
        return false;
    memcpy(s, e, n);
    s[n] = '\0';
    char *slash = strchr(s, '/');
    if (slash)
        *slash = '\0';
    *family = strchr(s, ':') ? AF_INET6 : AF_INET;
    int max = *family == AF_INET6 ? 128 : 32;
    if (inet_pton(*family, s, addr) != 1)
        return false;
    *bits = max;
    if (slash) {
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || b < 0 || b > max)
            return false;
        *bits = (int)b;
    }
    return true;
}

static bool prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole))
        return false;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return !rest || (a[whole] & mask) == (b[whole] & mask);
}

bool config_addr_listed(const char *list, const char *addr)
{
    unsigned char want[16] = {0};
    int wfam = strchr(addr ? addr : "", ':') ? AF_INET6 : AF_INET;
    if (addr && inet_pton(wfam, addr, want) != 1)
        return false;
    bool hit = false;
    for (const char *p = list; p && *p;) {
        p += strspn(p, " ,\t");
        size_t n = strcspn(p, " ,\t");
        if (!n)
            break;
        unsigned char net[16];
        int fam, bits;
        if (!parse_cidr(p, n, net, &fam, &bits))
            return false;
        if (addr && fam == wfam && prefix_match(want, net, bits))
            hit = true;
        p += n;
    }
    return addr ? hit : true;
}

bool config_is_public_origin(const char *origin, size_t n)
{
    char o[512];
    return cfg.public_origin && origin_normalize(origin, n, o, sizeof o) && !strcmp(o, cfg.public_origin);
}
