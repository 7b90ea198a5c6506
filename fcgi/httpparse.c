/* httpparse.c — pure HTTP parsing helpers (unit-tested in t/unit/http.c). */
#include "http.h"
#include <string.h>
#include <strings.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *http_percent_decode(arena *a, const char *s, size_t n, bool plus_space)
{
    char *out = arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n)
                return NULL;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0)
                return NULL;
            int c = h * 16 + l;
            if (c == 0)
                return NULL;
            *o++ = (char)c;
            i += 2;
        } else if (s[i] == '+' && plus_space) {
            *o++ = ' ';
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

int http_parse_query(arena *a, const char *qs, struct kv **out)
{
    *out = NULL;
    if (!qs || !*qs)
        return 0;
    int cap = 1;
    for (const char *p = qs; *p; p++)
        if (*p == '&')
            cap++;
    struct kv *kv = arena_alloc(a, sizeof *kv * (size_t)cap);
    int n = 0;
    const char *p = qs;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            char *k = http_percent_decode(a, p, klen, true);
            char *v = eq ? http_percent_decode(a, eq + 1, len - klen - 1, true) : arena_strdup(a, "");
            if (!k || !v)
                return -1;
            kv[n].key = k;
            kv[n].val = v;
            n++;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    *out = kv;
    return n;
}

const char *http_cookie(arena *a, const char *header, const char *name)
{
    if (!header)
        return NULL;
    size_t nl = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t vl = len - nl - 1;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                v++;
                vl -= 2;
            }
            return arena_strndup(a, v, vl);
        }
        p += len;
    }
    return NULL;
}
