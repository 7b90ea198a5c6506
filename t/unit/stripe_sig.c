/* t/unit/stripe_sig.c — Stripe-Signature parsing and verification vectors. The expected
 * MAC was computed independently (openssl dgst -sha256 -hmac, Perl Digest::SHA). */
#include "stripe_sig.h"
#include "tap.h"
#include <sodium.h>

#define SECRET "whsec_test_gigd"
#define PAYLOAD "{\"id\":\"evt_1\",\"type\":\"ping\"}"
#define T 1700000000LL
#define GOOD "d5350b2ce5afbc77f4b89a7d0f45b838daf3f7c4393a56192d00c4cfe8a60065"
#define BAD "0000000000000000000000000000000000000000000000000000000000000000"

static enum stripe_sig v(const char *hdr, const char *payload, long long now)
{
    return stripe_sig_verify(hdr, payload, strlen(payload), SECRET, now, STRIPE_SIG_TOLERANCE, NULL);
}

int main(void)
{
    if (sodium_init() < 0)
        return 2;
    plan(24);
    long long t = 0;
    is(stripe_sig_verify("t=1700000000,v1=" GOOD, PAYLOAD, strlen(PAYLOAD), SECRET, T, 300, &t), STRIPE_SIG_OK,
       "valid signature");
    is(t, T, "timestamp returned");
    is(v("t=1700000000,v1=" BAD ",v1=" GOOD, PAYLOAD, T), STRIPE_SIG_OK, "two v1, the second valid");
    is(v("t=1700000000,v1=" GOOD ",v1=" BAD ",v0=" BAD, PAYLOAD, T), STRIPE_SIG_OK, "v1 valid, v0 ignored");
    is(v(" t=1700000000 , v1=" GOOD " ", PAYLOAD, T), STRIPE_SIG_OK, "spaces around items tolerated");
    is(v("v1=" GOOD ",t=1700000000", PAYLOAD, T), STRIPE_SIG_OK, "t after v1");
    is(v("t=1700000000,v1=" GOOD, "{\"id\":\"evt_1\",\"type\":\"pong\"}", T), STRIPE_SIG_MISMATCH,
       "tampered body");
    is(v("t=1700000001,v1=" GOOD, PAYLOAD, T), STRIPE_SIG_MISMATCH, "tampered timestamp");
    is(v("t=1700000000,v1=" GOOD, PAYLOAD, T + 301), STRIPE_SIG_STALE, "stale timestamp (301 s old)");
    is(v("t=1700000000,v1=" GOOD, PAYLOAD, T - 301), STRIPE_SIG_STALE, "timestamp 301 s in the future");
    is(v("t=1700000000,v1=" GOOD, PAYLOAD, T + 300), STRIPE_SIG_OK, "300 s old is still inside");
    is(v("v1=" GOOD, PAYLOAD, T), STRIPE_SIG_MALFORMED, "missing t");
    is(v("t=1700000000", PAYLOAD, T), STRIPE_SIG_MALFORMED, "no v1");
    is(v("t=1700000000,v0=" GOOD, PAYLOAD, T), STRIPE_SIG_MALFORMED,
       "only v0 is not enough");
    is(v("t=17x0,v1=" GOOD, PAYLOAD, T), STRIPE_SIG_MALFORMED, "non-numeric t");
    is(v("t=1,t=1700000000,v1=" GOOD, PAYLOAD, T), STRIPE_SIG_MALFORMED, "repeated t");
    is(v("t=,v1=" GOOD, PAYLOAD, T), STRIPE_SIG_MALFORMED, "empty t");
    is(v("t=1234567890123456789,v1=" GOOD, PAYLOAD, T), STRIPE_SIG_MALFORMED, "t longer than 18 digits");
    is(v("t=1700000000,v1=" GOOD "00", PAYLOAD, T), STRIPE_SIG_MISMATCH, "v1 of the wrong length");
    is(v("t=1700000000,v1=zz350b2ce5afbc77f4b89a7d0f45b838daf3f7c4393a56192d00c4cfe8a60065", PAYLOAD, T), STRIPE_SIG_MISMATCH, "v1 not hex");
    is(v("t=1700000000,,v1,v1=" GOOD ",x", PAYLOAD, T), STRIPE_SIG_OK, "empty and valueless items skipped");
    is(v("garbage", PAYLOAD, T), STRIPE_SIG_MALFORMED, "garbage header");
    is(v("", PAYLOAD, T), STRIPE_SIG_MISSING, "empty header");
    is(stripe_sig_verify(NULL, PAYLOAD, strlen(PAYLOAD), SECRET, T, 300, NULL), STRIPE_SIG_MISSING,
       "missing header");
    return done();
}
