/* mpstream.h — a streaming multipart/form-data parser (RFC 7578 / RFC 2046) for
 * uploads too large to hold in memory: feed it the body in chunks of any size
 * (a delimiter may be split across chunks) and it calls back with each part's
 * headers and data. No allocation: the state lives in the caller's struct.
 * Whole bodies in memory (avatars) use mps_find. Fuzzed by t/fuzz/mpstream.c. */
#ifndef GIGD_MPSTREAM_H
#define GIGD_MPSTREAM_H
#include <stdbool.h>
#include <stddef.h>

#define MPS_BOUNDARY_MAX 70
#define MPS_HEADERS_MAX 8192

struct mps_part {
    char name[128];           /* Content-Disposition name="" ("" when absent) */
    char filename[256];       /* filename="" ("" when absent; truncated if longer) */
    bool has_filename;
    char content_type[128];   /* the part's Content-Type, "" when absent */
};

struct mps_callbacks {
    /* Each returns 0 to go on, non-zero to stop the parse (mps_feed returns MPS_ABORTED). */
    int (*part_begin)(void *ud, const struct mps_part *p);
    int (*part_data)(void *ud, const char *data, size_t n);
    int (*part_end)(void *ud);
};

enum mps_rc { MPS_OK = 0, MPS_MALFORMED = -1, MPS_ABORTED = -2 };

struct mps {
    struct mps_callbacks cb;
    void *ud;
    char delim[4 + MPS_BOUNDARY_MAX];   /* "\r\n--" boundary */
    size_t dlen;
    unsigned char fail[4 + MPS_BOUNDARY_MAX];  /* KMP failure function of delim */
    size_t match;                       /* delimiter bytes matched and held back */
    int state;
    int sub;                            /* progress inside the line after a delimiter */
    char hdr[MPS_HEADERS_MAX];
    size_t hlen;
    int rc;                             /* sticky error */
};

/* Copies the boundary parameter of a multipart/form-data Content-Type (quoted or
 * not) into out (size >= MPS_BOUNDARY_MAX + 1). False when ct is not
 * multipart/form-data or the boundary is missing, empty, too long or has bytes
 * RFC 2046 does not allow. */
bool mps_boundary(const char *ct, char *out, size_t outsz);
/* Prepares p for one body. The boundary must come from mps_boundary. */
void mps_init(struct mps *p, const char *boundary, const struct mps_callbacks *cb, void *ud);
/* Feeds the next n bytes; returns MPS_OK, MPS_MALFORMED or MPS_ABORTED (sticky). */
int mps_feed(struct mps *p, const char *data, size_t n);
/* At the end of the body: MPS_OK only when the closing delimiter was seen. */
int mps_finish(struct mps *p);

/* For a body already in memory: copies the first part named `name` into out (a buf on
 * the caller's arena). Returns 1 when found, 0 when the body is well formed without such
 * a part, -1 when malformed. part (may be NULL) receives that part's headers. */
struct buf;
int mps_find(const char *body, size_t len, const char *boundary, const char *name, struct buf *out,
             struct mps_part *part);

#endif
