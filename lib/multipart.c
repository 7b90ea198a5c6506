/* multipart.c — bounded, allocation-free multipart/form-data scanning. Every read is
 * checked against the end of the buffer; headers are parsed line by line. */
#include "multipart.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool bchar(int c)
{
    /* RFC 2046 bcharsnospace plus space (not last) */
    return isalnum(c) || strchr("'()+_,-./:=? ", c) != NULL;
}

/* Finds parameter `key` in a header value's ;-separated parameters. Copies its value
 * (unquoted, unescaped) into out; false when absent or too long. */
static bool header_param(const char *v, size_t vlen, const char *key, char *out, size_t outsz)
{
    const char *p = v, *end = v + vlen;
    size_t klen = strlen(key);
    /* skip the first token (the type or disposition) */
    while (p < end && *p != ';') {
        if (*p == '"') { /* a quoted string cannot appear here, but be safe */
            p++;
            while (p < end && *p != '"')
                p++;
        }
        if (p < end)
            p++;
    }
    while (p < end) {
        p++; /* past ';' */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *k = p;
        while (p < end && *p != '=' && *p != ';')
            p++;
        size_t kl = (size_t)(p - k);
        while (kl > 0 && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
            kl--;
        if (p >= end || *p == ';')
            continue;
        p++; /* past '=' */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        size_t o = 0;
        bool match = kl == klen && !strncasecmp(k, key, klen), toolong = false;
        if (p < end && *p == '"') {
            p++;
            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end)
                    p++;
                if (match) {
                    if (o + 1 < outsz)
                        out[o++] = *p;
                    else
                        toolong = true;
                }
                p++;
            }
            if (p >= end)
                return false; /* unterminated quote */
            p++;
            while (p < end && *p != ';')
                p++;
        } else {
            while (p < end && *p != ';') {
                if (match) {
                    if (o + 1 < outsz)
                        out[o++] = *p;
                    else
                        toolong = true;
                }
                p++;
            }
            while (match && o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                o--;
        }
        if (match) {
            out[o] = '\0';
            return !toolong;
        }
    }
    return false;
}

bool multipart_boundary(const char *ct, char *out, size_t outsz)
{
    if (!ct || outsz < MULTIPART_BOUNDARY_MAX + 1)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, "multipart/form-data", 19) || (ct[19] && ct[19] != ';' && ct[19] != ' ' && ct[19] != '\t'))
        return false;
    char b[MULTIPART_BOUNDARY_MAX + 2];
    if (!header_param(ct, strlen(ct), "boundary", b, sizeof b))
        return false;
    size_t n = strlen(b);
    if (n < 1 || n > MULTIPART_BOUNDARY_MAX || b[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!bchar((unsigned char)b[i]))
            return false;
    memcpy(out, b, n + 1);
    return true;
}

/* Position of the next real delimiter at or after p: "\r\n--boundary" followed by "--"
 * or by optional whitespace and CRLF (the boundary text alone inside content is not one). */
static const char *find_delim(const char *p, const char *end, const char *delim, size_t dlen)
{
    while (p < end && (size_t)(end - p) >= dlen) {
        const char *m = memmem(p, (size_t)(end - p), delim, dlen);
        if (!m)
            return NULL;
        const char *q = m + dlen;
        if (end - q >= 2 && q[0] == '-' && q[1] == '-')
            return m;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (end - q >= 2 && q[0] == '\r' && q[1] == '\n')
            return m;
        p = m + 1;
    }
    return NULL;
}

int multipart_find(const char *body, size_t len, const char *boundary, const char *name, struct mpart *out)
{
    size_t blen = strlen(boundary);
    if (blen < 1 || blen > MULTIPART_BOUNDARY_MAX)
        return -1;
    char delim[MULTIPART_BOUNDARY_MAX + 5];
    delim[0] = '\r';
    delim[1] = '\n';
    delim[2] = '-';
    delim[3] = '-';
    memcpy(delim + 4, boundary, blen);
    size_t dlen = blen + 4;
    const char *end = body + len;
    const char *p;
    /* The first delimiter may start the body (no preceding CRLF). */
    if (len >= dlen - 2 && !memcmp(body, delim + 2, dlen - 2))
        p = body + dlen - 2;
    else if ((p = find_delim(body, end, delim, dlen)) != NULL)
        p += dlen;
    else
        return -1;
    for (;;) {
        /* after a delimiter: "--" closes, else optional whitespace then CRLF */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 0;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return -1;
        p += 2;
        /* headers */
        char pname[256] = "", fname[256] = "", ctype[128] = "";
        bool is_form = false, have_name = false;
        for (;;) {
            const char *eol = end - p >= 2 ? memmem(p, (size_t)(end - p), "\r\n", 2) : NULL;
            if (!eol)
                return -1;
            if (eol == p) {
                p += 2;
                break;
            }
            const char *colon = memchr(p, ':', (size_t)(eol - p));
            if (!colon)
                return -1;
            size_t hl = (size_t)(colon - p);
            const char *v = colon + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            size_t vl = (size_t)(eol - v);
            if (hl == 19 && !strncasecmp(p, "Content-Disposition", 19)) {
                is_form = vl >= 9 && !strncasecmp(v, "form-data", 9) && (vl == 9 || v[9] == ';' || v[9] == ' ');
                have_name = header_param(v, vl, "name", pname, sizeof pname);
                if (!header_param(v, vl, "filename", fname, sizeof fname))
                    fname[0] = '\0';
            } else if (hl == 12 && !strncasecmp(p, "Content-Type", 12)) {
                size_t n = vl < sizeof ctype - 1 ? vl : sizeof ctype - 1;
                memcpy(ctype, v, n);
                ctype[n] = '\0';
            }
            p = eol + 2;
        }
        const char *next = find_delim(p, end, delim, dlen);
        if (!next)
            return -1; /* a part must be closed by a delimiter */
        if (is_form && have_name && !strcmp(pname, name)) {
            out->data = p;
            out->len = (size_t)(next - p);
            memcpy(out->filename, fname, sizeof out->filename);
            memcpy(out->content_type, ctype, sizeof out->content_type);
            return 1;
        }
        p = next + dlen;
    }
}
