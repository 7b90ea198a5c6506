/* json_out.h — a small streaming JSON writer over struct buf for rendering rows in the
 * worker instead of in PostgreSQL (json_build_object). It writes what PostgreSQL's json
 * functions write, byte for byte except whitespace: strings escaped like escape_json
 * (\b \f \n \r \t \" \\, other control characters as \u00xx, everything else as is),
 * money in major units with two decimals (money_major), times as iso() does
 * (RFC 3339 UTC, whole seconds). Values come as PostgreSQL's text output; one that is
 * not in the expected shape is written as null and makes jout_ok() false, so a caller
 * never sends half-checked output. */
#ifndef GIGD_JSON_OUT_H
#define GIGD_JSON_OUT_H
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"

#define JOUT_DEPTH 16

struct jout {
    struct buf *b;
    unsigned depth;
    bool bad;                       /* a value was malformed or nesting overflowed */
    bool comma[JOUT_DEPTH];         /* the container at that depth already has an item */
};

/* How a column's text output becomes a JSON value (jout_value). NULL is null for each. */
enum jout_type {
    JT_STR,   /* any text: a JSON string */
    JT_NUM,   /* integer text (int, bigint): a number */
    JT_MONEY, /* integer minor units: a number in major units, "12.50" */
    JT_BOOL,  /* boolean output "t"/"f" */
    JT_TIME,  /* timestamptz output in a UTC session: "2026-11-23T15:39:35Z" */
    JT_TEXTS, /* one-dimensional text[] output "{a,\"b c\",NULL}": an array of strings */
};

void jout_init(struct jout *j, struct buf *b);
/* True when everything written so far was well formed and every container is closed. */
bool jout_ok(const struct jout *j);

void jout_obj(struct jout *j);
void jout_obj_end(struct jout *j);
void jout_arr(struct jout *j);
void jout_arr_end(struct jout *j);
/* The key of the next member of the current object. */
void jout_key(struct jout *j, const char *key);

void jout_null(struct jout *j);
void jout_bool(struct jout *j, bool v);
void jout_int(struct jout *j, long long v);
/* s as a JSON string (NULL → null); invalid UTF-8 bytes become U+FFFD. */
void jout_str(struct jout *j, const char *s);
/* The text output of a column of type t (NULL → null). */
void jout_value(struct jout *j, enum jout_type t, const char *text);

/* Appends s escaped as the inside of a JSON string (no quotes). */
void jout_escape(struct buf *b, const char *s);

#endif
