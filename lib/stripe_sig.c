/* stripe_sig.c — verifies Stripe webhook signatures. The header is a comma-separated list
 * of key=value items; Stripe may send several v1 signatures while a secret is being rolled,
 * so any one of them matching is enough. */
#include "stripe_sig.h"
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

struct item {
    const char *k, *v;
    size_t kl, vl;
};

/* Next item from *p (up to ',' or the end), spaces trimmed; false at the end. */
static bool next_item(const char **p, struct item *it)
{
    const char *s = *p;
    if (!*s)
        return false;
    const char *end = strchr(s, ',');
    if (!end)
        end = s + strlen(s);
    *p = *end ? end + 1 : end;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *e = end;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq) {
        it->k = s;
        it->kl = (size_t)(e - s);
        it->v = e;
        it->vl = 0;
        return true;
    }
    it->k = s;
    it->kl = (size_t)(eq - s);
    it->v = eq + 1;
    it->vl = (size_t)(e - eq - 1);
    return true;
}

static bool key_is(const struct item *it, const char *k)
{
    return it->kl == strlen(k) && memcmp(it->k, k, it->kl) == 0;
}

/* The signed timestamp: digits only (at most 18, so it fits a long long), given once. */
static bool timestamp_ok(const struct item *it)
{
    if (it->vl == 0 || it->vl > 18)
        return false;
    for (size_t i = 0; i < it->vl; i++)
        if (it->v[i] < '0' || it->v[i] > '9')
            return false;
    return true;
}

/* What pass 1 over the header finds. */
struct stamp {
    const char *t; /* the t= value as sent: the MAC covers these bytes */
    size_t tlen;
    long long value;
};

/* Pass 1: exactly one numeric t, at least one v1. */
static enum stripe_sig parse_header(const char *header, struct stamp *ts)
{
    const char *p = header;
    struct item it;
    int nv1 = 0;
    ts->t = NULL;
    ts->tlen = 0;
    while (next_item(&p, &it)) {
        if (key_is(&it, "t")) {
            if (ts->t || !timestamp_ok(&it))
                return STRIPE_SIG_MALFORMED;
            ts->t = it.v;
            ts->tlen = it.vl;
        } else if (key_is(&it, "v1")) {
            nv1++;
        }
    }
    if (!ts->t || nv1 == 0)
        return STRIPE_SIG_MALFORMED;
    ts->value = 0;
    for (size_t i = 0; i < ts->tlen; i++)
        ts->value = ts->value * 10 + (ts->t[i] - '0');
    return STRIPE_SIG_OK;
}

/* mac = HMAC-SHA256(secret, t "." payload) */
static void expected_mac(const char *secret, const struct stamp *ts, const void *payload, size_t len,
                         unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts->t, ts->tlen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    if (len)
        crypto_auth_hmacsha256_update(&st, payload, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

/* Pass 2: compares every v1 (no early exit on a match, so timing says nothing of which). */
static bool any_v1_matches(const char *header, const unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    const size_t maclen = crypto_auth_hmacsha256_BYTES;
    bool match = false;
    const char *p = header;
    struct item it;
    while (next_item(&p, &it)) {
        if (!key_is(&it, "v1") || it.vl != 2 * maclen)
            continue;
        unsigned char got[crypto_auth_hmacsha256_BYTES];
        size_t bin_len = 0;
        if (sodium_hex2bin(got, sizeof got, it.v, it.vl, NULL, &bin_len, NULL) != 0 || bin_len != sizeof got)
            continue;
        if (sodium_memcmp(got, mac, maclen) == 0)
            match = true;
    }
    return match;
}

enum stripe_sig stripe_sig_verify(const char *header, const void *payload, size_t len, const char *secret,
                                  long long now, long tolerance, long long *t_out)
{
    if (!header || !*header || !secret || !*secret)
        return STRIPE_SIG_MISSING;
    if (!payload && len)
        return STRIPE_SIG_MALFORMED;
    struct stamp ts;
    enum stripe_sig s = parse_header(header, &ts);
    if (s != STRIPE_SIG_OK)
        return s;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    expected_mac(secret, &ts, payload, len, mac);
    if (!any_v1_matches(header, mac))
        return STRIPE_SIG_MISMATCH;
    if (t_out)
        *t_out = ts.value;
    long long d = now - ts.value;
    if (d > tolerance || -d > tolerance)
        return STRIPE_SIG_STALE;
    return STRIPE_SIG_OK;
}

const char *stripe_sig_str(enum stripe_sig s)
{
    switch (s) {
    case STRIPE_SIG_OK: return "ok";
    case STRIPE_SIG_MISSING: return "Missing Stripe-Signature header";
    case STRIPE_SIG_MALFORMED: return "Malformed Stripe-Signature header";
    case STRIPE_SIG_MISMATCH: return "Invalid webhook signature";
    case STRIPE_SIG_STALE: return "Webhook timestamp outside the tolerance";
    }
    return "Invalid webhook signature";
}
