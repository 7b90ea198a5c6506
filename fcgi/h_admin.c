/* h_admin.c — thin adapters for the moderators' routes (lib/moderation.c). Moderator
 * actions take an optional JSON object ({reason}): no body at all is read as {}, so a
 * client may act without giving a reason; a body that is there must be an object. */
#include "h_trust.h"
#include "moderation.h"
#include "respond.h"
#include "util.h"
#include <string.h>

/* The body as an object (an empty one when there is none); NULL after responding 400. */
static const cJSON *optional_body(struct request *r)
{
    if (r->body_len == 0)
        return gctx_own(&r->g, cJSON_CreateObject());
    const cJSON *j = gctx_json_parse(&r->g, r->body, r->body_len);
    if (!cJSON_IsObject(j)) {
        /* the role is checked first, so the refusal of a non-moderator never varies */
        if (moderation_require(&r->g, "moderator")) {
            respond_error(r);
            return NULL;
        }
        respond_fail(r, R_INVALID, j ? "Request body must be a JSON object" : "Malformed JSON");
        return NULL;
    }
    return j;
}

void h_admin_reports(struct request *r)
{
    RENDER(r, 200,
           moderation_reports(&r->g, req_query(r, "status"), req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

void h_admin_report_resolve(struct request *r)
{
    const cJSON *body = optional_body(r);
    if (body)
        RENDER(r, 200, moderation_resolve(&r->g, req_arg(r, 0), body, RENDER_OUT));
}

static void suspend(struct request *r, bool on)
{
    const cJSON *body = optional_body(r);
    if (body)
        RENDER(r, 200, moderation_suspend(&r->g, req_arg(r, 0), on, body, RENDER_OUT));
}

void h_admin_suspend(struct request *r) { suspend(r, true); }
void h_admin_unsuspend(struct request *r) { suspend(r, false); }

/* /api/admin/{gigs,messages,reviews}/:id[/…]: the content type is the route's. */
static const char *content_type(const struct request *r)
{
    static const struct { const char *seg, *type; } types[] = {
        {"/api/admin/gigs/", "gig"}, {"/api/admin/messages/", "message"}, {"/api/admin/reviews/", "review"},
    };
    for (size_t i = 0; r->route && i < ARRAY_SIZE(types); i++)
        if (!strncmp(r->route, types[i].seg, strlen(types[i].seg)))
            return types[i].type;
    return "";
}

void h_admin_content(struct request *r)
{
    RENDER(r, 200, moderation_content(&r->g, content_type(r), req_arg(r, 0), RENDER_OUT));
}

static void takedown(struct request *r, bool down)
{
    const char *type = content_type(r);
    const cJSON *body = optional_body(r);
    if (body)
        RENDER(r, 200, moderation_takedown(&r->g, type, req_arg(r, 0), down, body, RENDER_OUT));
}

void h_admin_takedown(struct request *r) { takedown(r, true); }
void h_admin_restore(struct request *r) { takedown(r, false); }

void h_admin_audit(struct request *r)
{
    RENDER(r, 200, moderation_audit(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}
