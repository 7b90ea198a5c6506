/* validate.c — one pass over a field table; messages read like Zod's. */
#include "validate.h"
#include "buf.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool validate_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        if (*s < 0x80) { s++; continue; }
        int n;
        unsigned cp;
        if ((*s & 0xE0) == 0xC0) { n = 2; cp = *s & 0x1F; }
        else if ((*s & 0xF0) == 0xE0) { n = 3; cp = *s & 0x0F; }
        else if ((*s & 0xF8) == 0xF0) { n = 4; cp = *s & 0x07; }
        else return false;
        for (int i = 1; i < n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        s += n;
    }
    return true;
}

size_t validate_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

bool validate_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

bool validate_email(const char *s)
{
    size_t len = strlen(s);
    if (len < 3 || len > 254)
        return false;
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@'))
        return false;
    const char *dot = strrchr(at + 1, '.');
    if (!dot || dot == at + 1 || dot[1] == '\0')
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || strchr("<>\",;\\()[]", *p))
            return false;
    return true;
}

bool validate_http_url(const char *s)
{
    const char *rest;
    if (!strncmp(s, "https://", 8))
        rest = s + 8;
    else if (!strncmp(s, "http://", 7))
        rest = s + 7;
    else
        return false;
    if (!*rest || *rest == '/' || *rest == '.' || *rest == ':')
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\' || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

/* The date part, YYYY-MM-DD, from 1970 on and a day that exists in some year. */
static bool valid_date(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return false;
    return y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1];
}

/* hh:mm:ss with an optional fraction; returns where it stops, or NULL. */
static const char *skip_time(const char *p)
{
    int h, mi, se, n = 0;
    if (sscanf(p, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3 || n != 8 || h > 23 || mi > 59 || se > 60)
        return NULL;
    p += 8;
    if (*p != '.')
        return p;
    if (!isdigit((unsigned char)*++p))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    return p;
}

/* Z or ±hh:mm, and nothing after it. */
static bool valid_offset(const char *p)
{
    if (*p == 'Z' || *p == 'z')
        return p[1] == '\0';
    if (*p != '+' && *p != '-')
        return false;
    int oh, om, n = 0;
    return sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5 && oh <= 23 && om <= 59 && p[6] == '\0';
}

/* 2026-02-24T19:00:00Z, with optional fraction and ±hh:mm offset. */
bool validate_rfc3339(const char *s)
{
    if (!valid_date(s) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return false;
    const char *p = skip_time(s + 11);
    return p && valid_offset(p);
}

enum result validate_query_long(struct gctx *g, const char *field, const char *s, long def, long min, long max, long *out)
{
    if (!s) {
        *out = def;
        return R_SUCCESS;
    }
    bool digits = *s && strlen(s) <= 12;
    for (const char *p = s; digits && *p; p++)
        digits = isdigit((unsigned char)*p);
    long v = digits ? strtol(s, NULL, 10) : -1;
    if (!digits || v < min || v > max)
        return gctx_fail_field(g, field, arena_sprintf(g->a, "must be an integer from %ld to %ld", min, max));
    *out = v;
    return R_SUCCESS;
}

const char *validate_text_array(arena *a, const char *const *items, int n)
{
    struct buf b;
    buf_init(&b, a, 64);
    buf_putc(&b, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(&b, ',');
        if (!items[i]) {
            buf_puts(&b, "NULL");
            continue;
        }
        buf_putc(&b, '"');
        for (const char *p = items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_putc(&b, '\\');
            buf_putc(&b, *p);
        }
        buf_putc(&b, '"');
    }
    buf_putc(&b, '}');
    return b.p;
}

static const char *fmt_num(arena *a, double v)
{
    return arena_sprintf(a, "%.17g", v);
}

/* Checks one string against the rule; returns an error message or NULL. */
static const char *check_string(struct gctx *g, const struct vfield *f, const char *s, double min, double max)
{
    if (!validate_utf8(s))
        return "must be valid UTF-8";
    size_t n = validate_utf8_chars(s);
    if (min > 0 && n < (size_t)min)
        return min == 1 ? "is required" : arena_sprintf(g->a, "must be at least %.0f characters", min);
    if (max > 0 && n > (size_t)max)
        return arena_sprintf(g->a, "must be at most %.0f characters", max);
    return NULL;
}

static const char *check_enum(struct gctx *g, const struct vfield *f, const char *s)
{
    for (const char *const *o = f->options; *o; o++)
        if (!strcmp(*o, s))
            return NULL;
    struct buf b;
    buf_init(&b, g->a, 64);
    buf_puts(&b, "must be one of:");
    for (const char *const *o = f->options; *o; o++)
        buf_printf(&b, " %s", *o);
    return b.p;
}

/* The format a string type requires beyond its length. */
static const char *check_format(struct gctx *g, const struct vfield *f, const char *s)
{
    switch (f->type) {
    case V_UUID: return validate_uuid(s) ? NULL : "must be a UUID";
    case V_EMAIL: return validate_email(s) ? NULL : "must be a valid email address";
    case V_URL: return validate_http_url(s) ? NULL : "must be an http(s) URL";
    case V_TIME: return validate_rfc3339(s) ? NULL : "must be an RFC 3339 timestamp";
    case V_ENUM: return check_enum(g, f, s);
    default: return NULL;
    }
}

/* V_STRING, V_UUID, V_EMAIL, V_URL, V_ENUM, V_TIME: only V_STRING has a minimum length. */
static const char *check_text(struct gctx *g, const struct vfield *f, const cJSON *v, struct vvalue *out)
{
    if (!cJSON_IsString(v))
        return "must be a string";
    const char *s = v->valuestring;
    const char *msg = check_string(g, f, s, f->type == V_STRING ? f->min : 0, f->max);
    if (!msg)
        msg = check_format(g, f, s);
    if (msg)
        return msg;
    if (f->check && !f->check(s))
        return f->check_msg ? f->check_msg : "is invalid";
    out->s = s;
    out->text = s;
    return NULL;
}

/* V_INT, V_NUMBER, V_MONEY: range in the field's units; text is what SQL gets (money in
 * minor units). */
static const char *check_number(struct gctx *g, const struct vfield *f, const cJSON *v, struct vvalue *out)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return "must be a number";
    double d = v->valuedouble;
    if (f->type == V_INT && (d != floor(d) || fabs(d) > 9e15))
        return "must be an integer";
    if (d < f->min)
        return arena_sprintf(g->a, "must be at least %g", f->min);
    if (f->max > f->min && d > f->max)
        return arena_sprintf(g->a, "must be at most %g", f->max);
    out->num = d;
    if (f->type == V_MONEY) {
        double minor = d * 100.0;
        if (fabs(minor - round(minor)) > 1e-6)
            return "must have at most 2 decimal places";
        out->i = (long long)llround(minor);
        out->text = arena_sprintf(g->a, "%lld", out->i);
    } else if (f->type == V_INT) {
        out->i = (long long)d;
        out->text = arena_sprintf(g->a, "%lld", out->i);
    } else {
        out->text = fmt_num(g->a, d);
    }
    return NULL;
}

static const char *check_bool(struct gctx *g, const struct vfield *f, const cJSON *v, struct vvalue *out)
{
    if (!cJSON_IsBool(v))
        return "must be a boolean";
    out->b = cJSON_IsTrue(v);
    out->text = out->b ? "true" : "false";
    return NULL;
}

static const char *check_item(struct gctx *g, const struct vfield *f, const cJSON *it)
{
    if (!cJSON_IsString(it))
        return "must be an array of strings";
    const char *s = it->valuestring;
    if (!validate_utf8(s))
        return "must be valid UTF-8";
    if (!*s)
        return "must not contain empty strings";
    if (f->item_max > 0 && validate_utf8_chars(s) > (size_t)f->item_max)
        return arena_sprintf(g->a, "items must be at most %d characters", f->item_max);
    if (f->check && !f->check(s))
        return f->check_msg ? f->check_msg : "has an invalid item";
    return NULL;
}

/* V_STRINGS: min/max count the items; text is a PostgreSQL text[] literal. */
static const char *check_strings(struct gctx *g, const struct vfield *f, const cJSON *v, struct vvalue *out)
{
    if (!cJSON_IsArray(v))
        return "must be an array of strings";
    int n = cJSON_GetArraySize(v);
    if (n < (int)f->min)
        return arena_sprintf(g->a, "must have at least %.0f items", f->min);
    if (f->max > 0 && n > (int)f->max)
        return arena_sprintf(g->a, "must have at most %.0f items", f->max);
    const char **items = arena_alloc(g->a, sizeof(char *) * (size_t)(n + 1));
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, v) {
        const char *msg = check_item(g, f, it);
        if (msg)
            return msg;
        items[i++] = it->valuestring;
    }
    items[i] = NULL;
    out->items = items;
    out->n = n;
    out->text = validate_text_array(g->a, items, n);
    return NULL;
}

/* Checks one present, non-null value by its field type; an error message or NULL. */
static const char *check_one(struct gctx *g, const struct vfield *f, const cJSON *v, struct vvalue *out)
{
    switch (f->type) {
    case V_STRING: case V_UUID: case V_EMAIL: case V_URL: case V_ENUM: case V_TIME:
        return check_text(g, f, v, out);
    case V_INT: case V_NUMBER: case V_MONEY:
        return check_number(g, f, v, out);
    case V_BOOL:
        return check_bool(g, f, v, out);
    case V_STRINGS:
        return check_strings(g, f, v, out);
    }
    return "is invalid";
}

enum result validate_n(struct gctx *g, const cJSON *obj, const struct vfield *fields, int nfields,
                     struct vvalue *values)
{
    memset(values, 0, sizeof *values * (size_t)nfields);
    if (!cJSON_IsObject(obj))
        return gctx_fail(g, R_INVALID, "Request body must be a JSON object");
    int bad = 0;
    for (int i = 0; i < nfields; i++) {
        const struct vfield *f = &fields[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->name);
        struct vvalue *out = &values[i];
        if (!v) {
            if (f->required) {
                gctx_fail_field(g, f->name, "is required");
                bad++;
            }
            continue;
        }
        out->present = true;
        if (cJSON_IsNull(v)) {
            if (!f->nullable) {
                gctx_fail_field(g, f->name, f->required ? "is required" : "must not be null");
                bad++;
            }
            out->null = true;
            continue;
        }
        const char *msg = check_one(g, f, v, out);
        if (msg) {
            gctx_fail_field(g, f->name, msg);
            bad++;
        }
    }
    return bad ? R_INVALID : R_SUCCESS;
}
