/* mpstream.c — streaming multipart/form-data. The body is scanned for the delimiter
 * "\r\n--boundary" with a KMP automaton, so a delimiter split across feeds is found
 * and bytes that only looked like its beginning are handed back as data. The first
 * delimiter of a body has no CRLF before it: the scan starts as if "\r\n" had just
 * been seen. */
#include "mpstream.h"
#include "buf.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>

enum { S_PREAMBLE, S_AFTER_DELIM, S_HEADERS, S_BODY, S_DONE };

/* RFC 2046 bchars (plus space, except as the last character). */
static bool bchar(unsigned char c)
{
    return isalnum(c) || strchr("'()+_,-./:=? ", c) != NULL;
}

bool mps_boundary(const char *ct, char *out, size_t outsz)
{
    if (!ct || outsz < MPS_BOUNDARY_MAX + 1)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, "multipart/form-data", 19))
        return false;
    const char *p = ct + 19;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ';')
            return false;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *key = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t klen = (size_t)(p - key);
        while (klen && (key[klen - 1] == ' ' || key[klen - 1] == '\t'))
            klen--;
        if (*p != '=')
            return false;
        p++;
        char val[MPS_BOUNDARY_MAX + 2];
        size_t vlen = 0;
        bool too_long = false;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                if (vlen < sizeof val - 1)
                    val[vlen++] = *p;
                else
                    too_long = true;
                p++;
            }
            if (*p != '"')
                return false;
            p++;
        } else {
            while (*p && *p != ';' && *p != ' ' && *p != '\t') {
                if (vlen < sizeof val - 1)
                    val[vlen++] = *p;
                else
                    too_long = true;
                p++;
            }
        }
        val[vlen] = '\0';
        if (klen == 8 && !strncasecmp(key, "boundary", 8)) {
            if (too_long || vlen == 0 || vlen > MPS_BOUNDARY_MAX || val[vlen - 1] == ' ')
                return false;
            for (size_t i = 0; i < vlen; i++)
                if (!bchar((unsigned char)val[i]))
                    return false;
            memcpy(out, val, vlen + 1);
            return true;
        }
    }
    return false;
}

void mps_init(struct mps *p, const char *boundary, const struct mps_callbacks *cb, void *ud)
{
    memset(p, 0, sizeof *p);
    p->cb = *cb;
    p->ud = ud;
    size_t bl = strlen(boundary);
    if (bl > MPS_BOUNDARY_MAX)
        bl = MPS_BOUNDARY_MAX;
    memcpy(p->delim, "\r\n--", 4);
    memcpy(p->delim + 4, boundary, bl);
    p->dlen = 4 + bl;
    /* KMP failure function: fail[i] = length of the longest proper prefix of
     * delim[0..i] that is also its suffix. */
    p->fail[0] = 0;
    size_t k = 0;
    for (size_t i = 1; i < p->dlen; i++) {
        while (k > 0 && p->delim[i] != p->delim[k])
            k = p->fail[k - 1];
        if (p->delim[i] == p->delim[k])
            k++;
        p->fail[i] = (unsigned char)k;
    }
    p->state = S_PREAMBLE;
    p->match = 2; /* as if the body were preceded by CRLF */
}

static int emit(struct mps *p, const char *d, size_t n)
{
    if (n == 0 || p->state != S_BODY || !p->cb.part_data)
        return 0;
    return p->cb.part_data(p->ud, d, n) ? MPS_ABORTED : 0;
}

/* Copies a header parameter value (token or quoted-string) at *s into out. */
static bool param_value(const char **s, char *out, size_t outsz)
{
    const char *p = *s;
    size_t n = 0;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < outsz)
                out[n++] = *p;
            p++;
        }
        if (*p != '"')
            return false;
        p++;
    } else {
        while (*p && *p != ';' && *p != ' ' && *p != '\t') {
            if (n + 1 < outsz)
                out[n++] = *p;
            p++;
        }
    }
    out[n] = '\0';
    *s = p;
    return true;
}

static bool parse_disposition(const char *v, struct mps_part *part)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, "form-data", 9))
        return false;
    v += 9;
    while (*v) {
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v)
            break;
        if (*v != ';')
            return false;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        const char *key = v;
        while (*v && *v != '=' && *v != ';' && *v != ' ' && *v != '\t')
            v++;
        size_t klen = (size_t)(v - key);
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v != '=') {
            if (klen == 0)
                return false;
            continue; /* a parameter without value: ignored */
        }
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        char tmp[256];
        char *dst = tmp;
        size_t dsz = sizeof tmp;
        if (klen == 4 && !strncasecmp(key, "name", 4)) {
            dst = part->name;
            dsz = sizeof part->name;
        } else if (klen == 8 && !strncasecmp(key, "filename", 8)) {
            dst = part->filename;
            dsz = sizeof part->filename;
            part->has_filename = true;
        }
        if (!param_value(&v, dst, dsz))
            return false;
    }
    return true;
}

/* Parses the header block (without its final empty line) and starts the part. */
static int begin_part(struct mps *p)
{
    struct mps_part part;
    memset(&part, 0, sizeof part);
    size_t n = p->hlen >= 4 ? p->hlen - 2 : 0; /* keep the CRLF ending the last line */
    char *s = p->hdr, *end = p->hdr + n;
    while (s < end) {
        char *eol = NULL;
        for (char *q = s; q + 1 < end; q++)
            if (q[0] == '\r' && q[1] == '\n') {
                eol = q;
                break;
            }
        if (!eol)
            return MPS_MALFORMED;
        *eol = '\0';
        if (memchr(s, '\0', (size_t)(eol - s)) || *s == ' ' || *s == '\t')
            return MPS_MALFORMED; /* NUL bytes, obsolete line folding */
        char *colon = strchr(s, ':');
        if (!colon || colon == s)
            return MPS_MALFORMED;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (!strcasecmp(s, "Content-Disposition")) {
            if (!parse_disposition(v, &part))
                return MPS_MALFORMED;
        } else if (!strcasecmp(s, "Content-Type")) {
            size_t l = strlen(v);
            while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
                l--;
            if (l >= sizeof part.content_type)
                l = sizeof part.content_type - 1;
            memcpy(part.content_type, v, l);
            part.content_type[l] = '\0';
        }
        s = eol + 2;
    }
    p->state = S_BODY;
    p->match = 0;
    if (p->cb.part_begin && p->cb.part_begin(p->ud, &part))
        return MPS_ABORTED;
    return MPS_OK;
}

/* One byte after a delimiter: "--" closes the body; else optional LWSP then CRLF. */
static int after_delim(struct mps *p, char c)
{
    switch (p->sub) {
    case 0:
        if (c == '-') { p->sub = 1; return MPS_OK; }
        /* fall through */
    case 3:
        if (c == ' ' || c == '\t') { p->sub = 3; return MPS_OK; }
        if (c == '\r') { p->sub = 4; return MPS_OK; }
        return MPS_MALFORMED;
    case 1:
        if (c == '-') { p->state = S_DONE; return MPS_OK; }
        return MPS_MALFORMED;
    case 4:
        if (c == '\n') {
            p->state = S_HEADERS;
            p->hlen = 0;
            return MPS_OK;
        }
        return MPS_MALFORMED;
    }
    return MPS_MALFORMED;
}

int mps_feed(struct mps *p, const char *data, size_t n)
{
    if (p->rc)
        return p->rc;
    size_t i = 0;
    while (i < n && !p->rc) {
        switch (p->state) {
        case S_DONE:
            return MPS_OK; /* the epilogue is ignored */
        case S_AFTER_DELIM:
            p->rc = after_delim(p, data[i++]);
            break;
        case S_HEADERS:
            if (p->hlen >= sizeof p->hdr) {
                p->rc = MPS_MALFORMED;
                break;
            }
            p->hdr[p->hlen++] = data[i++];
            if ((p->hlen == 2 && !memcmp(p->hdr, "\r\n", 2)) ||
                (p->hlen >= 4 && !memcmp(p->hdr + p->hlen - 4, "\r\n\r\n", 4)))
                p->rc = begin_part(p);
            break;
        case S_PREAMBLE:
        case S_BODY: {
            /* run = data bytes of this feed not yet emitted; it exists only while
             * nothing is held back (match == 0). */
            size_t run = i;
            while (i < n) {
                char c = data[i];
                if (p->match == 0 && c != p->delim[0]) {
                    i++;
                    continue;
                }
                if (p->match == 0) {
                    if ((p->rc = emit(p, data + run, i - run)))
                        return p->rc;
                }
                while (p->match > 0 && c != p->delim[p->match]) {
                    size_t k = p->fail[p->match - 1];
                    if ((p->rc = emit(p, p->delim, p->match - k)))
                        return p->rc;
                    p->match = k;
                }
                i++;
                if (c == p->delim[p->match]) {
                    p->match++;
                } else {
                    run = i - 1; /* c itself is data: a new run starts at it */
                    continue;
                }
                if (p->match == p->dlen) {
                    if (p->state == S_BODY && p->cb.part_end && p->cb.part_end(p->ud))
                        return p->rc = MPS_ABORTED;
                    p->state = S_AFTER_DELIM;
                    p->sub = 0;
                    p->match = 0;
                    break;
                }
                run = i;
            }
            if (p->state != S_AFTER_DELIM && p->match == 0 && (p->rc = emit(p, data + run, i - run)))
                return p->rc;
            break;
        }
        }
    }
    return p->rc;
}

int mps_finish(struct mps *p)
{
    if (p->rc)
        return p->rc;
    return p->state == S_DONE ? MPS_OK : (p->rc = MPS_MALFORMED);
}

struct find_state {
    const char *name;
    struct buf *out;
    struct mps_part *part;
    int in_target;   /* inside the wanted part */
    int found;
};

static int find_begin(void *ud, const struct mps_part *p)
{
    struct find_state *f = ud;
    f->in_target = !f->found && !strcmp(p->name, f->name);
    if (f->in_target && f->part)
        *f->part = *p;
    return 0;
}

static int find_data(void *ud, const char *data, size_t n)
{
    struct find_state *f = ud;
    if (f->in_target)
        buf_put(f->out, data, n);
    return 0;
}

static int find_end(void *ud)
{
    struct find_state *f = ud;
    if (f->in_target)
        f->found = 1;
    f->in_target = 0;
    return 0;
}

int mps_find(const char *body, size_t len, const char *boundary, const char *name, struct buf *out,
             struct mps_part *part)
{
    static const struct mps_callbacks cb = {find_begin, find_data, find_end};
    struct find_state f = {.name = name, .out = out, .part = part};
    struct mps *p = arena_alloc(out->a, sizeof *p); /* ~8 KiB of state: not on the stack */
    mps_init(p, boundary, &cb, &f);
    if (mps_feed(p, body, len) != MPS_OK || mps_finish(p) != MPS_OK)
        return -1;
    return f.found;
}
