/* buf.c — string builder on an arena; growth copies, the old block stays in the arena. */
#include "buf.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void buf_init(struct buf *b, arena *a, size_t cap)
{
    b->a = a;
    b->cap = cap < 64 ? 64 : cap;
    b->p = arena_alloc(a, b->cap);
    b->len = 0;
    b->p[0] = '\0';
}

static void grow(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap * 2;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = arena_alloc(b->a, cap);
    memcpy(p, b->p, b->len + 1);
    b->p = p;
    b->cap = cap;
}

void buf_put(struct buf *b, const void *s, size_t n)
{
    grow(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_put(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap, cp;
    va_start(ap, fmt);
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n > 0) {
        grow(b, (size_t)n);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    va_end(ap);
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0) { n = 2; cp = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { n = 3; cp = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { n = 4; cp = s[0] & 0x07; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void buf_json_str(struct buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    buf_putc(b, '"');
    while (*s) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
            s++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': buf_puts(b, "\\n"); break;
            case '\r': buf_puts(b, "\\r"); break;
            case '\t': buf_puts(b, "\\t"); break;
            default: buf_printf(b, "\\u%04x", c);
            }
            s++;
        } else if (c < 0x80) {
            buf_putc(b, (char)c);
            s++;
        } else {
            size_t n = utf8_seq(s);
            if (n == 0) {
                buf_puts(b, "\xEF\xBF\xBD");
                s++;
            } else {
                buf_put(b, s, n);
                s += n;
            }
        }
    }
    buf_putc(b, '"');
}
