/* Unit tests for the pure parts of the request core: router, query/cookie parsing,
 * percent-decoding, validation, JSON strings and the envelope. */
#include "tap.h"
#include "buf.h"
#include "http.h"
#include "respond.h"
#include "router.h"
#include "validate.h"

static void h_dummy(struct request *r) { (void)r; }
static void h_other(struct request *r) { (void)r; }

static const struct route table[] = {
    {"GET", "/api/gigs", h_dummy, ROUTE_PUBLIC},
    {"GET", "/api/gigs/urgent/:id", h_other, ROUTE_PUBLIC},
    {"GET", "/api/gigs/:id", h_dummy, ROUTE_PUBLIC},
    {"POST", "/api/gigs/:id/save", h_dummy, ROUTE_AUTH},
    {"DELETE", "/api/gigs/:id/save", h_other, ROUTE_AUTH},
    {"PUT", "/api/organizations/:id/members/:userId", h_dummy, ROUTE_AUTH},
};
#define NT (sizeof table / sizeof table[0])

static void test_router(arena *a)
{
    const char *p[MAX_ROUTE_PARAMS];
    int np;
    bool known;
    const struct route *rt = router_match(table, NT, "GET", "/api/gigs", a, p, &np, &known);
    ok(rt == &table[0] && np == 0, "literal route");
    rt = router_match(table, NT, "GET", "/api/gigs/abc", a, p, &np, &known);
    ok(rt == &table[2] && np == 1, "param route");
    is_str(p[0], "abc", "param captured");
    rt = router_match(table, NT, "GET", "/api/gigs/urgent/xyz", a, p, &np, &known);
    ok(rt == &table[1], "literal segment wins when listed first");
    is_str(p[0], "xyz", "urgent id");
    rt = router_match(table, NT, "DELETE", "/api/gigs/1/save", a, p, &np, &known);
    ok(rt == &table[4], "method picks the route");
    rt = router_match(table, NT, "PATCH", "/api/gigs/1/save", a, p, &np, &known);
    ok(!rt && known, "known path, wrong method → 405");
    rt = router_match(table, NT, "GET", "/api/nothing", a, p, &np, &known);
    ok(!rt && !known, "unknown path → 404");
    rt = router_match(table, NT, "GET", "/api/gigs/", a, p, &np, &known);
    ok(!rt, "empty segment does not match a param");
    rt = router_match(table, NT, "GET", "/api/gigs/a/b", a, p, &np, &known);
    ok(!rt, "extra segment does not match");
    rt = router_match(table, NT, "PUT", "/api/organizations/o1/members/u2", a, p, &np, &known);
    ok(rt == &table[5] && np == 2, "two params");
    is_str(p[1], "u2", "second param");
    rt = router_match(table, NT, "HEAD", "/api/gigs", a, p, &np, &known);
    ok(rt == &table[0], "HEAD served by GET");
}

static void test_query(arena *a)
{
    struct kv *kv;
    int n = http_parse_query(a, "search=hello+world&skills=c%2Cgo&empty=&flag&x=%E2%9C%93", &kv);
    is_int(n, 5, "five pairs");
    is_str(kv[0].val, "hello world", "+ is space");
    is_str(kv[1].val, "c,go", "%%2C decoded");
    is_str(kv[2].val, "", "empty value");
    is_str(kv[3].key, "flag", "key without value");
    is_str(kv[3].val, "", "its value is empty");
    is_str(kv[4].val, "\xE2\x9C\x93", "UTF-8 decoded");
    is_int(http_parse_query(a, "a=%zz", &kv), -1, "bad escape refused");
    is_int(http_parse_query(a, "a=%4", &kv), -1, "truncated escape refused");
    is_int(http_parse_query(a, "a=%00", &kv), -1, "NUL refused");
    is_int(http_parse_query(a, "", &kv), 0, "empty query");
    is_int(http_parse_query(a, "&&a=1&&", &kv), 1, "empty pairs skipped");
    char *d = http_percent_decode(a, "a+b%20c", 7, false);
    is_str(d, "a+b c", "+ kept outside query");
}

static void test_cookies(arena *a)
{
    const char *h = "theme=dark; gigd_session=abc123;  other=\"q\"";
    is_str(http_cookie(a, h, "gigd_session"), "abc123", "cookie found");
    is_str(http_cookie(a, h, "other"), "q", "quoted cookie");
    ok(http_cookie(a, h, "gigd") == NULL, "prefix is not a match");
    ok(http_cookie(a, NULL, "x") == NULL, "no header");
    is_str(http_cookie(a, "gigd_session=", "gigd_session"), "", "empty value");
}

static void test_validation(arena *a)
{
    static const char *const kinds[] = {"fixed", "hourly", NULL};
    static const struct vfield f[] = {
        {.name = "title", .type = V_STRING, .required = true, .min = 3, .max = 10},
        {.name = "count", .type = V_INT, .min = 0, .max = 5},
        {.name = "kind", .type = V_ENUM, .options = kinds},
        {.name = "tags", .type = V_STRINGS, .max = 2, .item_max = 4},
        {.name = "price", .type = V_MONEY, .min = 0, .max = 1e9},
        {.name = "when", .type = V_TIME},
        {.name = "id", .type = V_UUID, .nullable = true},
    };
    struct gctx g = {.a = a};
    struct vvalue v[7];
    cJSON *ok_body = gctx_json_parse(&g, "{\"title\":\"héllo\",\"count\":5,\"kind\":\"fixed\",\"tags\":[\"a\",\"b\\\"c\"],"
                                         "\"price\":12.34,\"when\":\"2026-02-24T19:00:00Z\",\"id\":null,\"extra\":1}", 130);
    ok(ok_body != NULL, "parsed");
    is_int(validate(&g, ok_body, f, v), R_SUCCESS, "valid body");
    is_str(v[0].text, "héllo", "string value");
    is_str(v[1].text, "5", "int text");
    is_str(v[3].text, "{\"a\",\"b\\\"c\"}", "array literal escaped");
    is_int(v[4].i, 1234, "money in minor units");
    ok(v[6].present && v[6].null, "null allowed");
    ok(!g.fields, "no fields");

    struct gctx g2 = {.a = a};
    cJSON *bad = gctx_json_parse(&g2, "{\"title\":\"ab\",\"count\":1.5,\"kind\":\"x\",\"tags\":[\"a\",\"b\",\"c\"],"
                                      "\"price\":1.234,\"when\":\"yesterday\",\"id\":\"nope\"}", 110);
    is_int(validate(&g2, bad, f, v), R_INVALID, "invalid body");
    ok(cJSON_GetObjectItem(g2.fields, "title") != NULL, "title named");
    ok(cJSON_GetObjectItem(g2.fields, "count") != NULL, "count named");
    ok(cJSON_GetObjectItem(g2.fields, "kind") != NULL, "kind named");
    ok(cJSON_GetObjectItem(g2.fields, "tags") != NULL, "tags named");
    ok(cJSON_GetObjectItem(g2.fields, "price") != NULL, "price named");
    ok(cJSON_GetObjectItem(g2.fields, "when") != NULL, "when named");
    ok(cJSON_GetObjectItem(g2.fields, "id") != NULL, "id named");

    struct gctx g3 = {.a = a};
    cJSON *missing = gctx_json_parse(&g3, "{\"count\":\"3\"}", 13);
    is_int(validate(&g3, missing, f, v), R_INVALID, "missing + wrong type");
    is_str(cJSON_GetObjectItem(g3.fields, "title")->valuestring, "is required", "required message");
    is_str(cJSON_GetObjectItem(g3.fields, "count")->valuestring, "must be a number", "type message");

    struct gctx g4 = {.a = a};
    cJSON *arr = gctx_json_parse(&g4, "[1]", 3);
    is_int(validate(&g4, arr, f, v), R_INVALID, "array body refused");
    ok(gctx_json_parse(&g4, "{\"a\":1} x", 9) == NULL, "trailing garbage is malformed");
    ok(gctx_json_parse(&g4, "{\"a\":", 5) == NULL, "truncated JSON is malformed");

    ok(valid_email("a.b+c@example.co"), "email ok");
    ok(!valid_email("a@b"), "email without dot in domain");
    ok(!valid_email("a b@c.d"), "email with space");
    ok(valid_http_url("https://x.example/p?q=1"), "url ok");
    ok(!valid_http_url("javascript:alert(1)"), "javascript url refused");
    ok(valid_rfc3339("2026-02-24T19:00:00.123+01:00"), "rfc3339 with offset");
    ok(!valid_rfc3339("2026-02-30T19:00:00Z"), "impossible date refused");
    ok(!valid_utf8("\xC0\xAF"), "overlong UTF-8 refused");
    ok(valid_uuid("123e4567-e89b-12d3-a456-426614174000"), "uuid ok");
    ok(!valid_uuid("123e4567e89b12d3a456426614174000"), "uuid without dashes refused");
}

static void test_envelope(arena *a)
{
    struct request r = {0};
    r.a = a;
    r.g.a = a;
    r.method = "GET";
    buf_init(&r.headers, a, 64);
    buf_init(&r.out, a, 64);
    respond_data(&r, 201, "{\"x\":1}");
    is_int(r.status, 201, "status");
    is_str(r.out.p, "{\"success\":true,\"data\":{\"x\":1}}", "success envelope");
    gctx_fail_field(&r.g, "title", "is required");
    respond_error(&r);
    is_int(r.status, 400, "validation → 400");
    is_str(r.out.p, "{\"success\":false,\"error\":\"Validation failed\",\"code\":\"VALIDATION_ERROR\",\"fields\":{\"title\":\"is required\"}}",
           "error envelope with fields");
    struct request r2 = r;
    r2.g.fields = NULL;
    respond_fail(&r2, R_ERR, "secret internals: relation \"users\"");
    is_str(r2.out.p, "{\"success\":false,\"error\":\"Internal error\",\"code\":\"INTERNAL_ERROR\"}", "500 hides internals");
    is_int(result_status(R_LIMIT), 402, "LIMIT → 402");
    is_str(result_code(R_TOOLARGE), "PAYLOAD_TOO_LARGE", "413 code");
    is_int(result_status(R_UNAVAILABLE), 503, "UNAVAILABLE → 503");

    struct buf b;
    buf_init(&b, a, 8);
    buf_json_str(&b, "a\"b\\c\n\x01\xff");
    is_str(b.p, "\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\"", "JSON string escaping, bad UTF-8 replaced");
}

int main(void)
{
    arena *a = arena_new(4096);
    test_router(a);
    test_query(a);
    test_cookies(a);
    test_validation(a);
    test_envelope(a);
    arena_free(a);
    return done_testing();
}
