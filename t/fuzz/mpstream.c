/* mpstream.c — libFuzzer target for lib/mpstream.c. The first input byte picks how
 * the rest is cut into feeds; the next line is the Content-Type, the rest the body.
 * Checks: no crash or overread (ASan), callbacks well nested, never more data than
 * body, and the same result however the body is cut.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib t/fuzz/mpstream.c lib/mpstream.c */
#include "mpstream.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct st {
    int open, parts;
    size_t bytes;
};

static int on_begin(void *ud, const struct mps_part *p)
{
    struct st *s = ud;
    if (s->open || strlen(p->filename) >= sizeof p->filename || strlen(p->name) >= sizeof p->name)
        abort();
    s->open = 1;
    s->parts++;
    return 0;
}

static int on_data(void *ud, const char *x, size_t n)
{
    struct st *s = ud;
    if (!s->open || (n && !x))
        abort();
    s->bytes += n;
    return 0;
}

static int on_end(void *ud)
{
    struct st *s = ud;
    if (!s->open)
        abort();
    s->open = 0;
    return 0;
}

static int run(const char *boundary, const char *body, size_t len, size_t step, struct st *s)
{
    static const struct mps_callbacks cb = {on_begin, on_data, on_end};
    struct mps p;
    memset(s, 0, sizeof *s);
    mps_init(&p, boundary, &cb, s);
    int rc = MPS_OK;
    for (size_t i = 0; i < len && rc == MPS_OK; i += step) {
        size_t n = len - i < step ? len - i : step;
        char *copy = malloc(n); /* exact size: ASan sees overreads */
        memcpy(copy, body + i, n);
        rc = mps_feed(&p, copy, n);
        free(copy);
    }
    if (rc == MPS_OK)
        rc = mps_finish(&p);
    if (s->bytes > len)
        abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ctlen = nl ? (size_t)(nl - data) : size;
    char *ct = malloc(ctlen + 1);
    memcpy(ct, data, ctlen);
    ct[ctlen] = '\0';
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t blen = nl ? size - ctlen - 1 : 0;
    char boundary[MPS_BOUNDARY_MAX + 1];
    if (!mps_boundary(ct, boundary, sizeof boundary))
        strcpy(boundary, "fuzz");
    struct st s1, s2;
    int r1 = run(boundary, body, blen, step, &s1);
    int r2 = run(boundary, body, blen, blen ? blen : 1, &s2);
    if (r1 != r2 || s1.parts != s2.parts || s1.bytes != s2.bytes)
        abort();
    free(ct);
    return 0;
}
