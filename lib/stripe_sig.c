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

enum stripe_sig stripe_sig_verify(const char *header, const void *payload, size_t len, const char *secret,
                                  long long now, long tolerance, long long *t_out)
{
    if (!header || !*header || !secret || !*secret)
        return STRIPE_SIG_MISSING;
    if (!payload && len)
        return STRIPE_SIG_MALFORMED;

    /* Pass 1: exactly one numeric t, at least one v1. */
    const char *p = header;
    struct item it;
    const char *tstr = NULL;
    size_t tlen = 0;
    int nv1 = 0;
    while (next_item(&p, &it)) {
        if (key_is(&it, "t")) {
            if (tstr || it.vl == 0 || it.vl > 18)
                return STRIPE_SIG_MALFORMED;
            for (size_t i = 0; i < it.vl; i++)
                if (it.v[i] < '0' || it.v[i] > '9')
                    return STRIPE_SIG_MALFORMED;
            tstr = it.v;
            tlen = it.vl;
        } else if (key_is(&it, "v1")) {
            nv1++;
        }
    }
    if (!tstr || nv1 == 0)
        return STRIPE_SIG_MALFORMED;
    long long t = 0;
    for (size_t i = 0; i < tlen; i++)
        t = t * 10 + (tstr[i] - '0');

    /* expected = HMAC-SHA256(secret, t "." payload) */
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)tstr, tlen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    if (len)
        crypto_auth_hmacsha256_update(&st, payload, len);
    crypto_auth_hmacsha256_final(&st, mac);

    /* Pass 2: compare every v1 (no early exit on a match, so timing says nothing of which). */
    bool match = false;
    p = header;
    while (next_item(&p, &it)) {
        if (!key_is(&it, "v1") || it.vl != 2 * sizeof mac)
            continue;
        unsigned char got[sizeof mac];
        size_t bin_len = 0;
        if (sodium_hex2bin(got, sizeof got, it.v, it.vl, NULL, &bin_len, NULL) != 0 || bin_len != sizeof got)
            continue;
        if (sodium_memcmp(got, mac, sizeof mac) == 0)
            match = true;
    }
    sodium_memzero(&st, sizeof st);
    if (!match)
        return STRIPE_SIG_MISMATCH;
    if (t_out)
        *t_out = t;
    long long d = now - t;
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
