/* json_out.c — the streaming JSON writer of json_out.h: commas by nesting level, string
 * escaping as PostgreSQL's escape_json does (so worker-rendered rows equal gig_json's
 * output but for whitespace), and the conversions of PostgreSQL's text output formats
 * (money, timestamptz, text[]) into the API's JSON values. */
#include "json_out.h"
#include <stdio.h>
#include <string.h>

void jout_init(struct jout *j, struct buf *b)
{
    memset(j, 0, sizeof *j);
    j->b = b;
}

bool jout_ok(const struct jout *j)
{
    return !j->bad && j->depth == 0;
}

/* Before any value or key: the comma that separates it from the previous item. */
static void item(struct jout *j)
{
    if (j->depth == 0)
        return;
    if (j->comma[j->depth - 1])
        buf_putc(j->b, ',');
    j->comma[j->depth - 1] = true;
}

static void open(struct jout *j, char c)
{
    item(j);
    buf_putc(j->b, c);
    if (j->depth >= JOUT_DEPTH) {
        j->bad = true;
        return;
    }
    j->comma[j->depth++] = false;
}

static void close_(struct jout *j, char c)
{
    buf_putc(j->b, c);
    if (j->depth == 0)
        j->bad = true;
    else
        j->depth--;
}

void jout_obj(struct jout *j) { open(j, '{'); }
void jout_obj_end(struct jout *j) { close_(j, '}'); }
void jout_arr(struct jout *j) { open(j, '['); }
void jout_arr_end(struct jout *j) { close_(j, ']'); }

void jout_key(struct jout *j, const char *key)
{
    item(j);
    buf_putc(j->b, '"');
    jout_escape(j->b, key);
    buf_putc(j->b, '"');
    buf_putc(j->b, ':');
    /* The value that follows belongs to this member: no comma before it. */
    if (j->depth > 0)
        j->comma[j->depth - 1] = false;
}

/* After a key the member's value must not write a comma, but the next key must. */
static void value_done(struct jout *j)
{
    if (j->depth > 0)
        j->comma[j->depth - 1] = true;
}

static void raw(struct jout *j, const char *s, size_t n)
{
    item(j);
    buf_put(j->b, s, n);
    value_done(j);
}

void jout_null(struct jout *j) { raw(j, "null", 4); }
void jout_bool(struct jout *j, bool v) { v ? raw(j, "true", 4) : raw(j, "false", 5); }

void jout_int(struct jout *j, long long v)
{
    char s[24];
    int n = snprintf(s, sizeof s, "%lld", v);
    raw(j, s, (size_t)n);
}

/* Length of a valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0) { n = 2; cp = s[0] & 0x1Fu; }
    else if ((s[0] & 0xF0) == 0xE0) { n = 3; cp = s[0] & 0x0Fu; }
    else if ((s[0] & 0xF8) == 0xF0) { n = 4; cp = s[0] & 0x07u; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* The escape of one ASCII byte that needs one, as escape_json writes it, else NULL. */
static const char *ascii_escape(unsigned char c, char tmp[8])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
    }
    if (c >= 0x20)
        return NULL;
    snprintf(tmp, 8, "\\u%04x", c);
    return tmp;
}

void jout_escape(struct buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str, *run = s;
    char tmp[8];
    while (*s) {
        size_t n = 1;
        const char *esc = NULL;
        if (*s >= 0x80) {
            n = utf8_len(s);
            esc = n ? NULL : "\xEF\xBF\xBD";
        } else {
            esc = ascii_escape(*s, tmp);
        }
        if (!esc) {
            s += n; /* part of the current run of bytes copied as they are */
            continue;
        }
        buf_put(b, run, (size_t)(s - run));
        buf_puts(b, esc);
        s++;
        run = s;
    }
    buf_put(b, run, (size_t)(s - run));
}

void jout_str(struct jout *j, const char *s)
{
    if (!s) {
        jout_null(j);
        return;
    }
    item(j);
    buf_putc(j->b, '"');
    jout_escape(j->b, s);
    buf_putc(j->b, '"');
    value_done(j);
}

static bool is_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* An integer as PostgreSQL writes int and bigint: -?[0-9]+. */
static bool num(struct jout *j, const char *s)
{
    size_t n = strlen(s), neg = s[0] == '-';
    if (!is_digits(s + neg, n - neg) || n > 20)
        return false;
    raw(j, s, n);
    return true;
}

/* Minor units to major units with two decimals, as round(minor::numeric / 100, 2). */
static bool money(struct jout *j, const char *s)
{
    size_t n = strlen(s), neg = s[0] == '-';
    if (!is_digits(s + neg, n - neg) || n - neg > 19)
        return false;
    unsigned long long v = 0;
    for (size_t i = neg; i < n; i++)
        v = v * 10 + (unsigned long long)(s[i] - '0');
    char out[32];
    int len = snprintf(out, sizeof out, "%s%llu.%02llu", neg && v ? "-" : "", v / 100, v % 100);
    raw(j, out, (size_t)len);
    return true;
}

/* timestamptz output (DateStyle ISO) in a UTC session, "2026-11-23 15:39:35.123456+00",
 * to iso()'s "2026-11-23T15:39:35Z": fractions are truncated, as to_char does. */
static bool timestamp(struct jout *j, const char *s)
{
    const char *sp = strchr(s, ' ');
    size_t dlen = sp ? (size_t)(sp - s) : 0;
    if (dlen < 10 || !is_digits(s, dlen - 6) || s[dlen - 6] != '-' || s[dlen - 3] != '-' ||
        !is_digits(s + dlen - 5, 2) || !is_digits(s + dlen - 2, 2))
        return false;
    const char *t = sp + 1;
    if (!is_digits(t, 2) || t[2] != ':' || !is_digits(t + 3, 2) || t[5] != ':' || !is_digits(t + 6, 2))
        return false;
    const char *z = t + 8;
    if (*z == '.') {
        size_t f = strspn(z + 1, "0123456789");
        if (f == 0)
            return false;
        z += 1 + f;
    }
    if (strcmp(z, "+00") != 0) /* another zone, or " BC": not what a UTF session writes */
        return false;
    char out[48];
    if (dlen > 20)
        return false;
    int len = snprintf(out, sizeof out, "\"%.*sT%.8sZ\"", (int)dlen, s, t);
    raw(j, out, (size_t)len);
    return true;
}

/* One element of a text[] output at *p: a quoted string with backslash escapes, or an
 * unquoted one up to ',' or '}' (NULL meaning null). Advances *p past it. */
static bool array_elem(struct jout *j, const char **p)
{
    const char *s = *p;
    struct buf tmp;
    buf_init(&tmp, j->b->a, 64);
    if (*s != '"') {
        size_t n = strcspn(s, ",}\"{\\");
        if (n == 0 || (s[n] != ',' && s[n] != '}'))
            return false;
        buf_put(&tmp, s, n);
        if (n == 4 && !strcmp(tmp.p, "NULL"))
            jout_null(j);
        else
            jout_str(j, tmp.p);
        *p = s + n;
        return true;
    }
    for (s++; *s && *s != '"'; s++) {
        if (*s == '\\' && !*++s)
            return false;
        buf_putc(&tmp, *s);
    }
    if (*s != '"')
        return false;
    jout_str(j, tmp.p);
    *p = s + 1;
    return true;
}

/* A one-dimensional text[] as array_out writes it, optionally with dimensions "[0:1]=". */
static bool text_array(struct jout *j, const char *s)
{
    if (*s == '[') {
        s = strchr(s, '=');
        if (!s)
            return false;
        s++;
    }
    if (*s++ != '{')
        return false;
    jout_arr(j);
    if (*s == '}')
        s++;
    else
        for (;;) {
            if (!array_elem(j, &s))
                return false;
            if (*s == '}') {
                s++;
                break;
            }
            if (*s++ != ',')
                return false;
        }
    jout_arr_end(j);
    return *s == '\0';
}

void jout_value(struct jout *j, enum jout_type t, const char *text)
{
    unsigned depth = j->depth;
    bool ok = true;
    if (!text)
        jout_null(j);
    else if (t == JT_STR)
        jout_str(j, text);
    else if (t == JT_NUM)
        ok = num(j, text);
    else if (t == JT_MONEY)
        ok = money(j, text);
    else if (t == JT_TIME)
        ok = timestamp(j, text);
    else if (t == JT_TEXTS)
        ok = text_array(j, text);
    else if ((ok = !strcmp(text, "t") || !strcmp(text, "f")))
        jout_bool(j, text[0] == 't');
    if (!ok) {
        j->bad = true;   /* the output is refused: what was half written does not matter */
        j->depth = depth;
        jout_null(j);
    }
}
