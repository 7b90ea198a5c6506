/* libFuzzer target: the parsers of untrusted request input — query strings,
 * percent-decoding, Cookie headers, and JSON bodies through a validation table. */
#include "http.h"
#include "validate.h"
#include <stdint.h>
#include <string.h>

static const char *const kinds[] = {"fixed", "hourly", NULL};
static const struct vfield fields[] = {
    {.name = "title", .type = V_STRING, .required = true, .min = 3, .max = 100},
    {.name = "n", .type = V_INT, .min = -5, .max = 5},
    {.name = "price", .type = V_MONEY, .min = 0, .max = 1e9},
    {.name = "kind", .type = V_ENUM, .options = kinds},
    {.name = "tags", .type = V_STRINGS, .max = 5, .item_max = 10},
    {.name = "url", .type = V_URL, .max = 200},
    {.name = "when", .type = V_TIME},
    {.name = "id", .type = V_UUID, .nullable = true},
    {.name = "email", .type = V_EMAIL},
    {.name = "b", .type = V_BOOL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(4096);
    char *s = arena_strndup(a, (const char *)data, size); /* stops at the first NUL, as C strings do */
    struct kv *kv;
    http_parse_query(a, s, &kv);
    http_percent_decode(a, s, strlen(s), true);
    http_cookie(a, s, "gigd_session");
    struct gctx g = {.a = a};
    cJSON *j = gctx_json_parse(&g, (const char *)data, size);
    struct vvalue v[sizeof fields / sizeof fields[0]];
    if (j)
        validate(&g, j, fields, v);
    arena_free(a);
    return 0;
}
