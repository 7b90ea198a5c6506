/* multipart.c — libFuzzer target for lib/multipart.c. The input's first line is the
 * Content-Type, the rest the body; every found part must lie inside the body. */
#include "multipart.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ctlen = nl ? (size_t)(nl - data) : size;
    char *ct = malloc(ctlen + 1);
    memcpy(ct, data, ctlen);
    ct[ctlen] = '\0';
    size_t blen = nl ? size - ctlen - 1 : 0;
    /* an exact-size copy so ASan catches any read past the end */
    char *body = malloc(blen ? blen : 1);
    if (blen)
        memcpy(body, nl + 1, blen);
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    const char *b = multipart_boundary(ct, boundary, sizeof boundary) ? boundary : "fuzzbound";
    struct mpart p;
    if (multipart_find(body, blen, b, "file", &p) == 1) {
        if (p.data < body || p.data + p.len > body + blen)
            abort();
        if (strlen(p.filename) >= sizeof p.filename || strlen(p.content_type) >= sizeof p.content_type)
            abort();
    }
    free(body);
    free(ct);
    return 0;
}
