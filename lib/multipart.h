/* multipart.h — a small multipart/form-data reader (RFC 7578): the boundary from a
 * Content-Type value, and one named part of a body held in memory. Pure: no allocation,
 * results point into the caller's buffers. Fuzzed by t/fuzz/multipart.c. */
#ifndef GIGD_MULTIPART_H
#define GIGD_MULTIPART_H
#include <stdbool.h>
#include <stddef.h>

#define MULTIPART_BOUNDARY_MAX 70

struct mpart {
    const char *data;           /* the part's content, inside the body */
    size_t len;
    char filename[256];         /* from Content-Disposition, "" when absent (truncated if longer) */
    char content_type[128];     /* the part's Content-Type, "" when absent */
};

/* Copies the boundary parameter of a multipart/form-data Content-Type (quoted or not)
 * into out (size ≥ MULTIPART_BOUNDARY_MAX + 1). False when ct is not multipart/form-data
 * or has no valid boundary (1–70 characters). */
bool multipart_boundary(const char *ct, char *out, size_t outsz);
/* Finds the first part whose Content-Disposition is form-data with name="name".
 * Returns 1 when found (out filled), 0 when the body is well formed but has no such part,
 * -1 when malformed. */
int multipart_find(const char *body, size_t len, const char *boundary, const char *name, struct mpart *out);

#endif
