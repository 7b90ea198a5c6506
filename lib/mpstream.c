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

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Copies a header parameter value (token or quoted-string) at *s into out, keeping the
 * first outsz - 1 bytes; *truncated (when given) says whether any were dropped. */
static bool param_value(const char **s, char *out, size_t outsz, bool *truncated)
{
    const char *p = *s;
    size_t n = 0;
    bool quoted = *p == '"';
    if (quoted)
        p++;
    while (*p && (quoted ? *p != '"' : (*p != ';' && *p != ' ' && *p != '\t'))) {
        if (quoted && *p == '\\' && p[1])
            p++;
        if (n + 1 < outsz)
            out[n++] = *p;
        else if (truncated)
            *truncated = true;
        p++;
    }
    if (quoted && *p++ != '"')
        return false;
    out[n] = '\0';
    *s = p;
    return true;
}

/* 1..70 bchars, not ending in a space. */
static bool valid_boundary(const char *val, bool too_long)
{
    size_t vlen = strlen(val);
    if (too_long || vlen == 0 || vlen > MPS_BOUNDARY_MAX || val[vlen - 1] == ' ')
        return false;
    for (size_t i = 0; i < vlen; i++)
        if (!bchar((unsigned char)val[i]))
            return false;
    return true;
}

bool mps_boundary(const char *ct, char *out, size_t outsz)
{
    if (!ct || outsz < MPS_BOUNDARY_MAX + 1)
        return false;
    ct = skip_ws(ct);
    if (strncasecmp(ct, "multipart/form-data", 19))
        return false;
    const char *p = ct + 19;
    while (*p) {
        p = skip_ws(p);
        if (*p != ';')
            return false;
        const char *key = p = skip_ws(p + 1);
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t klen = (size_t)(p - key);
        while (klen && (key[klen - 1] == ' ' || key[klen - 1] == '\t'))
            klen--;
        if (*p != '=')
            return false;
        p++;
        char val[MPS_BOUNDARY_MAX + 2];
        bool too_long = false;
        if (!param_value(&p, val, sizeof val, &too_long))
            return false;
        if (klen == 8 && !strncasecmp(key, "boundary", 8)) {
            if (!valid_boundary(val, too_long))
                return false;
            memcpy(out, val, strlen(val) + 1);
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

/* Where a Content-Disposition parameter's value goes: name, filename, or nowhere. */
static char *disposition_target(struct mps_part *part, const char *key, size_t klen, char *tmp, size_t *dsz)
{
    if (klen == 4 && !strncasecmp(key, "name", 4)) {
        *dsz = sizeof part->name;
        return part->name;
    }
    if (klen == 8 && !strncasecmp(key, "filename", 8)) {
        part->has_filename = true;
        *dsz = sizeof part->filename;
        return part->filename;
    }
    return tmp;
}

/* One "; key=value" (or a bare "; key", ignored) of Content-Disposition at *vp. */
static bool disposition_param(const char **vp, struct mps_part *part)
{
    const char *v = *vp;
    if (*v != ';')
        return false;
    const char *key = v = skip_ws(v + 1);
    while (*v && *v != '=' && *v != ';' && *v != ' ' && *v != '\t')
        v++;
    size_t klen = (size_t)(v - key);
    v = skip_ws(v);
    if (*v != '=') {
        *vp = v;
        return klen > 0; /* a parameter without value: ignored */
    }
    v = skip_ws(v + 1);
    char tmp[256];
    size_t dsz = sizeof tmp;
    char *dst = disposition_target(part, key, klen, tmp, &dsz);
    if (!param_value(&v, dst, dsz, NULL))
        return false;
    *vp = v;
    return true;
}

static bool parse_disposition(const char *v, struct mps_part *part)
{
    v = skip_ws(v);
    if (strncasecmp(v, "form-data", 9))
        return false;
    v += 9;
    while (*(v = skip_ws(v)))
        if (!disposition_param(&v, part))
            return false;
    return true;
}

static void set_content_type(struct mps_part *part, const char *v)
{
    size_t l = strlen(v);
    while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
        l--;
    if (l >= sizeof part->content_type)
        l = sizeof part->content_type - 1;
    memcpy(part->content_type, v, l);
    part->content_type[l] = '\0';
}

/* One header line (NUL-terminated, CRLF removed) of a part. */
static int part_header(char *s, struct mps_part *part)
{
    if (*s == ' ' || *s == '\t')
        return MPS_MALFORMED; /* obsolete line folding */
    char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return MPS_MALFORMED;
    *colon = '\0';
    const char *v = skip_ws(colon + 1);
    if (!strcasecmp(s, "Content-Disposition"))
        return parse_disposition(v, part) ? MPS_OK : MPS_MALFORMED;
    if (!strcasecmp(s, "Content-Type"))
        set_content_type(part, v);
    return MPS_OK;
}

static char *find_crlf(char *s, const char *end)
{
    for (char *q = s; q + 1 < end; q++)
        if (q[0] == '\r' && q[1] == '\n')
            return q;
    return NULL;
}

/* Parses the header block (without its final empty line) and starts the part. */
static int begin_part(struct mps *p)
{
    struct mps_part part;
    memset(&part, 0, sizeof part);
    size_t n = p->hlen >= 4 ? p->hlen - 2 : 0; /* keep the CRLF ending the last line */
    char *s = p->hdr, *end = p->hdr + n;
    while (s < end) {
        char *eol = find_crlf(s, end);
        if (!eol || memchr(s, '\0', (size_t)(eol - s)))
            return MPS_MALFORMED; /* an unterminated line, NUL bytes */
        *eol = '\0';
        int rc = part_header(s, &part);
        if (rc)
            return rc;
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

/* One byte of a part's header block; the empty line ends it and starts the part. */
static int feed_header(struct mps *p, char c)
{
    if (p->hlen >= sizeof p->hdr)
        return MPS_MALFORMED;
    p->hdr[p->hlen++] = c;
    if ((p->hlen == 2 && !memcmp(p->hdr, "\r\n", 2)) ||
        (p->hlen >= 4 && !memcmp(p->hdr + p->hlen - 4, "\r\n\r\n", 4)))
        return begin_part(p);
    return MPS_OK;
}

/* Preamble or part data from data[*pos] on: emits data (body only) up to the next
 * complete delimiter, after which the state is S_AFTER_DELIM, or to the end of the feed.
 * Kept as one loop: the run/match bookkeeping is the KMP automaton, and splitting it
 * would spread its invariant (a run exists only while match == 0) over several places. */
static int scan_body(struct mps *p, const char *data, size_t n, size_t *pos)
{
    size_t i = *pos, run = i; /* run: data bytes of this feed not yet emitted */
    int rc = 0;
    while (i < n) {
        char c = data[i];
        if (p->match == 0 && c != p->delim[0]) {
            i++;
            continue;
        }
        if (p->match == 0 && (rc = emit(p, data + run, i - run)))
            return rc;
        while (p->match > 0 && c != p->delim[p->match]) {
            size_t k = p->fail[p->match - 1];
            if ((rc = emit(p, p->delim, p->match - k)))
                return rc;
            p->match = k;
        }
        i++;
        if (c != p->delim[p->match]) {
            run = i - 1; /* c itself is data: a new run starts at it */
            continue;
        }
        if (++p->match == p->dlen) {
            *pos = i;
            if (p->state == S_BODY && p->cb.part_end && p->cb.part_end(p->ud))
                return MPS_ABORTED;
            p->state = S_AFTER_DELIM;
            p->sub = 0;
            p->match = 0;
            return MPS_OK;
        }
        run = i;
    }
    *pos = i;
    return p->match == 0 ? emit(p, data + run, i - run) : MPS_OK;
}

int mps_feed(struct mps *p, const char *data, size_t n)
{
    size_t i = 0;
    while (i < n && !p->rc) {
        switch (p->state) {
        case S_DONE:
            return MPS_OK; /* the epilogue is ignored */
        case S_AFTER_DELIM:
            p->rc = after_delim(p, data[i++]);
            break;
        case S_HEADERS:
            p->rc = feed_header(p, data[i++]);
            break;
        default: /* S_PREAMBLE, S_BODY */
            p->rc = scan_body(p, data, n, &i);
            break;
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
