/* gctx.c — error recording and arena-owned JSON for domain calls. */
#include "gctx.h"

static void json_free(void *p) { cJSON_Delete(p); }

cJSON *gctx_own(struct gctx *g, cJSON *j)
{
    if (j)
        arena_on_cleanup(g->a, json_free, j);
    return j;
}

enum result gctx_fail_field(struct gctx *g, const char *field, const char *msg)
{
    if (!g->fields)
        g->fields = gctx_own(g, cJSON_CreateObject());
    if (!cJSON_GetObjectItemCaseSensitive(g->fields, field))
        cJSON_AddStringToObject(g->fields, field, msg);
    return gctx_fail(g, R_INVALID, "Validation failed");
}

cJSON *gctx_json_parse(struct gctx *g, const char *s, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    if (!j)
        return NULL;
    /* Trailing non-space after the value is malformed JSON. */
    while (end && end < s + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (end && end < s + len && *end != '\0') {
        cJSON_Delete(j);
        return NULL;
    }
    return gctx_own(g, j);
}
