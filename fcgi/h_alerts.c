/* h_alerts.c — thin adapters for saved searches and notification preferences. */
#include "handlers.h"
#include "notify_prefs.h"
#include "respond.h"
#include "saved_searches.h"

void h_saved_searches_create(struct request *r)
{
    RENDER(r, 201, saved_searches_create(&r->g, r->json, RENDER_OUT));
}

void h_saved_searches_list(struct request *r)
{
    RENDER(r, 200, saved_searches_list(&r->g, req_query(r, "page"), req_query(r, "limit"), RENDER_OUT));
}

void h_saved_searches_delete(struct request *r)
{
    respond_result(r, saved_searches_delete(&r->g, req_arg(r, 0)), 200, "{\"deleted\":true}");
}

void h_notify_prefs_get(struct request *r) { RENDER(r, 200, notify_prefs_get(&r->g, RENDER_OUT)); }
void h_notify_prefs_put(struct request *r) { RENDER(r, 200, notify_prefs_put(&r->g, r->json, RENDER_OUT)); }
