/* json_out.c — unit tests of the JSON writer (lib/json_out.c): commas and nesting, string
 * escaping as PostgreSQL's escape_json (control characters, quotes, invalid UTF-8 →
 * U+FFFD), money, times and text[] from PostgreSQL's text output, and refusal of values
 * in any other shape. */
#include "json_out.h"
#include "tap.h"

static arena *a;

/* One value of type t from text, written alone. */
static const char *val(enum jout_type t, const char *text, bool *okp)
{
    struct buf b;
    struct jout j;
    buf_init(&b, a, 16);
    jout_init(&j, &b);
    jout_value(&j, t, text);
    *okp = jout_ok(&j);
    return b.p;
}

static const char *good(enum jout_type t, const char *text)
{
    bool okv;
    const char *s = val(t, text, &okv);
    return okv ? s : "(refused)";
}

static bool refused(enum jout_type t, const char *text)
{
    bool okv;
    val(t, text, &okv);
    return !okv;
}

static void structure(void)
{
    struct buf b;
    struct jout j;
    buf_init(&b, a, 16);
    jout_init(&j, &b);
    jout_obj(&j);
    jout_key(&j, "a");
    jout_int(&j, -12);
    jout_key(&j, "b");
    jout_arr(&j);
    jout_null(&j);
    jout_bool(&j, true);
    jout_obj(&j);
    jout_obj_end(&j);
    jout_arr(&j);
    jout_arr_end(&j);
    jout_str(&j, "x");
    jout_arr_end(&j);
    jout_key(&j, "c");
    jout_obj(&j);
    jout_key(&j, "d");
    jout_bool(&j, false);
    jout_obj_end(&j);
    jout_key(&j, "e\"");
    jout_str(&j, NULL);
    jout_obj_end(&j);
    is_str(b.p, "{\"a\":-12,\"b\":[null,true,{},[],\"x\"],\"c\":{\"d\":false},\"e\\\"\":null}", "nesting and commas");
    ok(jout_ok(&j), "balanced output is ok");

    jout_init(&j, &b);
    jout_obj(&j);
    ok(!jout_ok(&j), "an unclosed object is not ok");
    jout_init(&j, &b);
    jout_arr_end(&j);
    ok(!jout_ok(&j), "closing nothing is not ok");
    jout_init(&j, &b);
    for (int i = 0; i < JOUT_DEPTH + 1; i++)
        jout_arr(&j);
    for (int i = 0; i < JOUT_DEPTH + 1; i++)
        jout_arr_end(&j);
    ok(!jout_ok(&j), "nesting deeper than JOUT_DEPTH is refused");
}

static void strings(void)
{
    is_str(good(JT_STR, "plain"), "\"plain\"", "plain string");
    is_str(good(JT_STR, ""), "\"\"", "empty string");
    is_str(good(JT_STR, "q\"b\\s/"), "\"q\\\"b\\\\s/\"", "quote and backslash escaped, slash not");
    is_str(good(JT_STR, "\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"", "short escapes as escape_json");
    is_str(good(JT_STR, "\x01\x1f\x7f"), "\"\\u0001\\u001f\x7f\"", "other controls as \\u00xx (lowercase); DEL as is");
    is_str(good(JT_STR, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
           "valid UTF-8 (2, 3, 4 bytes) as is");
    is_str(good(JT_STR, "a\xff" "b"), "\"a\xef\xbf\xbd" "b\"", "invalid byte -> U+FFFD");
    is_str(good(JT_STR, "\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"", "overlong encoding -> U+FFFD each byte");
    is_str(good(JT_STR, "\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "surrogate -> U+FFFD");
    is_str(good(JT_STR, "\xf4\x90\x80\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
           "beyond U+10FFFF -> U+FFFD");
    is_str(good(JT_STR, "x\xe2\x82"), "\"x\xef\xbf\xbd\xef\xbf\xbd\"", "truncated sequence at the end");
    is_str(good(JT_STR, NULL), "null", "NULL is null");
}

static void numbers(void)
{
    is_str(good(JT_NUM, "0"), "0", "zero");
    is_str(good(JT_NUM, "-42"), "-42", "negative");
    is_str(good(JT_NUM, "9223372036854775807"), "9223372036854775807", "bigint max");
    ok(refused(JT_NUM, ""), "empty number refused");
    ok(refused(JT_NUM, "-"), "lone minus refused");
    ok(refused(JT_NUM, "1.5"), "fraction refused");
    ok(refused(JT_NUM, "1e3"), "exponent refused");
    ok(refused(JT_NUM, "NaN"), "NaN refused");
    is_str(good(JT_MONEY, "0"), "0.00", "money zero");
    is_str(good(JT_MONEY, "5"), "0.05", "money cents");
    is_str(good(JT_MONEY, "1250"), "12.50", "money 12.50");
    is_str(good(JT_MONEY, "10000000000"), "100000000.00", "money large");
    is_str(good(JT_MONEY, "-1"), "-0.01", "money negative");
    is_str(good(JT_MONEY, "-9223372036854775808"), "-92233720368547758.08", "money bigint min");
    ok(refused(JT_MONEY, "12.5"), "money with a point refused");
    ok(refused(JT_MONEY, "x"), "money garbage refused");
    is_str(good(JT_MONEY, NULL), "null", "money NULL");
    is_str(good(JT_BOOL, "t"), "true", "bool t");
    is_str(good(JT_BOOL, "f"), "false", "bool f");
    ok(refused(JT_BOOL, "true"), "bool in another spelling refused");
}

static void times(void)
{
    is_str(good(JT_TIME, "2026-11-23 15:39:35+00"), "\"2026-11-23T15:39:35Z\"", "whole seconds");
    is_str(good(JT_TIME, "2026-11-23 15:39:35.999999+00"), "\"2026-11-23T15:39:35Z\"", "fraction truncated");
    is_str(good(JT_TIME, "2026-01-02 03:04:05.5+00"), "\"2026-01-02T03:04:05Z\"", "short fraction");
    is_str(good(JT_TIME, "12026-01-02 03:04:05+00"), "\"12026-01-02T03:04:05Z\"", "five-digit year");
    is_str(good(JT_TIME, NULL), "null", "NULL time");
    ok(refused(JT_TIME, "2026-11-23 15:39:35+01"), "another zone refused");
    ok(refused(JT_TIME, "2026-11-23 15:39:35+00 BC"), "BC refused");
    ok(refused(JT_TIME, "2026-11-23T15:39:35Z"), "not PostgreSQL's output refused");
    ok(refused(JT_TIME, "2026-11-23 15:39:35.+00"), "empty fraction refused");
    ok(refused(JT_TIME, "11/23/2026 15:39:35 UTC"), "another DateStyle refused");
    ok(refused(JT_TIME, "infinity"), "infinity refused");
    ok(refused(JT_TIME, "2026-11-23 15:39"), "truncated refused");
}

static void arrays(void)
{
    is_str(good(JT_TEXTS, "{}"), "[]", "empty array");
    is_str(good(JT_TEXTS, "{react,python}"), "[\"react\",\"python\"]", "unquoted elements");
    is_str(good(JT_TEXTS, "{\"a b\",\"x,y\",\"q\\\"\\\\\",\"\",\"NULL\",NULL}"),
           "[\"a b\",\"x,y\",\"q\\\"\\\\\",\"\",\"NULL\",null]", "quoted elements, escapes, empty, NULL vs \"NULL\"");
    is_str(good(JT_TEXTS, "{\"{}\",\xc3\xa9t\xc3\xa9}"), "[\"{}\",\"\xc3\xa9t\xc3\xa9\"]", "braces quoted, UTF-8");
    is_str(good(JT_TEXTS, "{\"tab\there\"}"), "[\"tab\\there\"]", "control characters escaped");
    is_str(good(JT_TEXTS, "[0:1]={a,b}"), "[\"a\",\"b\"]", "dimension decoration");
    ok(refused(JT_TEXTS, "{{a},{b}}"), "two dimensions refused");
    ok(refused(JT_TEXTS, "{a,b"), "unterminated refused");
    ok(refused(JT_TEXTS, "{\"a}"), "unterminated quote refused");
    ok(refused(JT_TEXTS, "{a,}"), "empty unquoted element refused");
    ok(refused(JT_TEXTS, "{a}x"), "trailing garbage refused");
    ok(refused(JT_TEXTS, "a,b"), "no braces refused");
    ok(refused(JT_TEXTS, "{\"a\\"), "backslash at the end refused");

    struct buf b;
    struct jout j;
    buf_init(&b, a, 16);
    jout_init(&j, &b);
    jout_obj(&j);
    jout_key(&j, "s");
    jout_value(&j, JT_TEXTS, "{a,{b}}");
    jout_key(&j, "t");
    jout_value(&j, JT_NUM, "1");
    jout_obj_end(&j);
    ok(!jout_ok(&j), "a malformed array inside an object refuses the whole output");
}

int main(void)
{
    a = arena_new(4096);
    structure();
    strings();
    numbers();
    times();
    arrays();
    return done_testing();
}
