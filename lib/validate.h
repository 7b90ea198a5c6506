/* validate.h — validation as data: a field table per input yields typed values
 * and the `fields` object of a VALIDATION_ERROR in one pass. */
#ifndef GIGD_VALIDATE_H
#define GIGD_VALIDATE_H
#include <stdbool.h>
#include <cjson/cJSON.h>
#include "gctx.h"
#include "util.h"

enum vtype {
    V_STRING,   /* min/max = length in characters */
    V_INT,      /* min/max = value */
    V_NUMBER,   /* min/max = value */
    V_MONEY,    /* major units, ≤ 2 decimals, min/max in major units; text = minor units */
    V_BOOL,
    V_STRINGS,  /* array of strings: min/max = count, item_max = length of each */
    V_UUID,
    V_EMAIL,
    V_URL,      /* http(s) URL, max = length */
    V_ENUM,     /* one of options */
    V_TIME,     /* RFC 3339 timestamp */
};

struct vfield {
    const char *name;
    enum vtype type;
    bool required;
    bool nullable;
    double min, max;
    const char *const *options;            /* V_ENUM: NULL-terminated */
    int item_max;                          /* V_STRINGS: max characters per item */
    bool (*check)(const char *s);          /* extra check on strings */
    const char *check_msg;
};

struct vvalue {
    bool present;       /* key was in the object (even if null) */
    bool null;
    const char *s;      /* strings, enums, uuids: the value */
    double num;
    long long i;        /* V_INT, V_MONEY (minor units) */
    bool b;
    const char **items; /* V_STRINGS */
    int n;
    const char *text;   /* the value as a SQL parameter (NULL for null/absent) */
};

/* Validates obj against the table; values[i] corresponds to fields[i]. Returns R_SUCCESS
 * or R_INVALID with every offending field in g->fields. A non-object body is invalid. */
enum result validate_n(struct gctx *g, const cJSON *obj, const struct vfield *fields, int nfields,
                       struct vvalue *values);
/* validate(g, body, table, v) for a field table that is an array: counts it, and refuses
 * to compile when v has fewer entries than the table. */
#define validate(g, obj, table, values)                                                      \
    validate_n((g), (obj), (table), (int)ARRAY_SIZE(table),                                 \
               (values) + 0 * sizeof(struct { int values_too_small_ : ARRAY_SIZE(values) >= ARRAY_SIZE(table) ? 1 : -1; }))

/* Pure checks, shared with query-string parsing. */
bool validate_uuid(const char *s);
bool validate_email(const char *s);
bool validate_http_url(const char *s);
bool validate_utf8(const char *s);
size_t validate_utf8_chars(const char *s);
bool validate_rfc3339(const char *s);
/* A query-string integer: absent → def; otherwise only digits, within [min, max], else a
 * VALIDATION_ERROR naming field ("must be an integer from MIN to MAX"). */
enum result validate_query_long(struct gctx *g, const char *field, const char *s, long def, long min, long max, long *out);
/* Renders items as a PostgreSQL text[] literal (quoted, escaped; a NULL item is SQL NULL). */
const char *validate_text_array(arena *a, const char *const *items, int n);

#endif
