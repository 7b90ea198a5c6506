/* t/fuzz/stripe_sig.c — libFuzzer target: arbitrary header and payload must never crash,
 * read out of bounds or verify without the right MAC. Input: header '\n' payload. */
#include "stripe_sig.h"
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        if (sodium_init() < 0)
            abort();
        init = 1;
    }
    const uint8_t *nl = memchr(data, '\n', size);
    size_t hlen = nl ? (size_t)(nl - data) : size;
    char *hdr = malloc(hlen + 1);
    if (!hdr)
        return 0;
    memcpy(hdr, data, hlen);
    hdr[hlen] = '\0';
    const uint8_t *payload = nl ? nl + 1 : data + size;
    size_t plen = nl ? size - hlen - 1 : 0;
    long long t = -1;
    enum stripe_sig r = stripe_sig_verify(hdr, payload, plen, "whsec_fuzz", 1700000000LL, 300, &t);
    /* A forged signature must not pass: random inputs essentially never carry a valid MAC. */
    if (r == STRIPE_SIG_OK && (t < 1700000000LL - 300 || t > 1700000000LL + 300))
        abort();
    (void)stripe_sig_str(r);
    free(hdr);
    return 0;
}
