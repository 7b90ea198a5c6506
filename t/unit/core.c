/* Unit tests for the pure parts of the request core: router, query/cookie parsing,
 * percent-decoding, validation, JSON strings, the envelope, and configuration loading. */
#include "tap.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "respond.h"
#include "router.h"
#include "validate.h"
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

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
    const char *p[ROUTER_MAX_PARAMS];
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

    ok(validate_email("a.b+c@example.co"), "email ok");
    ok(!validate_email("a@b"), "email without dot in domain");
    ok(!validate_email("a b@c.d"), "email with space");
    ok(validate_http_url("https://x.example/p?q=1"), "url ok");
    ok(!validate_http_url("javascript:alert(1)"), "javascript url refused");
    ok(validate_rfc3339("2026-02-24T19:00:00.123+01:00"), "rfc3339 with offset");
    ok(!validate_rfc3339("2026-02-30T19:00:00Z"), "impossible date refused");
    ok(validate_rfc3339("2026-02-24t19:00:60z"), "lower-case t/z and a leap second");
    ok(validate_rfc3339("2026-02-24 19:00:00-05:30"), "space separator, negative offset");
    ok(!validate_rfc3339("2026-02-24T24:00:00Z"), "hour 24 refused");
    ok(!validate_rfc3339("2026-02-24T19:00:00.Z"), "empty fraction refused");
    ok(!validate_rfc3339("2026-02-24T19:00:00+01:00x"), "trailing text refused");
    ok(!validate_rfc3339("2026-02-24T19:00:00+24:00"), "offset hour 24 refused");
    ok(!validate_rfc3339("2026-02-24T19:00:00"), "offset required");
    ok(!validate_rfc3339("1969-12-31T23:59:59Z"), "before 1970 refused");
    ok(!validate_email("a<b@c.d"), "email with an angle bracket");
    ok(!validate_email("a@b@c.d"), "email with two @");
    ok(!validate_email("a@b."), "email ending in a dot");
    ok(!validate_utf8("\xC0\xAF"), "overlong UTF-8 refused");
    ok(validate_uuid("123e4567-e89b-12d3-a456-426614174000"), "uuid ok");
    ok(!validate_uuid("123e4567e89b12d3a456426614174000"), "uuid without dashes refused");
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
    is_int(respond_status(R_LIMIT), 402, "LIMIT → 402");
    is_str(respond_code(R_TOOLARGE), "PAYLOAD_TOO_LARGE", "413 code");
    is_int(respond_status(R_UNAVAILABLE), 503, "UNAVAILABLE → 503");

    struct buf b;
    buf_init(&b, a, 8);
    buf_json_str(&b, "a\"b\\c\n\x01\xff");
    is_str(b.p, "\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\"", "JSON string escaping, bad UTF-8 replaced");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* config_load is all or nothing: a bad value anywhere leaves every setting as it was. */
static void test_config(void)
{
    char path[] = "/tmp/gigd-unit-config.XXXXXX", err[256];
    int fd = mkstemp(path);
    ok(fd >= 0, "temporary config file");
    close(fd);
    setenv("GIGD_CONFIG_FILE", path, 1);
    setenv("GIGD_WORKERS", "2", 1);
    setenv("GIGD_PUBLIC_URL", "HTTPS://Example.TEST:443/app", 1);
    unsetenv("GIGD_JSON_BODY_LIMIT");
    unsetenv("GIGD_STRIPE_TIMEOUT");
    unsetenv("GIGD_MAIL_FROM");

    write_file(path, "# comment\nGIGD_JSON_BODY_LIMIT=2048\nGIGD_WORKERS='3'\nGIGD_MAIL_FROM=\"a <a@b.test>\"\n");
    is(config_load(err, sizeof err), 0, "good file loads");
    is(cfg.json_body_limit, 2048, "file value applied");
    is(cfg.workers, 3, "file overrides the environment");
    is_str(cfg.mail_from, "a <a@b.test>", "quotes stripped");
    is(cfg.stripe_timeout, 10, "unset key takes its default");
    is_str(cfg.public_origin, "https://example.test", "public_origin lowercased, default port and path dropped");
    ok(getenv("GIGD_JSON_BODY_LIMIT") == NULL, "the file does not leak into the environment");

    write_file(path, "GIGD_JSON_BODY_LIMIT=4096\nGIGD_WORKERS=5\nGIGD_MAIL_FROM=x\nGIGD_STRIPE_TIMEOUT=abc\n");
    ok(config_load(err, sizeof err) < 0, "a bad value refuses the load");
    ok(strstr(err, "GIGD_STRIPE_TIMEOUT") != NULL, "the error names the variable: %s", err);
    is(cfg.json_body_limit, 2048, "body limit unchanged (parsed after the bad value)");
    is(cfg.workers, 3, "workers unchanged (parsed before the bad value)");
    is_str(cfg.mail_from, "a <a@b.test>", "strings unchanged");

    write_file(path, "GIGD_PUBLIC_URL=not a url\n");
    ok(config_load(err, sizeof err) < 0, "a public URL without scheme://host is refused");
    is_str(cfg.public_origin, "https://example.test", "public_origin unchanged");

    write_file(path, "GIGD_WORKERS=4\n");
    is(config_load(err, sizeof err), 0, "keys removed from the file");
    is(cfg.json_body_limit, 1048576, "removed key returns to its default");
    is(cfg.workers, 4, "kept key applied");
    is_str(cfg.mail_from, "gigd <no-reply@localhost>", "removed string returns to its default");

    unlink(path);
    ok(config_load(err, sizeof err) < 0, "a missing file refuses the load");
    is(cfg.workers, 4, "and changes nothing");
    unsetenv("GIGD_CONFIG_FILE");
    is(config_load(err, sizeof err), 0, "no file: the environment");
    is(cfg.workers, 2, "environment value back");
}

static void test_origin(void)
{
    char err[256];
    setenv("GIGD_PUBLIC_URL", "https://localhost:8443/", 1);
    is(config_load(err, sizeof err), 0, "config loads");
    is_str(cfg.public_origin, "https://localhost:8443", "public origin");
#define O(s) config_is_public_origin(s, strlen(s))
    ok(O("https://localhost:8443"), "same origin");
    ok(O("HTTPS://LocalHost:8443"), "case-insensitive");
    ok(!O("https://localhost:8443/x"), "an origin has no path");
    ok(!O("https://localhost"), "port matters");
    ok(!O("http://localhost:8443"), "scheme matters");
    ok(!O("https://localhost:8443.evil.test"), "no suffix trick");
    ok(!O("https://evil.test@localhost:8443"), "userinfo refused");
    ok(!O("null"), "opaque origin refused");
    ok(!O(""), "empty refused");
    ok(config_is_public_origin("https://localhost:8443/page", 22), "a prefix length selects the origin");
    setenv("GIGD_PUBLIC_URL", "https://example.test", 1);
    is(config_load(err, sizeof err), 0, "config loads");
    ok(O("https://example.test:443"), "explicit default port equals none");
    ok(!O("https://example.test:444"), "other port differs");
    setenv("GIGD_PUBLIC_URL", "http://[::1]:80/", 1);
    is(config_load(err, sizeof err), 0, "IPv6 public URL loads");
    is_str(cfg.public_origin, "http://[::1]", "IPv6 origin, default port dropped");
    ok(O("http://[::1]"), "IPv6 same origin");
#undef O
    unsetenv("GIGD_PUBLIC_URL");
}

/* True when f(a) kills a child process with SIGABRT (stderr silenced). */
static bool aborts(void (*f)(arena *))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(1);
        arena *a = arena_new(1024);
        f(a);
        _exit(0);
    }
    int st = 0;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}
static void alloc_max(arena *a) { arena_alloc(a, SIZE_MAX); }
static void alloc_wrap(arena *a) { arena_alloc(a, SIZE_MAX - 8); }
/* Rounds without wrapping, but wraps once the block header is added. */
static void alloc_header_wrap(arena *a) { arena_alloc(a, SIZE_MAX - sizeof(max_align_t) - 8); }

static void test_arena(void)
{
    arena *a = arena_new(1024);
    char *p = arena_alloc(a, 1), *q = arena_alloc(a, 1);
    is((long long)(q - p), (long long)sizeof(max_align_t), "small sizes rounded to the alignment");
    ok(((uintptr_t)arena_alloc(a, 3) % sizeof(max_align_t)) == 0, "aligned for any type");
    char *big = arena_alloc(a, 100000);
    memset(big, 'x', 100000);
    ok(big[99999] == 'x', "a big allocation gets its own block");
    arena_reset(a);
    ok(arena_alloc(a, 0) != NULL, "zero bytes still a distinct pointer");
    arena_free(a);
    ok(aborts(alloc_max), "SIZE_MAX aborts instead of wrapping to a tiny block");
    ok(aborts(alloc_wrap), "a size that rounds past SIZE_MAX aborts");
    ok(aborts(alloc_header_wrap), "a size that overflows with the block header aborts");
}

int main(void)
{
    arena *a = arena_new(4096);
    test_router(a);
    test_query(a);
    test_cookies(a);
    test_validation(a);
    test_envelope(a);
    test_arena();
    test_config();
    test_origin();
    arena_free(a);
    return done_testing();
}
