/* stripe_sig.h — Stripe-Signature header parsing and verification, pure (no I/O, no clock):
 * the caller passes the time, so the unit test and the fuzzer drive it directly. */
#ifndef GIGD_STRIPE_SIG_H
#define GIGD_STRIPE_SIG_H
#include <stddef.h>

#define STRIPE_SIG_TOLERANCE 300 /* seconds either side of now */

enum stripe_sig {
    STRIPE_SIG_OK = 0,
    STRIPE_SIG_MISSING,   /* no header, or no secret configured */
    STRIPE_SIG_MALFORMED, /* no t=, t= not a number, repeated t=, no v1= at all */
    STRIPE_SIG_MISMATCH,  /* no v1 matches HMAC-SHA256(secret, "t.payload") */
    STRIPE_SIG_STALE,     /* |now - t| > tolerance */
};

/* Verifies header ("t=1700000000,v1=hex,v1=hex,v0=...") over payload with secret (the
 * whole "whsec_..." string is the HMAC key, as Stripe uses it). Any v1 may match; v0 and
 * unknown keys are ignored. Comparison is constant-time. On STRIPE_SIG_OK and
 * STRIPE_SIG_STALE *t_out (if not NULL) holds the signed timestamp. */
enum stripe_sig stripe_sig_verify(const char *header, const void *payload, size_t len, const char *secret,
                                  long long now, long tolerance, long long *t_out);
/* A short client-safe description. */
const char *stripe_sig_str(enum stripe_sig s);

#endif
